"""Kafka -> Elasticsearch. One code path, two modes:

* bounded: replay exactly the offsets a publish returned (the DAG's index task; no group);
* follow: a consumer group; offsets committed only after the bulk succeeded (the service).

Both are idempotent (``_id = article_id``). A document Elasticsearch rejects goes to the
dead-letter topic with the full original event; if that publish fails, the task fails.
"""

from __future__ import annotations

import bisect
import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError
from pydantic import ValidationError

from pipeline.config import Settings
from pipeline.connections import Connections, close_quietly, connections
from pipeline.errors import IndexUnavailable, PublishUnavailable
from pipeline.indexing import client
from pipeline.indexing.actions import delete_action, index_action
from pipeline.models import ArticleEvent, DeadLetter
from pipeline.publishing import Offsets, deadletter_record, publish
from pipeline.publishing.records import now

log = logging.getLogger(__name__)
DeadLetterSink = Callable[[list[DeadLetter]], None]


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


def kafka_deadletter_sink(settings: Settings) -> DeadLetterSink:
    def sink(letters: list[DeadLetter]) -> None:
        if letters:
            publish(settings.kafka, [deadletter_record(settings.kafka.deadletter_topic, d) for d in letters])

    return sink


def _letter(rec: Any, run_id: str, error_type: str, reason: str) -> DeadLetter:
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
    records: list[Any], settings: Settings, es: Any, index: str, run_id: str, dead_letter: DeadLetterSink
) -> IndexReport:
    """Index one batch of consumer records; rejected ones are dead-lettered before returning."""
    report = IndexReport(consumed=len(records))
    actions: list[dict[str, Any]] = []
    by_id: dict[str, Any] = {}
    letters: list[DeadLetter] = []
    for rec in records:
        if rec.value is None:  # tombstone: the article no longer exists
            article = rec.key.decode("utf-8")
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
        rec = by_id.get(str(failure.get("_id")))
        error = failure.get("error", {})
        reason = json.dumps(error, ensure_ascii=False)[:2000] if not isinstance(error, str) else error
        if rec is not None:
            letters.append(_letter(rec, run_id, "rejected_by_elasticsearch", reason))
    if letters:
        dead_letter(letters)
        report.dead_lettered = len(letters)
        log.warning("dead-lettered %d record(s): %s", len(letters), sorted({d.error_type for d in letters}))
    return report


def _consumer(settings: Settings, **extra: Any) -> KafkaConsumer:
    options = settings.kafka.client_options()
    options.update(enable_auto_commit=False, auto_offset_reset="earliest", **extra)
    try:
        return KafkaConsumer(**options)
    except (KafkaError, OSError) as exc:
        raise PublishUnavailable(f"connecting a Kafka consumer: {exc!r}") from exc


def replay(
    settings: Settings,
    offsets: Offsets,
    run_id: str,
    dead_letter: DeadLetterSink | None = None,
    timeout_s: float = 120.0,
    conn: Connections | None = None,
) -> IndexReport:
    """Bounded mode: index exactly ``offsets[articles_topic]`` (inclusive ranges)."""
    return replay_many(settings, [(offsets, run_id)], dead_letter, timeout_s, conn)[0]


def replay_many(
    settings: Settings,
    jobs: list[tuple[Offsets, str]],
    dead_letter: DeadLetterSink | None = None,
    timeout_s: float = 120.0,
    conn: Connections | None = None,
) -> list[IndexReport]:
    """Bounded mode for several publishes at once (``(offsets, run_id)`` each, e.g. the issues of a
    backfill window): one pass over each partition from the first wanted offset to the last,
    indexing only records inside a job's ranges (another writer's records in between are skipped),
    one report per job."""
    dead_letter = dead_letter or kafka_deadletter_sink(settings)
    ranges: dict[TopicPartition, list[tuple[int, int, int]]] = {}  # tp -> [(first, last, job)]
    topic = settings.kafka.articles_topic
    for n, (offsets, _) in enumerate(jobs):
        for p, r in offsets.get(topic, {}).items():
            ranges.setdefault(TopicPartition(topic, int(p)), []).append((int(r[0]), int(r[1]), n))
    for spans in ranges.values():
        spans.sort()
    reports = [IndexReport() for _ in jobs]
    if not ranges:
        return reports

    def job_of(tp: TopicPartition, offset: int) -> int | None:
        spans = ranges[tp]
        i = bisect.bisect_right(spans, (offset, float("inf"))) - 1
        return spans[i][2] if i >= 0 and spans[i][0] <= offset <= spans[i][1] else None

    with connections(settings, conn) as c:
        es, index = c.es(), c.index()
        # a consumer of its own for each replay: kafka-python 3.0.12 keeps prefetched records of
        # paused partitions, and a later seek on the same consumer can leave a partition never
        # fetched again (a reused consumer hung the 5th replay in a row)
        consumer = _consumer(settings, group_id=None)
        try:
            consumer.assign(list(ranges))
            for tp, spans in ranges.items():
                consumer.seek(tp, spans[0][0])
            pending = {tp: max(last for _, last, _ in spans) for tp, spans in ranges.items()}
            deadline = time.monotonic() + timeout_s
            while pending:
                if time.monotonic() > deadline:
                    raise IndexUnavailable(f"replay did not reach the published offsets: {pending}")
                polled = consumer.poll(timeout_ms=1000, max_records=settings.es.bulk_chunk_size)
                batches: dict[int, list[Any]] = {}
                for tp, recs in polled.items():
                    if tp not in pending:
                        continue
                    end = pending[tp]
                    for r in recs:
                        n = job_of(tp, r.offset) if r.offset <= end else None
                        if n is not None:
                            batches.setdefault(n, []).append(r)
                    if any(r.offset >= end for r in recs):
                        pending.pop(tp)
                        consumer.pause(tp)
                for n, batch in sorted(batches.items()):
                    reports[n].add(index_batch(batch, settings, es, index, jobs[n][1], dead_letter))
        except KafkaError as exc:
            raise PublishUnavailable(f"reading from Kafka: {exc!r}") from exc
        finally:
            close_quietly(consumer.close)  # must not replace the replay's own outcome
    return reports


def follow(
    settings: Settings,
    run_id: str,
    stop: Callable[[], bool] = lambda: False,
    dead_letter: DeadLetterSink | None = None,
    on_batch: Callable[[IndexReport], None] | None = None,
) -> IndexReport:
    """Follow mode: consumer group; commit only after the batch is indexed (or dead-lettered)."""
    dead_letter = dead_letter or kafka_deadletter_sink(settings)
    es = client.make_client(settings.es)
    index = client.ensure_index(es, settings.es)
    consumer = _consumer(
        settings, group_id=settings.kafka.consumer_group, session_timeout_ms=6000, heartbeat_interval_ms=1000
    )
    total = IndexReport()
    try:
        consumer.subscribe([settings.kafka.articles_topic])
        while not stop():
            polled = consumer.poll(timeout_ms=1000, max_records=settings.es.bulk_chunk_size)
            batch = [r for recs in polled.values() for r in recs]
            if not batch:
                continue
            report = index_batch(batch, settings, es, index, run_id, dead_letter)
            consumer.commit()
            total.add(report)
            if on_batch:
                on_batch(report)
    except KafkaError as exc:
        raise PublishUnavailable(f"reading from Kafka: {exc!r}") from exc
    finally:
        consumer.close(autocommit=False)
        es.close()
    return total


def iter_topic(settings: Settings, topic: str, timeout_s: float = 5.0) -> Iterable[Any]:
    """Read a whole topic from the beginning (for ``deadletter list``); no group, no commits."""
    consumer = _consumer(settings, group_id=None, consumer_timeout_ms=int(timeout_s * 1000))
    try:
        parts = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in parts]
        if not tps:  # no such topic yet (a broker that never saw a dead letter): nothing to read
            return
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        end = consumer.end_offsets(tps)
        remaining = {tp for tp in tps if end[tp] > 0}
        while remaining:
            polled = consumer.poll(timeout_ms=int(timeout_s * 1000))
            if not polled:
                break
            for tp, recs in polled.items():
                yield from recs
                if recs and recs[-1].offset >= end[tp] - 1:
                    remaining.discard(tp)
    finally:
        consumer.close()
