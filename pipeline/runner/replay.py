"""Replaying the dead-letter topic through the runner's steps."""

from __future__ import annotations

from typing import Any

from pipeline.clock import now
from pipeline.config import Settings
from pipeline.indexing.indexer import replay
from pipeline.models import ArticleEvent
from pipeline.publishing.deadletters import read_dead_letters
from pipeline.publishing.producer import send_all
from pipeline.publishing.records import article_record
from pipeline.runner.backfill import run_issue
from pipeline.runner.connections import Connections


def replay_dead_letters(settings: Settings, stage: str | None = None) -> dict[str, Any]:
    """Index letters: republish the original event and index exactly those offsets (idempotent by
    article_id). Page letters: re-run the whole issue (a newer run supersedes the old one)."""
    letters = [d for _, d in read_dead_letters(settings.kafka) if stage is None or d.stage == stage]
    run_id = "replay__" + now().strftime("%Y%m%dT%H%M%S")
    events = []
    for letter in letters:
        if letter.stage == "index" and letter.original:
            event = ArticleEvent.model_validate_json(letter.original)
            events.append(event.model_copy(update={"run_id": run_id, "produced_at": now()}))
    result: dict[str, Any] = {"run_id": run_id, "index_letters": len(events), "reindexed": 0, "failed_again": 0}
    with Connections(settings) as conn:
        if events:
            records = [article_record(settings.kafka.articles_topic, e) for e in events]
            offsets = send_all(conn.producer(), records, settings.kafka.delivery_timeout_s)
            report = replay(settings, offsets, run_id, conn=conn)
            result["reindexed"], result["failed_again"] = report.indexed, report.dead_lettered
        issues = sorted({(d.paper, d.issue_date) for d in letters if d.stage != "index" and d.paper and d.issue_date})
        result["issues_rerun"] = [run_issue(settings, paper, day, run_id, conn=conn).summary for paper, day in issues]
    return result
