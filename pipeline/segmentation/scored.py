"""Scored segmentation: every decision about a unit is a choice among candidates, scored by a
linear model whose weights are fitted on training pages (``training.py``), not set by hand.

A unit (a block of the page's text) that the shape rules do not settle (captions with a credit,
reading-guide headers, editor notes and 上接/下转 markers are settled by their patterns) is one of:

    new_title  the title of an article that starts here
    new_body   the first body unit (byline, dateline paragraph, paragraph) of an article whose
               title, if any, comes later on the page
    title(a)   a title deck of open article ``a`` (a second deck, or a title printed after a's
               first column)
    sub(a)     an in-article section head (小标题) of ``a``
    pnew(a)    a new paragraph (or the byline) of ``a``
    pjoin(a)   the rest of ``a``'s cut paragraph (a column end cut it, other items came between)
    banner     a column or series banner, not part of any article

Each candidate gets features from evidence that carries over to pages nobody here has seen: the
unit's shape (length, how it ends, punctuation), what follows it (a byline, a dateline, a
fragment that cannot start a sentence), a language-model score of joining it to an article's cut
paragraph (jieba's word-probability dictionary: does the best segmentation of the text across
the cut gain probability over the two sides apart?), how complete the article's last sentence
is, lexical cohesion (rare character trigrams shared with the article), distance, and what the
previous unit was. Feature names carry the action, so each action has its own weights.
Decoding is greedy, left to right: time stays linear in the page (open articles are bounded).

Speed: the decoder does not build feature dictionaries. The unit features of the whole page are
scored for every action at once (one sparse product per page, numpy); a candidate's article part is its
indicator features, a small tuple whose per-action weights are looked up once per model
(``Model.pair_scores``), plus the few real-valued features; cohesion is a set intersection per
open article. The same features, as dictionaries, are what ``training.py`` fits on, and
``Model.choose`` scores them one by one: a test holds the two decoders to the same output.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from pipeline.models import BlockKind, PageSplit, Subhead
from pipeline.segmentation import bylines
from pipeline.segmentation.charlm import BOS, char_lm
from pipeline.segmentation.rules import DEFAULT_RULES, SegmentationRules
from pipeline.segmentation.segmenter import Unit, _Art, _Blk, _Segmenter, ends_sentence, finish

WEIGHTS_FILE = Path(__file__).with_name("weights.json")
ACTIONS = ("new_title", "new_body", "title", "sub", "pnew", "pjoin", "banner")
_ART_ACTIONS = ("title", "sub", "pnew", "pjoin")
RULE_KINDS = ("guide_header", "marker", "caption", "editor")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_SPACES = re.compile(r"\s+")
Feats = dict[str, float]


_ACTION_ROW = {a: n for n, a in enumerate(ACTIONS)}
_ART_ROW = {a: n for n, a in enumerate(_ART_ACTIONS)}
# the real-valued features of a unit-article pair (the rest are indicators, see ``pair_indicators``)
PAIR_REALS = ("gain", "lm", "nx_gain", "nx_lm", "affinity", "aff_share", "nx_aff", "nx_aff_share", "later_better",
              "nx_later_better")
# title lines skipped to find the paragraph a title-like line heads: 0 (measured: 2 raised article F1
# on held-out text, 0.901 -> 0.911, but let late decks become banners, block F1 0.902 -> 0.893)
TITLE_HOPS = 0
LOOKAHEAD = 6  # paragraphs after a unit searched for a better continuation of a cut paragraph
# a pair's indicators as a tuple: what ``Model.pair_scores`` memoises
PairKey = tuple[
    str, str, bool, int, str, bool, bool, str, bool, bool, bool, bool, bool, bool, bool, str | None, str | None,
    str | None,
]


def pair_indicators(key: PairKey) -> Feats:
    """The indicator features of a unit-article pair, from its key."""
    (dist, prev, same, others_cut, kind, cut, cur, start, latest, han_han, nx_cont, fresh, aff_top, nx_top, nx_zero,
     join_pos, nx_frag, cont) = key
    c = int(cut)
    f: Feats = {
        f"dist:{dist}": 1.0,
        f"prev:{prev}:{'same' if same else 'other'}": 1.0,
        f"others_cut:{others_cut}": 1.0,
        f"u:{kind}&cut:{c}&cur:{int(cur)}": 1.0,
        f"start:{start}&cut:{c}": 1.0,
    }
    if cont is not None:  # where the article's cut paragraph continues best: right after this line, or further on
        f[f"cont:{cont}"] = 1.0
    if nx_frag is not None:  # the paragraph after this line starts mid-sentence: whose cut does it continue?
        f[f"nxfrag:{nx_frag}"] = 1.0
    if join_pos is not None:  # the words that meet at the cut: 主席周青禾 ‖ 表示 (nr>v) reads on
        f[f"joinpos:{join_pos}"] = 1.0
    for name, on in (("is_cur", cur), ("is_latest", latest), ("han_han", han_han), ("nx_cont", nx_cont),
                     ("fresh_title", fresh), ("aff_top", aff_top), ("nx_aff_top", nx_top), ("nx_aff_zero", nx_zero)):
        if on:
            f[name] = 1.0
    return f


@dataclass
class Candidate:
    """One possible decision about a unit: ``action`` on article ``art`` (None for the actions that
    start something new), with the features of the unit-article pair (shared between actions)."""

    action: str
    art: _Art | None
    art_feats: Feats | None = None  # what changes with the unit
    static: Feats | None = None  # what only changes when the article grows

    def features(self, unit_feats: Feats) -> Feats:
        """All features, named by the action (what the model's weights are keyed by)."""
        feats = {f"{self.action}|{k}": v for k, v in unit_feats.items()}
        for part in (self.art_feats, self.static):
            if part:
                feats.update({f"{self.action}|a:{k}": v for k, v in part.items()})
        return feats


class Model:
    """A linear scorer over action-named features (``new_title|len:12``, ``pjoin|a:gain``)."""

    def __init__(self, weights: dict[str, float], meta: dict[str, Any] | None = None) -> None:
        self.weights = weights
        self.meta = meta or {}
        # per feature, its weight under every action at once: a unit's (or an article's) scores for
        # all actions are one column sum over its features
        unit: dict[str, list[float]] = {}
        art: dict[str, list[float]] = {}
        for key, w in weights.items():
            action, _, name = key.partition("|")
            if name.startswith("a:"):
                if action in _ART_ROW:
                    art.setdefault(name[2:], [0.0] * len(_ART_ACTIONS))[_ART_ROW[action]] = w
            elif action in _ACTION_ROW:
                unit.setdefault(name, [0.0] * len(ACTIONS))[_ACTION_ROW[action]] = w
        self._unit = {k: tuple(v) for k, v in unit.items()}
        self._unit_row = {k: n for n, k in enumerate(self._unit)}
        zeros = (0.0,) * len(ACTIONS)
        self._unit_reals = np.array([self._unit.get(k, zeros) for k in UNIT_REALS], dtype=float)
        self._unit_memo: tuple[dict[Any, tuple[float, ...]], ...] = ({}, {}, {})
        self._art = {k: tuple(v) for k, v in art.items()}
        self._pairs: dict[PairKey, tuple[float, ...]] = {}
        self._statics: dict[tuple[str, ...], tuple[float, ...]] = {}

    def score(self, feats: Feats) -> float:
        w = self.weights
        return sum(w.get(k, 0.0) * v for k, v in feats.items())

    @staticmethod
    def _columns(table: dict[str, tuple[float, ...]], feats: Feats, width: int) -> tuple[float, ...]:
        rows = []
        for k, v in feats.items():
            row = table.get(k)
            if row is not None:
                rows.append(row if v == 1.0 else tuple(x * v for x in row))
        return tuple(map(sum, zip(*rows, strict=True))) if rows else (0.0,) * width

    def unit_scores(self, unit_feats: Feats) -> tuple[float, ...]:
        """The unit's part of every action's score, in ``ACTIONS`` order (once per unit)."""
        return self._columns(self._unit, unit_feats, len(ACTIONS))

    def page_unit_scores(self, page: Sequence[UnitKeys]) -> list[list[float]]:
        """``unit_scores`` of every unit of a page from its keys: each key's indicators are scored
        once per model (memoised), the real values in one product."""
        if not page:
            return []
        memo, table, width = self._unit_memo, self._unit, len(ACTIONS)
        groups = ((own_indicators, memo[0]), (next_indicators, memo[1]), (context_indicators, memo[2]))
        parts: list[list[tuple[float, ...]]] = [[], [], []]
        for keys in page:
            for n, (indicators, seen) in enumerate(groups):
                row = seen.get(keys[n])
                if row is None:
                    row = seen[keys[n]] = self._columns(table, indicators(keys[n]), width)  # type: ignore[operator]
                parts[n].append(row)
        reals = np.array([keys[3] for keys in page])
        total = np.array(parts[0]) + np.array(parts[1]) + np.array(parts[2]) + reals @ self._unit_reals
        return total.tolist()

    def static_scores(self, feats: Feats) -> tuple[float, ...]:
        """``art_scores`` of an article's own features (a handful of indicators), memoised."""
        key = tuple(feats)
        found = self._statics.get(key)
        if found is None:
            found = self._statics[key] = self.art_scores(feats)
        return found

    def art_scores(self, feats: Feats) -> tuple[float, ...]:
        """An article's part of the score of each action on it, in ``_ART_ACTIONS`` order."""
        return self._columns(self._art, feats, len(_ART_ACTIONS))

    def pair_scores(self, key: PairKey) -> tuple[float, ...]:
        """The indicators' part of each article action's score; a page has few distinct keys."""
        found = self._pairs.get(key)
        if found is None:
            if len(self._pairs) > 1 << 16:
                self._pairs.clear()
            found = self._pairs[key] = self.art_scores(pair_indicators(key))
        return found

    def choose(self, unit_feats: Feats, cands: list[Candidate]) -> Candidate:
        """The best candidate, each scored from its feature dictionary (training; the reference
        the decoder's fast path is tested against)."""
        best, best_score = cands[0], -math.inf
        for cand in cands:
            score = self.score(cand.features(unit_feats))
            if score > best_score:
                best, best_score = cand, score
        return best

    @classmethod
    def load(cls, path: Path = WEIGHTS_FILE) -> Model:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(data["weights"], data.get("meta"))

    def save(self, path: Path) -> None:
        weights = {k: round(v, 4) for k, v in sorted(self.weights.items()) if abs(v) >= 1e-4}
        data = {"meta": self.meta, "weights": weights}
        path.write_text(json.dumps(data, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")


@functools.cache
def default_model() -> Model:
    return Model.load()


# ---------------------------------------------------------------------------- language-model evidence
@functools.cache
def _jieba_model() -> tuple[dict[str, int], float]:
    from pipeline.text.tokenizer import plain_tokenizer

    tok = plain_tokenizer()
    return tok.FREQ, math.log(tok.total)


def suffix_logps(text: str) -> list[float]:
    """The log-probability of jieba's best segmentation of every suffix ``text[k:]`` (its
    word-unigram model: ``Tokenizer.get_DAG`` and ``calc``, the values only, for short windows)."""
    freq, log_total = _jieba_model()
    n = len(text)
    best = [0.0] * (n + 1)
    log = math.log
    for k in range(n - 1, -1, -1):
        top = -math.inf
        i, frag = k, text[k]
        while i < n and frag in freq:
            count = freq[frag]
            if count:
                v = log(count) - log_total + best[i + 1]
                if v > top:
                    top = v
            i += 1
            frag = text[k : i + 1]
        best[k] = top if top > -math.inf else best[k + 1] - log_total  # an unknown character alone
    return best


def route_logp(text: str) -> float:
    """Log-probability of jieba's best segmentation of ``text``."""
    return suffix_logps(text)[0]


def join_gain(left: str, right: str) -> float:
    """How much likelier the text across a cut is read as one piece than as two (natural log, per
    character of the window, clipped): positive when a word runs across the cut (…帮扶资 ‖ 金460万元)."""
    tail, head = left[-4:], right[:4]
    if not (tail and head and "\u4e00" <= tail[-1] <= "\u9fff" and "\u4e00" <= head[0] <= "\u9fff"):
        return 0.0
    return _gain(tail, head)


@functools.lru_cache(maxsize=1 << 14)
def _gain(tail: str, head: str) -> float:
    whole = suffix_logps(tail + head)  # whole[len(tail)] is the head's own best segmentation
    gain = whole[0] - suffix_logps(tail)[0] - whole[len(tail)]
    return max(-1.0, min(1.0, gain / 8.0))


_POS_KEEP = frozenset(("nr", "ns", "nt", "nz", "v", "vn", "n", "m", "x", "a", "p", "d", "c", "u"))


@functools.lru_cache(maxsize=1 << 15)
def _edge_pos(piece: str, last: bool) -> str:
    """Coarse part of speech of the first (``last``: the last) word of ``piece``, the unit's first
    or last six characters, as jieba's tagger reads them (n, nr, ns, v, …)."""
    flag = _edge_tag(piece, last)
    return flag if flag in _POS_KEEP else flag[:1]


def _edge_tag(piece: str, last: bool) -> str:
    """``pos_tokenizer().tag(piece)[0 or -1]``'s tag, running the tagger's HMM only on the run of
    unknown characters at that edge (the costly part; a run elsewhere cannot change the edge word)."""
    from jieba.posseg import re_han_internal

    from pipeline.text.tokenizer import pos_tokenizer

    pos = pos_tokenizer()
    pos.makesure_userdict_loaded()
    blocks = [b for b in re_han_internal.split(piece) if b]
    if not blocks:
        return "x"
    blk = blocks[-1] if last else blocks[0]
    if not re_han_internal.match(blk):
        tagged = pos.tag(blk)  # no dictionary, no HMM: digits, Latin letters, punctuation
        return (tagged[-1] if last else tagged[0])[1] if tagged else "x"
    tok, words = pos.tokenizer, pos.word_tag_tab
    route: dict[int, tuple[float, int]] = {}
    tok.calc(blk, tok.get_DAG(blk), route)  # jieba's route, as ``FastPOSTokenizer._tag_dag``
    segs = []
    x = 0
    while x < len(blk):
        y = route[x][1] + 1
        segs.append((x, y))
        x = y
    singles = [b - a == 1 for a, b in segs]  # single characters gather into a buffer, flushed together
    if last:
        k = len(segs)
        while k > 0 and singles[k - 1]:
            k -= 1
        if k == len(segs):
            return words.get(blk[segs[-1][0] :], "x")
        buf = blk[segs[k][0] :]
    else:
        k = 0
        while k < len(segs) and singles[k]:
            k += 1
        if k == 0:
            return words.get(blk[: segs[0][1]], "x")
        buf = blk[: segs[k - 1][1]]
    out: list[tuple[str, str, int]] = []
    pos._flush(buf, 0, out)
    return (out[-1] if last else out[0])[1]


_DIST = ("0", "1", "2", "3", "4", "8", "8", "8", "8")  # distance in units, bucketed (``_pair``)


@functools.lru_cache(maxsize=1 << 16)
def _lm4(a: str, b: str) -> float:
    """The character LM's PMI of ``b`` after ``a``, scaled and clipped as a feature value."""
    return _clip(char_lm().pmi(a, b) / 4)


def _cont_class(here: float, later_better: float) -> str:
    """Where a cut paragraph reads on: in the paragraph after a title-like line (a word across the
    cut), clearly better in one further on, or neither."""
    if later_better > 0.2 and here + later_better >= 0.3:
        return "elsewhere"
    return "here" if here >= 0.3 else "unknown"


def _clip(x: float, bound: float = 1.5) -> float:
    return max(-bound, min(bound, x))


_LEN_BOUNDS = (4, 8, 12, 18, 24, 32, 48, 80)
_LEN_BUCKETS = tuple(str(next(b for b in _LEN_BOUNDS if n <= b)) for n in range(81))


def _len_bucket(n: int) -> str:
    return _LEN_BUCKETS[n] if n <= 80 else "long"


def _end_class(text: str, rules: SegmentationRules) -> str:
    if not text:
        return "empty"
    last = text[-1]
    if last in rules.sentence_end:
        return "stop"
    if last in rules.closers:
        return "close_stop" if ends_sentence(text, rules) else "close"
    if last in ",，、;；:：":
        return "comma"
    if last.isdigit():
        return "digit"
    return "han" if "\u4e00" <= last <= "\u9fff" else "other"


def _is_banner_word(text: str, banners: tuple[str, ...]) -> bool:
    """Is one of the paper's banner words printed as a phrase of its own in ``text`` (not merely
    contained in a headline: 安全生产 the column, not 安全生产没有“差不多”)?"""
    if not banners:
        return False
    line = f" {' '.join(text.split())} "
    return any(f" {' '.join(b.split())} " in line for b in banners)


def _short_first_clause(text: str) -> bool:
    """`表示,…` / `平,…`: a clause of at most four characters before the first comma."""
    head = text[:5]
    return "," in head or "，" in head


def _commas(text: str) -> int:
    return min(2, text.count(",") + text.count("，") + text.count(";") + text.count("；"))


class _Shape(NamedTuple):
    """What the features read of one unit, computed once per unit (a unit is also the next and the
    previous unit of its neighbours)."""

    own: OwnKey
    length: str
    raw_length: str
    end: str
    commas: int
    first_pos: str
    starts_cont: bool
    opener: bool
    dateline: bool
    short_clause: bool
    start_lm: float
    start: str  # how the text starts: cont(inuation), opener, quote, han, other


# A unit's features come in three groups of indicators, each a function of a small key (so the
# decoder scores a key once per model, not a feature dictionary per unit), plus four real values:
#   own      the unit's shape: kind, length, ending, commas, edge words' POS, flags
#   next     the shape of the unit after it (captions and editor notes skipped)
#   context  conjunctions with the next and the previous unit
OwnKey = tuple[str, str, str, int, str, str, bool, bool, bool, bool, bool, bool, bool, int, str, bool, bool, bool]
NextKey = tuple[str, bool, bool, bool, bool, str, str, str, int] | None
ContextKey = tuple[str, str, str, str, str, str | None, str | None, str]
UNIT_REALS = ("start_lm", "nx:gain", "nx:lm", "nx:start_lm")
_OWN_FLAGS = ("period", "credit_paren", "starts_cont", "starts_opener", "dateline", "first_unit", "banner_word")
_SHAPE_FLAGS = ("short_phrases", "dash", "quote_sentence")


def own_indicators(key: OwnKey) -> Feats:
    kind, length, end, commas, last_pos, first_pos, *flags = key
    f: Feats = {
        "bias": 1.0,
        f"kind:{kind}": 1.0,
        f"len:{length}": 1.0,
        f"end:{end}": 1.0,
        f"commas:{commas}": 1.0,
        f"lastpos:{last_pos}": 1.0,
        f"firstpos:{first_pos}": 1.0,
    }
    for name, on in zip(_OWN_FLAGS, flags[:7], strict=True):
        if on:
            f[name] = 1.0
    phrases, longest = flags[7], flags[8]
    f[f"phrases:{phrases}"] = 1.0
    f[f"longest:{longest}"] = 1.0
    for name, on in zip(_SHAPE_FLAGS, flags[9:], strict=True):
        if on:
            f[name] = 1.0
    return f


def next_indicators(key: NextKey) -> Feats:
    if key is None:
        return {"nx:none": 1.0}
    kind, dateline, starts_cont, short_clause, opener, first_pos, length, end, commas = key
    f: Feats = {f"nx:kind:{kind}": 1.0}
    for name, on in (("nx:dateline", dateline), ("nx:starts_cont", starts_cont),
                     ("nx:short_clause", short_clause), ("nx:opener", opener)):
        if on:
            f[name] = 1.0
    f[f"nx:firstpos:{first_pos}"] = 1.0
    f[f"nx:len:{length}"] = 1.0
    f[f"nx:end:{end}"] = 1.0
    f[f"nx:commas:{commas}"] = 1.0
    return f


def context_indicators(key: ContextKey) -> Feats:
    kind, end, length, nx_kind, nx2_kind, pv_kind, pv_end, pos_pair = key
    f: Feats = {
        f"pos:{pos_pair}": 1.0,  # this unit's last word and the next one's first: a name, then 表示
        f"kind:{kind}&nx:{nx_kind}": 1.0,
        f"kind:{kind}&nx:{nx_kind}&nx2:{nx2_kind}": 1.0,  # a line above a title above a byline: banner or kicker
        f"end:{end}&nx:{nx_kind}": 1.0,
        f"len:{length}&nx:{nx_kind}": 1.0,
    }
    if pv_kind is not None:
        f[f"pv:kind:{pv_kind}"] = 1.0
        f[f"pv:end:{pv_end}"] = 1.0
    return f


UnitKeys = tuple[OwnKey, NextKey, ContextKey, tuple[float, float, float, float]]


_ArtState = tuple[Feats, bool, int, tuple[float, ...]]  # features, last paragraph cut, last unit, scores


class ScoredSegmenter(_Segmenter):
    def __init__(self, text: str, rules: SegmentationRules, model: Model) -> None:
        super().__init__(text, rules, fix_kinds=False)  # each unit's shape, without the rules' fix-ups
        self.model = model
        self.prev_action = "start"
        self.prev_art: _Art | None = None
        self._states: dict[int, _ArtState] = {}  # by id(article); dropped when the article changes
        self._recent = rules.scored_window
        self._win_key: tuple[int, int] | None = None
        self._win: list[_Art] = []
        units = self.units
        # the next unit that is not a caption or an editor note (those sit anywhere in the flow)
        self._nxt: list[Unit | None] = [None] * len(units)
        following: Unit | None = None
        for unit in reversed(units):
            self._nxt[unit.idx] = following
            if unit.kind not in ("caption", "editor"):
                following = unit
        # the paragraph a title-like line heads: the next unit, past at most TITLE_HOPS more title lines
        self._body_next: list[Unit | None] = []
        for unit in units:
            after, hops = self._nxt[unit.idx], 0
            while after is not None and after.kind == "title" and hops < TITLE_HOPS:
                after, hops = self._nxt[after.idx], hops + 1
            self._body_next.append(after if after is not None and after.kind == "para" else None)
        self._gramsets = [frozenset(self._grams(u.text)) for u in units]
        paras = [u for u in units if u.kind == "para"]
        self._paras_after: list[list[Unit]] = []
        k = 0
        for unit in units:
            while k < len(paras) and paras[k].idx <= unit.idx:
                k += 1
            self._paras_after.append(paras[k : k + LOOKAHEAD])
        # their first four characters, where a Han character opens them (``join_gain``'s window)
        self._heads_after = [
            [u.text[:4] for u in after if "\u4e00" <= u.text[0] <= "\u9fff"] for after in self._paras_after
        ]
        self._shapes = [self._shape(u) for u in units]
        self._ukeys = [self._unit_keys(i) for i in range(len(units))]
        self._uscores: list[list[float]] | None = None

    @functools.cached_property
    def ufeats(self) -> list[Feats]:
        """Every unit's features as dictionaries (training, and the reference decoder)."""
        return [self._unit_features(i) for i in range(len(self.units))]

    # ------------------------------------------------------------------ features
    def _shape(self, unit: Unit) -> _Shape:
        rules, text = self.rules, unit.text
        phrases = text.split()
        longest = max(map(len, phrases))
        length = _len_bucket(len("".join(phrases)))
        end = _end_class(text, rules)
        commas = _commas(text)
        first_pos = _edge_pos(text[:6], False)
        first = text[0]
        starts_cont = first in rules.continuation_starts
        opener = text.startswith(rules.paragraph_openers)
        dateline = rules.dateline.match(text) is not None
        if starts_cont:
            start = "cont"
        elif opener:
            start = "opener"
        elif first in "“\"":
            start = "quote"
        else:
            start = "han" if "\u4e00" <= first <= "\u9fff" else "other"
        own: OwnKey = (
            unit.kind, length, end, commas, _edge_pos(text[-6:], True), first_pos,
            "。" in text,
            unit.kind == "byline" and text[0] in "(（",  # (本报记者 X) printed after a body, not above one
            starts_cont, opener, dateline, unit.idx == 0, _is_banner_word(text, rules.banners),
            min(3, len(phrases)), _len_bucket(longest),
            len(phrases) >= 2 and longest <= 8,  # 奋进新征程 工会在行动: a banner's shape, not a headline's
            "——" in text,
            text.startswith("“") and text.rstrip(rules.closers).endswith(("。", "!", "?", "！", "？")),
        )
        return _Shape(
            own, length, _len_bucket(len(text)), end, commas, first_pos, starts_cont, opener, dateline,
            _short_first_clause(text), _lm4(BOS, first), start,
        )

    def _cohesion(self, i: int, arts: Sequence[_Art]) -> list[float]:
        """Lexical cohesion of unit ``i`` with each of ``arts``: its trigrams that the article
        holds, each weighted by how few of ``arts`` hold it (a name or term of one article counts
        fully)."""
        grams = self._gramsets[i]
        if not grams:
            return [0.0] * len(arts)
        common = [grams & a.trigrams for a in arts]  # C iterates the smaller of the two
        if len([c for c in common if c]) <= 1:
            return [float(len(c)) for c in common]
        seen: set[str] = set()
        shared: set[str] = set()
        for c in common:
            if c:
                shared |= seen & c
                seen |= c
        if not shared:
            return [float(len(c)) for c in common]
        holders = {g: sum(1 for c in common if g in c) for g in shared}
        out = []
        for c in common:
            both = c & shared
            out.append(len(c) - len(both) + sum(1.0 / holders[g] for g in both))
        return out

    def _next_unit(self, i: int) -> Unit | None:
        return self._nxt[i]

    def _unit_keys(self, i: int) -> UnitKeys:
        unit, sh = self.units[i], self._shapes[i]
        nxt = self._nxt[i]
        reals = (sh.start_lm, 0.0, 0.0, 0.0)
        nx_key: NextKey = None
        nx_kind = nx2_kind = "none"
        if nxt is not None:
            after = self._nxt[nxt.idx]
            if after is not None:
                nx2_kind = "dateline" if self._shapes[after.idx].dateline else after.kind
            nx = self._shapes[nxt.idx]
            nx_kind = nxt.kind
            nx_key = (nx_kind, nx.dateline, nx.starts_cont, nx.short_clause, nx.opener, nx.first_pos,
                      nx.raw_length, nx.end, nx.commas)
            reals = (sh.start_lm, join_gain(unit.text, nxt.text),
                     _lm4(unit.text[-1], nxt.text[0]), nx.start_lm)
        pv = self._shapes[i - 1] if i > 0 else None
        pos_pair = f"{sh.own[4]}>{self._shapes[nxt.idx].first_pos if nxt is not None else 'none'}"
        ctx: ContextKey = (unit.kind, sh.end, sh.length, nx_kind, nx2_kind, pv and pv.own[0], pv and pv.end, pos_pair)
        return sh.own, nx_key, ctx, reals

    def _unit_features(self, i: int) -> Feats:
        """The unit's features as a dictionary (what training fits on)."""
        own, nx, ctx, (start_lm, gain, lm, nx_start_lm) = self._ukeys[i]
        f = own_indicators(own) | next_indicators(nx) | context_indicators(ctx)
        f["start_lm"] = start_lm
        if nx is not None:
            if gain:
                f["nx:gain"] = gain
            f["nx:lm"] = lm
            f["nx:start_lm"] = nx_start_lm
        return f

    def _art_state(self, art: _Art) -> _ArtState:
        """What does not depend on the unit: (features, last paragraph cut, last unit's index, the
        model's scores of the features); kept until the article changes (``run`` drops it)."""
        state = self._states.get(id(art))
        if state is not None:
            return state
        rules = self.rules
        f: Feats = {"has_title" if art.title_units else "no_title": 1.0}
        cut = False
        if art.paragraphs:
            f["has_body"] = 1.0
            last = art.paragraphs[-1]
            if not ends_sentence(last, rules):
                cut = True
                f["last_cut"] = 1.0
                f[f"last_end:{_end_class(last, rules)}"] = 1.0
        elif art.byline is not None:
            f["byline_only"] = 1.0
        if art.byline is not None:
            f["has_byline"] = 1.0
        last_idx = max(u.idx for u in art.title_units + art.body_units)
        state = self._states[id(art)] = (f, cut, last_idx, self.model.static_scores(f))
        return state

    # ------------------------------------------------------------------ candidates
    def _context(self, i: int, unit: Unit) -> _Context:
        """What every candidate of unit ``i`` is built from (the window, cohesion, the next unit)."""
        nxt = self._nxt[i]
        arts = self._window()
        known = self._states
        states = [known.get(id(a)) or self._art_state(a) for a in arts]
        affs = self._cohesion(i, arts)
        # a title-like line: does the paragraph after it (and after the title lines below it) read
        # like one of the open articles, or continue one's cut paragraph?
        body = self._body_next[i]
        ahead = body is not None and unit.kind in ("title", "para") and len(unit.text) <= 48
        nx_affs = self._cohesion(body.idx, arts) if ahead else [0.0] * len(arts)  # type: ignore[union-attr]
        opens_story = self._opens_story(nxt)
        top = max(affs, default=0.0)
        nx_top = max(nx_affs, default=0.0)
        return _Context(
            body, arts, states, affs, nx_affs, ahead, opens_story, [st[1] for st in states].count(True),
            self._shapes[i].dateline, self._shapes[i].start, top, sum(affs) or 1.0, nx_top, sum(nx_affs) or 1.0,
        )

    def _best_join(self, last: str, i: int) -> float:
        """The best join evidence of a cut paragraph ending ``last`` with the paragraphs after unit
        ``i`` (the next ``LOOKAHEAD``)."""
        tail = last[-4:]
        heads = self._heads_after[i]
        if not heads or not "\u4e00" <= tail[-1:] <= "\u9fff":
            return 0.0
        best = max([_gain(tail, head) for head in heads])
        # a paragraph that does not open with a Han character scores 0 (``join_gain``)
        return best if best >= 0.0 or len(heads) == len(self._paras_after[i]) else 0.0

    def _two_decks(self, unit: Unit) -> bool:
        """A title line printed as two decks (主题——副题, decks split by a wide space)."""
        return len(bylines.split_decks(unit.text, self.rules)) > 1

    def _opens_story(self, nxt: Unit | None) -> bool:
        """Does what follows open a story (a dateline, a byline that is not an end credit, a reading
        guide)? Then it cannot continue an article that already has paragraphs: the line before it
        is no section head."""
        return nxt is not None and (
            self._shapes[nxt.idx].dateline
            or (nxt.kind == "byline" and nxt.text[0] not in "(（")
            or nxt.kind == "guide_header"
        )

    def _actions(self, unit: Unit, art: _Art, state: _ArtState, ctx: _Context) -> list[str]:
        """The actions structurally possible for the unit on ``art``."""
        if unit.kind == "byline":
            # a byline heads an article's body; only an end credit, (本报记者 X), follows one
            if art.byline is None and (not art.paragraphs or unit.text[0] in "(（"):
                return ["pnew"]
            return []
        if ctx.dateline:  # 本报讯 … opens a story's body
            return ["pnew"] if not art.paragraphs and art.byline is None else []
        actions = []
        # untitled, or a deck under its title line (not under a line that is already two decks,
        # "主题——副题": the subtitle closes a title)
        titles = art.title_units
        if not titles or (titles[-1] is self.last and not self._two_decks(titles[-1])):
            actions.append("title")
        if art.paragraphs and not ctx.opens_story:  # a section head is followed by its paragraph
            actions.append("sub")
            if state[1]:
                actions.append("pjoin")
        actions.append("pnew")
        return actions

    def _pair(self, unit: Unit, art: _Art, state: _ArtState, ctx: _Context, aff: float,
              nx_aff: float) -> tuple[PairKey, Feats]:
        """The features of the unit-article pair: the indicators' key and the real values."""
        _, cut, last_idx, _ = state
        dist = unit.idx - last_idx
        reals: Feats = {}
        han_han = nx_cont = False
        nx_g = 0.0
        cont: str | None = None
        if cut:
            last = art.paragraphs[-1]
            text = unit.text
            g = join_gain(last, text)
            if g:
                reals["gain"] = g
            han_han = "\u4e00" <= last[-1] <= "\u9fff" and "\u4e00" <= text[0] <= "\u9fff"
            lm = char_lm()
            reals["lm"] = _clip(lm.pmi(last[-1], text[0]) / 4)
            later = self._best_join(last, unit.idx) - g
            if later > 0:  # a paragraph further on continues the cut better: this one is not its rest
                reals["later_better"] = later
            nxt = ctx.body
            if nxt is not None:
                g = nx_g = join_gain(last, nxt.text)
                if g:
                    reals["nx_gain"] = g
                nx_cont = self._shapes[nxt.idx].starts_cont
                reals["nx_lm"] = _clip(lm.pmi(last[-1], nxt.text[0]) / 4)
                later = self._best_join(last, nxt.idx) - g
                if later > 0:
                    reals["nx_later_better"] = later
                cont = _cont_class(g, later)
        body_shape = self._shapes[ctx.body.idx] if ctx.body is not None else None
        frag = body_shape is not None and (body_shape.short_clause or body_shape.starts_cont)
        nx_frag = None if not frag else ("uncut" if not cut else ("join" if nx_g > 0 else "nojoin"))
        aff_top = False
        if aff:
            reals["affinity"] = math.log1p(aff)
            reals["aff_share"] = aff / ctx.aff_total
            aff_top = aff >= ctx.aff_top
        nx_top = False
        if nx_aff:
            reals["nx_aff"] = math.log1p(nx_aff)
            reals["nx_aff_share"] = nx_aff / ctx.nx_total
            nx_top = nx_aff >= ctx.nx_top
        is_cur = art is self.cur
        key: PairKey = (
            str(dist) if dist <= 4 else ("8" if dist <= 8 else "far"),
            self.prev_action, self.prev_art is art, min(2, ctx.cuts - cut), unit.kind, cut, is_cur,
            ctx.start, art is self.arts[-1], han_han, nx_cont,
            bool(art.title_units) and not art.body_units and art.byline is None and art.title_units[-1] is self.last,
            aff_top, nx_top,
            ctx.ahead and not nx_aff,  # the paragraph after this line shares nothing with ``art``
            f"{_edge_pos(art.paragraphs[-1][-6:], True)}>{self._shapes[unit.idx].first_pos}" if cut else None,
            nx_frag, cont,
        )
        return key, reals

    def candidates(self, i: int, unit: Unit) -> list[Candidate]:
        """Every candidate with its feature dictionaries (what training fits on)."""
        out = [Candidate("new_body", None)]
        if unit.kind != "byline":
            out += [Candidate("new_title", None), Candidate("banner", None)]
        ctx = self._context(i, unit)
        for art, state, aff, nx_aff in zip(ctx.arts, ctx.states, ctx.affs, ctx.nx_affs, strict=True):
            actions = self._actions(unit, art, state, ctx)
            if not actions:
                continue
            key, reals = self._pair(unit, art, state, ctx, aff, nx_aff)
            extra = pair_indicators(key) | reals
            out += [Candidate(a, art, extra, state[0]) for a in actions]
        return out

    def decide(self, i: int, unit: Unit) -> tuple[str, _Art | None]:
        """The model's best candidate, as ``Model.choose`` picks it from ``candidates`` (a test holds
        the two to the same decisions), without building feature dictionaries: ``_context``,
        ``_actions`` and ``_pair`` written out in one loop, scored from the model's tables."""
        if self._uscores is None:
            self._uscores = self.model.page_unit_scores(self._ukeys)
        base = self._uscores[i]
        kind, text = unit.kind, unit.text
        best_action, best_art, best = "new_body", None, base[1]
        if kind != "byline":
            if base[0] > best:
                best_action, best = "new_title", base[0]
            if base[6] > best:
                best_action, best = "banner", base[6]
        # --- the context (``_context``)
        shapes, nxt = self._shapes, self._nxt[i]
        shape = shapes[i]
        arts = self._window()
        if not arts:
            return best_action, best_art
        known = self._states
        states = [known.get(id(a)) or self._art_state(a) for a in arts]
        affs = self._cohesion(i, arts)
        body = self._body_next[i]
        body_frag = body is not None and (shapes[body.idx].short_clause or shapes[body.idx].starts_cont)
        ahead = body is not None and kind in ("title", "para") and len(text) <= 48
        nx_affs = self._cohesion(body.idx, arts) if ahead else [0.0] * len(arts)  # type: ignore[union-attr]
        opens_story = self._opens_story(nxt)
        aff_top, aff_total = max(affs, default=0.0), sum(affs) or 1.0
        nx_top, nx_total = max(nx_affs, default=0.0), sum(nx_affs) or 1.0
        cuts = [st[1] for st in states].count(True)
        dateline, start = shape.dateline, shape.start
        last_unit, cur, latest = self.last, self.cur, self.arts[-1]
        prev_action, prev_art = self.prev_action, self.prev_art
        model = self.model
        weights, pairs = model._art, model._pairs
        others_cut = (cuts if cuts < 2 else 2, cuts - 1 if cuts < 3 else 2)  # by whether this one is cut
        for art, state, aff, nx_aff in zip(arts, states, affs, nx_affs, strict=True):
            # --- the possible actions (``_actions``)
            titles, paragraphs = art.title_units, art.paragraphs
            under_title = bool(titles) and titles[-1] is last_unit
            fresh = under_title and not art.body_units and art.byline is None
            cut = state[1]
            if kind == "byline":
                if art.byline is not None or (paragraphs and text[0] not in "(（"):
                    continue
                actions: tuple[str, ...] = ("pnew",)
            elif dateline:
                if paragraphs or art.byline is not None:
                    continue
                actions = ("pnew",)
            else:
                may_title = not titles or (under_title and not self._two_decks(titles[-1]))
                if paragraphs and not opens_story:
                    actions = ("title", "sub", "pjoin", "pnew") if cut else ("title", "sub", "pnew")
                    if not may_title:
                        actions = actions[1:]
                else:
                    actions = ("title", "pnew") if may_title else ("pnew",)
            # --- the pair's features (``_pair``)
            r0 = r1 = r2 = r3 = 0.0
            reals: list[tuple[str, float]] = []
            han_han = nx_cont = False
            nx_g = 0.0
            cont: str | None = None
            if cut:
                last = paragraphs[-1]
                g = join_gain(last, text)
                if g:
                    reals.append(("gain", g))
                han_han = "\u4e00" <= last[-1] <= "\u9fff" and "\u4e00" <= text[0] <= "\u9fff"
                reals.append(("lm", _lm4(last[-1], text[0])))
                later = self._best_join(last, i) - g
                if later > 0:
                    reals.append(("later_better", later))
                if body is not None:
                    g = nx_g = join_gain(last, body.text)
                    if g:
                        reals.append(("nx_gain", g))
                    nx_cont = shapes[body.idx].starts_cont
                    reals.append(("nx_lm", _lm4(last[-1], body.text[0])))
                    later = self._best_join(last, body.idx) - g
                    if later > 0:
                        reals.append(("nx_later_better", later))
                    cont = _cont_class(g, later)
            if aff:
                reals.append(("affinity", math.log1p(aff)))
                reals.append(("aff_share", aff / aff_total))
            if nx_aff:
                reals.append(("nx_aff", math.log1p(nx_aff)))
                reals.append(("nx_aff_share", nx_aff / nx_total))
            dist = unit.idx - state[2]
            key: PairKey = (
                _DIST[dist] if dist < 9 else "far",
                prev_action, prev_art is art, others_cut[cut], kind, cut, art is cur, start, art is latest,
                han_han, nx_cont, fresh, bool(aff) and aff >= aff_top, bool(nx_aff) and nx_aff >= nx_top,
                ahead and not nx_aff, f"{_edge_pos(paragraphs[-1][-6:], True)}>{shape.first_pos}" if cut else None,
                None if not body_frag else ("uncut" if not cut else ("join" if nx_g > 0 else "nojoin")), cont,
            )
            ind, static = pairs.get(key) or model.pair_scores(key), state[3]
            for name, v in reals:
                row = weights.get(name)
                if row is not None:
                    r0 += v * row[0]
                    r1 += v * row[1]
                    r2 += v * row[2]
                    r3 += v * row[3]
            own = (r0, r1, r2, r3)
            for action in actions:
                j = _ART_ROW[action]
                score = base[_ACTION_ROW[action]] + ind[j] + static[j] + own[j]
                if score > best:
                    best_action, best_art, best = action, art, score
        return best_action, best_art

    def _next_paragraph(self, i: int, unit: Unit) -> str | None:
        """The one decision the decoder does not score: a paragraph printed right after the current
        article's own body unit, while no other open article waits for the rest of a cut paragraph,
        continues the current article: ``pjoin`` if its last paragraph is cut, else ``pnew``.
        (Measured on 6,000 decisions of generated and sample pages: in this shape the model chose
        exactly this 1,793 times out of 1,796; the other three were its errors against the gold.
        A title-like line, a dateline and a byline are always scored.)"""
        cur = self.cur
        if unit.kind != "para" or cur is None or not cur.paragraphs or cur.body_units[-1] is not self.last:
            return None
        if self._shapes[i].dateline:
            return None
        known = self._states
        if any((known.get(id(a)) or self._art_state(a))[1] for a in self._window() if a is not cur):
            return None
        return "pjoin" if (known.get(id(cur)) or self._art_state(cur))[1] else "pnew"

    def _window(self) -> list[_Art]:
        """The articles a unit may join: the most recent ones, and older ones still waiting for
        something (a cut paragraph, a title) — bounded, so time stays linear."""
        key = (id(self.last), len(self.arts))  # the window changes only between units
        if self._win_key == key:
            return self._win
        self._win_key, self._win = key, self._window_now()
        return self._win

    def _window_now(self) -> list[_Art]:
        recent, arts = self._recent, self.arts
        if len(arts) <= recent:
            return arts[:]
        states = self._states
        waiting = [
            a for a in arts[-3 * recent : -recent]
            if not a.title_units or (states.get(id(a)) or self._art_state(a))[1]
        ]
        return waiting[-recent:] + arts[-recent:]

    # ------------------------------------------------------------------ decoding
    def run(self, oracle: Callable[[int, Unit, list[Candidate]], Candidate | None] | None = None,
            reference: bool = False) -> None:
        """Greedy decoding; ``oracle`` (training) picks the gold candidate instead of the model;
        ``reference`` scores every candidate from its feature dictionary (``Model.choose``)."""
        for i, unit in enumerate(self.units):
            if unit.kind in RULE_KINDS:
                getattr(self, f"_on_{unit.kind}")(i, unit)
                self.prev_action, self.prev_art = unit.kind, None
            elif unit.kind in ("para", "title") and _is_banner_word(unit.text, self.rules.banners):
                # the paper's configuration names its recurring banners: decided by the configuration
                self.blocks.append(_Blk(BlockKind.BANNER, [unit]))
                self.prev_action, self.prev_art = "banner", None
            elif self.guide is not None and len(self.guide.units) == 1 and unit.kind in ("para", "title"):
                self.guide.units.append(unit)  # the reading guide's text follows its header
                self.guide = None
                self.prev_action, self.prev_art = "guide", None
            elif oracle is not None:
                choice = oracle(i, unit, self.candidates(i, unit))
                if choice is not None:
                    self.apply(unit, choice.action, choice.art)
            elif (settled := self._next_paragraph(i, unit)) is not None:
                self.apply(unit, settled, self.cur)
            elif reference:
                choice = self.model.choose(self.ufeats[i], self.candidates(i, unit))
                self.apply(unit, choice.action, choice.art)
            else:
                self.apply(unit, *self.decide(i, unit))
            if self.cur is not None:  # every handler that changes an article makes it the current one
                self._states.pop(id(self.cur), None)
            self.last = unit

    def apply(self, unit: Unit, action: str, art: _Art | None) -> None:
        if action == "banner":
            self.blocks.append(_Blk(BlockKind.BANNER, [unit]))
            self.prev_action, self.prev_art = "banner", None
            return
        if action == "new_title":
            art = self._titled(unit)
        elif action == "title":
            assert art is not None
            art.title_units.append(unit)
            art.trigrams.update(self._grams(unit.text))
            self.cur = art
        elif action == "sub":
            assert art is not None
            art.subheads.append(Subhead(text=unit.text, before_paragraph=len(art.paragraphs)))
            art.body_units.append(unit)
            art.trigrams.update(self._grams(unit.text))
            self.cur = art
        else:
            if action == "new_body":
                art = self._new()
            assert art is not None
            self._body(art, unit, join=action == "pjoin")
        self.prev_action, self.prev_art = action, art

    def _body(self, art: _Art, unit: Unit, join: bool) -> None:
        if unit.kind == "byline":
            if art.byline is None:
                art.byline = unit.byline
            art.body_units.append(unit)
            self.cur = art
            return
        dated = None if join or not self._shapes[unit.idx].dateline else bylines.parse_dateline(unit.text, self.rules)
        if dated is not None:
            byline, body_start = dated
            if art.byline is None:
                art.byline = byline
            self._add_para(art, unit, unit.text[body_start:].strip(), join=False)
            return
        self._add_para(art, unit, unit.text, join=join)


class _Context(NamedTuple):
    """What every candidate of a unit is built from."""

    body: Unit | None  # the paragraph after the unit, past title lines (``_body_next``)
    arts: list[_Art]
    states: list[_ArtState]
    affs: list[float]
    nx_affs: list[float]
    ahead: bool
    opens_story: bool
    cuts: int
    dateline: bool
    start: str
    aff_top: float
    aff_total: float
    nx_top: float
    nx_total: float


def segment_scored(text: str, rules: SegmentationRules = DEFAULT_RULES, model: Model | None = None,
                   reference: bool = False) -> PageSplit:
    """Split a page with the scored segmenter; ``reference`` decodes from feature dictionaries (the
    slow path the fast one is tested against)."""
    seg = ScoredSegmenter(text, rules, model or default_model())
    seg.run(reference=reference)
    return finish(seg)
