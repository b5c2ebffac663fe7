"""Many issues in one run (``inkstream run``, a backfill, a replay): the window scheduler.

Pages of the next issues are processed by a pool while one is published; published issues are
indexed and verified a window at a time. The steps themselves are ``runner.steps``."""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pipeline.config import Settings
from pipeline.errors import InvalidPage, PipelineError
from pipeline.models import Issue
from pipeline.runner.connections import Connections, connections
from pipeline.runner.staging import run_staging
from pipeline.runner.steps import (
    PageResult,
    PublishResult,
    index_issues,
    plan_issue,
    process_page,
    publish_issue,
    verify_issue,
)


@dataclass
class IssueRun:
    pages: list[PageResult] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


def _page_or_failure(
    settings: Settings, paper_id: str, issue_date: date, page: int, run_id: str, issue: Issue | None = None
) -> PageResult:
    try:
        return process_page(settings, paper_id, issue_date, page, run_id, issue)
    except InvalidPage as exc:
        return PageResult(page=page, ok=False, error=str(exc))


def run_issue(
    settings: Settings,
    paper_id: str,
    issue_date: date,
    run_id: str,
    progress: Any = None,
    pool: Any = None,
    conn: Connections | None = None,
) -> IssueRun:
    """The whole pipeline for one issue, without Airflow; a failure raises."""
    for _, outcome in run_issues(settings, paper_id, [issue_date], run_id, pool=pool, progress=progress, conn=conn):
        if isinstance(outcome, Exception):
            raise outcome
        return outcome
    raise AssertionError("unreachable: one date in, one outcome out")


def run_issues(
    settings: Settings,
    paper_id: str,
    days: Iterable[date],
    run_id: str,
    pool: Executor | None = None,
    progress: Any = None,
    lookahead: int | None = None,
    index_window: int = 32,
    conn: Connections | None = None,
) -> Iterator[tuple[date, IssueRun | PipelineError]]:
    """The pipeline for many issues (what ``inkstream run`` and a backfill do), one outcome per day,
    in date order.

    With a ``pool`` (one process per core, dictionaries loaded once per worker) the pages of the
    next ``lookahead`` issues (default: a window and two) are processed while this one is published
    and while a window is indexed, on one set of connections.
    Published issues are indexed and verified ``index_window`` at a time: the index sees a burst of
    writes and then a quiet spell, instead of a trickle (a store that persists on a timer while it
    has unsaved writes, as the local test server does, saves once per window rather than once per
    second). Memory stays flat: at most ``lookahead + 1`` issues are in flight, their pages live in
    the staging folder (a future holds a page's small receipt), and a window holds publish
    receipts. A failed issue is reported, not raised, and the run goes on. Documents become
    searchable at the latest after the last issue (one refresh), not after each."""
    days = list(days)
    lookahead = index_window + 2 if lookahead is None else lookahead
    started: deque[tuple[date, list[int] | PipelineError, list[Any]]] = deque()
    window: list[tuple[date, IssueRun | PipelineError, PublishResult | None]] = []

    def start(day: date) -> None:
        try:
            issue = plan_issue(settings, paper_id, day)
        except PipelineError as exc:
            started.append((day, exc, []))
            return
        pages = [p.page for p in issue.pages]
        run_staging(settings, paper_id, day, run_id).clear()
        args = [(settings, paper_id, day, p, run_id, issue) for p in pages]
        futures = [pool.submit(_page_or_failure, *a) for a in args] if pool is not None else args
        started.append((day, pages, futures))

    def flush(conn: Connections, last: bool) -> Iterator[tuple[date, IssueRun | PipelineError]]:
        ready = [(n, p) for n, (_, outcome, p) in enumerate(window) if p is not None]
        outcomes: list[IssueRun | PipelineError] = [outcome for _, outcome, _ in window]
        try:
            indexed = index_issues(settings, [p for _, p in ready], conn=conn) if ready else []
        except PipelineError as exc:
            for n, _ in ready:
                outcomes[n] = exc
            indexed = []
        for k, ((n, published), result) in enumerate(zip(ready, indexed, strict=False)):
            run = outcomes[n]
            assert isinstance(run, IssueRun)
            try:  # searchable after the last issue: one refresh, before the last verification
                run.summary = verify_issue(settings, published, result, conn=conn, refresh=last and k == len(ready) - 1)
            except PipelineError as exc:
                outcomes[n] = exc
        yield from ((day, outcome) for (day, _, _), outcome in zip(window, outcomes, strict=True))
        window.clear()

    ahead = iter(days)
    with connections(settings, conn) as conn:
        for day in itertools.islice(ahead, lookahead + 1):
            start(day)
        while started:
            day, pages, futures = started.popleft()
            nxt = next(ahead, None)
            if nxt is not None:
                start(nxt)  # keep the workers busy while this issue is published
            if isinstance(pages, PipelineError):
                window.append((day, pages, None))
            else:
                result = IssueRun()
                try:
                    for work in futures:
                        result.pages.append(work.result() if pool is not None else _page_or_failure(*work))
                        if progress is not None:
                            progress()
                    published = publish_issue(settings, paper_id, day, run_id, planned=pages, conn=conn)
                    window.append((day, result, published))
                except PipelineError as exc:
                    window.append((day, exc, None))
            if started and sum(1 for *_, p in window if p is not None) < max(1, index_window):
                continue
            yield from flush(conn, last=not started)
