"""What a page PDF is set from: items (title decks, bylines, paragraphs, captions, guides,
banners) read from a generated page's markup, from plain extraction text, or from a page's split."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.evaluation.golden import dateline, read_markup, strip_tags
from pipeline.models import PageSplit

_SENT_END = "。!?！？”"


@dataclass
class Item:
    """One block of the page as the text reads it.

    ``role``: T (a title deck: ``deck`` k / h / s), P (paragraph), P+ (the rest of a cut paragraph),
    B (byline; ``end`` when printed after the text), S (section head), G (reading-guide header),
    G+ (its text), C (photo caption), N (banner), E (editor note), M (jump marker)."""

    ident: str
    role: str
    text: str
    deck: str = "h"
    end: bool = False


def items_from_markup(source: str) -> tuple[dict[str, str], list[Item]]:
    """A generated page's ``.page`` markup -> page metadata and its blocks, each with the text it
    prints on the text page (tags stripped, datelines as printed, title decks one item each)."""
    meta, lines = read_markup(source)
    items: list[Item] = []
    for _, ident, role, text in lines:
        if not ident:  # an extra empty line: the PDF sets its own spacing
            continue
        base, _, arg = role.partition(":")
        if base == "T":
            parts = text.split("|")
            for letter, deck in zip(arg or "h", (p.strip() for p in parts[0::2]), strict=True):
                items.append(Item(ident, "T", deck, deck=letter))
            continue
        if dl := dateline(text):  # the credit as printed, then the paragraph
            text = dl.group(2) + text[dl.end() :]
        text = strip_tags(text)
        end = base == "B" and text.startswith(("(", "（"))
        items.append(Item(ident, base, text, end=end))
    return meta, items


def items_from_text(text: str) -> list[Item]:
    """A plain extraction-text page -> items: blocks are separated by blank lines (hard-wrapped lines
    of a block joined, a leading indent dropped); a one-line block of at most 30 characters that does
    not end a sentence is a title deck, consecutive ones one title (the longest is the headline)."""
    blocks = [b for b in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if b.strip()]
    items: list[Item] = []
    n_art = 0
    for block in blocks:
        lines = [ln.strip(" \t\u3000") for ln in block.splitlines() if ln.strip()]
        joined = "".join(lines)
        title = len(lines) == 1 and len(joined) <= 30 and not joined.endswith(tuple(_SENT_END))
        if title:
            if not items or items[-1].role != "T":
                n_art += 1
            items.append(Item(f"a{n_art}", "T", joined))
        else:
            if not n_art:
                n_art = 1
            items.append(Item(f"a{n_art}", "P", joined))
    # decks of a title: the longest is the headline, a deck before it the kicker, after it the sub
    n = 0
    while n < len(items):
        if items[n].role != "T":
            n += 1
            continue
        end = n
        while end < len(items) and items[end].role == "T":
            end += 1
        group = items[n:end]
        head = max(range(len(group)), key=lambda i: len(group[i].text))
        for i, it in enumerate(group):
            it.deck = "h" if i == head else ("k" if i < head else "s")
        n = end
    return items


_MARKER = re.compile(r"^[(（]?(下?转|上?接)第\d+版[)）]?$")


def _text_blocks(text: str) -> list[tuple[int, int, str]]:
    """(start, end, joined text) of each blank-line separated block (hard-wrapped lines joined)."""
    out = []
    for m in re.finditer(r"\S(?:.*\S)?(?:\n[ \t\u3000]*\S.*)*", text.replace("\r\n", "\n")):
        lines = [ln.strip(" \t\u3000") for ln in m.group(0).splitlines() if ln.strip()]
        out.append((m.start(), m.end(), "".join(lines)))
    return out


def items_from_split(text: str, split: PageSplit) -> list[Item]:
    """A plain extraction-text page -> items, each block's role from a segmentation of the page:
    title decks, byline, section heads, paragraphs (the rest of a cut paragraph as such), jump
    markers; captions, banners, reading guides and editor notes as their boxes. A block the split
    does not place is set by its shape (:func:`items_from_text`)."""
    owner: dict[int, tuple[str, int]] = {}  # block start -> ("a"/"x", index)

    def own(spans: Sequence[tuple[int, int]], key: tuple[str, int]) -> None:
        for start, end, _ in blocks:
            if any(s < end and start < e for s, e in spans):
                owner.setdefault(start, key)

    blocks = _text_blocks(text)
    for n, b in enumerate(split.blocks):
        own(b.spans, ("x", n))
    for n, a in enumerate(split.articles):
        own(a.spans, ("a", n))
    items: list[Item] = []
    guide_open: set[int] = set()
    for start, _, joined in blocks:
        key = owner.get(start)
        if key is None:
            items.extend(items_from_text(joined))
            continue
        kind, n = key
        if kind == "x":
            blk = split.blocks[n]
            ident = f"a{blk.article}" if blk.article is not None else f"x{n}"
            if blk.kind == "reading_guide":
                role = "G+" if n in guide_open else "G"
                guide_open.add(n)
            else:
                role = {"caption": "C", "banner": "N", "editor_note": "E"}.get(blk.kind.value, "P")
            items.append(Item(ident, role, joined))
            continue
        art = split.articles[n]
        ident, flat = f"a{n}", _norm(joined)
        decks = [(d, t) for d, t in (("k", art.kicker), ("h", art.headline), ("s", art.subheadline)) if t]
        if decks and any(_norm(t) in flat for _, t in decks) and len(flat) <= sum(len(_norm(t)) for _, t in decks) + 4:
            items.extend(Item(ident, "T", t, deck=d) for d, t in decks if _norm(t) in flat)
        elif any(_norm(h.text) == flat for h in art.subheads):
            items.append(Item(ident, "S", joined))
        elif _MARKER.match(flat):
            items.append(Item(ident, "M", joined))
        elif art.byline.kind and flat not in _norm("".join(art.paragraphs)) and len(flat) <= 40:
            items.append(Item(ident, "B", joined, end=joined.startswith(("(", "（"))))
        else:
            prev = next((it for it in reversed(items) if it.ident == ident), None)
            body = [_norm(p) for p in art.paragraphs]
            cont = (
                prev is not None
                and prev.role in ("P", "P+")
                and any(_norm(prev.text)[-12:] + flat[:12] in p for p in body)
            )
            items.append(Item(ident, "P+" if cont else "P", joined))
    return items


def _norm(text: str) -> str:
    return "".join(text.split()).replace("—", "")
