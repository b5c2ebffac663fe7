"""What the Airflow DAG's tasks decide and log, kept out of the DAG file (which only wires).

Each function takes plain values (settings, paper id, day, times) and logs at INFO what it did:
the day, the folder and the counts, so a green task's log says something.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from pipeline.config import Settings, load_paper
from pipeline.runner.staging import RunStaging, run_staging
from pipeline.runner.steps import IndexResult, PublishResult
from pipeline.sources import source_for

log = logging.getLogger("inkstream.dag")


@dataclass(frozen=True)
class IssueWait:
    """What the wait sensor does now: ``done`` (pages there), ``skip`` (no issue will come) or
    keep waiting (neither); ``reason`` says why, for the log."""

    done: bool
    skip: bool
    reason: str


def check_issue(settings: Settings, paper_id: str, day: date, due: datetime, now: datetime) -> IssueWait:
    """The issue of ``day`` is there, will not come (off the paper's calendar, or still missing
    ``settings.issue_wait_s`` after the run was ``due``), or may still come."""
    paper = load_paper(settings, paper_id)
    folder = source_for(settings, paper).where(paper.id, day)
    if not paper.calendar.publishes_on(day):
        wait = IssueWait(False, True, f"{paper.id} {day}: no issue on this day by the paper's calendar")
    elif source_for(settings, paper).is_ready(paper.id, day):
        wait = IssueWait(True, False, f"{paper.id} {day}: issue ready in {folder}")
    else:
        deadline = due + timedelta(seconds=settings.issue_wait_s)
        if now >= deadline:
            wait = IssueWait(
                False,
                True,
                f"{paper.id} {day}: no issue in {folder} by {deadline.isoformat()} "
                f"(due {due.isoformat()} + {settings.issue_wait_s:.0f} s): skipped",
            )
        else:
            wait = IssueWait(False, False, f"{paper.id} {day}: waiting for {folder} until {deadline.isoformat()}")
    log.info("%s", wait.reason)
    return wait


def plan(settings: Settings, paper_id: str, day: date) -> list[int]:
    from pipeline.runner.steps import plan_pages

    paper = load_paper(settings, paper_id)
    pages = plan_pages(settings, paper.id, day)
    log.info(
        "%s %s: %d page(s) %s in %s (%d expected)",
        paper.id,
        day,
        len(pages),
        pages,
        source_for(settings, paper).where(paper.id, day),
        paper.pages,
    )
    return pages


def publish(settings: Settings, paper_id: str, day: date, run_id: str, planned: list[int]) -> PublishResult:
    from pipeline.runner.steps import publish_issue

    res = publish_issue(settings, paper_id, day, run_id, planned=planned)
    log.info(
        "%s %s: published %d article(s) (%d entities, %d metrics, %d jump(s) joined) from pages %s "
        "of %s; failed pages %s; staged in %s; offsets %s",
        paper_id,
        day,
        res.articles,
        res.entities,
        res.metrics,
        res.jumps_joined,
        res.pages_ok,
        planned,
        res.pages_failed,
        run_staging(settings, paper_id, day, run_id),
        json.dumps(res.offsets),
    )
    return res


def index(settings: Settings, published: PublishResult) -> IndexResult:
    from pipeline.runner.steps import index_issue

    res = index_issue(settings, published)
    log.info(
        "%s: consumed %d record(s), indexed %d, dead-lettered %d, stale removed %d into %s",
        res.issue_id,
        res.consumed,
        res.indexed,
        res.dead_lettered,
        res.stale_removed,
        settings.es.index_name,
    )
    return res


def verify(settings: Settings, published: PublishResult, indexed: IndexResult) -> tuple[dict[str, Any], str | None]:
    """The run summary and, when a page failed or an article was dead-lettered or is missing from
    the index, why the run is incomplete (the CLI's exit status 3 rule): the caller fails the run."""
    from pipeline.runner.steps import verify_issue

    summary = verify_issue(settings, published, indexed)
    log.info(
        "%s: %d page(s) ok, %d failed, %d article(s), %d in the index, %d dead letter(s)",
        summary["issue_id"],
        summary["pages_ok"],
        len(summary["pages_failed"]),
        summary["articles"],
        summary["in_index"],
        summary["dead_letters"],
    )
    problems = incomplete(settings, published, summary)
    return summary, ("; ".join(problems) if problems else None)


def incomplete(settings: Settings, published: PublishResult, summary: dict[str, Any]) -> list[str]:
    """One line per failed page (with the reason its dead letter gave) and per count that falls short."""
    staged = run_staging(settings, published.paper, date.fromisoformat(published.issue_date), published.run_id)
    problems = [_page_failure(staged, page) for page in published.pages_failed]
    dead = summary["dead_letters"] - len(published.pages_failed)
    if dead > 0:
        problems.append(f"{dead} article(s) dead-lettered while indexing (see `inkstream deadletter list`)")
    if summary["in_index"] < summary["articles"] - max(dead, 0):
        problems.append(f"{summary['in_index']} of {summary['articles']} article(s) in the index")
    if problems:
        log.error(
            "%s is incomplete: the good pages are published and indexed, but:\n  %s",
            published.issue_id,
            "\n  ".join(problems),
        )
    return problems


def _page_failure(staged: RunStaging, page: int) -> str:
    err = staged.page_error(page)
    if err is None:
        return f"page {page}: failed (no error record in {staged}; see the process_page task's log)"
    return f"page {page} failed at {err.get('stage')}: {err.get('error')}"
