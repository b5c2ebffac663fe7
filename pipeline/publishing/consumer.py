"""kafka-python consumers: bounded replays of published offset ranges, a consumer group that
commits after each batch is handled, and reading a whole topic. Driver errors leave this module as
``ConsumeUnavailable`` (transient); records leave it as ``Consumed`` (no kafka-python types)."""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from pipeline.config import KafkaSettings
from pipeline.errors import ConsumeUnavailable


@dataclass(frozen=True)
class Consumed:
    """One record read from a topic (``value`` None: a tombstone)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


def _consumed(rec: Any) -> Consumed:
    return Consumed(rec.topic, rec.partition, rec.offset, rec.key, rec.value)


def _consumer(settings: KafkaSettings, **extra: Any) -> KafkaConsumer:
    options = settings.client_options()
    options.update(enable_auto_commit=False, auto_offset_reset="earliest", **extra)
    try:
        return KafkaConsumer(**options)
    except (KafkaError, OSError) as exc:
        raise ConsumeUnavailable(f"connecting a Kafka consumer: {exc!r}") from exc


def _close(consumer: KafkaConsumer, **kwargs: Any) -> None:
    try:  # closing must not replace the read's own outcome
        consumer.close(**kwargs)
    except Exception:
        pass


#: {partition: [(first offset, last offset, job), …]} of one topic
Ranges = dict[int, list[tuple[int, int, int]]]


def read_ranges(
    settings: KafkaSettings, topic: str, ranges: Ranges, batch_size: int, timeout_s: float
) -> Iterator[tuple[int, list[Consumed]]]:
    """The records inside the inclusive offset ranges (each tagged with a job number), as
    ``(job, batch)`` pairs: one pass over each partition from the first wanted offset to the last;
    other writers' records between the ranges are skipped. ``ConsumeUnavailable`` if the last
    offsets are not reached within ``timeout_s``."""
    spans = {TopicPartition(topic, p): sorted(r) for p, r in ranges.items() if r}
    if not spans:
        return

    def job_of(tp: TopicPartition, offset: int) -> int | None:
        rs = spans[tp]
        i = bisect.bisect_right(rs, (offset, float("inf"))) - 1
        return rs[i][2] if i >= 0 and rs[i][0] <= offset <= rs[i][1] else None

    # a consumer of its own for each replay: kafka-python 3.0.12 keeps prefetched records of
    # paused partitions, and a later seek on the same consumer can leave a partition never
    # fetched again (a reused consumer hung the 5th replay in a row)
    consumer = _consumer(settings, group_id=None)
    try:
        consumer.assign(list(spans))
        for tp, rs in spans.items():
            consumer.seek(tp, rs[0][0])
        pending = {tp: max(last for _, last, _ in rs) for tp, rs in spans.items()}
        deadline = time.monotonic() + timeout_s
        while pending:
            if time.monotonic() > deadline:
                raise ConsumeUnavailable(f"replay did not reach the published offsets: {pending}")
            polled = consumer.poll(timeout_ms=1000, max_records=batch_size)
            batches: dict[int, list[Consumed]] = {}
            for tp, recs in polled.items():
                if tp not in pending:
                    continue
                end = pending[tp]
                for r in recs:
                    n = job_of(tp, r.offset) if r.offset <= end else None
                    if n is not None:
                        batches.setdefault(n, []).append(_consumed(r))
                if any(r.offset >= end for r in recs):
                    pending.pop(tp)
                    consumer.pause(tp)
            yield from sorted(batches.items())
    except KafkaError as exc:
        raise ConsumeUnavailable(f"reading from Kafka: {exc!r}") from exc
    finally:
        _close(consumer)


def follow_group(
    settings: KafkaSettings,
    topic: str,
    group: str,
    handle: Callable[[list[Consumed]], None],
    stop: Callable[[], bool],
    batch_size: int,
) -> None:
    """Consume ``topic`` as member of ``group`` until ``stop()``: each batch is handed to
    ``handle`` and committed only after it returns (at least once)."""
    consumer = _consumer(settings, group_id=group, session_timeout_ms=6000, heartbeat_interval_ms=1000)
    try:
        consumer.subscribe([topic])
        while not stop():
            polled = consumer.poll(timeout_ms=1000, max_records=batch_size)
            batch = [_consumed(r) for recs in polled.values() for r in recs]
            if batch:
                handle(batch)
                consumer.commit()
    except KafkaError as exc:
        raise ConsumeUnavailable(f"reading from Kafka: {exc!r}") from exc
    finally:
        _close(consumer, autocommit=False)


def iter_topic(settings: KafkaSettings, topic: str, timeout_s: float = 5.0) -> Iterator[Consumed]:
    """A whole topic from the beginning (for ``deadletter list``); no group, no commits."""
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
                yield from (_consumed(r) for r in recs)
                if recs and recs[-1].offset >= end[tp] - 1:
                    remaining.discard(tp)
    except KafkaError as exc:
        raise ConsumeUnavailable(f"reading {topic}: {exc!r}") from exc
    finally:
        _close(consumer)
