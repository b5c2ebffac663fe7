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
import math
from collections.abc import Callable, Sequence

from pipeline.models import BlockKind, Byline, PageSplit, Subhead
from pipeline.segmentation import bylines, precompute
from pipeline.segmentation.evidence import (
    _DIST,
    Feats,
    _ArtState,
    _cont_class,
    _edge_pos,
    _end_class,
    _gain,
    _lm4,
    join_gain,
)
from pipeline.segmentation.model import (
    _ACTION_ROW,
    _ART_ROW,
    RULE_KINDS,
    Candidate,
    Model,
    PairKey,
    default_model,
)
from pipeline.segmentation.rules import DEFAULT_RULES, SegmentationRules
from pipeline.segmentation.segmenter import _Art, _Blk, _Segmenter, finish
from pipeline.segmentation.units import Unit, ends_sentence, join_byline_lines, titles_before_a_story


class ScoredSegmenter(_Segmenter):
    def __init__(self, text: str, rules: SegmentationRules, model: Model) -> None:
        super().__init__(text, rules, fix_kinds=False)  # each unit's shape, without the rules' fix-ups
        self.units = join_byline_lines(self.units)
        titles_before_a_story(self.units, rules)
        self.model = model
        self.prev_action = "start"
        self.prev_art: _Art | None = None
        self._states: dict[int, _ArtState] = {}  # by id(article); dropped when the article changes
        self._art_feats: dict[tuple[bool, bool, bool, str], tuple[Feats, tuple[float, ...]]] = {}
        self._recent = rules.scored_window
        self._win_key: int | None = None  # len(self.arts) when ``_win`` was found
        self._win: list[_Art] = []
        self._win_old: set[int] = set()  # ids of the window's older articles (``_window``)
        units = self.units
        self._nxt = precompute.next_units(units)
        self._body_next = precompute.body_next(units, self._nxt)
        self._shapes = precompute.shapes(units, rules)
        self._ukeys = precompute.unit_keys(units, self._shapes, self._nxt)
        self._uscores: list[list[float]] | None = None
        self._gramsets: list[frozenset[str] | None] = [None] * len(units)  # when first asked for
        self._paras_after = precompute.ParasAfter(units)

    @functools.cached_property
    def ufeats(self) -> list[Feats]:
        """Every unit's features as dictionaries (training, and the reference decoder)."""
        from pipeline.segmentation.reference import unit_features

        return [unit_features(self, i) for i in range(len(self.units))]

    # ------------------------------------------------------------------ features
    def _cohesion(self, i: int, arts: Sequence[_Art]) -> list[float]:
        """Lexical cohesion of unit ``i`` with each of ``arts``: its trigrams that the article
        holds, each weighted by how few of ``arts`` hold it (a name or term of one article counts
        fully)."""
        grams = self._gramsets[i]
        if grams is None:
            grams = self._gramsets[i] = frozenset(self._grams(self.units[i].text))
        if not grams:
            return [0.0] * len(arts)
        common = [grams & a.trigrams for a in arts]  # C iterates the smaller of the two
        held = list(filter(None, common))
        if len(held) <= 1:
            return list(map(float, map(len, common)))
        seen: set[str] = set()
        shared: set[str] = set()
        for c in held:
            shared |= seen & c
            seen |= c
        if not shared:
            return list(map(float, map(len, common)))
        holders = {g: sum([g in c for c in held]) for g in shared}
        out: list[float] = []
        for c in common:
            both = c & shared if c else c
            out.append(len(c) - len(both) + sum([1.0 / holders[g] for g in both]) if both else len(c))
        return out

    def _art_state(self, art: _Art) -> _ArtState:
        """What does not depend on the unit: (features, last paragraph cut, last unit's index, the
        model's scores of the features); kept until the article changes (``run`` drops it)."""
        state = self._states.get(id(art))
        if state is not None:
            return state
        paragraphs, byline = art.paragraphs, art.byline is not None
        cut = bool(paragraphs) and not ends_sentence(paragraphs[-1], self.rules)
        # the features (and their scores) are one of a few: found once per page
        key = (bool(art.title_units), bool(paragraphs), byline, _end_class(paragraphs[-1], self.rules) if cut else "")
        found = self._art_feats.get(key)
        if found is None:
            f: Feats = {"has_title" if art.title_units else "no_title": 1.0}
            if paragraphs:
                f["has_body"] = 1.0
                if cut:
                    f["last_cut"] = 1.0
                    f[f"last_end:{key[3]}"] = 1.0
            elif byline:
                f["byline_only"] = 1.0
            if byline:
                f["has_byline"] = 1.0
            found = self._art_feats[key] = (f, self.model.static_scores(f))
        # units join articles in page order, so each list ends with its latest unit
        titles, body = art.title_units, art.body_units
        last_idx = body[-1].idx if not titles else titles[-1].idx if not body else max(titles[-1].idx, body[-1].idx)
        state = self._states[id(art)] = (found[0], cut, last_idx, found[1])
        return state

    def _best_join(self, last: str, i: int) -> float:
        """The best join evidence of a cut paragraph ending ``last`` with the paragraphs after unit
        ``i`` (the next ``LOOKAHEAD``)."""
        tail = last[-4:]
        if not "\u4e00" <= tail[-1:] <= "\u9fff":
            return 0.0
        heads, looked_at = self._paras_after.heads(i)
        if not heads:
            return 0.0
        best = max([_gain(tail, head) for head in heads])
        # a paragraph that does not open with a Han character scores 0 (``join_gain``)
        return best if best >= 0.0 or len(heads) == looked_at else 0.0

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

    def _heads_a_dateline(self, unit: Unit) -> bool:
        """A title-like line right above a 本报讯 / …电 paragraph heads that story: it is no paragraph
        of an open article (on every generated page, fit and held-out, 1,135 such lines: all titles)."""
        nxt = self._nxt[unit.idx]
        return unit.kind == "title" and nxt is not None and self._shapes[nxt.idx].dateline

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
        opens_story = self._opens_story(nxt)
        heads_dated = self._heads_a_dateline(unit)
        aff_top, aff_total = max(affs), sum(affs) or 1.0
        if ahead:
            nx_affs = self._cohesion(body.idx, arts)  # type: ignore[union-attr]
            nx_top, nx_total = max(nx_affs), sum(nx_affs) or 1.0
        else:
            nx_affs, nx_top, nx_total = [0.0] * len(arts), 0.0, 1.0
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
                if not ((art.byline is None and not paragraphs) or (paragraphs and text[0] in "(（")):
                    continue
                actions: tuple[str, ...] = ("pnew",)
            elif dateline:  # opens a story's body, also right under its byline line (本报记者 X)
                if paragraphs or (art.byline is not None and not (art.body_units and art.body_units[-1] is last_unit)):
                    continue
                actions = ("pnew",)
            else:
                may_title = not titles or (under_title and not self._two_decks(titles[-1]))
                if paragraphs and not opens_story:
                    actions = ("title", "sub", "pjoin", "pnew") if cut else ("title", "sub", "pnew")
                    if not may_title:
                        actions = actions[1:]
                elif heads_dated:
                    if not may_title:
                        continue
                    actions = ("title",)
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
                prev_action,
                prev_art is art,
                others_cut[cut],
                kind,
                cut,
                art is cur,
                start,
                art is latest,
                han_han,
                nx_cont,
                fresh,
                bool(aff) and aff >= aff_top,
                bool(nx_aff) and nx_aff >= nx_top,
                ahead and not nx_aff,
                f"{_edge_pos(paragraphs[-1][-6:], True)}>{shape.first_pos}" if cut else None,
                None if not body_frag else ("uncut" if not cut else ("join" if nx_g > 0 else "nojoin")),
                cont,
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
        for a in self._window():
            if a is not cur and (known.get(id(a)) or self._art_state(a))[1]:
                return None
        return "pnew" if ends_sentence(cur.paragraphs[-1], self.rules) else "pjoin"  # is it cut?

    def _window(self) -> list[_Art]:
        """The articles a unit may join: the most recent ones, and older ones still waiting for
        something (a cut paragraph, a title) — bounded, so time stays linear."""
        # it changes when an article is added, or when one of its older articles changes (``run``
        # drops the key then): an article changes only by the unit that makes it the current one
        if self._win_key != len(self.arts):
            self._win_key, self._win = len(self.arts), self._window_now()
        return self._win

    def _window_now(self) -> list[_Art]:
        recent, arts = self._recent, self.arts
        if len(arts) <= recent:
            self._win_old = set()
            return arts[:]
        states, older = self._states, arts[-3 * recent : -recent]
        self._win_old = {id(a) for a in older}
        waiting = [a for a in older if not a.title_units or (states.get(id(a)) or self._art_state(a))[1]]
        return waiting[-recent:] + arts[-recent:]

    # ------------------------------------------------------------------ decoding
    def run(
        self, oracle: Callable[[int, Unit, list[Candidate]], Candidate | None] | None = None, reference: bool = False
    ) -> None:
        """Greedy decoding; ``oracle`` (training) picks the gold candidate instead of the model;
        ``reference`` scores every candidate from its feature dictionary (``Model.choose``)."""
        from pipeline.segmentation.reference import candidates as reference_candidates

        for i, unit in enumerate(self.units):
            if unit.kind in RULE_KINDS:
                getattr(self, f"_on_{unit.kind}")(i, unit)
                self.prev_action, self.prev_art = unit.kind, None
            elif unit.kind in ("para", "title") and self._shapes[i].own[12]:  # a configured banner
                # the paper's configuration names its recurring banners: decided by the configuration
                self.blocks.append(_Blk(BlockKind.BANNER, [unit]))
                self.prev_action, self.prev_art = "banner", None
            elif self.guide is not None and unit.kind in ("para", "title"):
                # the reading guide's text follows its header, all of it: a column end may cut it
                self.guide.units.append(unit)
                if len(self.guide.units) == 3 or ends_sentence(unit.text, self.rules):
                    self.guide = None
                self.prev_action, self.prev_art = "guide", None
            elif oracle is not None:
                choice = oracle(i, unit, reference_candidates(self, i, unit, decoding=False))
                if choice is not None:
                    self.apply(unit, choice.action, choice.art)
            elif (settled := self._next_paragraph(i, unit)) is not None:
                self.apply(unit, settled, self.cur)
            elif reference:
                choice = self.model.choose(self.ufeats[i], reference_candidates(self, i, unit))
                self.apply(unit, choice.action, choice.art)
            else:
                self.apply(unit, *self.decide(i, unit))
            if self.cur is not None:  # every handler that changes an article makes it the current one
                self._states.pop(id(self.cur), None)
                if id(self.cur) in self._win_old:
                    self._win_key = None
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
            body = unit.text[body_start:].strip()
            if not (byline.reporters or byline.correspondents):  # 本报讯 ……。（韩雪）: credited at the end
                tail = bylines.trailing_credit(body, self.rules)
                if tail is not None:
                    byline = Byline(kind=byline.kind, reporters=tail[0], correspondents=tail[1])
                    body = body[: tail[2]].rstrip()
            if art.byline is None:
                art.byline = byline
            self._add_para(art, unit, body, join=False)
            return
        self._add_para(art, unit, unit.text, join=join)


def segment_scored(
    text: str, rules: SegmentationRules = DEFAULT_RULES, model: Model | None = None, reference: bool = False
) -> PageSplit:
    """Split a page with the scored segmenter; ``reference`` decodes from feature dictionaries (the
    slow path the fast one is tested against)."""
    seg = ScoredSegmenter(text, rules, model or default_model())
    seg.run(reference=reference)
    return finish(seg)
