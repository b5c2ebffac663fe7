"""The reference decoder: every candidate of a unit with its feature dictionaries, what
``training.py`` fits on and what the fast decoder (``scored.py``) is held to by a test."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

from pipeline.segmentation.charlm import char_lm
from pipeline.segmentation.evidence import (
    Feats,
    _ArtState,
    _clip,
    _cont_class,
    _edge_pos,
    context_indicators,
    join_gain,
    next_indicators,
    own_indicators,
)
from pipeline.segmentation.model import (
    Candidate,
    PairKey,
    pair_indicators,
)
from pipeline.segmentation.segmenter import _Art
from pipeline.segmentation.units import Unit

if TYPE_CHECKING:
    from pipeline.segmentation.scored import ScoredSegmenter


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


def unit_features(seg: ScoredSegmenter, i: int) -> Feats:
    """The unit's features as a dictionary (what training fits on)."""
    own, nx, ctx, (start_lm, gain, lm, nx_start_lm) = seg._ukeys[i]
    f = own_indicators(own) | next_indicators(nx) | context_indicators(ctx)
    f["start_lm"] = start_lm
    if nx is not None:
        if gain:
            f["nx:gain"] = gain
        f["nx:lm"] = lm
        f["nx:start_lm"] = nx_start_lm
    return f


# ------------------------------------------------------------------ candidates
def context(seg: ScoredSegmenter, i: int, unit: Unit) -> _Context:
    """What every candidate of unit ``i`` is built from (the window, cohesion, the next unit)."""
    nxt = seg._nxt[i]
    arts = seg._window()
    known = seg._states
    states = [known.get(id(a)) or seg._art_state(a) for a in arts]
    affs = seg._cohesion(i, arts)
    # a title-like line: does the paragraph after it (and after the title lines below it) read
    # like one of the open articles, or continue one's cut paragraph?
    body = seg._body_next[i]
    ahead = body is not None and unit.kind in ("title", "para") and len(unit.text) <= 48
    nx_affs = seg._cohesion(body.idx, arts) if ahead else [0.0] * len(arts)  # type: ignore[union-attr]
    opens_story = seg._opens_story(nxt)
    top = max(affs, default=0.0)
    nx_top = max(nx_affs, default=0.0)
    return _Context(
        body,
        arts,
        states,
        affs,
        nx_affs,
        ahead,
        opens_story,
        [st[1] for st in states].count(True),
        seg._shapes[i].dateline,
        seg._shapes[i].start,
        top,
        sum(affs) or 1.0,
        nx_top,
        sum(nx_affs) or 1.0,
    )


def possible_actions(
    seg: ScoredSegmenter, unit: Unit, art: _Art, state: _ArtState, ctx: _Context, decoding: bool = True
) -> list[str]:
    """The actions structurally possible for the unit on ``art``. ``decoding``: also drop what the
    decoder never takes (a deck under a title line that is already two decks; a title-like line
    above a dateline as a paragraph); training sees those candidates too, as negatives, so the
    weights fitted do not depend on what the decoder prunes."""
    if unit.kind == "byline":
        # a byline heads an article's body; only an end credit, (本报记者 X), follows one
        # (when decoding, an end credit may also follow a body whose article has its byline
        # already: (作者单位：…) under an essay signed 文/王某)
        end_credit = bool(art.paragraphs) and unit.text[0] in "(（"
        if (art.byline is None and (not art.paragraphs or end_credit)) or (decoding and end_credit):
            return ["pnew"]
        return []
    if ctx.dateline:  # 本报讯 … opens a story's body, also right under its byline line (本报记者 X)
        return (
            ["pnew"]
            if not art.paragraphs and (art.byline is None or (bool(art.body_units) and art.body_units[-1] is seg.last))
            else []
        )
    actions = []
    # untitled, or a deck under its title line (not under a line that is already two decks,
    # "主题——副题": the subtitle closes a title)
    titles = art.title_units
    if not titles or (titles[-1] is seg.last and not (decoding and seg._two_decks(titles[-1]))):
        actions.append("title")
    if art.paragraphs and not ctx.opens_story:  # a section head is followed by its paragraph
        actions.append("sub")
        if state[1]:
            actions.append("pjoin")
    if not (decoding and seg._heads_a_dateline(unit)):  # a title-like line above a dateline heads that story
        actions.append("pnew")
    return actions


def pair(
    seg: ScoredSegmenter, unit: Unit, art: _Art, state: _ArtState, ctx: _Context, aff: float, nx_aff: float
) -> tuple[PairKey, Feats]:
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
        later = seg._best_join(last, unit.idx) - g
        if later > 0:  # a paragraph further on continues the cut better: this one is not its rest
            reals["later_better"] = later
        nxt = ctx.body
        if nxt is not None:
            g = nx_g = join_gain(last, nxt.text)
            if g:
                reals["nx_gain"] = g
            nx_cont = seg._shapes[nxt.idx].starts_cont
            reals["nx_lm"] = _clip(lm.pmi(last[-1], nxt.text[0]) / 4)
            later = seg._best_join(last, nxt.idx) - g
            if later > 0:
                reals["nx_later_better"] = later
            cont = _cont_class(g, later)
    body_shape = seg._shapes[ctx.body.idx] if ctx.body is not None else None
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
    is_cur = art is seg.cur
    key: PairKey = (
        str(dist) if dist <= 4 else ("8" if dist <= 8 else "far"),
        seg.prev_action,
        seg.prev_art is art,
        min(2, ctx.cuts - cut),
        unit.kind,
        cut,
        is_cur,
        ctx.start,
        art is seg.arts[-1],
        han_han,
        nx_cont,
        bool(art.title_units) and not art.body_units and art.byline is None and art.title_units[-1] is seg.last,
        aff_top,
        nx_top,
        ctx.ahead and not nx_aff,  # the paragraph after this line shares nothing with ``art``
        f"{_edge_pos(art.paragraphs[-1][-6:], True)}>{seg._shapes[unit.idx].first_pos}" if cut else None,
        nx_frag,
        cont,
    )
    return key, reals


def candidates(seg: ScoredSegmenter, i: int, unit: Unit, decoding: bool = True) -> list[Candidate]:
    """Every candidate with its feature dictionaries (what training fits on, ``decoding=False``)."""
    out = [Candidate("new_body", None)]
    if unit.kind != "byline":
        out += [Candidate("new_title", None), Candidate("banner", None)]
    ctx = context(seg, i, unit)
    for art, state, aff, nx_aff in zip(ctx.arts, ctx.states, ctx.affs, ctx.nx_affs, strict=True):
        actions = possible_actions(seg, unit, art, state, ctx, decoding)
        if not actions:
            continue
        key, reals = pair(seg, unit, art, state, ctx, aff, nx_aff)
        extra = pair_indicators(key) | reals
        out += [Candidate(a, art, extra, state[0]) for a in actions]
    return out
