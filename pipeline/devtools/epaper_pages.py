"""The local e-paper site's content: the sample issues as site pages (day index, page with image
map, article pages) rendered to HTML."""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pipeline.evaluation.golden import dateline, read_markup, render_file, strip_tags
from pipeline.models import Article
from pipeline.resources import data_dir

SAMPLES = data_dir("samples") / "src"  # the checkout's samples/src, or the installed package's copy


PAGE_W, PAGE_H = 1000, 1400
PAPER_NAME = "工人日报"


@dataclass
class SiteArticle:
    key: str  # the article's id in its URL
    article: Article
    byline_text: str | None
    box: tuple[int, int, int, int]


@dataclass
class SitePage:
    day: date
    page: int
    name: str
    section: str | None
    text: str  # the page text (for its PDF)
    articles: list[SiteArticle]  # gold order


def _bylines(source: str) -> dict[str, str]:
    """Article id -> its byline as printed (a dateline's credit or a standalone byline line)."""
    out: dict[str, str] = {}
    for _, ident, role, text in read_markup(source)[1]:
        if role.startswith("B"):
            out[ident] = strip_tags(text).strip()
        elif role == "P" and (d := dateline(text)):
            out.setdefault(ident, strip_tags(d.group(2)).strip())
    return out


def _titles(source: str) -> dict[str, str]:
    """Article id -> its headline deck as written in the markup (to pair gold articles with ids)."""
    out: dict[str, str] = {}
    for _, ident, role, text in read_markup(source)[1]:
        if role.startswith("T"):
            decks = [p.strip() for p in text.split("|")[0::2]]
            letters = role.partition(":")[2] or "h"
            for letter, deck in zip(letters, decks, strict=False):
                if letter == "h":
                    out[ident] = deck
    return out


def _layout(articles: list[Article]) -> list[tuple[int, int, int, int]]:
    """Boxes on the page image: the first article across the page, the others two to a row; a row
    is as tall as its longer article."""

    def height(a: Article) -> int:
        return 90 + sum(len(p) for p in a.paragraphs) // 6

    boxes: list[tuple[int, int, int, int]] = []
    y = 60
    if articles:
        h = height(articles[0])
        boxes.append((20, y, PAGE_W - 20, y + h))
        y += h + 20
    rest = articles[1:]
    for i in range(0, len(rest), 2):
        row = rest[i : i + 2]
        h = max(height(a) for a in row)
        boxes.append((20, y, PAGE_W // 2 - 10, y + h))
        if len(row) > 1:
            boxes.append((PAGE_W // 2 + 10, y, PAGE_W - 20, y + h))
        y += h + 20
    return boxes


def load_pages(root: Path = SAMPLES) -> dict[date, dict[int, SitePage]]:
    """``root``: ``samples/src/<paper>`` (folders of days) or ``samples/src`` (its first paper)."""
    if not any(_is_day(p) for p in root.iterdir()):
        root = next(p for p in sorted(root.iterdir()) if p.is_dir())
    out: dict[date, dict[int, SitePage]] = {}
    for day_dir in sorted(p for p in root.iterdir() if _is_day(p)):
        day = date.fromisoformat(day_dir.name)
        for path in sorted(day_dir.glob("*.page")):
            source = path.read_text(encoding="utf-8")
            golden = render_file(path)
            bylines, titles = _bylines(source), _titles(source)
            by_title = {t: i for i, t in titles.items()}
            boxes = _layout(golden.gold.articles)
            arts = []
            for n, art in enumerate(golden.gold.articles):
                ident = by_title.get(art.headline or "", f"n{n}")
                key = hashlib.sha1(f"{day}/{path.stem}/{ident}".encode()).hexdigest()[:6]
                arts.append(SiteArticle(key, art, bylines.get(ident), boxes[n]))
            page = int(path.stem)
            out.setdefault(day, {})[page] = SitePage(
                day, page, golden.meta.get("name", f"{page:02d}版"), golden.meta.get("section"), golden.text, arts
            )
    return out


def _is_day(p: Path) -> bool:
    try:
        date.fromisoformat(p.name)
    except ValueError:
        return False
    return p.is_dir()


def _doc(title: str, body: str, charset: str = "utf-8") -> str:
    return (
        f'<!doctype html>\n<html lang="zh-CN"><head><meta charset="{charset}">'
        f"<title>{html.escape(title)}</title></head>\n<body>\n{body}\n</body></html>\n"
    )


def day_path(day: date) -> str:
    return f"/epaper/{day:%Y-%m}/{day:%d}"


def render_archive(days: list[date]) -> str:
    items = "\n".join(f'<li><a href="{day_path(d)}/index.html">{d:%Y年%m月%d日}</a></li>' for d in days)
    return _doc(f"{PAPER_NAME} 往期回顾", f'<h1>{PAPER_NAME}</h1>\n<ul class="days">\n{items}\n</ul>')


def render_index(day: date, pages: dict[int, SitePage]) -> str:
    items = "\n".join(
        f'<li><a href="node_{n:02d}.html">{html.escape(p.name)}</a></li>' for n, p in sorted(pages.items())
    )
    return _doc(
        f"{PAPER_NAME} {day:%Y年%m月%d日}",
        f'<h1>{PAPER_NAME} {day:%Y年%m月%d日}</h1>\n<ul class="pages">\n{items}\n</ul>\n'
        '<p><a href="../../archive.html">往期回顾</a></p>',
    )


def render_page(page: SitePage, charset: str, with_articles: bool, with_pdf: bool) -> str:
    # areas and the title list in the order of the articles' URL ids, not the reading order: the
    # reading order is the image map's geometry
    arts = sorted(page.articles, key=lambda a: a.key) if with_articles else []
    areas = "\n".join(
        f'<area shape="rect" coords="{",".join(map(str, a.box))}" href="content_{page.page:02d}_{a.key}'
        f'.html" alt="{html.escape(a.article.headline or "")}">'
        for a in arts
    )
    titles = "\n".join(
        f'<li><a href="content_{page.page:02d}_{a.key}.html">{html.escape(a.article.headline or "")}</a></li>'
        for a in arts
    )
    pdf = f'<p class="pdf"><a href="page_{page.page:02d}.pdf">下载本版PDF</a></p>' if with_pdf else ""
    return _doc(
        f"{page.name} - {PAPER_NAME}",
        f'<h2 class="page-name">{html.escape(page.name)}</h2>\n'
        f'<img src="page_{page.page:02d}.jpg" usemap="#pagemap" width="{PAGE_W}" height="{PAGE_H}" alt="">\n'
        f'<map name="pagemap">\n{areas}\n</map>\n<ul class="titles">\n{titles}\n</ul>\n{pdf}\n'
        '<p><a href="index.html">本期目录</a></p>',
        charset,
    )


def render_article(page: SitePage, art: SiteArticle) -> str:
    a = art.article
    parts = []
    if a.kicker:
        parts.append(f'<h3 class="kicker">{html.escape(a.kicker)}</h3>')
    if a.headline:
        parts.append(f"<h1>{html.escape(a.headline)}</h1>")
    if a.subheadline:
        parts.append(f'<h2 class="subtitle">{html.escape(a.subheadline)}</h2>')
    if art.byline_text:
        parts.append(f'<p class="byline">{html.escape(art.byline_text)}</p>')
    if a.continued_from:
        parts.append(f'<p class="jump">(上接第{a.continued_from}版)</p>')
    body = []
    heads = {s.before_paragraph: s.text for s in a.subheads}
    for n, para in enumerate(a.paragraphs):
        if n in heads:
            body.append(f'<h4 class="subhead">{html.escape(heads[n])}</h4>')
        body.append(f"<p>\u3000\u3000{html.escape(para)}</p>")
    parts.append('<div class="content">\n' + "\n".join(body) + "\n</div>")
    if a.continued_to:
        parts.append(f'<p class="jump">(下转第{a.continued_to}版)</p>')
    nav = f'<p class="nav"><a href="node_{page.page:02d}.html">{html.escape(page.name)}</a></p>'
    return _doc(f"{a.headline or ''} - {PAPER_NAME}", nav + '\n<div class="article">\n' + "\n".join(parts) + "\n</div>")
