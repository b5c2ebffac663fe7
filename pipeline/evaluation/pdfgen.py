"""Page PDFs the project makes itself: generated pages (``pagegen``) set in multi-column newspaper layouts.

A page's blocks are laid out in the order its extraction text reads them, so the gold articles of a
generated page are the gold of its PDF by construction. The layout is the usual broadsheet shape:

* a running header (page name) above a rule;
* *rows* of *modules* stacked down the page; a module spans 1..K of the page's K (3–5) columns and
  holds one run of one article: its title decks across the module (kicker and subheadline in a
  middle size, the headline large and bold), then its byline, paragraphs (first line indented,
  justified lines), section heads, a 阅读提示 box, photo + caption boxes and jump markers flowing
  down the module's columns; an article whose columns are interleaved with other items on the text
  page (a feature whose title comes after its first column, two features cut into each other) is
  set as several modules in that order, so articles' columns interleave on the PDF page as well;
* column and series banners as white text on a dark bar across the page.

Chinese is set in Noto Sans CJK SC (SIL OFL 1.1, the ``manimgx-fonts-cjk`` wheel), cut by fontTools
to the page's characters and converted from CFF2 outlines to TrueType (reportlab embeds TrueType
only), regular and bold instances: the PDF displays and extracts with no system font.

``render_page_pdf(page)`` sets a generated page; ``render_text_pdf(text, title)`` sets a plain
extraction-text page (blocks separated by blank lines, a short one-line block is a title).
``pdfcompare.compare_pdf_text(pages)`` scores the segmenter on the PDF path (render -> extract ->
segment) against the text path on the same pages; ``python -m pipeline.evaluation.pdfcompare --compare``
prints it.
"""

from __future__ import annotations

import hashlib
import io
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pipeline.evaluation.pdfitems import Item, items_from_markup, items_from_split
from pipeline.evaluation.pdftype import (
    BODY,
    SMALL,
    Flow,
    Fonts,
    Line,
    _aligned,
    _width,
    body_flow,
    fonts_for,
    guide_flow,
    title_lines,
)
from pipeline.models import PageSplit

# --------------------------------------------------------------------------- geometry (points)

PAGE_WIDTH = 842.0  # A3 portrait width
MIN_PAGE_HEIGHT = 1191.0
MARGIN = 40.0
GUTTER = 1.4 * BODY
ROW_GAP = 2.2 * BODY
BLOCK_GAP = 1.0 * BODY  # around boxes
TITLE_GAP = 0.5 * BODY  # under a module's title
PHOTO_TINT = (0.78, 0.8, 0.82)


# --------------------------------------------------------------------------- font


# --------------------------------------------------------------------------- what is set on the page


# --------------------------------------------------------------------------- typesetting


# --------------------------------------------------------------------------- modules, rows, the page


@dataclass
class Module:
    ident: str
    items: list[Item] = field(default_factory=list)
    banner: bool = False

    @property
    def chars(self) -> int:
        return sum(len(it.text) for it in self.items if it.role != "T")


def modules_of(items: Sequence[Item]) -> list[Module]:
    """A new module at every title, banner and change of article; captions, guides, editor notes
    and markers stay in the module they are printed in."""
    out: list[Module] = []
    for it in items:
        cur = out[-1] if out else None
        if it.role == "N":
            out.append(Module(it.ident, [it], banner=True))
            continue
        article_item = it.ident.startswith("a")
        starts = (
            cur is None
            or cur.banner
            or (it.role == "T" and any(x.role != "T" for x in cur.items))
            or (article_item and cur.ident != it.ident and cur.ident.startswith("a"))
            or (article_item and not cur.ident.startswith("a"))
        )
        if starts or cur is None:
            out.append(Module(it.ident, [it]))
        else:
            cur.items.append(it)
            if not cur.ident.startswith("a") and article_item:
                cur.ident = it.ident
    return out


@dataclass
class Placed:
    lines: list[tuple[Line, float, float]] = field(default_factory=list)  # line, x, top
    frames: list[tuple[float, float, float, float, tuple[float, float, float] | None, bool]] = field(
        default_factory=list
    )  # x, top, w, h, fill, stroke
    height: float = 0.0


def _merge_cut_paragraphs(items: list[Item]) -> list[Item]:
    """P followed by P+ of the same article inside one module is one paragraph on the PDF page: the
    text page's column end there is not a column end of this layout (the layout makes its own)."""
    out: list[Item] = []
    for it in items:
        if it.role == "P+" and out and out[-1].role in ("P", "P+") and out[-1].ident == it.ident:
            prev = out[-1]
            out[-1] = Item(prev.ident, prev.role, prev.text + it.text)
        else:
            out.append(it)
    return out


def set_module(module: Module, fonts: Fonts, cols: int, colw: float) -> Placed:
    width = cols * colw + (cols - 1) * GUTTER
    placed = Placed()
    items = _merge_cut_paragraphs(module.items)
    if module.banner:
        size = 1.4 * BODY
        pitch = size * 1.6
        placed.frames.append((0.0, 0.0, width, pitch + 0.4 * BODY, (0.55, 0.08, 0.1), False))
        for ln in _aligned(items[0].text, fonts.bold, size, width, "center"):
            ln.color = (1.0, 1.0, 1.0)
            placed.lines.append((ln, ln.x, 0.2 * BODY + (pitch - size) / 2))
        placed.height = pitch + 0.4 * BODY
        return placed
    decks = [it for it in items if it.role == "T"]
    body = [it for it in items if it.role != "T"]
    top = 0.0
    if decks:
        for ln, pitch in title_lines(decks, fonts, width, cols):
            placed.lines.append((ln, ln.x, top + (pitch - ln.size) / 2))
            top += pitch
        top += TITLE_GAP
    flows: list[Flow] = []
    n = 0
    while n < len(body):
        it = body[n]
        if it.role == "G":
            nxt = body[n + 1] if n + 1 < len(body) and body[n + 1].role == "G+" else None
            flows.append(guide_flow(it, nxt, fonts, colw))
            n += 2 if nxt else 1
            continue
        flows.append(body_flow(it, fonts, colw))
        n += 1
    heights = _flow_columns(flows, cols)
    col_h = 0.0
    for c, column in enumerate(heights):
        x0 = c * (colw + GUTTER)
        y = top
        prev_box = False
        for flow, first, last in column:
            if flow.box:
                if y > top:
                    y += BLOCK_GAP
                placed.frames.append((x0, y, colw, flow.height, None, True))
                if flow.photo:
                    placed.frames.append(
                        (x0 + flow.pad, y + flow.pad, colw - 2 * flow.pad, flow.photo - flow.pad, PHOTO_TINT, False)
                    )
                ly = y + flow.pad + flow.photo
                for ln in flow.lines:
                    placed.lines.append((ln, x0 + ln.x, ly + (flow.pitch - ln.size) / 2))
                    ly += flow.pitch
                y += flow.height
                prev_box = True
                continue
            if prev_box:
                y += BLOCK_GAP
            prev_box = False
            for ln in flow.lines[first:last]:
                placed.lines.append((ln, x0 + ln.x, y + (flow.pitch - ln.size) / 2))
                y += flow.pitch
        col_h = max(col_h, y)
    placed.height = col_h
    return placed


def _flow_columns(flows: list[Flow], cols: int) -> list[list[tuple[Flow, int, int]]]:
    """Fill ``cols`` columns in order, each to about the same height; lines of a text flow may go on
    in the next column, boxes move whole."""
    total = sum(f.height + (BLOCK_GAP if f.box else 0.0) for f in flows)
    target = total / cols
    columns: list[list[tuple[Flow, int, int]]] = [[]]
    used = 0.0
    for flow in flows:
        if flow.box:
            h = flow.height + BLOCK_GAP
            if used and used + h > target * 1.08 and len(columns) < cols:
                columns.append([])
                used = 0.0
            columns[-1].append((flow, 0, 0))
            used += h
            continue
        start = 0
        for i in range(len(flow.lines)):
            if used + flow.pitch > target + 0.5 * flow.pitch and used and len(columns) < cols:
                if i > start:
                    columns[-1].append((flow, start, i))
                columns.append([])
                used = 0.0
                start = i
            used += flow.pitch
        columns[-1].append((flow, start, len(flow.lines)))
    return columns


def _module_cols(module: Module, k: int, rng: random.Random) -> int:
    if module.banner:
        return k
    chars = module.chars
    want = 1 if chars < 260 else 2 if chars < 900 else 3 if chars < 1600 else 4
    if want > 1 and rng.random() < 0.25:
        want -= 1
    return max(1, min(k, want))


@dataclass
class Layout:
    width: float
    height: float
    placed: list[tuple[Placed, float, float]]  # module, x, top
    rules: list[tuple[float, float, float, float]]  # x0, y, x1, y (top-down)
    header: str | None


def layout(items: Sequence[Item], columns: int, header: str | None, fonts: Fonts, seed: str) -> Layout:
    rng = random.Random(seed)
    k = columns
    content = PAGE_WIDTH - 2 * MARGIN
    colw = (content - (k - 1) * GUTTER) / k
    top = MARGIN
    rules = []
    if header:
        top += 1.4 * BODY
        rules.append((MARGIN, top, PAGE_WIDTH - MARGIN, top))
        top += ROW_GAP
    placed: list[tuple[Placed, float, float]] = []
    row: list[tuple[Placed, int]] = []
    used_cols = 0

    def close_row() -> None:
        nonlocal top, row, used_cols
        if not row:
            return
        height = max(p.height for p, _ in row)
        for p, c in row:
            placed.append((p, MARGIN + c * (colw + GUTTER), top))
        top += height
        rules.append((MARGIN, top + ROW_GAP / 2, PAGE_WIDTH - MARGIN, top + ROW_GAP / 2))
        top += ROW_GAP
        row, used_cols = [], 0

    for module in modules_of(items):
        cols = _module_cols(module, k, rng)
        if module.banner or used_cols + cols > k:
            close_row()
        if used_cols + cols < k and k - used_cols - cols == 1 and rng.random() < 0.5:
            cols += 1  # no lone narrow column left over
        row.append((set_module(module, fonts, cols, colw), used_cols))
        used_cols += cols
        if module.banner or used_cols >= k:
            close_row()
    close_row()
    if rules:
        rules.pop()  # no rule under the last row
    height = max(MIN_PAGE_HEIGHT, top + MARGIN)
    return Layout(PAGE_WIDTH, height, placed, rules, header)


def draw(lay: Layout, fonts: Fonts, title: str | None = None) -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=(lay.width, lay.height), pageCompression=1, invariant=1)
    pdf.setTitle(title or lay.header or "inkstream page")
    pdf.setCreator("inkstream pdfgen")
    height = lay.height
    if lay.header:
        pdf.setFont(fonts.regular, SMALL * BODY)
        pdf.drawString(MARGIN, height - MARGIN - SMALL * BODY, lay.header)
    pdf.setLineWidth(0.6)
    for x0, y0, x1, y1 in lay.rules:
        pdf.line(x0, height - y0, x1, height - y1)
    for placed, mx, mtop in lay.placed:
        for x, top, w, h, fill, stroke in placed.frames:
            if fill:
                pdf.setFillColorRGB(*fill)
            pdf.rect(mx + x, height - (mtop + top + h), w, h, stroke=int(stroke), fill=int(fill is not None))
        pdf.setFillColorRGB(0, 0, 0)
        for ln, x, top in placed.lines:
            text = pdf.beginText()
            text.setFont(ln.font, ln.size)
            text.setFillColorRGB(*ln.color)
            spacing = 0.0  # always set: the PDF's text state keeps Tc from one text object to the next
            if ln.width and len(ln.text) > 1:
                spare = ln.width - _width(ln.text, ln.font, ln.size)
                spacing = max(-0.1 * ln.size, min(0.6 * ln.size, spare / (len(ln.text) - 1)))
            text.setCharSpace(spacing)
            # the baseline sits 0.88 em under the line's top (Noto's ascent)
            text.setTextOrigin(mx + x, height - (mtop + top + 0.88 * ln.size))
            text.textOut(ln.text)
            pdf.drawText(text)
    pdf.showPage()
    pdf.save()
    return buf.getvalue()


def _columns(rng: random.Random) -> int:
    return rng.choice([3, 4, 4, 5])


def render_items(items: Sequence[Item], header: str | None, seed: str, columns: int | None = None) -> bytes:
    fonts = fonts_for([it.text for it in items] + [header or ""])
    k = columns or _columns(random.Random(seed))
    return draw(layout(items, k, header, fonts, seed), fonts)


def render_page_pdf(page: Any, columns: int | None = None) -> bytes:
    """The PDF of a generated page (``pagegen.GenPage``): its blocks set in 3–5 columns in the order
    the page's text reads them, its gold articles unchanged. Deterministic for a page."""
    meta, items = items_from_markup(page.source)
    return render_items(items, meta.get("name"), f"pdf/{page.name}", columns)


def render_text_pdf(
    text: str,
    title: str | None = None,
    columns: int | None = None,
    split: PageSplit | None = None,
    rules: Any = None,
) -> bytes:
    """The PDF of a plain extraction-text page (blocks separated by blank lines), set in columns;
    ``title`` (e.g. ``01版 要闻``) is printed as the running header. Each block is set as what it is
    on the page (title deck, byline, paragraph, caption box, banner bar …) according to ``split``, by
    default the segmenter's split of the page with ``rules`` (a paper's ``SegmentationRules``);
    ``split=PageSplit()`` sets by shape alone: a one-line block of at most 30 characters that does
    not end a sentence is a title deck, anything else a paragraph."""
    if split is None:
        from pipeline.segmentation import DEFAULT_RULES, segment_page

        split = segment_page(text, rules or DEFAULT_RULES)
    items = items_from_split(text, split)
    if not items:
        raise ValueError("no text to set")
    seed = "text/" + hashlib.sha1(text.encode("utf-8")).hexdigest()
    return render_items(items, title, seed, columns)


# --------------------------------------------------------------------------- scoring by content
