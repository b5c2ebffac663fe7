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
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


@dataclass
class Candidate:
    """One possible decision about a unit: ``action`` on article ``art`` (None for the actions that
    start something new), with the features of the unit-article pair (shared between actions)."""

    action: str
    art: _Art | None
    art_feats: Feats | None = None  # what changes with the unit
    static: Feats | None = None  # what only changes when the article grows
    static_scores: dict[str, float] | None = None  # the model's score of ``static``, per action

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
                if action in _ART_ACTIONS:
                    art.setdefault(name[2:], [0.0] * len(_ART_ACTIONS))[_ART_ACTIONS.index(action)] = w
            elif action in ACTIONS:
                unit.setdefault(name, [0.0] * len(ACTIONS))[ACTIONS.index(action)] = w
        self._unit = {k: tuple(v) for k, v in unit.items()}
        self._art = {k: tuple(v) for k, v in art.items()}

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

    def unit_scores(self, unit_feats: Feats) -> dict[str, float]:
        """The unit's part of every action's score (once per unit, not per candidate)."""
        return dict(zip(ACTIONS, self._columns(self._unit, unit_feats, len(ACTIONS)), strict=True))

    def art_scores(self, feats: Feats) -> dict[str, float]:
        """An article's part of the score of each action on it."""
        return dict(zip(_ART_ACTIONS, self._columns(self._art, feats, len(_ART_ACTIONS)), strict=True))

    def choose(self, unit_feats: Feats, cands: list[Candidate]) -> Candidate:
        base = self.unit_scores(unit_feats)
        best, best_score = cands[0], -math.inf
        dynamic: dict[int, dict[str, float]] = {}
        for cand in cands:
            score = base[cand.action]
            if cand.art_feats:
                part = dynamic.get(id(cand.art_feats))
                if part is None:  # the candidates of one article share their features
                    part = dynamic[id(cand.art_feats)] = self.art_scores(cand.art_feats)
                score += part[cand.action]
            if cand.static_scores:
                score += cand.static_scores[cand.action]
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
@functools.lru_cache(maxsize=1 << 15)
def route_logp(text: str) -> float:
    """Log-probability of jieba's best segmentation of ``text`` (its word-unigram model)."""
    from pipeline.enrichment.tokenizer import plain_tokenizer

    tok = plain_tokenizer()
    dag = tok.get_DAG(text)
    route: dict[int, tuple[float, int]] = {}
    tok.calc(text, dag, route)
    return route[0][0]


def join_gain(left: str, right: str) -> float:
    """How much likelier the text across a cut is read as one piece than as two (natural log, per
    character of the window, clipped): positive when a word runs across the cut (…帮扶资 ‖ 金460万元)."""
    tail, head = left[-4:], right[:4]
    if not (tail and head and _HAN.match(tail[-1]) and _HAN.match(head[0])):
        return 0.0
    gain = route_logp(tail + head) - route_logp(tail) - route_logp(head)
    return max(-1.0, min(1.0, gain / 8.0))


@functools.lru_cache(maxsize=1 << 14)
def _edge_pos(text: str, last: bool) -> str:
    """Coarse part of speech of the unit's first or last word (n, nr, ns, v, …)."""
    from pipeline.enrichment.tokenizer import pos_tokenizer

    piece = text[-6:] if last else text[:6]
    tags = pos_tokenizer().tag(piece)
    if not tags:
        return "x"
    flag = (tags[-1] if last else tags[0])[1]
    return flag if flag in ("nr", "ns", "nt", "nz", "v", "vn", "n", "m", "x", "a", "p", "d", "c", "u") else flag[:1]


def _clip(x: float, bound: float = 1.5) -> float:
    return max(-bound, min(bound, x))


def _len_bucket(n: int) -> str:
    for bound in (4, 8, 12, 18, 24, 32, 48, 80):
        if n <= bound:
            return str(bound)
    return "long"


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
    if _HAN.match(last):
        return "han"
    return "other"


def _is_banner_word(text: str, banners: tuple[str, ...]) -> bool:
    """Is one of the paper's banner words printed as a phrase of its own in ``text`` (not merely
    contained in a headline: 安全生产 the column, not 安全生产没有“差不多”)?"""
    line = f" {' '.join(text.split())} "
    return any(f" {' '.join(b.split())} " in line for b in banners)


def _short_first_clause(text: str) -> bool:
    """`表示,…` / `平,…`: a clause of at most four characters before the first comma."""
    m = re.search(r"[,，]", text[:6])
    return m is not None and m.start() <= 4


class ScoredSegmenter(_Segmenter):
    def __init__(self, text: str, rules: SegmentationRules, model: Model) -> None:
        super().__init__(text, rules, fix_kinds=False)  # each unit's shape, without the rules' fix-ups
        self.model = model
        self.prev_action = "start"
        self.prev_art: _Art | None = None
        self._state_cache: dict[int, tuple[int, tuple[Feats, bool, int, dict[str, float]]]] = {}
        self._owners: dict[str, dict[int, None]] = {}  # trigram -> ids of the articles holding it
        self._coh_cache: dict[int, tuple[int, dict[int, float]]] = {}
        self._coh_version = 0  # bumped whenever an article takes a unit
        self.ufeats = [self._unit_features(i) for i in range(len(self.units))]

    # ------------------------------------------------------------------ features
    def _add_para(self, art: _Art, unit: Unit, text: str, join: bool) -> None:
        super()._add_para(art, unit, text, join)
        self._index(art, unit)

    def _titled(self, unit: Unit) -> _Art:
        art = super()._titled(unit)
        self._index(art, unit)
        return art

    def _index(self, art: _Art, unit: Unit) -> None:
        """Record which articles hold each trigram of the unit (for ``_cohesion``)."""
        self._coh_version += 1
        keep = 2 * self.rules.scored_window  # older holders are out of every window: time stays linear
        key = id(art)
        for gram in set(self._grams(unit.text)):
            owners = self._owners.get(gram)
            if owners is None:
                self._owners[gram] = {key: None}
            elif key not in owners:
                owners[key] = None
                if len(owners) > keep:
                    del owners[next(iter(owners))]

    def _cohesion(self, unit: Unit, window: set[int]) -> dict[int, float]:
        """Lexical cohesion of the unit with each article of the window: its trigrams that the article
        holds, each weighted by how few of those articles hold it (a name or term of one article
        counts fully)."""
        found = self._coh_cache.get(unit.idx)
        if found is not None and found[0] == self._coh_version:
            return found[1]
        coh: dict[int, float] = {}
        for gram in set(self._grams(unit.text)):
            held = self._owners.get(gram)
            if not held:
                continue
            owners = [k for k in held if k in window]
            if owners:
                share = 1.0 / len(owners)
                for key in owners:
                    coh[key] = coh.get(key, 0.0) + share
        self._coh_cache[unit.idx] = (self._coh_version, coh)
        return coh

    def _next_unit(self, i: int) -> Unit | None:
        for unit in self.units[i + 1 :]:
            if unit.kind not in ("caption", "editor"):
                return unit
        return None

    def _unit_features(self, i: int) -> Feats:
        rules, unit = self.rules, self.units[i]
        text = unit.text
        compact = _SPACES.sub("", text)
        f: Feats = {
            "bias": 1.0,
            f"kind:{unit.kind}": 1.0,
            f"len:{_len_bucket(len(compact))}": 1.0,
            f"end:{_end_class(text, rules)}": 1.0,
            f"commas:{min(2, sum(text.count(c) for c in ',，;；'))}": 1.0,
            f"lastpos:{_edge_pos(text, True)}": 1.0,
            f"firstpos:{_edge_pos(text, False)}": 1.0,
        }
        lm = char_lm()
        f["start_lm"] = _clip(lm.pmi(BOS, text[0]) / 4)
        if "。" in text:
            f["period"] = 1.0
        if unit.kind == "byline" and text[0] in "(（":
            f["credit_paren"] = 1.0  # (本报记者 X) printed after a body, not above one
        if text[0] in rules.continuation_starts:
            f["starts_cont"] = 1.0
        if text.startswith(rules.paragraph_openers):
            f["starts_opener"] = 1.0
        if rules.dateline.match(text):
            f["dateline"] = 1.0
        if i == 0:
            f["first_unit"] = 1.0
        if _is_banner_word(text, rules.banners):
            f["banner_word"] = 1.0
        phrases = text.split()
        longest = max(map(len, phrases))
        f[f"phrases:{min(3, len(phrases))}"] = 1.0
        f[f"longest:{_len_bucket(longest)}"] = 1.0
        if len(phrases) >= 2 and longest <= 8:
            f["short_phrases"] = 1.0  # 奋进新征程 工会在行动: a banner's shape, not a headline's
        if "——" in text:
            f["dash"] = 1.0
        if text.startswith("“") and text.rstrip(rules.closers).endswith(("。", "!", "?", "！", "？")):
            f["quote_sentence"] = 1.0
        nxt = self._next_unit(i)
        if nxt is None:
            f["nx:none"] = 1.0
        else:
            f[f"nx:kind:{nxt.kind}"] = 1.0
            if rules.dateline.match(nxt.text):
                f["nx:dateline"] = 1.0
            if nxt.text[0] in rules.continuation_starts:
                f["nx:starts_cont"] = 1.0
            if _short_first_clause(nxt.text):
                f["nx:short_clause"] = 1.0
            if nxt.text.startswith(rules.paragraph_openers):
                f["nx:opener"] = 1.0
            nx_first = _edge_pos(nxt.text, False)
            f[f"nx:firstpos:{nx_first}"] = 1.0
            f[f"nx:len:{_len_bucket(len(nxt.text))}"] = 1.0
            f[f"nx:end:{_end_class(nxt.text, rules)}"] = 1.0
            f[f"nx:commas:{min(2, sum(nxt.text.count(c) for c in ',，;；'))}"] = 1.0
            g = join_gain(text, nxt.text)
            if g:
                f["nx:gain"] = g
            f["nx:lm"] = _clip(lm.pmi(text[-1], nxt.text[0]) / 4)
            f["nx:start_lm"] = _clip(lm.pmi(BOS, nxt.text[0]) / 4)
        nx_kind = "none" if nxt is None else nxt.kind
        f[f"kind:{unit.kind}&nx:{nx_kind}"] = 1.0
        f[f"end:{_end_class(text, rules)}&nx:{nx_kind}"] = 1.0
        f[f"len:{_len_bucket(len(compact))}&nx:{nx_kind}"] = 1.0
        prev = self.units[i - 1] if i > 0 else None
        if prev is not None:
            f[f"pv:kind:{prev.kind}"] = 1.0
            f[f"pv:end:{_end_class(prev.text, rules)}"] = 1.0
        return f

    def _art_state(self, art: _Art) -> tuple[Feats, bool, int, dict[str, float]]:
        """What does not depend on the unit: (features, last paragraph cut, last unit's index),
        recomputed only when the article grew (every change appends a unit)."""
        size = len(art.title_units) + len(art.body_units)
        cached = self._state_cache.get(id(art))
        if cached is not None and cached[0] == size:
            return cached[1]
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
        state = (f, cut, last_idx, self.model.art_scores(f))
        self._state_cache[id(art)] = (size, state)
        return state

    def _art_features(
        self, unit: Unit, art: _Art, nxt: Unit | None, state: tuple[Feats, bool, int, dict[str, float]],
        aff: float, top: float, total: float, cuts: int,
    ) -> Feats:
        """Features of the unit-article pair that change with the unit (the static ones are in ``state``)."""
        _, cut, last_idx, _ = state
        dist = unit.idx - last_idx
        f: Feats = {
            f"dist:{dist if dist <= 4 else ('8' if dist <= 8 else 'far')}": 1.0,
            f"prev:{self.prev_action}:{'same' if self.prev_art is art else 'other'}": 1.0,
            f"others_cut:{min(2, cuts - cut)}": 1.0,
        }
        f[f"u:{unit.kind}&cut:{int(cut)}&cur:{int(art is self.cur)}"] = 1.0
        f[f"start:{self._start_class(unit)}&cut:{int(cut)}"] = 1.0
        if art is self.cur:
            f["is_cur"] = 1.0
        if art is self.arts[-1]:
            f["is_latest"] = 1.0
        if cut:
            last = art.paragraphs[-1]
            g = join_gain(last, unit.text)
            if g:
                f["gain"] = g
            if _HAN.match(last[-1]) and _HAN.match(unit.text[0]):
                f["han_han"] = 1.0
            f["lm"] = _clip(char_lm().pmi(last[-1], unit.text[0]) / 4)
            if nxt is not None and nxt.kind == "para":
                g = join_gain(last, nxt.text)
                if g:
                    f["nx_gain"] = g
                if nxt.text[0] in self.rules.continuation_starts:
                    f["nx_cont"] = 1.0
                f["nx_lm"] = _clip(char_lm().pmi(last[-1], nxt.text[0]) / 4)
        if self._fresh_title_only(art):
            f["fresh_title"] = 1.0
        if aff:
            f["affinity"] = math.log1p(aff)
            f["aff_share"] = aff / total
            if aff >= top:
                f["aff_top"] = 1.0
        return f

    def _start_class(self, unit: Unit) -> str:
        text = unit.text
        if text[0] in self.rules.continuation_starts:
            return "cont"
        if text.startswith(self.rules.paragraph_openers):
            return "opener"
        if text[0] in "“\"":
            return "quote"
        return "han" if _HAN.match(text[0]) else "other"

    # ------------------------------------------------------------------ candidates
    def candidates(self, i: int, unit: Unit) -> list[Candidate]:
        out = [Candidate("new_body", None)]
        if unit.kind != "byline":
            out += [Candidate("new_title", None), Candidate("banner", None)]
        nxt = self._next_unit(i)
        arts = self._window()
        states = [self._art_state(a) for a in arts]
        window = {id(a) for a in arts}
        coh = self._cohesion(unit, window)
        affs = [coh.get(id(a), 0.0) for a in arts]
        top = max(affs, default=0.0)
        total = sum(affs) or 1.0
        # a title-like line: does the paragraph after it read like one of the open articles?
        ahead = nxt is not None and nxt.kind == "para" and unit.kind in ("title", "para") and len(unit.text) <= 48
        nx_coh = self._cohesion(nxt, window) if ahead else {}  # type: ignore[arg-type]
        nx_affs = [nx_coh.get(id(a), 0.0) for a in arts]
        nx_top = max(nx_affs, default=0.0)
        nx_total = sum(nx_affs) or 1.0
        cuts = sum(1 for st in states if st[1])
        dateline = self.rules.dateline.match(unit.text) is not None
        # what follows opens a story's body (a dateline, a byline that is not an end credit): it
        # cannot continue an article that already has paragraphs, so this line is no section head
        opens_story = nxt is not None and (
            self.rules.dateline.match(nxt.text) is not None or (nxt.kind == "byline" and nxt.text[0] not in "(（")
        )
        for art, state, aff, nx_aff in zip(arts, states, affs, nx_affs, strict=True):
            extra = self._art_features(unit, art, nxt, state, aff, top, total, cuts)
            if nx_aff:
                extra["nx_aff"] = math.log1p(nx_aff)
                extra["nx_aff_share"] = nx_aff / nx_total
                if nx_aff >= nx_top:
                    extra["nx_aff_top"] = 1.0
            elif ahead:
                extra["nx_aff_zero"] = 1.0  # the paragraph after this line shares nothing with ``art``
            static, static_scores = state[0], state[3]
            actions: list[str] = []
            if unit.kind == "byline":
                # a byline heads an article's body; only an end credit, (本报记者 X), follows one
                if art.byline is None and (not art.paragraphs or unit.text[0] in "(（"):
                    actions.append("pnew")
            elif dateline:
                if not art.paragraphs and art.byline is None:  # 本报讯 … opens a story's body
                    actions.append("pnew")
            else:
                if not art.title_units or self._fresh_title_only(art):
                    actions.append("title")
                if art.paragraphs and not opens_story:  # a section head is followed by its paragraph
                    actions.append("sub")
                    if state[1]:
                        actions.append("pjoin")
                actions.append("pnew")
            out += [Candidate(a, art, extra, static, static_scores) for a in actions]
        return out

    def _window(self) -> list[_Art]:
        """The articles a unit may join: the most recent ones, and older ones still waiting for
        something (a cut paragraph, a title) — bounded, so time stays linear."""
        recent = self.rules.scored_window
        older = self.arts[-3 * recent : -recent] if len(self.arts) > recent else []
        waiting = [a for a in older if not a.title_units or self._art_state(a)[1]]
        return waiting[-recent:] + self.arts[-recent:]

    # ------------------------------------------------------------------ decoding
    def run(self, oracle: Callable[[int, Unit, list[Candidate]], Candidate | None] | None = None) -> None:
        """Greedy decoding; ``oracle`` (training) picks the gold candidate instead of the model."""
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
            else:
                cands = self.candidates(i, unit)
                if oracle is not None:
                    choice = oracle(i, unit, cands)
                else:
                    choice = self.model.choose(self.ufeats[i], cands)
                if choice is not None:
                    self.apply(unit, choice)
            self.last = unit

    def apply(self, unit: Unit, choice: Candidate) -> None:
        action, art = choice.action, choice.art
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
            self._index(art, unit)
            self.cur = art
        elif action == "sub":
            assert art is not None
            art.subheads.append(Subhead(text=unit.text, before_paragraph=len(art.paragraphs)))
            art.body_units.append(unit)
            art.trigrams.update(self._grams(unit.text))
            self._index(art, unit)
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
        dated = None if join else bylines.parse_dateline(unit.text, self.rules)
        if dated is not None:
            byline, body_start = dated
            if art.byline is None:
                art.byline = byline
            self._add_para(art, unit, unit.text[body_start:].strip(), join=False)
            return
        self._add_para(art, unit, unit.text, join=join)


def segment_scored(text: str, rules: SegmentationRules = DEFAULT_RULES, model: Model | None = None) -> PageSplit:
    seg = ScoredSegmenter(text, rules, model or default_model())
    seg.run()
    return finish(seg)
