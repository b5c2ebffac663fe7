"""E-paper HTML -> articles (pure): an article page's title decks, byline, paragraphs, subheads and
jump notes by the paper's CSS selectors; a page's image map -> each article's box and reading
order; the articles of a page -> the page text and each article's exact span in it.

selectolax (MIT, no dependencies) parses: an HTML5 parser (Lexbor) with CSS selectors built in, so
selectors in the paper's configuration are used as written; it parses a page in well under a
millisecond.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urljoin

from selectolax.lexbor import LexborHTMLParser, LexborNode

from pipeline.models import Article, Byline, PageSplit, Subhead
from pipeline.segmentation import DEFAULT_RULES
from pipeline.segmentation.bylines import parse_credits, parse_dateline, parse_standalone_byline
from pipeline.sources.siteconfig import SiteConfig, SiteSelectors

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.I)
#: labels a site may give that GB18030 decodes (it is their superset)
_GB = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936", "euc-cn", "csgb2312"}
_SPACES = re.compile(r"\s+")


def charset_of(body: bytes, content_type: str | None, configured: str = "auto") -> str | None:
    """The encoding to read ``body`` with: the configured one, else the Content-Type header's, else
    the document's ``<meta charset>``; GB2312/GBK are read as GB18030. None: not declared."""
    label = None if configured == "auto" else configured
    if label is None and content_type:
        m = _HEADER_CHARSET.search(content_type)
        label = m.group(1) if m else None
    if label is None:
        meta = _META_CHARSET.search(body[:4096])
        label = meta.group(1).decode("ascii") if meta else None
    if label is None:
        return None
    label = label.strip().lower()
    return "gb18030" if label in _GB else label


def _text(node: LexborNode | None) -> str:
    if node is None:
        return ""
    return _SPACES.sub(" ", node.text(deep=True, separator="")).strip()


def _first(tree: LexborHTMLParser, selector: str) -> str | None:
    if not selector:
        return None
    return _text(tree.css_first(selector)) or None


@dataclass
class ArticleHtml:
    """One article page as read: the decks, the raw byline line, the body in order, jump notes."""

    url: str
    kicker: str | None = None
    headline: str | None = None
    subheadline: str | None = None
    byline_text: str | None = None
    byline: Byline = field(default_factory=Byline)
    #: ("p", text) and ("subhead", text) in document order
    body: list[tuple[str, str]] = field(default_factory=list)
    jumps: list[str] = field(default_factory=list)
    continued_to: int | None = None
    continued_from: int | None = None


def parse_byline(text: str) -> Byline:
    """ "本报讯 (记者秦朗 通讯员胡小满)", "本报记者 韩雪 本报通讯员 田野", "新华社北京11月17日电 (记者…)"."""
    dated = parse_dateline(text, DEFAULT_RULES)
    if dated is not None:
        return dated[0]
    standalone = parse_standalone_byline(text, DEFAULT_RULES)
    if standalone is not None:
        return standalone
    reporters, correspondents, _, _ = parse_credits(text, DEFAULT_RULES)
    return Byline(reporters=reporters, correspondents=correspondents)


def parse_article(html: str, url: str, site: SiteConfig) -> ArticleHtml:
    sel: SiteSelectors = site.selectors
    tree = LexborHTMLParser(html)
    art = ArticleHtml(
        url=url,
        kicker=_first(tree, sel.kicker),
        headline=_first(tree, sel.title),
        subheadline=_first(tree, sel.subtitle),
        byline_text=_first(tree, sel.byline),
    )
    if art.byline_text:
        art.byline = parse_byline(art.byline_text)
    parts = [s for s in (sel.paragraphs, sel.subheads) if s]
    for node in tree.css(", ".join(parts)) if parts else []:
        text = _text(node)
        if not text:
            continue
        if sel.subheads and node.css_matches(sel.subheads):
            art.body.append(("subhead", text))
        else:
            art.body.append(("p", text))
    if sel.jump:
        jump_nodes = tree.css(sel.jump)
        art.jumps = [t for t in (_text(n) for n in jump_nodes) if t]
        jump_texts = set(art.jumps)
        art.body = [(kind, text) for kind, text in art.body if text not in jump_texts]
    for note in art.jumps:
        to = re.search(site.jump_to, note)
        frm = re.search(site.jump_from, note)
        if to:
            art.continued_to = int(to.group(1))
        if frm:
            art.continued_from = int(frm.group(1))
    return art


# ------------------------------------------------------------------------------ page HTML


@dataclass
class PageLinks:
    """What a page's HTML says: its articles (URL, box or None) in the site's order, its PDF."""

    articles: list[tuple[str, tuple[float, float, float, float] | None]]
    pdf: str | None


def _box(shape: str, coords: str) -> tuple[float, float, float, float] | None:
    try:
        nums = [float(v) for v in re.split(r"[\s,]+", coords.strip()) if v]
    except ValueError:
        return None
    shape = (shape or "rect").lower()
    if shape.startswith("circ") and len(nums) >= 3:
        x, y, r = nums[:3]
        return (x - r, y - r, x + r, y + r)
    if len(nums) < 4 or len(nums) % 2:
        return None
    xs, ys = nums[0::2], nums[1::2]
    return (min(xs), min(ys), max(xs), max(ys))


def page_links(html: str, page_url: str, site: SiteConfig, article_re: re.Pattern[str]) -> PageLinks:
    """Article links of a page (image-map areas and plain links whose URL matches the ``article``
    template), each with the union of its areas' boxes; the page PDF link if any."""
    tree = LexborHTMLParser(html)
    order: list[str] = []
    boxes: dict[str, tuple[float, float, float, float]] = {}
    area_nodes = tree.css(site.selectors.areas) if site.selectors.areas else []
    for node in [*area_nodes, *tree.css("a[href]")]:
        href = node.attributes.get("href")
        if not href:
            continue
        url = urldefrag(urljoin(page_url, href.strip())).url
        if not article_re.match(url):
            continue
        if url not in order:
            order.append(url)
        if node.tag == "area":
            box = _box(node.attributes.get("shape") or "rect", node.attributes.get("coords") or "")
            if box is not None:
                old = boxes.get(url)
                boxes[url] = (
                    box
                    if old is None
                    else (min(old[0], box[0]), min(old[1], box[1]), max(old[2], box[2]), max(old[3], box[3]))
                )
    pdf = None
    if site.selectors.pdf_link:
        link = tree.css_first(site.selectors.pdf_link)
        if link is not None and link.attributes.get("href"):
            pdf = urljoin(page_url, str(link.attributes["href"]).strip())
    return PageLinks(articles=[(u, boxes.get(u)) for u in order], pdf=pdf)


def reading_order(items: list[tuple[str, tuple[float, float, float, float] | None]]) -> list[int]:
    """Indices of ``items`` in reading order: boxes by rows (a box whose top lies above the middle of
    the row's first box joins that row), left to right within a row; items without a box keep
    their order, after the boxed ones."""
    boxes = {i: b for i, (_, b) in enumerate(items) if b is not None}
    boxed = sorted(boxes, key=lambda i: (boxes[i][1], boxes[i][0]))
    rows: list[list[int]] = []
    limit = float("-inf")
    for i in boxed:
        box = boxes[i]
        if rows and box[1] < limit:
            rows[-1].append(i)
        else:
            rows.append([i])
            limit = (box[1] + box[3]) / 2
    ordered = [i for row in rows for i in sorted(row, key=lambda k: boxes[k][0])]
    return ordered + [i for i, (_, b) in enumerate(items) if b is None]


# ------------------------------------------------------------------------------ page text


def assemble(articles: list[tuple[ArticleHtml, tuple[float, float, float, float] | None]]) -> tuple[str, PageSplit]:
    """The page text (one block per title deck, byline, subhead, paragraph and jump note, blank
    lines between) and each article with its exact span into it."""
    text = ""
    out: list[Article] = []
    for art, box in articles:
        blocks = [b for b in (art.kicker, art.headline, art.subheadline, art.byline_text) if b]
        blocks += [t for _, t in art.body] + art.jumps
        if not blocks:
            continue
        start = len(text) + 2
        text += "\n\n" + "\n\n".join(blocks)
        paragraphs: list[str] = []
        subheads: list[Subhead] = []
        for kind, t in art.body:
            if kind == "subhead":
                subheads.append(Subhead(text=t, before_paragraph=len(paragraphs)))
            else:
                paragraphs.append(t)
        out.append(
            Article(
                kicker=art.kicker,
                headline=art.headline,
                subheadline=art.subheadline,
                byline=art.byline,
                paragraphs=paragraphs,
                subheads=subheads,
                spans=[(start, len(text))],
                continued_from=art.continued_from,
                continued_to=art.continued_to,
                source_kind="html",
                box=box,
            )
        )
    return text + "\n", PageSplit(articles=out)
