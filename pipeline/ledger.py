"""Operators' views: the per-issue completeness ledger (one summary per run) and the dead letters."""

from __future__ import annotations

import json
from typing import Any

from pipeline.config import Settings
from pipeline.models import ArticleEvent, DeadLetter


def read_ledger(settings: Settings, paper: str | None = None, issue_date: str | None = None) -> list[dict[str, Any]]:
    """Every run's summary.json under the staging folder, oldest first."""
    rows = []
    pattern = f"{paper or '*'}/{issue_date or '*'}/*/summary.json"
    for path in settings.staging_dir.glob(pattern):
        row = json.loads(path.read_text(encoding="utf-8"))
        row["_mtime"] = path.stat().st_mtime
        rows.append(row)
    rows.sort(key=lambda r: (r["issue_id"], r["_mtime"]))
    return rows


def read_dead_letters(settings: Settings) -> list[tuple[tuple[int, int], DeadLetter]]:
    from pipeline.indexing.indexer import iter_topic

    return [
        ((rec.partition, rec.offset), DeadLetter.model_validate_json(rec.value))
        for rec in iter_topic(settings, settings.kafka.deadletter_topic)
        if rec.value is not None
    ]


def replay_dead_letters(settings: Settings, stage: str | None = None) -> dict[str, Any]:
    """Index letters: republish the original event and index exactly those offsets (idempotent by
    article_id). Page letters: re-run the whole issue (a newer run supersedes the old one)."""
    from pipeline.indexing import replay
    from pipeline.publishing import article_record, ensure_topics, publish
    from pipeline.publishing.records import now
    from pipeline.stages import run_issue

    letters = [d for _, d in read_dead_letters(settings) if stage is None or d.stage == stage]
    run_id = "replay__" + now().strftime("%Y%m%dT%H%M%S")
    events = []
    for letter in letters:
        if letter.stage == "index" and letter.original:
            event = ArticleEvent.model_validate_json(letter.original)
            events.append(event.model_copy(update={"run_id": run_id, "produced_at": now()}))
    result: dict[str, Any] = {"run_id": run_id, "index_letters": len(events), "reindexed": 0, "failed_again": 0}
    if events:
        ensure_topics(settings.kafka)
        offsets = publish(settings.kafka, [article_record(settings.kafka.articles_topic, e) for e in events])
        report = replay(settings, offsets, run_id)
        result["reindexed"], result["failed_again"] = report.indexed, report.dead_lettered
    issues = sorted({(d.paper, d.issue_date) for d in letters if d.stage != "index" and d.paper and d.issue_date})
    result["issues_rerun"] = [run_issue(settings, paper, day, run_id).summary for paper, day in issues]
    return result
