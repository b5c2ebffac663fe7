"""An e-paper website as a source (``source = "http"`` and ``[site]`` in ``papers/<id>.toml``).

A day's issue index (``site.issue_index``) links its pages (links matching ``site.page``); a page
links its articles (image-map areas and links matching ``site.article``) and its PDF. Articles come
from their HTML pages, exactly (``read_split``), in the reading order of the page's image map;
a page without article pages falls back to its PDF's text, segmented as page text is.

Downloads are polite and kept (``pipeline.sources.fetch``): under
``<staging>/<paper>/<date>/_downloads/`` (bodies, validators, ``requests.jsonl``), so a re-run or a
replay asks only whether something changed. Failures: a page (or one of its articles) that is
missing, refused or still failing after the retries raises ``InvalidPage`` for that page; an issue
index that is not there yet is ``SourceNotReady`` (``is_ready`` False).
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urldefrag, urljoin
from zoneinfo import ZoneInfo

from pipeline.errors import ConfigError, InvalidPage, SourceNotReady
from pipeline.models import Issue, PageRef, PageSplit, PageText
from pipeline.sources.articles import ArticleHtml, assemble, charset_of, page_links, parse_article, reading_order
from pipeline.sources.decoding import decode_page
from pipeline.sources.fetch import Disallowed, Fetched, Fetcher, FetchError, NotFound

if TYPE_CHECKING:
    from pipeline.config import PaperConfig, Settings

log = logging.getLogger(__name__)

DOWNLOADS = "_downloads"


class HttpSource:
    """``ArticleSource`` over a paper's e-paper site."""

    def __init__(self, settings: Settings, paper: PaperConfig, now: datetime | None = None) -> None:
        if paper.site is None:
            raise ConfigError(f'paper {paper.id}: source = "http" needs a [site] table in papers/{paper.id}.toml')
        base = settings.site.base_url or paper.site.base_url
        if not base:
            raise ConfigError(
                f"paper {paper.id}: no site base URL (set [site] base_url, INKSTREAM_SITE__BASE_URL "
                "or the Airflow connection inkstream_site)"
            )
        self.paper = paper
        self.site = paper.site
        self.base = base.rstrip("/")
        self.staging = settings.staging_dir
        self.max_page_bytes = settings.limits.max_page_bytes
        self._now = now
        self._auth = None
        if settings.site.username:
            password = settings.site.password.get_secret_value() if settings.site.password else ""
            self._auth = (settings.site.username, password)
        self._fetcher: Fetcher | None = None
        self._splits: dict[tuple[date, int], PageSplit | None] = {}

    # ------------------------------------------------------------------ plumbing

    @property
    def fetcher(self) -> Fetcher:
        if self._fetcher is None:
            self._fetcher = Fetcher(
                self.site,
                self.staging / "_http",
                self.staging / self.paper.id / "_site",
                auth=self._auth,
                max_bytes=self.max_page_bytes,
            )
        return self._fetcher

    def close(self) -> None:
        if self._fetcher is not None:
            self._fetcher.close()
            self._fetcher = None

    def downloads_dir(self, paper: str, issue_date: date) -> Path:
        return self.staging / paper / issue_date.isoformat() / DOWNLOADS

    def _get(self, url: str, paper: str, issue_date: date) -> Fetched:
        return self.fetcher.get(url, self.downloads_dir(paper, issue_date))

    def _decode(self, got: Fetched, label: str) -> str:
        return self._decode_as(got, label)[0]

    def _decode_as(self, got: Fetched, label: str) -> tuple[str, str]:
        """(text, encoding) of a downloaded HTML page."""
        if len(got.body) > self.max_page_bytes:
            raise InvalidPage(label, f"{got.url} is {len(got.body)} bytes, above the limit of {self.max_page_bytes}")
        charset = charset_of(got.body, got.content_type, self.site.encoding)
        if charset is not None:
            try:
                return got.body.decode(charset), charset
            except (LookupError, UnicodeDecodeError) as exc:
                raise InvalidPage(label, f"{got.url} does not decode as {charset}: {exc}") from exc
        return decode_page(got.body, label, self.max_page_bytes)

    def index_url(self, issue_date: date) -> str:
        return self.site.url(self.site.issue_index, self.base, issue_date)

    # ------------------------------------------------------------------ Source

    def where(self, paper: str, issue_date: date) -> str:
        return self.index_url(issue_date)

    def _appears(self, issue_date: date) -> datetime | None:
        if self.site.appears_at is None:
            return None
        tz = ZoneInfo(self.paper.timezone)
        return datetime.combine(issue_date, self.site.appears_at, tzinfo=tz)

    def _current(self) -> datetime:
        return self._now or datetime.now(ZoneInfo(self.paper.timezone))

    def available_dates(self, paper: str) -> list[date]:
        """The days the site's archive page lists (``site.archive``), else the days of the paper's
        calendar among the last ``site.probe_days`` (from its start date on) whose issue index is there."""
        today = self._current().date()
        if self.site.archive:
            url = self.site.url(self.site.archive, self.base)
            try:
                got = self.fetcher.get(url, self.staging / paper / "_site")
            except FetchError as exc:
                raise SourceNotReady(f"{paper}: the site's archive {url} is not readable: {exc.reason}") from exc
            day_re = self.site.pattern(self.site.issue_index, self.base, None)
            listed: set[date] = set()
            for link in _links(self._decode(got, f"{paper}/archive"), url):
                m = day_re.match(link)
                found = self.site.matched_date(m) if m else None
                if found is not None and found <= today:
                    listed.add(found)
            return sorted(listed)
        days: list[date] = []
        day = max(self.paper.start_date, today - timedelta(days=self.site.probe_days - 1))
        while day <= today:
            if self.paper.calendar.publishes_on(day) and self.is_ready(paper, day):
                days.append(day)
            day += timedelta(days=1)
        return days

    def is_ready(self, paper: str, issue_date: date) -> bool:
        """The day's issue index is there and lists pages. Before ``site.appears_at`` nothing is asked;
        a site that does not answer (after the retries) counts as not ready: the sensor asks again."""
        appears = self._appears(issue_date)
        if appears is not None and self._current() < appears:
            log.info("%s %s: not asked before %s", paper, issue_date, appears.isoformat())
            return False
        try:
            return bool(self._pages(paper, issue_date))
        except SourceNotReady as exc:
            log.info("%s", exc)
            return False

    def _pages(self, paper: str, issue_date: date) -> list[PageRef]:
        url = self.index_url(issue_date)
        try:
            got = self.fetcher.get(url, self.downloads_dir(paper, issue_date), fresh_s=self._index_fresh_s())
        except NotFound as exc:
            raise SourceNotReady(f"{paper} {issue_date}: no issue at {url} yet ({exc.reason})") from exc
        except FetchError as exc:
            raise SourceNotReady(f"{paper} {issue_date}: {url} did not answer: {exc.reason}") from exc
        page_re = self.site.pattern(self.site.page, self.base, issue_date)
        section_re = re.compile(self.site.section_pattern)
        refs: dict[int, PageRef] = {}
        for link, name in _links_named(self._decode(got, f"{paper}/{issue_date}/index"), url):
            m = page_re.match(link)
            if not m or int(m.group("page")) in refs or int(m.group("page")) < 1:
                continue
            sec = section_re.match(name) if name else None
            refs[int(m.group("page"))] = PageRef(
                page=int(m.group("page")), file=link, name=name or None, section=sec.group("section") if sec else None
            )
        return [refs[k] for k in sorted(refs)]

    def _index_fresh_s(self) -> float:
        return self.site.revalidate_after_s

    def get_issue(self, paper: str, issue_date: date) -> Issue:
        pages = self._pages(paper, issue_date)
        if not pages:
            raise SourceNotReady(f"{paper} {issue_date}: {self.index_url(issue_date)} lists no pages yet")
        return Issue(paper=paper, issue_date=issue_date, pages=pages)

    def read_page(self, issue: Issue, ref: PageRef) -> PageText:
        label = f"{issue.paper}/{issue.issue_date}/{ref.page:02d}"
        page_url = self._page_url(issue, ref)
        html, encoding = self._decode_as(self._fetch_or_fail(page_url, issue, label), label)
        article_re = self.site.pattern(self.site.article, self.base, issue.issue_date)
        links = page_links(html, page_url, self.site, article_re)
        if not links.articles:
            return self._pdf_page(issue, ref, label, links.pdf)
        order = reading_order(links.articles)
        read: list[tuple[ArticleHtml, tuple[float, float, float, float] | None]] = []
        for i in order:
            url, box = links.articles[i]
            got = self._fetch_or_fail(url, issue, label)
            read.append((parse_article(self._decode(got, label), url, self.site), box))
        text, split = assemble(read)
        self._splits[(issue.issue_date, ref.page)] = split
        return PageText.of(issue, ref, text, page_url, encoding)

    def read_split(self, issue: Issue, ref: PageRef, page: PageText) -> PageSplit | None:
        """The page's articles from its article pages (read by ``read_page``); None for a page read
        from its PDF (``page.kind == "pdf"``: the runner segments its text)."""
        key = (issue.issue_date, ref.page)
        if key not in self._splits:
            self.read_page(issue, ref)
        return self._splits.get(key)

    def read_raw(self, issue: Issue, ref: PageRef, limit: int) -> tuple[bytes, int] | None:
        """The page's HTML as downloaded (None if it never was), for a dead letter."""
        body = self.fetcher.cached(self._page_url(issue, ref), self.downloads_dir(issue.paper, issue.issue_date))
        return None if body is None else (body[:limit], len(body))

    # ------------------------------------------------------------------ helpers

    def _page_url(self, issue: Issue, ref: PageRef) -> str:
        if "://" in ref.file:
            return ref.file
        return self.site.url(self.site.page, self.base, issue.issue_date, page=ref.page)

    def _fetch_or_fail(self, url: str, issue: Issue, label: str) -> Fetched:
        try:
            return self._get(url, issue.paper, issue.issue_date)
        except Disallowed as exc:
            raise InvalidPage(label, f"{url}: not fetched, robots.txt disallows it") from exc
        except FetchError as exc:
            raise InvalidPage(label, f"{url}: {exc.reason}") from exc

    def _pdf_page(self, issue: Issue, ref: PageRef, label: str, pdf_url: str | None) -> PageText:
        if pdf_url is None and self.site.page_pdf:
            pdf_url = self.site.url(self.site.page_pdf, self.base, issue.issue_date, page=ref.page)
        if pdf_url is None:
            raise InvalidPage(label, "the page links no article pages and no page PDF")
        try:
            from pipeline.sources.pdf import extract_page
        except ImportError as exc:
            raise InvalidPage(
                label, f"the page has only a PDF ({pdf_url}) and PDF reading is not installed: {exc}"
            ) from exc
        got = self._fetch_or_fail(pdf_url, issue, label)
        if len(got.body) > self.max_page_bytes:
            raise InvalidPage(label, f"{pdf_url} is {len(got.body)} bytes, above the limit of {self.max_page_bytes}")
        text = extract_page(got.body, label).text
        if not text.strip():
            raise InvalidPage(label, f"{pdf_url} has no text")
        self._splits[(issue.issue_date, ref.page)] = None
        return PageText.of(issue, ref, text, pdf_url, "utf-8", kind="pdf")


def _links_named(html: str, base_url: str) -> list[tuple[str, str]]:
    from selectolax.lexbor import LexborHTMLParser

    out = []
    for node in LexborHTMLParser(html).css("a[href]"):
        href = str(node.attributes.get("href") or "").strip()
        if href:
            out.append((urldefrag(urljoin(base_url, href)).url, " ".join(node.text().split())))
    return out


def _links(html: str, base_url: str) -> list[str]:
    return [u for u, _ in _links_named(html, base_url)]
