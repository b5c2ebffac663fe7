"""Typesetting for the project's page PDFs: the embedded Noto CJK font (subset per page), line
breaking with Chinese line-start and line-end rules, paragraph, title and guide flows."""

from __future__ import annotations

import functools
import hashlib
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pipeline import fonts
from pipeline.evaluation.pdfitems import Item

BODY = 10.0  # body font size
HEADLINE, HEADLINE_NARROW, DECK, SUBHEAD, SMALL = 2.0, 1.6, 1.3, 1.05, 0.85  # sizes in body units


LEADING = 1.45  # body line pitch / font size


_NO_START = ",，。、;；:：?？!！)）”’》」…—%"


_NO_END = "“‘《「(（"


def _to_truetype(font: Any, weight: int, name: str) -> bytes:
    """One weight of the (subset, variable CFF2) font as a static TrueType font named ``name``:
    outlines drawn at that weight, cubic curves turned quadratic (cu2qu), advance widths at that
    weight. (reportlab keeps one face per PostScript name: every subset needs a name of its own.)"""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    glyphs = font.getGlyphSet(location={"wght": weight})
    order = font.getGlyphOrder()
    glyf = newTable("glyf")
    glyf.glyphOrder, glyf.glyphs = order, {}
    hmtx = newTable("hmtx")
    hmtx.metrics = {}
    for glyph in order:
        pen = TTGlyphPen(None)
        glyphs[glyph].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyf[glyph] = pen.glyph()
        hmtx.metrics[glyph] = (round(glyphs[glyph].width), 0)
    out_font = font
    out_font["glyf"], out_font["loca"], out_font["hmtx"] = glyf, newTable("loca"), hmtx
    for tag in ("CFF2", "CFF ", "VORG", "fvar", "avar", "HVAR", "VVAR", "MVAR", "gvar", "STAT"):
        if tag in out_font:
            del out_font[tag]
    maxp = out_font["maxp"]
    maxp.tableVersion = 0x00010000
    for attr in (
        "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs", "maxStackElements",
        "maxSizeOfInstructions", "maxComponentElements", "maxPoints", "maxContours", "maxCompositePoints",
        "maxCompositeContours", "maxComponentDepth",
    ):  # fmt: skip
        setattr(maxp, attr, 0)
    maxp.maxZones = 1
    out_font["head"].glyphDataFormat = 0
    out_font["head"].indexToLocFormat = 0
    post = out_font["post"]
    post.formatType, post.extraNames, post.mapping = 2.0, [], {}
    out_font.sfntVersion = "\x00\x01\x00\x00"
    out_font["OS/2"].usWeightClass = weight  # reportlab derives the descriptor's StemV from it
    table = out_font["name"]
    table.names = []
    for name_id, value in ((1, name), (2, "Regular"), (3, name), (4, name), (6, name)):
        table.setName(value, name_id, 3, 1, 0x409)
        table.setName(value, name_id, 1, 0, 0)
    buf = io.BytesIO()
    out_font.save(buf)
    return buf.getvalue()


@functools.lru_cache(maxsize=16)
def _font_pair(chars: str) -> tuple[str, str]:
    """Register regular and bold TrueType fonts holding ``chars`` with reportlab; their names."""
    from fontTools.ttLib import TTFont
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont as RLFont

    digest = hashlib.sha1(chars.encode("utf-8")).hexdigest()[:10]
    names = (f"InkSans-{digest}", f"InkSansBold-{digest}")
    cut = fonts.subset(
        chars, layout_features=[], drop_tables=["DSIG", "BASE", "VORG", "vhea", "vmtx", "STAT", "GSUB", "GPOS", "GDEF"]
    )
    for name, weight in zip(names, (400, 700), strict=True):
        data = _to_truetype(TTFont(io.BytesIO(cut)), weight, name)
        pdfmetrics.registerFont(RLFont(name, io.BytesIO(data)))
    return names


@dataclass
class Line:
    text: str
    font: str
    size: float
    x: float  # offset from the left of its box
    width: float  # the width the line is justified to (0: set as is)
    color: tuple[float, float, float] = (0.0, 0.0, 0.0)


def _width(text: str, font: str, size: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return float(stringWidth(text, font, size))


def break_lines(text: str, font: str, size: float, width: float, indent: float = 0.0, hang: bool = True) -> list[str]:
    """Greedy line breaking by glyph advances: closing punctuation never starts a line (``hang``: it
    hangs at the end of the line, which justification then pulls back in; else the character before
    it moves down with it), an opening mark never ends one."""
    lines: list[str] = []
    cur, used, avail = "", 0.0, width - indent
    for ch in text:
        w = _width(ch, font, size)
        if used + w > avail + 0.01 and cur:
            if ch in _NO_START and hang:
                lines.append(cur + ch)
                cur, used, avail = "", 0.0, width
                continue
            keep = ""
            if ch in _NO_START:
                while len(cur) > 1 and cur[-1] in _NO_START:
                    keep, cur = cur[-1] + keep, cur[:-1]
                keep, cur = cur[-1] + keep, cur[:-1]
            while cur and cur[-1] in _NO_END:
                keep, cur = cur[-1] + keep, cur[:-1]
            if cur:
                lines.append(cur)
                avail = width
            cur, used = keep, _width(keep, font, size)
        cur += ch
        used += w
    if cur:
        lines.append(cur)
    return lines


@dataclass
class Flow:
    """A piece of a module's body: lines that may break across columns, or a box that may not."""

    lines: list[Line]
    pitch: float  # line pitch
    box: bool = False
    frame: bool = False
    photo: float = 0.0  # height of the photo placeholder above the lines
    fill: tuple[float, float, float] | None = None
    pad: float = 0.0

    @property
    def height(self) -> float:
        return self.photo + len(self.lines) * self.pitch + 2 * self.pad


@dataclass
class Fonts:
    regular: str
    bold: str


def _paragraph(text: str, fonts: Fonts, width: float, indent: bool, size: float = BODY) -> list[Line]:
    first = 2 * size if indent else 0.0
    raw = break_lines(text, fonts.regular, size, width, first, hang=False)
    out = []
    for n, ln in enumerate(raw):
        x = first if n == 0 else 0.0
        last = n == len(raw) - 1
        out.append(Line(ln, fonts.regular, size, x, 0.0 if last else width - x))
    return out


def _aligned(text: str, font: str, size: float, width: float, align: str) -> list[Line]:
    out = []
    for ln in break_lines(text, font, size, width, hang=False):
        w = _width(ln, font, size)
        x = {"left": 0.0, "right": max(0.0, width - w), "center": max(0.0, (width - w) / 2)}[align]
        out.append(Line(ln, font, size, x, 0.0))
    return out


def body_flow(item: Item, fonts: Fonts, width: float) -> Flow:
    pitch = BODY * LEADING
    role = item.role
    if role in ("P", "P+"):
        return Flow(_paragraph(item.text, fonts, width, indent=role == "P"), pitch)
    if role == "B":
        if item.end:
            return Flow(_aligned(item.text, fonts.regular, BODY, width, "right"), pitch)
        return Flow(_paragraph(item.text, fonts, width, indent=False), pitch)
    if role in ("M", "E"):
        size = BODY if role == "M" else SMALL * BODY
        return Flow(_aligned(item.text, fonts.regular, size, width, "right"), size * LEADING)
    if role == "S":
        size = SUBHEAD * BODY
        return Flow(_aligned(item.text, fonts.bold, size, width, "center"), size * LEADING)
    if role == "C":
        size = SMALL * BODY
        pad = 0.4 * BODY
        lines = _paragraph(item.text, fonts, width - 2 * pad, indent=False, size=size)
        for ln in lines:
            ln.x += pad
        return Flow(lines, size * LEADING, box=True, frame=True, photo=0.62 * width, pad=pad)
    if role == "G":  # the guide's header and text in one framed box
        raise AssertionError("guides are set by guide_flow")
    size = BODY
    lines = _aligned(item.text, fonts.regular, size, width, "left")
    return Flow(lines, size * LEADING)


def guide_flow(header: Item, text: Item | None, fonts: Fonts, width: float) -> Flow:
    pad = 0.6 * BODY
    inner = width - 2 * pad
    lines = _aligned(header.text, fonts.bold, SUBHEAD * BODY, inner, "center")
    if text is not None:
        lines += _paragraph(text.text, fonts, inner, indent=True)
    for ln in lines:
        ln.x += pad
    return Flow(lines, BODY * LEADING, box=True, frame=True, pad=pad)


def title_lines(decks: Sequence[Item], fonts: Fonts, width: float, cols: int) -> list[tuple[Line, float]]:
    """Title decks centred across the module; (line, pitch) pairs."""
    out: list[tuple[Line, float]] = []
    for deck in decks:
        if deck.deck == "h":
            size, font = (HEADLINE if cols > 1 else HEADLINE_NARROW) * BODY, fonts.bold
        else:
            size, font = DECK * BODY, fonts.regular
        for ln in _aligned(deck.text, font, size, width, "center"):
            out.append((ln, size * 1.25))
    return out


def fonts_for(texts: Iterable[str]) -> Fonts:
    chars = set("".join(texts)) | set("0123456789版")
    chars.discard("\n")
    regular, bold = _font_pair("".join(sorted(chars)))
    return Fonts(regular, bold)
