"""A page PDF's text with its geometry (PDFium through pypdfium2): characters, lines, figures and
rules, and lines gathered into paragraph blocks."""

from __future__ import annotations

import ctypes
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from pipeline.errors import InvalidPage

# thresholds in ems of the page's body font size
_SPLIT_GAP = 1.1  # a horizontal gap wider than this (ems of the body type) ends a line fragment


_SPACE_GAP = 0.75  # a narrower gap at least this wide (ems of the type) reads as a space


_SIZE_TOL = 0.03  # sizes further apart than this are different styles (a 10.5 pt head in 10 pt text)


_JOIN_GAP = 0.5  # fragments drawn apart on one baseline are one line when at most this far apart


_LINE_GAP = 0.8  # white between two lines of one block at most


_INDENT = 0.6  # a line starting this much right of the line above starts a paragraph


_SHORT = 1.0  # a line stopping this much left of the block's right edge ends a paragraph


_TITLE = 1.2  # a line at least this many times the body size is a title candidate


_ROW_GAP = 1.2


_GUTTER = 0.5


_GUTTER_MAX = 3.0  # a wider white band between blocks is not a gutter (a short line beside a centred title)


_BOX_GAP = 0.65


_FIGURE_MIN = 20.0  # points: smaller filled shapes (bullets, rules drawn as boxes) are not figures


@dataclass(frozen=True)
class PdfBlock:
    """One block of the page: its text, box (x0, top, x1, bottom in points from the page's top
    left), font size, kind ("title": set larger than the body; "text") and page number (1-based)."""

    text: str
    bbox: tuple[float, float, float, float]
    size: float
    kind: str = "text"
    page: int = 1


@dataclass(frozen=True)
class PdfPage:
    text: str
    blocks: tuple[PdfBlock, ...]
    pages: int = 1
    body_size: float = 0.0
    header: tuple[str, ...] = ()


@dataclass
class _Line:
    chars: list[str]
    x0: float
    x1: float
    base: float  # baseline, from the page top
    size: float
    page: int
    bold: bool = False

    @property
    def top(self) -> float:
        return self.base - 0.88 * self.size

    @property
    def bottom(self) -> float:
        return self.base + 0.12 * self.size

    @property
    def text(self) -> str:
        return "".join(self.chars)


@dataclass
class _Block:
    lines: list[_Line] = field(default_factory=list)

    @property
    def x0(self) -> float:
        return min(ln.x0 for ln in self.lines)

    @property
    def x1(self) -> float:
        return max(ln.x1 for ln in self.lines)

    @property
    def top(self) -> float:
        return self.lines[0].top

    @property
    def bottom(self) -> float:
        return self.lines[-1].bottom

    @property
    def size(self) -> float:
        return self.lines[0].size

    def text(self) -> str:
        return "".join(ln.text for ln in self.lines).strip(" \u3000")


def _open(data: bytes, label: str):  # type: ignore[no-untyped-def]
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    if not data or not data.strip():
        raise InvalidPage(label, "PDF is empty (0 bytes)")
    if b"%PDF-" not in data[:1024]:
        raise InvalidPage(label, "not a PDF: no %PDF- header in the first 1024 bytes")
    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        code = raw.FPDF_GetLastError()
        if code == raw.FPDF_ERR_PASSWORD:
            raise InvalidPage(label, "PDF is encrypted: it needs a password to open") from exc
        if code == raw.FPDF_ERR_SECURITY:
            raise InvalidPage(label, "PDF uses an unsupported security handler") from exc
        raise InvalidPage(label, f"PDF is damaged or not a PDF ({exc})") from exc
    if len(doc) == 0:
        doc.close()
        raise InvalidPage(label, "PDF has no pages")
    return doc


def _page_chars(page, height: float) -> list[tuple[str, float, float, float, float, bool]]:  # type: ignore[no-untyped-def]
    """(char, left, right, baseline, size, bold) in content order: left is the origin, right the end
    of the glyph's advance."""
    import pypdfium2.raw as raw

    textpage = page.get_textpage()
    tp = textpage.raw
    x, y = ctypes.c_double(), ctypes.c_double()
    rect = raw.FS_RECTF()
    out: list[tuple[str, float, float, float, float, bool]] = []
    try:
        count = raw.FPDFText_CountChars(tp)
        for i in range(count):
            code = raw.FPDFText_GetUnicode(tp, i)
            if raw.FPDFText_IsGenerated(tp, i) == 1:
                # PDFium infers a space where a gap stands for one (a space glyph it does not count
                # as text): kept inside a line, dropped at its end (it would join wrapped lines)
                if code == 32 and out and i + 1 < count and raw.FPDFText_IsGenerated(tp, i + 1) != 1:
                    raw.FPDFText_GetCharOrigin(tp, i + 1, ctypes.byref(x), ctypes.byref(y))
                    prev = out[-1]
                    if abs(height - y.value - prev[3]) <= 0.25 * prev[4] and x.value > prev[2]:
                        out.append((" ", prev[2], x.value, prev[3], prev[4], prev[5]))
                continue
            if code in (0, 0xFFFE, 0xFFFF) or (code < 32 and code != 9):
                continue
            ch = chr(code) if code != 9 else " "
            size = raw.FPDFText_GetFontSize(tp, i)
            bold = raw.FPDFText_GetFontWeight(tp, i) >= 600
            raw.FPDFText_GetCharOrigin(tp, i, ctypes.byref(x), ctypes.byref(y))
            raw.FPDFText_GetLooseCharBox(tp, i, ctypes.byref(rect))
            left = x.value
            right = max(rect.left, rect.right)  # the glyph's advance (letter spacing not included)
            if right - left < 0.05 * size:
                right = left + 0.3 * size
            out.append((ch, left, right, height - y.value, size, bold))
    finally:
        textpage.close()
    return out


def _page_lines(page, number: int, height: float) -> list[_Line]:  # type: ignore[no-untyped-def]
    chars = _page_chars(page, height)
    sizes: Counter[float] = Counter(round(c[4] * 2) / 2 for c in chars)
    body = sizes.most_common(1)[0][0] if sizes else 10.0
    lines: list[_Line] = []
    cur: _Line | None = None
    for ch, left, right, base, size, bold in chars:
        # a gap wider than an em of the body type ends a fragment whatever the size (a headline's
        # em is wider than the gutter to the next module's headline)
        if (
            cur is None
            or abs(base - cur.base) > 0.25 * max(size, cur.size)
            or abs(size - cur.size) > _SIZE_TOL * max(size, cur.size)
            or (bold != cur.bold and not ch.isspace())
            or left < cur.x1 - 0.5 * size
            or left - cur.x1 > _SPLIT_GAP * min(size, body)
        ):
            cur = _Line([ch], left, right, base, size, number, bold)
            lines.append(cur)
        else:
            if left - cur.x1 >= _SPACE_GAP * size and not ch.isspace() and cur.chars[-1] != " ":
                cur.chars.append(" ")  # white drawn as a move, not a space glyph (an ideographic space)
            cur.chars.append(ch)
            cur.x1 = max(cur.x1, right)
    lines = [ln for ln in lines if ln.text.strip()]
    return _join_fragments(lines)


@dataclass
class _Figure:
    """An image or a filled shape (photo, tint box): no text, but it holds its place in the layout,
    so the white around it is not taken for a gap between rows."""

    x0: float
    top: float
    x1: float
    bottom: float


@dataclass
class _Rule:
    """A horizontal line printed across the page (a rule between rows of articles)."""

    x0: float
    x1: float
    y: float


def _page_figures(page, height: float) -> tuple[list[_Figure], list[_Rule]]:  # type: ignore[no-untyped-def]
    import pypdfium2.raw as raw

    out: list[_Figure] = []
    rules: list[_Rule] = []
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    for i in range(raw.FPDFPage_CountObjects(page.raw)):
        obj = raw.FPDFPage_GetObject(page.raw, i)
        kind = raw.FPDFPageObj_GetType(obj)
        if kind == raw.FPDF_PAGEOBJ_PATH:
            if not raw.FPDFPath_GetDrawMode(obj, ctypes.byref(fill), ctypes.byref(stroke)):
                continue
            if not raw.FPDFPageObj_GetBounds(obj, *(ctypes.byref(v) for v in (left, bottom, right, top))):
                continue
            if stroke.value and top.value - bottom.value < 2 and right.value - left.value >= _FIGURE_MIN:
                rules.append(_Rule(left.value, right.value, height - (top.value + bottom.value) / 2))
                continue
            if fill.value == raw.FPDF_FILLMODE_NONE:
                continue
        elif kind != raw.FPDF_PAGEOBJ_IMAGE:
            continue
        if not raw.FPDFPageObj_GetBounds(obj, *(ctypes.byref(v) for v in (left, bottom, right, top))):
            continue
        if right.value - left.value >= _FIGURE_MIN and top.value - bottom.value >= _FIGURE_MIN:
            out.append(_Figure(left.value, height - top.value, right.value, height - bottom.value))
    return out, rules


def _join_fragments(lines: list[_Line]) -> list[_Line]:
    """Fragments on one baseline in one size that touch (text drawn in pieces) become one line."""
    lines.sort(key=lambda ln: (round(ln.base, 1), ln.x0))
    out: list[_Line] = []
    for ln in lines:
        prev = out[-1] if out else None
        if (
            prev is not None
            and abs(prev.base - ln.base) <= 0.25 * ln.size
            and abs(prev.size - ln.size) <= _SIZE_TOL * ln.size
            and prev.bold == ln.bold
            and -0.5 * ln.size <= ln.x0 - prev.x1 <= _JOIN_GAP * min(ln.size, 10.0)
        ):
            prev.chars.extend(ln.chars)
            prev.x1 = max(prev.x1, ln.x1)
        else:
            out.append(ln)
    return out


def body_size(lines: list[_Line]) -> float:
    """The size most characters are set in."""
    counts: Counter[float] = Counter()
    for ln in lines:
        counts[round(ln.size * 2) / 2] += len(ln.chars)
    return counts.most_common(1)[0][0] if counts else 10.0


def _blocks(lines: list[_Line], body: float, columns: Sequence[tuple[float, float]] = ()) -> list[_Block]:
    lines = sorted(lines, key=lambda ln: (ln.page, ln.top, ln.x0))
    blocks: list[_Block] = []
    open_blocks: list[_Block] = []
    for ln in lines:
        best, best_overlap = None, 0.0
        for blk in open_blocks:
            last = blk.lines[-1]
            if last.page != ln.page or abs(last.size - ln.size) > _SIZE_TOL * ln.size or last.bold != ln.bold:
                continue
            gap = ln.top - last.bottom
            if not -0.3 * ln.size <= gap <= _LINE_GAP * ln.size:
                continue
            overlap = min(ln.x1, blk.x1) - max(ln.x0, blk.x0)
            if overlap > best_overlap:
                best, best_overlap = blk, overlap
        if best is not None and _continues(best, ln, body, columns):
            best.lines.append(ln)
        else:
            best = _Block([ln])
            blocks.append(best)
            open_blocks.append(best)
        # a block whose last line is far above the current line can take no more lines
        open_blocks = [b for b in open_blocks if ln.top - b.bottom <= 3 * body]
    return blocks


def _continues(blk: _Block, ln: _Line, body: float, columns: Sequence[tuple[float, float]] = ()) -> bool:
    """Does ``ln`` go on the paragraph (or title) of ``blk``, or start a new one?"""
    last = blk.lines[-1]
    if ln.size >= _TITLE * body:  # title lines: same size, one under the other
        return True
    em = ln.size
    column = next((c0 for c0, c1 in columns if c0 - em <= ln.x0 <= c1), None)
    if column is not None and ln.x0 > column + _INDENT * em:
        return False  # indented in its column: a paragraph starts
    if ln.x0 > last.x0 + _INDENT * em:
        return False  # indented, centred or right-aligned: a new paragraph or item
    right = max(blk.x1, ln.x1)
    if last.x1 < right - _SHORT * em:
        return False  # the line above stopped short: its paragraph ended there
    # the block's left edge: a line left of the previous lines' edge by more than an indent is another column
    return ln.x0 >= min(b.x0 for b in blk.lines) - _INDENT * em or len(blk.lines) == 1
