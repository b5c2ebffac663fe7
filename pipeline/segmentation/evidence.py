"""The scored segmenter's evidence: language-model scores of a join (jieba's word-probability
model, the character-bigram LM), sentence completeness, and the shape of a unit and what follows
it, as indicator and real-valued features."""

from __future__ import annotations

import functools
import math
import re
from typing import NamedTuple

from pipeline.segmentation.charlm import char_lm
from pipeline.segmentation.rules import SegmentationRules
from pipeline.segmentation.units import ends_sentence

_HAN = re.compile(r"[\u4e00-\u9fff]")
_SPACES = re.compile(r"\s+")
Feats = dict[str, float]


# ---------------------------------------------------------------------------- language-model evidence
@functools.cache
def _jieba_model() -> tuple[dict[str, int], float]:
    from pipeline.text.tokenizer import plain_tokenizer

    tok = plain_tokenizer()
    return tok.FREQ, math.log(tok.total)


def suffix_logps(text: str) -> list[float]:
    """The log-probability of jieba's best segmentation of every suffix ``text[k:]`` (its
    word-unigram model: ``Tokenizer.get_DAG`` and ``calc``, the values only, for short windows)."""
    return _suffix_dp(text, 0)[0]


def _suffix_dp(text: str, m: int) -> tuple[list[float], list[float]]:
    """``suffix_logps(text)`` and ``suffix_logps(text[:m])`` in one pass: a word inside the first
    ``m`` characters counts in both, as the same float ``log(count) - log_total``, in the same
    order; the second DP stops where ``text[:m]`` does."""
    freq, log_total = _jieba_model()
    get, log, none = freq.get, math.log, -math.inf
    n = len(text)
    whole = [0.0] * (n + 1)
    alone = [0.0] * (m + 1)
    for k in range(n - 1, -1, -1):
        top = top_alone = none
        i = k
        count = get(text[k])
        while count is not None:  # the prefixes in FREQ; a word has a count
            if count:
                lp = log(count) - log_total
                v = lp + whole[i + 1]
                if v > top:
                    top = v
                if i < m:
                    v = lp + alone[i + 1]
                    if v > top_alone:
                        top_alone = v
            i += 1
            if i == n:
                break
            count = get(text[k : i + 1])
        whole[k] = top if top > none else whole[k + 1] - log_total  # an unknown character alone
        if k < m:
            alone[k] = top_alone if top_alone > none else alone[k + 1] - log_total
    return whole, alone


def join_gain(left: str, right: str) -> float:
    """How much likelier the text across a cut is read as one piece than as two (natural log, per
    character of the window, clipped): positive when a word runs across the cut (…帮扶资 ‖ 金460万元)."""
    tail, head = left[-4:], right[:4]
    if not (tail and head and "\u4e00" <= tail[-1] <= "\u9fff" and "\u4e00" <= head[0] <= "\u9fff"):
        return 0.0
    return _gain(tail, head)


@functools.lru_cache(maxsize=1 << 14)
def _gain(tail: str, head: str) -> float:
    """The whole window's best segmentation against the tail's and the head's apart
    (``whole[len(tail)]`` is the head's own: a suffix of the whole)."""
    m = len(tail)
    whole, alone = _suffix_dp(tail + head, m)
    gain = whole[0] - alone[0] - whole[m]
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
    unknown characters at that edge (the costly part; a run elsewhere cannot change the edge word):
    ``FastPOSTokenizer.edge_tag``."""
    from pipeline.text.tokenizer import pos_tokenizer

    tag: str = pos_tokenizer().edge_tag(piece, last)
    return tag


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


def _end_class(text: str, rules: SegmentationRules) -> str:
    """How a unit ends: stop, close_stop / close (a closing quote or bracket after a sentence end or
    not), comma, digit, han, other."""
    if not text:
        return "empty"
    cls = end_class_of(text[-1], rules)
    if cls is None:
        return "close_stop" if ends_sentence(text, rules) else "close"
    return cls


def end_class_of(last: str, rules: SegmentationRules) -> str | None:
    """``_end_class`` read off the last character alone; None for a closer (”, ）), where it takes
    the text."""
    if last in rules.sentence_end:
        return "stop"
    if last in rules.closers:
        return None
    if last in ",，、;；:：":
        return "comma"
    if last.isdigit():
        return "digit"
    return "han" if "\u4e00" <= last <= "\u9fff" else "other"


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
    for name, on in (
        ("nx:dateline", dateline),
        ("nx:starts_cont", starts_cont),
        ("nx:short_clause", short_clause),
        ("nx:opener", opener),
    ):
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
