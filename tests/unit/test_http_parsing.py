"""The e-paper source's pure parts: URL templates read backwards, charsets, article HTML, image-map
reading order, page text with exact spans, the site's settings and connection."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from pipeline.config import PaperConfig, Settings, load_paper, with_connections
from pipeline.errors import ConfigError
from pipeline.sources import source_for
from pipeline.sources.articles import assemble, charset_of, page_links, parse_article, parse_byline, reading_order
from pipeline.sources.http import HttpSource
from pipeline.sources.siteconfig import SiteConfig

BASE = "http://paper.example/epaper"


def site(**kw: object) -> SiteConfig:
    return SiteConfig.model_validate(
        {
            "issue_index": "{base}/{date:%Y-%m}/{date:%d}/index.html",
            "page": "{base}/{date:%Y-%m}/{date:%d}/node_{page:02d}.html",
            "article": "{base}/{date:%Y-%m}/{date:%d}/content_{page:02d}_{article}.html",
            **kw,
        }
    )


def test_templates_build_urls_and_recognise_links() -> None:
    s = site()
    day = date(2026, 11, 18)
    assert s.url(s.page, BASE + "/", day, page=3) == f"{BASE}/2026-11/18/node_03.html"
    m = s.pattern(s.page, BASE, day).match(f"{BASE}/2026-11/18/node_12.html")
    assert m is not None and m.group("page") == "12"
    assert s.pattern(s.page, BASE, day).match(f"{BASE}/2026-11/19/node_12.html") is None  # another day
    art = s.pattern(s.article, BASE, day).match(f"{BASE}/2026-11/18/content_02_3fa9c1.html")
    assert art is not None and art.group("page") == "02" and art.group("article") == "3fa9c1"
    any_day = s.pattern(s.issue_index, BASE, None).match(f"{BASE}/2026-02/07/index.html")
    assert any_day is not None and SiteConfig.matched_date(any_day) == date(2026, 2, 7)
    with pytest.raises(ValidationError, match="unknown template field"):
        site(page="{base}/{day}/node_{page}.html")


@pytest.mark.parametrize(
    ("body", "header", "configured", "expected"),
    [
        (b"<meta charset='GB2312'>", None, "auto", "gb18030"),
        (b'<meta http-equiv="Content-Type" content="text/html; charset=gbk">', None, "auto", "gb18030"),
        (b"<meta charset=utf-8>", "text/html; charset=GB18030", "auto", "gb18030"),
        (b"<p>no declaration</p>", "text/html", "auto", None),
        (b"<meta charset=utf-8>", None, "big5", "big5"),
    ],
)
def test_charset_from_header_then_meta(body: bytes, header: str | None, configured: str, expected: str | None) -> None:
    assert charset_of(body, header, configured) == expected


ARTICLE = """<html><body><div class="article">
<h3 class="kicker">引题</h3><h1>主标题</h1><h2 class="subtitle">副题</h2>
<p class="byline">本报记者 韩雪 本报通讯员 田野</p>
<div class="content"><p>\u3000\u3000第一段,  有空格。</p><h4 class="subhead">小标题</h4><p>第二段。</p></div>
<p class="jump">(下转第3版)</p></div></body></html>"""


def test_an_article_page_by_selectors_and_its_span_in_the_page_text() -> None:
    s = site(selectors={"subheads": ".content .subhead"})
    art = parse_article(ARTICLE, "u", s)
    assert (art.kicker, art.headline, art.subheadline) == ("引题", "主标题", "副题")
    assert art.byline.reporters == ["韩雪"] and art.byline.correspondents == ["田野"]
    assert art.body == [("p", "第一段, 有空格。"), ("subhead", "小标题"), ("p", "第二段。")]
    assert art.continued_to == 3 and art.continued_from is None
    other = parse_article("<h1>短讯</h1><div class='content'><p>正文。</p></div>", "v", s)
    text, split = assemble([(art, (0, 0, 10, 10)), (other, None)])
    first, second = split.articles
    assert first.paragraphs == ["第一段, 有空格。", "第二段。"] and first.subheads[0].before_paragraph == 1
    assert first.source_kind == "html" and first.box == (0, 0, 10, 10)
    ((a, b),) = first.spans
    assert text[a:b].startswith("引题") and text[a:b].endswith("(下转第3版)")
    ((c, d),) = second.spans
    assert text[c:d] == "短讯\n\n正文。" and c > b


def test_bylines_and_datelines() -> None:
    dated = parse_byline("本报讯 (记者秦朗 通讯员胡小满)")
    assert (dated.kind, dated.reporters, dated.correspondents) == ("本报讯", ["秦朗"], ["胡小满"])
    standalone = parse_byline("本报记者 周青禾")
    assert (standalone.kind, standalone.reporters) == ("本报记者", ["周青禾"])


def test_reading_order_from_the_image_map() -> None:
    # a lead across the page, then two rows of two; listed in no particular order
    items = [
        ("d", (510, 400, 980, 600)),
        ("x", None),
        ("a", (20, 60, 980, 200)),
        ("c", (20, 400, 490, 640)),
        ("b", (510, 220, 980, 380)),
        ("b2", (20, 230, 490, 390)),
    ]
    assert [items[i][0] for i in reading_order(items)] == ["a", "b2", "b", "c", "d", "x"]


def test_page_links_union_the_areas_of_an_article_and_find_the_pdf() -> None:
    s = site(selectors={"pdf_link": "p.pdf a[href]"})
    html = """<map name="m">
      <area shape="rect" coords="10,10,100,50" href="content_01_aa.html">
      <area shape="poly" coords="10,60,200,60,200,90,10,90" href="content_01_aa.html#x">
      <area shape="rect" coords="0,0,5,5" href="/elsewhere.html"></map>
      <a href="content_01_bb.html">乙</a><p class="pdf"><a href="page_01.pdf">PDF</a></p>"""
    page_url = f"{BASE}/2026-11/18/node_01.html"
    links = page_links(html, page_url, s, s.pattern(s.article, BASE, date(2026, 11, 18)))
    assert links.articles == [
        (f"{BASE}/2026-11/18/content_01_aa.html", (10, 10, 200, 90)),
        (f"{BASE}/2026-11/18/content_01_bb.html", None),
    ]
    assert links.pdf == f"{BASE}/2026-11/18/page_01.pdf"


def test_the_site_connection_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    s = with_connections(
        Settings(),
        site={"conn_type": "http", "host": "epaper.example", "port": 8080, "login": "reader", "password": "s3cret"},
    )
    assert s.site.base_url == "http://epaper.example:8080" and s.site.username == "reader"
    assert "s3cret" not in str(s.masked())
    assert (
        with_connections(Settings(), site={"host": "https://e.example/paper"}).site.base_url
        == "https://e.example/paper"
    )
    monkeypatch.setenv("INKSTREAM_SITE__BASE_URL", "http://127.0.0.1:9/epaper")
    assert Settings().site.base_url == "http://127.0.0.1:9/epaper"


def test_source_for_a_site_paper_and_its_configuration_errors(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    paper = load_paper(settings, "grrb-site")
    assert isinstance(source_for(settings, paper), HttpSource)
    bare = PaperConfig(id="x", name="X", start_date=date(2026, 1, 1), source="http")
    with pytest.raises(ConfigError, match=r"\[site\]"):
        source_for(settings, bare)
    nobase = paper.model_copy(update={"site": paper.site.model_copy(update={"base_url": None})})  # type: ignore[union-attr]
    with pytest.raises(ConfigError, match="base URL"):
        source_for(settings, nobase)


def test_before_the_issue_usually_appears_the_site_is_not_asked(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path).model_copy(
        update={"site": Settings().site.model_copy(update={"base_url": "http://127.0.0.1:9/epaper"})}
    )  # nothing listens there
    paper = load_paper(settings, "grrb-site")
    tz = ZoneInfo(paper.timezone)
    early = HttpSource(settings, paper, now=datetime(2026, 11, 18, 4, 59, tzinfo=tz))
    assert early.is_ready(paper.id, date(2026, 11, 18)) is False
    assert early._fetcher is None  # no client was even built
    late = HttpSource(settings, paper, now=datetime(2026, 11, 18, 5, 1, tzinfo=tz))
    late.site = late.site.model_copy(update={"retries": 0, "robots": False})
    assert late.is_ready(paper.id, date(2026, 11, 18)) is False  # asked, no answer: keep waiting
    assert late.fetcher.stats.requests == 1
