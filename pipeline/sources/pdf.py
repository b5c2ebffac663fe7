"""Page PDF -> the extraction-layout text the segmenter reads, with reading order from the geometry.

``extract_page(data, label)`` returns a :class:`PdfPage`: ``.text`` is what goes to
``segment_page`` (blocks in reading order separated by blank lines, a title deck on a line of its
own, a paragraph's wrapped lines joined, a column break a block break) and ``.blocks`` the blocks
with their box and font size (hints and debugging). A PDF that cannot be read (not a PDF, damaged,
encrypted, no pages, no text layer) raises ``InvalidPage(label, reason)``.

Characters come from PDFium (``pypdfium2``): their Unicode value, font size, baseline origin and
advance box. Then, all from the geometry:

1. **lines**: characters in content order on one baseline, in one size, with no gap wider than an
   em; fragments on the same baseline that touch are joined;
2. **blocks**: a line joins the block whose last line sits right above it (same size, overlapping
   horizontally, at most ``_LINE_GAP`` em of white between) unless a paragraph starts there: the
   line is indented (or centred / right-aligned) relative to the line above, or the line above
   stops short of the block's right edge. Lines in a larger font than the body (title candidates)
   join only lines of the same size: a wrapped headline is one line, kicker, headline and
   subheadline are three;
3. **reading order**: recursive XY cut over the blocks' boxes. A node is cut horizontally where a
   band of white at least ``_ROW_GAP`` ems high crosses it (rows of the page), else vertically
   where a band of white at least ``_GUTTER`` ems wide runs from its top to its bottom (columns,
   modules side by side: a title spanning columns stops the cut through them), else horizontally
   at a smaller band (under a module's title, around boxes), else top to bottom;
4. a **running header**: a first row of small-type lines above the page's content (page name,
   date) is kept in ``PdfPage.header``, not in the text;
5. the **decks of one title** (title blocks one under the other: kicker, headline, subheadline)
   go on one line joined by ``——``, the way e-paper text prints them and the segmenter splits
   them (a line each is ``deck_separator=None``; chosen on the fit pages: docs/pdf.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pipeline.errors import InvalidPage
from pipeline.sources.pdf_text import (
    _BOX_GAP,
    _GUTTER,
    _GUTTER_MAX,
    _ROW_GAP,
    _SIZE_TOL,
    _TITLE,
    PdfBlock,
    PdfPage,
    _Block,
    _blocks,
    _Figure,
    _Line,
    _open,
    _page_figures,
    _page_lines,
    _Rule,
    body_size,
)

# --------------------------------------------------------------------------- reading order


def _bands(intervals: list[tuple[float, float]], min_gap: float) -> list[tuple[float, float, float]]:
    """The white bands at least ``min_gap`` wide between intervals: (middle, start, end)."""
    bands: list[tuple[float, float, float]] = []
    spans = sorted(intervals)
    end = spans[0][1]
    for lo, hi in spans[1:]:
        if lo - end >= min_gap:
            bands.append(((lo + end) / 2, end, lo))
        end = max(end, hi)
    return bands


def _gaps(intervals: list[tuple[float, float]], min_gap: float) -> list[float]:
    """Cut positions: the middles of the white bands at least ``min_gap`` wide."""
    return [mid for mid, _, _ in _bands(intervals, min_gap)]


def _split(blocks: list[Any], cuts: list[float], key: Callable[[Any], float]) -> list[list[Any]]:
    parts: list[list[Any]] = [[] for _ in range(len(cuts) + 1)]
    for b in blocks:
        pos = key(b)
        parts[sum(1 for c in cuts if pos > c)].append(b)
    return [p for p in parts if p]


def reading_order(
    blocks: list[Any], body: float, rules: Sequence[_Rule] = (), columns: Sequence[tuple[float, float]] = ()
) -> list[Any]:
    """Blocks (and figures) in reading order by recursive XY cut: rows under printed rules first,
    then gutters between columns, then white under a title, then wide white bands across or down.
    ``columns``: x ranges set with full lines of body text; no vertical cut goes through one."""
    if len(blocks) <= 1:
        return list(blocks)
    rows = [(b.top, b.bottom) for b in blocks]
    cols = [(b.x0, b.x1) for b in blocks]
    left, right = min(b.x0 for b in blocks), max(b.x1 for b in blocks)
    ruled = [
        c
        for c, lo, hi in _bands(rows, 0.2 * body)
        if any(lo <= r.y <= hi and min(r.x1, right) - max(r.x0, left) >= 0.8 * (right - left) for r in rules)
    ]
    by_row: Callable[[Any], float] = lambda b: (b.top + b.bottom) / 2  # noqa: E731
    by_col: Callable[[Any], float] = lambda b: (b.x0 + b.x1) / 2  # noqa: E731
    col_bands = [(mid, lo, hi) for _, lo, hi in _bands(cols, _GUTTER * body) for mid in _outside(lo, hi, columns)]
    for cuts, key in (
        (ruled, by_row),
        (_under_title(blocks, body, one_title=True), by_row),
        ([mid for mid, lo, hi in col_bands if hi - lo <= _GUTTER_MAX * body], by_col),
        (_under_title(blocks, body), by_row),
        ([mid for mid, _, _ in col_bands], by_col),
        (_gaps(rows, _ROW_GAP * body), by_row),
        (_gaps(rows, _BOX_GAP * body), by_row),
    ):
        if cuts:
            out: list[Any] = []
            for part in _split(blocks, cuts, key):
                out.extend(reading_order(part, body, rules, columns))
            return out
    return sorted(blocks, key=lambda b: (b.top, b.x0))


def _outside(lo: float, hi: float, columns: Sequence[tuple[float, float]]) -> list[float]:
    """The middle of the widest part of the white band (lo, hi) outside every column range; none
    when the band lies inside a column (white between a short line and a centred head)."""
    free = [(lo, hi)]
    for c0, c1 in columns:
        free = [seg for a, b in free for seg in ((a, min(b, c0)), (max(a, c1), b)) if seg[1] - seg[0] > 1.0]
    if not free:
        return []
    a, b = max(free, key=lambda seg: seg[1] - seg[0])
    return [(a + b) / 2]


def column_ranges(lines: Sequence[_Line], body: float) -> list[tuple[float, float]]:
    """The x ranges of the page's text columns: the union of its long lines of body text."""
    spans = sorted(
        (ln.x0, ln.x1) for ln in lines if abs(ln.size - body) <= _SIZE_TOL * body and ln.x1 - ln.x0 >= 6 * body
    )
    out: list[tuple[float, float]] = []
    for lo, hi in spans:
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _under_title(blocks: list[Any], body: float, one_title: bool = False) -> list[float]:
    """Where a node opens with title lines (set larger than the body) and white runs across it under
    them: the cut between the title and what it heads. ``one_title``: only when those lines are the
    decks of one title, one above the other (a title centred over columns it heads, which a gutter
    under it must not split); otherwise checked only where no narrow gutter splits the node, so a
    row of articles is not read title by title."""
    first = min(blocks, key=lambda b: b.top)
    if not isinstance(first, _Block) or first.size < _TITLE * body:
        return []
    bands = _bands([(b.top, b.bottom) for b in blocks], _BOX_GAP * body)
    if not bands:
        return []
    cut = bands[0][0]
    above = [b for b in blocks if (b.top + b.bottom) / 2 < cut]
    if not all(isinstance(b, _Block) and b.size >= _TITLE * body for b in above):
        return []
    if one_title and any(min(a.x1, b.x1) <= max(a.x0, b.x0) for a in above for b in above):
        return []
    return [cut]


def _header(blocks: list[_Block], body: float) -> set[int]:
    """The running header: the blocks above the page's first row gap when they are all single lines
    in small type (page name, date); their ids."""
    cuts = _gaps([(b.top, b.bottom) for b in blocks], _ROW_GAP * body)
    if not cuts:
        return set()
    above = [b for b in blocks if (b.top + b.bottom) / 2 < cuts[0]]
    if len(above) == len(blocks) or any(len(b.lines) > 1 or b.size >= 0.95 * body for b in above):
        return set()
    return {id(b) for b in above}


# --------------------------------------------------------------------------- the page


def _stacked(a: PdfBlock, b: PdfBlock) -> bool:
    """``b`` sits right under ``a`` and overlaps it horizontally (decks of one title)."""
    gap = b.bbox[1] - a.bbox[3]
    return -0.5 * b.size <= gap <= 1.0 * max(a.size, b.size) and min(a.bbox[2], b.bbox[2]) > max(a.bbox[0], b.bbox[0])


def _title_lines(blocks: Sequence[PdfBlock], separator: str | None) -> list[str]:
    """The blocks' texts; the decks of one title (title blocks one under the other: kicker,
    headline, subheadline) on one line joined by ``separator`` (None: a line each)."""
    out: list[str] = []
    prev: PdfBlock | None = None
    for b in blocks:
        if (
            separator is not None
            and prev is not None
            and b.kind == "title"
            and prev.kind == "title"
            and b.page == prev.page
            and _stacked(prev, b)
        ):
            out[-1] += separator + b.text
        else:
            out.append(b.text)
        prev = b
    return out


def extract_page(data: bytes, label: str, *, deck_separator: str | None = "——") -> PdfPage:
    """A page PDF's text in reading order, as the segmenter reads it; InvalidPage if it has none.
    ``deck_separator`` joins the decks of one title on one line (None: a line each)."""
    import pypdfium2 as pdfium

    doc = _open(data, label)
    per_page: list[list[_Line]] = []
    figures: list[list[_Figure]] = []
    page_rules: list[list[_Rule]] = []
    try:
        for number in range(len(doc)):
            page = doc[number]
            try:
                height = page.get_height()
                per_page.append(_page_lines(page, number + 1, height))
                figs, rules = _page_figures(page, height)
                figures.append(figs)
                page_rules.append(rules)
            except pdfium.PdfiumError as exc:
                raise InvalidPage(label, f"PDF page {number + 1} cannot be read ({exc})") from exc
            finally:
                page.close()
    finally:
        doc.close()
    all_lines = [ln for lines in per_page for ln in lines]
    if not all_lines:
        raise InvalidPage(label, "PDF has no text layer (a scanned image?): nothing to extract")
    body = body_size(all_lines)
    ordered: list[_Block] = []
    header: list[str] = []
    for lines, figs, rules in zip(per_page, figures, page_rules, strict=True):
        if not lines:
            continue
        columns = column_ranges(lines, body)
        blocks = _blocks(lines, body, columns)
        running = _header(blocks, body)
        for b in reading_order([*blocks, *figs], body, rules, columns):
            if isinstance(b, _Figure):
                continue
            if id(b) in running:
                header.append(b.text())
            else:
                ordered.append(b)
    out_blocks = tuple(
        PdfBlock(
            text=b.text(),
            bbox=(round(b.x0, 1), round(b.top, 1), round(b.x1, 1), round(b.bottom, 1)),
            size=round(b.size, 2),
            kind="title" if b.size >= _TITLE * body else "text",
            page=b.lines[0].page,
        )
        for b in ordered
        if b.text()
    )
    if not out_blocks:
        raise InvalidPage(label, "PDF has no text layer (a scanned image?): nothing to extract")
    text = "\n\n".join(_title_lines(out_blocks, deck_separator)) + "\n"
    return PdfPage(text=text, blocks=out_blocks, pages=len(per_page), body_size=body, header=tuple(header))
