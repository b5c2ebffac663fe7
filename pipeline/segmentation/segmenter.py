"""Page text -> articles + blocks.

The page arrives as e-paper/PDF text: units (non-blank lines) of several articles interleave,
a feature's title may be printed after its first column, paragraphs are cut mid-sentence
across units. The segmenter classifies each unit by its shape (title-like, byline, dateline
paragraph, caption, marker, …), then assigns units to articles in one pass using evidence
from the whole page: which open article has a cut paragraph, whether a fragment can continue
it (punctuation, a word across the cut, paragraph openers), which article lacks a title, and
lexical affinity (shared character trigrams that are rare on the page) between a paragraph and
each article.
Time is linear in page size: per unit, work is bounded by the number of open articles.
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass, field

from pipeline.models import Article, Block, BlockKind, Byline, PageSplit, Subhead
from pipeline.segmentation import bylines
from pipeline.segmentation.rules import DEFAULT_RULES, SegmentationRules
from pipeline.segmentation.units import (
    _HAN,
    TONE_MARKS,
    Unit,
    _trigrams,
    classify,
    ends_sentence,
    merge_spans,
    page_number,
    split_units,
    word_crosses_cut,
)


@dataclass
class _Art:
    title_units: list[Unit] = field(default_factory=list)
    body_units: list[Unit] = field(default_factory=list)
    byline: Byline | None = None
    paragraphs: list[str] = field(default_factory=list)
    subheads: list[Subhead] = field(default_factory=list)
    continued_from: int | None = None
    continued_to: int | None = None
    trigrams: set[str] = field(default_factory=set)  # of every unit the article holds

    @property
    def first_idx(self) -> int:
        return min(u.idx for u in self.title_units + self.body_units)

    def last_complete(self, rules: SegmentationRules) -> bool:
        return not self.paragraphs or ends_sentence(self.paragraphs[-1], rules)


@dataclass
class _Blk:
    kind: BlockKind
    units: list[Unit]
    photographer: str | None = None
    owner: _Art | None = None


class _Segmenter:
    def __init__(self, text: str, rules: SegmentationRules, fix_kinds: bool = True) -> None:
        self.rules = rules
        self.units = split_units(text, rules)
        for unit in self.units:
            unit.kind = classify(unit, rules)
        if fix_kinds:  # the rule segmenter reads a few units differently in context
            for n, (prev, unit) in enumerate(zip(self.units, self.units[1:], strict=False), 1):
                after = self.units[n + 1] if n + 1 < len(self.units) else None
                starts_next = after is not None and (after.kind == "byline" or rules.dateline.match(after.text))
                starts_here = unit.kind == "byline" or rules.dateline.match(unit.text) is not None
                if (
                    starts_here
                    and prev.kind == "para"
                    and len(prev.text) <= rules.max_subhead_chars + 6
                    and prev.text.rstrip(rules.closers)[-1:] in TONE_MARKS
                    and "。" not in prev.text
                ):
                    prev.kind = "title"  # a short exclamation or question right before a byline: 这个冬天不太冷!
                if (
                    unit.kind == "title"
                    and prev.kind == "byline"
                    and not prev.text.startswith(("(", "（"))
                    and not starts_next
                ):
                    unit.kind = "para"  # a standalone byline is followed by the body, not by a title
        self.arts: list[_Art] = []
        self.blocks: list[_Blk] = []
        self.cur: _Art | None = None
        self.guide: _Blk | None = None  # a reading guide waiting for its body
        self.waiting_guides: list[_Blk] = []  # reading guides waiting for the next article
        self._gram_cache: dict[str, list[str]] = {}
        self._rare_cache: dict[str, frozenset[str]] = {}
        self.last: Unit | None = None
        self.subhead: Unit | None = None  # a subhead waiting for its paragraph
        self.subhead_prev: Unit | None = None

    # ------------------------------------------------------------------ helpers
    @functools.cached_property
    def df(self) -> Counter[str]:
        """In how many units of the page each trigram occurs (the rules' affinity reads it)."""
        df: Counter[str] = Counter()
        for unit in self.units:
            df.update(set(self._grams(unit.text)))
        return df

    def _next(self, i: int) -> Unit | None:
        for unit in self.units[i + 1 :]:
            if unit.kind not in ("caption", "editor"):
                return unit
        return None

    def _is_dateline(self, unit: Unit | None) -> bool:
        return unit is not None and unit.kind == "para" and self.rules.dateline.match(unit.text) is not None

    def _is_start(self, unit: Unit | None) -> bool:
        return unit is not None and (unit.kind in ("byline", "guide_header") or self._is_dateline(unit))

    def _open(self) -> list[_Art]:
        """Articles a unit may still belong to: the most recent ones (bounded, so time stays linear)."""
        return self.arts[-self.rules.max_open_articles :]

    def _new(self) -> _Art:
        art = _Art()
        self.arts.append(art)
        self.cur = art
        for blk in self.waiting_guides:
            blk.owner = art
        self.waiting_guides.clear()
        return art

    def _fresh_title_only(self, art: _Art | None) -> bool:
        return (
            art is not None
            and bool(art.title_units)
            and not art.paragraphs
            and art.byline is None
            and not art.body_units
            and self.last is not None
            and art.title_units[-1] is self.last  # the last unit read was this article's title
        )

    def _grams(self, text: str) -> list[str]:
        """``_trigrams(text)``, once per text and page (a unit is compared with several articles)."""
        grams = self._gram_cache.get(text)
        if grams is None:
            grams = self._gram_cache[text] = _trigrams(text)
        return grams

    def _affinity(self, unit: Unit, art: _Art) -> float:
        """How many of the unit's distinctive trigrams (rare on this page) the article already has."""
        rare = self._rare_cache.get(unit.text)
        if rare is None:
            max_df = self.rules.affinity_max_df
            rare = frozenset(g for g in self._grams(unit.text) if self.df.get(g, 0) <= max_df)
            self._rare_cache[unit.text] = rare
        return float(sum(1 for g in rare if g in art.trigrams))

    def _add_para(self, art: _Art, unit: Unit, text: str, join: bool) -> None:
        text = self._strip_markers(art, text)
        if join and art.paragraphs:
            art.paragraphs[-1] += text
        elif text:
            art.paragraphs.append(text)
        art.body_units.append(unit)
        art.trigrams.update(self._grams(unit.text))
        self.cur = art

    def _strip_markers(self, art: _Art, text: str) -> str:
        """Record and remove 上接/下转 markers printed at the start or end of a paragraph."""
        found = False
        for m in list(self.rules.marker_re.finditer(text)):
            if m.start() != 0 and m.end() != len(text):
                continue
            page = page_number(m.group("page"))
            if m.group("dir") in ("上接", "接"):
                art.continued_from = page
            else:
                art.continued_to = page
            found = True
        return self.rules.marker_re.sub("", text).strip() if found else text

    def _join_score(self, unit: Unit, art: _Art, cur: _Art | None) -> float:
        text, last = unit.text, art.paragraphs[-1]
        score = 1.0  # a cut paragraph must continue somewhere on the page
        if text[0] in self.rules.continuation_starts:
            score += 3
        if word_crosses_cut(last, text):
            score += 2
        if (_HAN.match(text[0]) or text[0].isdigit()) and (_HAN.match(last[-1]) or last[-1].isdigit()):
            score += 0.5
        if text.startswith(self.rules.paragraph_openers):
            score -= 2
        if cur is not None and cur is not art:
            a_other, a_cur = self._affinity(unit, art), self._affinity(unit, cur)
            if a_other > a_cur:
                score += 1
            elif a_cur >= a_other + 2:
                score -= 1
        return score

    # ------------------------------------------------------------------ unit handlers
    def run(self) -> None:
        for i, unit in enumerate(self.units):
            handler = getattr(self, f"_on_{unit.kind}")
            handler(i, unit)
            self.last = unit

    def _on_guide_header(self, i: int, unit: Unit) -> None:
        blk = _Blk(BlockKind.READING_GUIDE, [unit])
        if self._fresh_title_only(self.cur):
            blk.owner = self.cur
        else:
            self.waiting_guides.append(blk)
        self.blocks.append(blk)
        self.guide = blk

    def _on_marker(self, i: int, unit: Unit) -> None:
        m = self.rules.marker_re.fullmatch(unit.text)
        assert m is not None
        page = page_number(m.group("page"))
        if m.group("dir") in ("上接", "接"):
            art = self.cur if self.cur is not None and not self.cur.paragraphs else self._new()
            art.continued_from = page
        else:
            art = self.cur or self._new()
            art.continued_to = page
        art.body_units.append(unit)
        self.cur = art

    def _on_caption(self, i: int, unit: Unit) -> None:
        self.blocks.append(_Blk(BlockKind.CAPTION, [unit], photographer=unit.photographer))

    def _on_editor(self, i: int, unit: Unit) -> None:
        self.blocks.append(_Blk(BlockKind.EDITOR_NOTE, [unit]))

    def _on_byline(self, i: int, unit: Unit) -> None:
        cur = self.cur
        end_credit = unit.text.startswith(("(", "（")) and cur is not None and cur.paragraphs
        if cur is not None and cur.title_units and cur.byline is None and not cur.paragraphs:
            art = cur
        elif end_credit and cur is not None and cur.byline is None:
            art = cur  # "(本报记者 张三)" printed after the body
        else:
            art = self._new()
        art.byline = unit.byline
        art.body_units.append(unit)
        self.cur = art

    def _on_title(self, i: int, unit: Unit) -> None:
        if self.guide is not None and len(self.guide.units) == 1 and not self._is_start(self._next(i)):
            self._on_para(i, unit)
            return
        if self._fresh_title_only(self.cur):
            assert self.cur is not None
            self.cur.title_units.append(unit)  # a second deck printed on its own line
            self.cur.trigrams.update(self._grams(unit.text))
            return
        nxt = self._next(i)
        untitled = [a for a in self._open() if not a.title_units and a.paragraphs]
        banner = any(b in unit.text for b in self.rules.banners) or (
            unit.idx == 0 and len(unit.text) <= self.rules.max_banner_chars and nxt is not None and nxt.kind == "title"
        )
        if banner and not self._is_start(nxt):
            self.blocks.append(_Blk(BlockKind.BANNER, [unit]))
        elif self._is_start(nxt) or (nxt is not None and nxt.kind == "marker" and "上" in nxt.text):
            self._titled(unit)
        elif nxt is not None and nxt.kind == "title":
            after = self._next(nxt.idx)
            if (
                banner
                or self._banner_shape(unit, nxt)
                or (not self.arts and not self._is_start(after))
                or (not self._is_start(after) and not untitled)
            ):
                self.blocks.append(_Blk(BlockKind.BANNER, [unit]))
            elif untitled and not self._is_start(after):
                self._late_title(untitled, unit, nxt)
            else:
                self._titled(unit)
        elif nxt is not None and nxt.kind == "para":
            if untitled:
                self._late_title(untitled, unit, nxt)
            elif self.cur is not None and self.cur.paragraphs and len(unit.text) <= self.rules.max_subhead_chars:
                self.subhead = unit  # its article is the one the next paragraph goes to
                self.subhead_prev = self.last
            else:
                self._titled(unit)
        elif untitled:
            self._late_title(untitled, unit, nxt)
        else:
            self.blocks.append(_Blk(BlockKind.BANNER, [unit]))

    def _titled(self, unit: Unit) -> _Art:
        art = self._new()
        art.title_units.append(unit)
        art.trigrams.update(self._grams(unit.text))
        return art

    def _banner_shape(self, unit: Unit, nxt: Unit) -> bool:
        """A line above a title that already has its own decks, or made of 3+ short phrases."""
        phrases = unit.text.split()
        own_decks = len(bylines.split_decks(nxt.text, self.rules)) > 1
        return own_decks or (len(phrases) >= 3 and max(map(len, phrases)) <= 8)

    def _late_title(self, untitled: list[_Art], unit: Unit, nxt: Unit | None) -> None:
        target = untitled[-1]
        if nxt is not None and nxt.kind == "para":
            cut = [a for a in untitled if not a.last_complete(self.rules)]
            if cut:
                target = max(cut, key=lambda a: self._join_score(nxt, a, None))
        target.title_units.append(unit)
        target.trigrams.update(self._grams(unit.text))
        self.cur = target

    def _on_para(self, i: int, unit: Unit) -> None:
        if self.guide is not None:
            self.guide.units.append(unit)
            self.guide = None
            return
        dated = bylines.parse_dateline(unit.text, self.rules)
        if dated is not None:
            byline, body_start = dated
            cur = self.cur
            if cur is not None and cur.title_units and not cur.paragraphs and cur.byline is None:
                art = cur
            else:
                art = self._new()
            art.byline = byline
            self._add_para(art, unit, unit.text[body_start:].strip(), join=False)
            return
        cur = self.cur
        subhead, self.subhead = self.subhead, None
        if subhead is not None and cur is not None:
            probe = Unit(unit.idx, subhead.text + unit.text, unit.start, unit.end)
            contiguous = bool(cur.body_units) and cur.body_units[-1] is self.subhead_prev
            target = self._by_affinity(probe, cur, contiguous=contiguous)
            target.subheads.append(Subhead(text=subhead.text, before_paragraph=len(target.paragraphs)))
            target.body_units.append(subhead)
            self._add_para(target, unit, unit.text, join=False)
            return
        if cur is not None and cur.paragraphs and not cur.last_complete(self.rules):
            self._add_para(cur, unit, unit.text, join=True)
            return
        cut = [a for a in self._open() if a is not cur and a.paragraphs and not a.last_complete(self.rules)]
        if cut:
            score, best = max(((self._join_score(unit, a, cur), a) for a in cut), key=lambda pair: pair[0])
            if score >= self.rules.join_min_score and not self._better_continuation_ahead(i, best, score, cur):
                self._add_para(best, unit, unit.text, join=True)
                return
        if cur is None:
            self._add_para(self._new(), unit, unit.text, join=False)
            return
        contiguous = bool(cur.body_units) and cur.body_units[-1] is self.last
        target = self._by_affinity(unit, cur, contiguous) if cur.paragraphs else cur
        self._add_para(target, unit, unit.text, join=False)

    def _better_continuation_ahead(self, i: int, art: _Art, score: float, cur: _Art | None) -> bool:
        """Is a later fragment clearly the better continuation of ``art``'s cut paragraph?"""
        if score >= self.rules.join_sure_score:
            return False
        seen = 0
        for unit in self.units[i + 1 :]:
            if unit.kind != "para" or self._is_dateline(unit):
                if unit.kind in ("caption", "editor", "marker"):
                    continue
                if unit.kind != "title":
                    break
                continue
            seen += 1
            if self._join_score(unit, art, cur) >= score + self.rules.join_lookahead_margin:
                return True
            if seen >= self.rules.join_lookahead_units:
                break
        return False

    def _by_affinity(self, unit: Unit, cur: _Art, contiguous: bool) -> _Art:
        """The current article, unless another shares clearly more of the unit's rare vocabulary.

        Right after the current article's own paragraph (contiguous) the bar is much higher than
        after an interruption (caption, another article, a subhead after one)."""
        others = [a for a in self._open() if a is not cur and a.paragraphs]
        if not others:
            return cur
        own = self._affinity(unit, cur)
        best = max(others, key=lambda a: self._affinity(unit, a))
        margin = self.rules.affinity_margin_contiguous if contiguous else self.rules.affinity_margin_after_break
        return best if self._affinity(unit, best) - own >= margin else cur

    # ------------------------------------------------------------------ output
    def result(self) -> PageSplit:
        arts = []
        for art in self.arts:
            if art.paragraphs or art.byline is not None:
                arts.append(art)
            else:  # a title that never got a body: a banner or a stray heading
                units = art.title_units + art.body_units
                self.blocks.append(_Blk(BlockKind.BANNER, units))
        arts.sort(key=lambda a: a.first_idx)
        index = {id(a): n for n, a in enumerate(arts)}
        for blk in self.blocks:
            if blk.kind is BlockKind.READING_GUIDE and blk.owner is None and arts:
                first = blk.units[0].idx
                blk.owner = min(arts, key=lambda a: abs(a.first_idx - first))
        self.blocks.sort(key=lambda b: b.units[0].idx)
        return PageSplit(
            articles=[self._article(a) for a in arts],
            blocks=[self._block(b, index) for b in self.blocks],
        )

    def _article(self, art: _Art) -> Article:
        decks: list[str] = []
        for unit in sorted(art.title_units, key=lambda u: u.idx):
            parts = bylines.split_decks(unit.text, self.rules)
            if unit.text.lstrip().startswith("——") and len(parts) == 1:
                parts = ["——" + parts[0]]  # a subtitle on a line of its own keeps its cue
            decks.extend(parts)
        separate = len(art.title_units) == len(decks) > 1
        kicker, headline, sub = (
            d.removeprefix("——") if d else d for d in bylines.assign_decks(decks, self.rules, separate_lines=separate)
        )
        body = sorted(art.body_units, key=lambda u: u.idx)
        return Article(
            kicker=kicker,
            headline=headline,
            subheadline=sub,
            byline=art.byline or Byline(),
            paragraphs=art.paragraphs,
            subheads=art.subheads,
            spans=merge_spans(sorted(art.title_units, key=lambda u: u.idx) + body),
            continued_from=art.continued_from,
            continued_to=art.continued_to,
        )

    def _block(self, blk: _Blk, index: dict[int, int]) -> Block:
        units = sorted(blk.units, key=lambda u: u.idx)
        if blk.kind is BlockKind.READING_GUIDE:
            body = units[1:] or units
            text = "".join(u.text for u in body)
        else:
            text = " ".join(u.text for u in units)
        return Block(
            kind=blk.kind,
            text=text,
            spans=merge_spans(units),
            photographer=blk.photographer,
            article=index.get(id(blk.owner)) if blk.owner is not None else None,
        )


def segment_rules(text: str, rules: SegmentationRules = DEFAULT_RULES) -> PageSplit:
    """Split one decoded page with the hand-set rules (the baseline the scored segmenter replaced)."""
    seg = _Segmenter(text, rules)
    seg.run()
    return finish(seg)


def finish(seg: _Segmenter) -> PageSplit:
    """A segmenter's result, with the reason when the page gave no article."""
    result = seg.result()
    if not result.articles:
        reason = "empty page" if not seg.units else "no recognisable article on the page"
        result.warnings.append(reason)
    return result
