"""The issue registry: which article ids the index may hold for each issue, so a re-run that no
longer has an article removes it (the stale-article rule).

The registry is widened *before* indexing and narrowed after the stale ids are gone, so a crash at
any point leaves it a superset of what the index holds."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.config import Settings
from pipeline.indexing import client
from pipeline.indexing.indexer import IndexConnections, IndexReport, replay_many
from pipeline.publishing.producer import Offsets


@dataclass(frozen=True)
class IssueJob:
    """One published issue to index: its id, the article ids it now has, where they were published."""

    issue_id: str
    article_ids: tuple[str, ...]
    offsets: Offsets
    run_id: str


def index_replacing(settings: Settings, jobs: list[IssueJob], conn: IndexConnections) -> list[tuple[IndexReport, int]]:
    """Replay each issue's offsets into the index (one pass for all), then delete the articles an
    earlier run of the issue indexed and this one no longer has: (report, stale removed) per job."""
    es = conn.es()
    conn.index()
    previous = [set(client.known_ids(es, settings.es, j.issue_id)) for j in jobs]
    current = [set(j.article_ids) for j in jobs]
    for job, before, new in zip(jobs, previous, current, strict=True):
        if not new <= before:
            client.record_ids(es, settings.es, job.issue_id, before | new, job.run_id)
    reports = replay_many(settings, [(j.offsets, j.run_id) for j in jobs], conn)
    out = []
    for job, before, new, report in zip(jobs, previous, current, reports, strict=True):
        stale = before - new
        removed = client.delete_ids(es, settings.es, sorted(stale))
        if stale:
            client.record_ids(es, settings.es, job.issue_id, new, job.run_id)
        out.append((report, removed))
    return out
