"""What the runner needs from a source of issues (a folder, an e-paper website, …)."""

from __future__ import annotations

from datetime import date
from typing import Protocol, runtime_checkable

from pipeline.models import Issue, PageRef, PageSplit, PageText


@runtime_checkable
class Source(Protocol):
    """A paper's issues as pages. Every method may raise ``SourceNotReady`` (the issue is not out
    yet: the sensor keeps waiting) or ``InvalidPage`` (that page fails, not the issue)."""

    def where(self, paper: str, issue_date: date) -> str:
        """Where the issue is looked for (a folder, a URL), for log lines and errors."""
        ...

    def available_dates(self, paper: str) -> list[date]: ...

    def is_ready(self, paper: str, issue_date: date) -> bool: ...

    def get_issue(self, paper: str, issue_date: date) -> Issue: ...

    def read_page(self, issue: Issue, ref: PageRef) -> PageText: ...

    def read_raw(self, issue: Issue, ref: PageRef, limit: int) -> tuple[bytes, int] | None:
        """The first ``limit`` bytes of the page as delivered and its whole size, for a dead letter."""
        ...


@runtime_checkable
class ArticleSource(Source, Protocol):
    """A source that knows a page's articles exactly (one HTML page per article on an e-paper
    site): the runner takes its split instead of segmenting the page text."""

    def read_split(self, issue: Issue, ref: PageRef, page: PageText) -> PageSplit | None:
        """The page's articles and blocks, or None when this page has none to give (then the
        page text is segmented as usual)."""
        ...
