"""Kafka -> Elasticsearch. One code path, two modes:

* bounded: replay exactly the offsets a publish returned (the DAG's index task; no group);
* follow: a consumer group; offsets committed only after the bulk succeeded (the service).

Both are idempotent (``_id = article_id``). A document Elasticsearch rejects goes to the
dead-letter topic with the full original event; if that publish fails, the task fails.
Records come from ``publishing.consumer`` (all Kafka code is there); this module knows only
Elasticsearch, through ``indexing.client``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from elasticsearch import Elasticsearch
from pydantic import ValidationError

from pipeline.clock import now
from pipeline.config import Settings
from pipeline.indexing import client
from pipeline.indexing.actions import delete_action, index_action
from pipeline.models import ArticleEvent, DeadLetter
from pipeline.publishing.consumer import Consumed, Ranges, follow_group, read_ranges
from pipeline.publishing.deadletters import DeadLetterSink, kafka_sink
from pipeline.publishing.producer import Offsets

log = logging.getLogger(__name__)


class IndexConnections(Protocol):
    """What indexing needs of a run's connections (``runner.connections.Connections``)."""

    def es(self) -> Elasticsearch: ...

    def index(self) -> str: ...

    def dead_letters(self) -> DeadLetterSink: ...


@dataclass
class IndexReport:
    consumed: int = 0
    indexed: int = 0
    deleted: int = 0
    dead_lettered: int = 0

    def add(self, other: IndexReport) -> None:
        self.consumed += other.consumed
        self.indexed += other.indexed
        self.deleted += other.deleted
        self.dead_lettered += other.dead_lettered


def _letter(rec: Consumed, run_id: str, error_type: str, reason: str) -> DeadLetter:
    value = rec.value
    return DeadLetter(
        run_id=run_id,
        produced_at=now(),
        stage="index",
        error_type=error_type,
        reason=reason,
        key=rec.key.decode("utf-8", "replace") if rec.key else None,
        original=value.decode("utf-8", "replace") if value is not None else None,
        original_encoding="json",
        source_topic=rec.topic,
        source_partition=rec.partition,
        source_offset=rec.offset,
    )


def index_batch(
    records: list[Consumed],
    settings: Settings,
    es: Elasticsearch,
    index: str,
    run_id: str,
    dead_letter: DeadLetterSink,
) -> IndexReport:
    """Index one batch of consumed records; rejected ones are dead-lettered before returning."""
    report = IndexReport(consumed=len(records))
    actions: list[dict[str, Any]] = []
    by_id: dict[str, Consumed] = {}
    letters: list[DeadLetter] = []
    for rec in records:
        if rec.value is None:  # tombstone: the article no longer exists
            article = (rec.key or b"").decode("utf-8")
            actions.append(delete_action(index, article))
            by_id[article] = rec
            continue
        try:
            event = ArticleEvent.model_validate_json(rec.value)
        except ValidationError as exc:
            letters.append(_letter(rec, run_id, "invalid_event", str(exc)[:2000]))
            continue
        actions.append(index_action(index, event))
        by_id[event.article_id] = rec
    result = client.bulk(es, actions, settings.es)
    report.indexed, report.deleted = result.indexed, result.deleted
    for failure in result.failures:
        found = by_id.get(str(failure.get("_id")))
        error = failure.get("error", {})
        reason = json.dumps(error, ensure_ascii=False)[:2000] if not isinstance(error, str) else error
        if found is not None:
            letters.append(_letter(found, run_id, "rejected_by_elasticsearch", reason))
    if letters:
        dead_letter(letters)
        report.dead_lettered = len(letters)
        log.warning("dead-lettered %d record(s): %s", len(letters), sorted({d.error_type for d in letters}))
    return report


def replay(
    settings: Settings,
    offsets: Offsets,
    run_id: str,
    conn: IndexConnections | None = None,
    timeout_s: float = 120.0,
) -> IndexReport:
    """Bounded mode: index exactly ``offsets[articles_topic]`` (inclusive ranges)."""
    return replay_many(settings, [(offsets, run_id)], conn, timeout_s)[0]


def replay_many(
    settings: Settings,
    jobs: list[tuple[Offsets, str]],
    conn: IndexConnections | None = None,
    timeout_s: float = 120.0,
) -> list[IndexReport]:
    """Bounded mode for several publishes at once (``(offsets, run_id)`` each, e.g. the issues of a
    backfill window): one pass over each partition from the first wanted offset to the last,
    indexing only records inside a job's ranges (another writer's records in between are skipped),
    one report per job. Without ``conn`` a client of its own is opened and closed."""
    topic = settings.kafka.articles_topic
    ranges: Ranges = {}
    for n, (offsets, _) in enumerate(jobs):
        for p, r in offsets.get(topic, {}).items():
            ranges.setdefault(int(p), []).append((int(r[0]), int(r[1]), n))
    reports = [IndexReport() for _ in jobs]
    if not ranges:
        return reports
    es, index, sink, own = _targets(settings, conn)
    try:
        for n, batch in read_ranges(settings.kafka, topic, ranges, settings.es.bulk_chunk_size, timeout_s):
            reports[n].add(index_batch(batch, settings, es, index, jobs[n][1], sink))
    finally:
        if own:
            es.close()
    return reports


def _targets(settings: Settings, conn: IndexConnections | None) -> tuple[Elasticsearch, str, DeadLetterSink, bool]:
    if conn is not None:
        return conn.es(), conn.index(), conn.dead_letters(), False
    es = client.make_client(settings.es)
    return es, client.ensure_index(es, settings.es), kafka_sink(settings.kafka), True


def follow(
    settings: Settings,
    run_id: str,
    stop: Callable[[], bool] = lambda: False,
    on_batch: Callable[[IndexReport], None] | None = None,
    conn: IndexConnections | None = None,
) -> IndexReport:
    """Follow mode: consumer group; commit only after the batch is indexed (or dead-lettered)."""
    es, index, sink, own = _targets(settings, conn)
    total = IndexReport()

    def handle(batch: list[Consumed]) -> None:
        report = index_batch(batch, settings, es, index, run_id, sink)
        total.add(report)
        if on_batch:
            on_batch(report)

    try:
        follow_group(
            settings.kafka,
            settings.kafka.articles_topic,
            settings.kafka.consumer_group,
            handle,
            stop,
            settings.es.bulk_chunk_size,
        )
    finally:
        if own:
            es.close()
    return total
