"""Golden pages: a small markup from which both the page text and its gold split are rendered.

One source line = one block of the page (blocks are separated by blank lines in the text)::

    @name 要闻                      page metadata
    a1 T 标题                       title line; T:kh / T:hs / T:khs with decks split by |sep|
    a1 P «本报讯|本报讯 (记者{r:甲乙} 通讯员{c:丙丁})»正文……   dateline byline opening a paragraph
    a2 B:本报记者 本报记者 {r:周青禾}                           standalone byline (kind after ':')
    a2 P 第一段……被切断的                                       paragraph
    a2 P+ 后半句。                                              continues a2's last paragraph
    a2 S 小标题                                                 in-article subhead
    a2 M:to3 (下转第3版)                                        continuation marker
    x1 C 图片说明…… {p:郑子衡}摄                                caption (photographer)
    x2 N 栏目横幅                                               banner
    a3 G 阅 读 提 示  /  a3 G+ 提示正文                          reading guide of article a3
    x3 E (本版编辑 某某)                                        editor note
    ~                                                           one more empty line before the next block

Articles' reading order is: title lines, then the article's other lines in page order.
The gold is what the author wrote, not what the segmenter says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from pipeline.models import Article, Block, BlockKind, Byline, PageSplit, Subhead

_LINE = re.compile(r"^(?P<id>[a-z]\d+)\s+(?P<role>[A-Z]\+?(?::[^\s]+)?)\s(?P<text>.*)$")
_TAG = re.compile(r"\{([rcp]):([^}]+)\}")
_DATELINE = re.compile(r"^«([^|»]+)\|([^»]*)»")
_BLOCK_KIND = {"C": BlockKind.CAPTION, "N": BlockKind.BANNER, "G": BlockKind.READING_GUIDE, "E": BlockKind.EDITOR_NOTE}


@dataclass
class _Item:
    id: str
    title: list[tuple[int, str, str]] = field(default_factory=list)  # (unit idx, deck letters, text)
    units: list[int] = field(default_factory=list)  # non-title units, page order
    byline: Byline | None = None
    paragraphs: list[str] = field(default_factory=list)
    subheads: list[Subhead] = field(default_factory=list)
    continued_from: int | None = None
    continued_to: int | None = None
    block_kind: BlockKind | None = None
    block_text: list[str] = field(default_factory=list)
    photographer: list[str] = field(default_factory=list)


@dataclass
class GoldenPage:
    text: str
    gold: PageSplit
    meta: dict[str, str]


_NO_LINE_START = "，。、；：？！,.;:?!)）”’》」…—%"
_NO_LINE_END = "“‘《「(（"


def _cell(ch: str) -> int:
    return 1 if ch.isascii() and (ch.isalnum() or ch in ".%-/ ") else 2


def typeset_lines(body: str, width: int) -> list[str]:
    """Lines of ``width`` full-width characters as a typesetter sets them: digits and Latin letters
    take half a cell (punctuation extracted as ',' was printed full-width), closing punctuation never
    starts a line (it hangs at the end of the previous one) and an opening quote or bracket never
    ends one."""
    lines: list[str] = []
    cur, used, i = "", 0, 0
    while i < len(body):
        ch = body[i]
        cell = _cell(ch)
        if used + cell > 2 * width and cur:
            if ch in _NO_LINE_START:
                while i < len(body) and body[i] in _NO_LINE_START:
                    cur += body[i]
                    i += 1
                lines.append(cur)
                cur, used = "", 0
                continue
            keep = ""
            while cur and cur[-1] in _NO_LINE_END:
                keep, cur = cur[-1] + keep, cur[:-1]
            if cur:
                lines.append(cur)
            cur = keep
            used = sum(map(_cell, cur))
        cur += ch
        used += cell
        i += 1
    if cur:
        lines.append(cur)
    return lines


def strip_tags(text: str, tags: dict[str, list[str]] | None = None) -> str:
    """The text as printed: ``{r:name}`` tags become their names (collected by kind in ``tags``)."""

    def repl(m: re.Match[str]) -> str:
        if tags is not None:
            tags.setdefault(m.group(1), []).append(m.group(2))
        return m.group(2)

    return _TAG.sub(repl, text)


def dateline(text: str) -> re.Match[str] | None:
    """``«kind|credit»`` opening a paragraph: group 1 the byline kind, group 2 the printed credit."""
    return _DATELINE.match(text)


class MarkupLine(NamedTuple):
    number: int  # in the source, from 1
    ident: str  # the item id; "" for a "~" line (an extra empty line on the page)
    role: str
    text: str


def read_markup(source: str) -> tuple[dict[str, str], list[MarkupLine]]:
    """Page markup -> its ``@key value`` metadata and its item lines in order (comments and blank
    lines dropped); a line that is none of these is a ``ValueError`` naming it."""
    meta: dict[str, str] = {}
    lines: list[MarkupLine] = []
    for n, raw in enumerate(source.splitlines(), 1):
        line = raw.rstrip()
        if not line or line.startswith("#"):
            continue
        if line == "~":
            lines.append(MarkupLine(n, "", "", ""))
            continue
        if line.startswith("@"):
            key, _, value = line[1:].partition(" ")
            meta[key] = value.strip()
            continue
        m = _LINE.match(line)
        if not m:
            raise ValueError(f"line {n}: cannot parse {line!r}")
        lines.append(MarkupLine(n, m.group("id"), m.group("role"), m.group("text")))
    return meta, lines


def render(source: str) -> GoldenPage:
    items: dict[str, _Item] = {}
    order: list[str] = []
    blocks_text: list[str] = []
    roles: list[str] = []
    gaps: dict[int, int] = {}  # block index -> extra empty lines before it ("~" lines)
    meta, lines = read_markup(source)
    for n, ident, role, text in lines:
        if not ident:
            gaps[len(blocks_text)] = gaps.get(len(blocks_text), 0) + 1
            continue
        item = items.get(ident)
        if item is None:
            item = items[ident] = _Item(ident)
            order.append(ident)
        idx = len(blocks_text)
        tags: dict[str, list[str]] = {}
        base, _, arg = role.partition(":")
        if base == "T":
            parts = text.split("|")
            page_text = "".join(parts)
            decks = [p.strip() for p in parts[0::2]]
            letters = arg or "h"
            if len(letters) != len(decks):
                raise ValueError(f"line {n}: {letters!r} does not match {len(decks)} deck(s)")
            for letter, deck in zip(letters, decks, strict=True):
                item.title.append((idx, letter, deck))
            blocks_text.append(page_text)
            roles.append("T")
            continue
        item.units.append(idx)
        if base in ("P", "P+"):
            body = text
            dl = dateline(text)
            if dl:
                credit = strip_tags(dl.group(2), tags)
                item.byline = Byline(kind=dl.group(1), reporters=tags.get("r", []), correspondents=tags.get("c", []))
                body = text[dl.end() :]
                page_text = credit + strip_tags(body)
                body = strip_tags(body)
            else:
                page_text = body = strip_tags(text)
            if base == "P+":
                item.paragraphs[-1] += body
            else:
                item.paragraphs.append(body)
        elif base == "B":
            page_text = strip_tags(text, tags)
            item.byline = Byline(kind=arg, reporters=tags.get("r", []), correspondents=tags.get("c", []))
        elif base == "S":
            page_text = text
            item.subheads.append(Subhead(text=text, before_paragraph=len(item.paragraphs)))
        elif base == "M":
            page_text = text
            direction, page = arg[:-1].rstrip("0123456789") or arg, re.sub(r"\D", "", arg)
            if arg.startswith("to"):
                item.continued_to = int(page)
            else:
                item.continued_from = int(page)
            del direction
        elif base in ("C", "N", "G", "E", "G+"):
            page_text = strip_tags(text, tags)
            if base == "G":
                items.setdefault(f"{ident}#guide", _Item(f"{ident}#guide", block_kind=BlockKind.READING_GUIDE))
                guide = items[f"{ident}#guide"]
                item.units.remove(idx)
                guide.units.append(idx)
                if f"{ident}#guide" not in order:
                    order.append(f"{ident}#guide")
            elif base == "G+":
                guide = items[f"{ident}#guide"]
                item.units.remove(idx)
                guide.units.append(idx)
                guide.block_text.append(page_text)
            else:
                item.block_kind = _BLOCK_KIND[base]
                item.block_text.append(page_text)
                item.photographer.extend(tags.get("p", []))
        else:
            raise ValueError(f"line {n}: unknown role {role!r}")
        blocks_text.append(page_text)
        roles.append(base)

    # page text and unit spans; "@wrap N" hard-wraps paragraphs at N characters with a 　　 indent
    # (as PDF extraction does; "@wrapstyle typeset": as a typesetter does, see typeset_lines),
    # "@separator newline" drops the blank lines between blocks
    wrap = int(meta.get("wrap", 0))
    sep = "\n" if meta.get("separator") == "newline" else "\n\n"
    spans: list[tuple[int, int]] = []
    text = sep
    for n, (block, role) in enumerate(zip(blocks_text, roles, strict=True)):
        text += "\n" * gaps.get(n, 0)
        shown = block
        if wrap and role in ("P", "P+", "G+"):
            body = ("\u3000\u3000" if role == "P" else "") + block
            if meta.get("wrapstyle") == "typeset":
                shown = "\n".join(typeset_lines(body, wrap))
            else:
                shown = "\n".join(body[i : i + wrap] for i in range(0, len(body), wrap))
        elif wrap and role == "C" and meta.get("wrapstyle") == "typeset":  # a caption set in its column
            shown = "\n".join(typeset_lines(block, wrap))
        lead = len(shown) - len(shown.lstrip())
        spans.append((len(text) + lead, len(text) + len(shown)))
        text += shown + sep
    text = text.rstrip("\n") + "\n"

    def merged(units: list[int]) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        prev: int | None = None
        for u in units:
            if prev is not None and u == prev + 1:
                out[-1] = (out[-1][0], spans[u][1])
            else:
                out.append(spans[u])
            prev = u
        return out

    articles = [items[i] for i in order if items[i].block_kind is None and "#" not in i]
    articles.sort(key=lambda it: min([u for u, _, _ in it.title] + it.units))
    art_index = {it.id: n for n, it in enumerate(articles)}
    gold_articles = []
    for it in articles:
        deck_of = {letter: deck for _, letter, deck in it.title}
        title_units = sorted({u for u, _, _ in it.title})
        gold_articles.append(
            Article(
                kicker=deck_of.get("k"),
                headline=deck_of.get("h"),
                subheadline=deck_of.get("s"),
                byline=it.byline or Byline(),
                paragraphs=it.paragraphs,
                subheads=it.subheads,
                spans=merged(title_units + it.units),
                continued_from=it.continued_from,
                continued_to=it.continued_to,
            )
        )
    gold_blocks = []
    for ident in order:
        it = items[ident]
        if it.block_kind is None:
            continue
        owner = art_index.get(ident.split("#")[0]) if it.block_kind is BlockKind.READING_GUIDE else None
        gold_blocks.append(
            (
                it.units[0],
                Block(
                    kind=it.block_kind,
                    text=("" if it.block_kind is BlockKind.READING_GUIDE else " ").join(it.block_text),
                    spans=merged(it.units),
                    photographer="、".join(it.photographer) or None,
                    article=owner,
                ),
            )
        )
    gold_blocks.sort(key=lambda pair: pair[0])
    return GoldenPage(text=text, gold=PageSplit(articles=gold_articles, blocks=[b for _, b in gold_blocks]), meta=meta)


def render_file(path: Path) -> GoldenPage:
    return render(path.read_text(encoding="utf-8"))
