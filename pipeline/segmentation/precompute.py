"""What the scored segmenter reads of a page before it decodes: every unit's shape (``_Shape``), the
unit that follows it, and the keys of its features (``UnitKeys``). One pass per list (a column at a
time), without a call per unit and feature."""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Sequence
from itertools import repeat
from operator import itemgetter

from pipeline.segmentation.charlm import BOS
from pipeline.segmentation.evidence import (
    _LEN_BUCKETS,
    ContextKey,
    NextKey,
    OwnKey,
    UnitKeys,
    _edge_pos,
    _gain,
    _lm4,
    _Shape,
    end_class_of,
)
from pipeline.segmentation.model import LOOKAHEAD, TITLE_HOPS
from pipeline.segmentation.rules import SegmentationRules
from pipeline.segmentation.units import TONE_MARKS, Unit, ends_sentence

_QUOTE_ENDS = ("。", "!", "?", "！", "？")
_COMMAS = re.compile("[,，;；]")
_SHORT_CLAUSE = re.compile("[,，]")  # `表示,…` / `平,…`: a comma in the first five characters
_new_shape = functools.partial(tuple.__new__, _Shape)


def next_units(units: Sequence[Unit]) -> list[Unit | None]:
    """The next unit that is not a caption or an editor note (those sit anywhere in the flow)."""
    nxt: list[Unit | None] = [None] * len(units)
    following: Unit | None = None
    for unit in reversed(units):
        nxt[unit.idx] = following
        if unit.kind not in ("caption", "editor"):
            following = unit
    return nxt


def body_next(units: Sequence[Unit], nxt: Sequence[Unit | None]) -> list[Unit | None]:
    """The paragraph a title-like line heads: the next unit, past at most ``TITLE_HOPS`` more title lines."""
    out: list[Unit | None] = []
    for unit in units:
        after, hops = nxt[unit.idx], 0
        while after is not None and after.kind == "title" and hops < TITLE_HOPS:
            after, hops = nxt[after.idx], hops + 1
        out.append(after if after is not None and after.kind == "para" else None)
    return out


@functools.cache
def _banner_lines(banners: tuple[str, ...]) -> tuple[str, ...]:
    """The paper's banner phrases, spaced as a unit's phrases are compared with them: a banner word
    counts when printed as a phrase of its own (安全生产 the column, not 安全生产没有“差不多”)."""
    return tuple(f" {' '.join(b.split())} " for b in banners)


def _end_classes(texts: list[str], lasts: list[str], rules: SegmentationRules) -> list[str]:
    """``_end_class`` of every text (none is empty), by its last character; a closer (”, ）) needs the text."""
    classes = {last: end_class_of(last, rules) for last in set(lasts)}
    out = list(map(classes.__getitem__, lasts))
    if None in classes.values():
        for k, cls in enumerate(out):
            if cls is None:
                out[k] = "close_stop" if ends_sentence(texts[k], rules) else "close"
    return out  # type: ignore[return-value]


def shapes(units: Sequence[Unit], rules: SegmentationRules) -> list[_Shape]:
    """Every unit's ``_Shape`` (what the scored segmenter's features read of it), a column at a time."""
    n = len(units)
    texts = [u.text for u in units]
    kinds = [u.kind for u in units]
    firsts = list(map(itemgetter(0), texts))
    lasts = list(map(itemgetter(-1), texts))
    phrases = list(map(str.split, texts))
    n_phrases = list(map(len, phrases))
    longest = [len(p[0]) if len(p) == 1 else max(map(len, p)) for p in phrases]
    bucket = _LEN_BUCKETS  # a length past 80 is "long"
    lengths = [bucket[m] if m <= 80 else "long" for m in map(len, map("".join, phrases))]
    raw_lengths = [bucket[m] if m <= 80 else "long" for m in map(len, texts)]
    # a headline's ! or ? is its tone, not a sentence's end (这个冬天不太冷！): its end is read before it
    ending = texts
    if any(kind == "title" and last in TONE_MARKS for kind, last in zip(kinds, lasts, strict=True)):
        ending = [
            (t.rstrip(TONE_MARKS) or t) if kind == "title" and last in TONE_MARKS else t
            for t, kind, last in zip(texts, kinds, lasts, strict=True)
        ]
        lasts = list(map(itemgetter(-1), ending))
    ends = _end_classes(ending, lasts, rules)
    commas = [m if m < 2 else 2 for m in map(len, map(_COMMAS.findall, texts))]  # commas and semicolons, 0-2
    first_pos = list(map(_edge_pos, map(itemgetter(slice(None, 6)), texts), repeat(False)))
    last_pos = list(map(_edge_pos, map(itemgetter(slice(-6, None)), ending), repeat(True)))
    starts_cont = list(map(rules.continuation_starts.__contains__, firsts))
    openers = list(map(str.startswith, texts, repeat(rules.paragraph_openers)))
    datelines = list(map(bool, map(rules.dateline.match, texts)))
    starts = [
        "cont"
        if cont
        else "opener"
        if opener
        else "quote"
        if first in '“"'
        else "han"
        if "\u4e00" <= first <= "\u9fff"
        else "other"
        for first, cont, opener in zip(firsts, starts_cont, openers, strict=True)
    ]
    if rules.banners:  # a configured banner printed as a phrase of its own
        banner_lines = _banner_lines(rules.banners)
        banners = [any(b in line for b in banner_lines) for line in (f" {' '.join(p)} " for p in phrases)]
    else:
        banners = [False] * n
    quotes = [False] * n  # “…。” a quoted sentence
    for k, first in enumerate(firsts):
        if first == "“":
            quotes[k] = texts[k].rstrip(rules.closers).endswith(_QUOTE_ENDS)
    own: list[OwnKey] = list(
        zip(
            kinds,
            lengths,
            ends,
            commas,
            last_pos,
            first_pos,
            map(str.__contains__, texts, repeat("。")),
            [
                kind == "byline" and first in "(（" for kind, first in zip(kinds, firsts, strict=True)
            ],  # (本报记者 X) after a body
            starts_cont,
            openers,
            datelines,
            [u.idx == 0 for u in units],
            banners,
            [m if m < 3 else 3 for m in n_phrases],
            [bucket[m] if m <= 80 else "long" for m in longest],
            [
                p >= 2 and m <= 8 for p, m in zip(n_phrases, longest, strict=True)
            ],  # 奋进新征程 工会在行动: a banner's shape
            map(str.__contains__, texts, repeat("——")),
            quotes,
            strict=True,
        )
    )
    short_clauses = list(map(bool, map(_SHORT_CLAUSE.search, texts, repeat(0), repeat(5))))
    return list(
        map(
            _new_shape,
            zip(
                own,
                lengths,
                raw_lengths,
                ends,
                commas,
                first_pos,
                starts_cont,
                openers,
                datelines,
                short_clauses,
                map(_lm4, repeat(BOS), firsts),
                starts,
                strict=True,
            ),
        )
    )


def unit_keys(units: Sequence[Unit], shapes: Sequence[_Shape], nxt: Sequence[Unit | None]) -> list[UnitKeys]:
    """Every unit's feature keys: its own shape, the next unit's, their context, the real values."""
    # the next-unit key of a unit is the same wherever it is the next one
    nx_keys: list[NextKey] = [
        (u.kind, s.dateline, s.starts_cont, s.short_clause, s.opener, s.first_pos, s.raw_length, s.end, s.commas)
        for u, s in zip(units, shapes, strict=True)
    ]
    gain, lm4 = _gain, _lm4
    out: list[UnitKeys] = []
    pv: _Shape | None = None
    for unit, sh, after1 in zip(units, shapes, nxt, strict=True):
        text = unit.text
        if after1 is None:
            nx_key: NextKey = None
            nx_kind = nx2_kind = "none"
            reals = (sh.start_lm, 0.0, 0.0, 0.0)
            pos_pair = f"{sh.own[4]}>none"
        else:
            j = after1.idx
            after2 = nxt[j]
            nx2_kind = "none" if after2 is None else ("dateline" if shapes[after2.idx].dateline else after2.kind)
            nx = shapes[j]
            nx_key, nx_kind, other = nx_keys[j], after1.kind, after1.text
            tail, head = text[-4:], other[:4]  # ``join_gain``
            g = gain(tail, head) if "\u4e00" <= tail[-1] <= "\u9fff" and "\u4e00" <= head[0] <= "\u9fff" else 0.0
            reals = (sh.start_lm, g, lm4(text[-1], other[0]), nx.start_lm)
            pos_pair = f"{sh.own[4]}>{nx.first_pos}"
        ctx: ContextKey = (
            unit.kind,
            sh.end,
            sh.length,
            nx_kind,
            nx2_kind,
            None if pv is None else pv.own[0],
            None if pv is None else pv.end,
            pos_pair,
        )
        out.append((sh.own, nx_key, ctx, reals))
        pv = sh
    return out


class ParasAfter:
    """The ``LOOKAHEAD`` paragraphs after a unit, and the first four characters of those that open
    with a Han character (``join_gain``'s window), found when first asked for."""

    def __init__(self, units: Sequence[Unit]) -> None:
        self._paras = [u for u in units if u.kind == "para"]
        self._idx = [u.idx for u in self._paras]
        self._memo: dict[int, tuple[list[str], int]] = {}

    def heads(self, i: int) -> tuple[list[str], int]:
        """(the heads, how many paragraphs were looked at) after unit ``i``."""
        found = self._memo.get(i)
        if found is None:
            k = bisect.bisect_right(self._idx, i)
            after = self._paras[k : k + LOOKAHEAD]
            heads = [u.text[:4] for u in after if "\u4e00" <= u.text[0] <= "\u9fff"]
            found = self._memo[i] = (heads, len(after))
        return found
