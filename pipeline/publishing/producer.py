"""kafka-python adapter: topics, an idempotent acks=all producer, delivery that fails loudly.

Only this module knows ``kafka.errors``; driver errors leave it as ``PublishUnavailable``
(transient: the task retries) or ``PublishRejected`` (terminal).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any

from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError, UnknownError

from pipeline.config import KafkaSettings
from pipeline.errors import PublishRejected, PublishUnavailable
from pipeline.publishing.records import Record

log = logging.getLogger(__name__)

#: {topic: {partition: [first_offset, last_offset]}}
Offsets = dict[str, dict[int, list[int]]]


def _translate(exc: Exception, what: str) -> Exception:
    # UNKNOWN_SERVER_ERROR is what a broker answers while it is not itself (seen from tansu just
    # after a restart under load): transient, the task's retry republishes and _id absorbs repeats
    retriable = isinstance(exc, UnknownError) or (isinstance(exc, KafkaError) and exc.retriable)
    if isinstance(exc, (OSError, TimeoutError)) or retriable:
        return PublishUnavailable(f"{what}: {exc!r}")
    return PublishRejected(f"{what}: {exc!r}")


def ensure_topics(settings: KafkaSettings, topics: Iterable[str] | None = None) -> None:
    names = list(topics or (settings.articles_topic, settings.issues_topic, settings.deadletter_topic))
    try:
        bound = producer_timeouts(settings)
        admin = KafkaAdminClient(
            **settings.client_options()
            | {"request_timeout_ms": bound["request_timeout_ms"], "bootstrap_timeout_ms": bound["bootstrap_timeout_ms"]}
        )
    except (KafkaError, OSError) as exc:
        raise _translate(exc, "connecting to Kafka") from exc
    try:
        existing = set(admin.list_topics())
        missing = [
            NewTopic(name=n, num_partitions=settings.partitions, replication_factor=settings.replication_factor)
            for n in names
            if n not in existing
        ]
        if missing:
            try:
                admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass
            log.info("created topics %s", [t.name for t in missing])
    except KafkaError as exc:
        raise _translate(exc, "creating topics") from exc
    finally:
        admin.close()


def producer_timeouts(settings: KafkaSettings) -> dict[str, int]:
    """Every wait of a publish bounded by ``delivery_timeout_s``: a request never outlives the
    delivery (kafka-python refuses delivery <= linger + request), and a send that waits for
    metadata or buffer space (``max_block_ms``, 60 s by default) gives up with it."""
    delivery_ms = max(1000, int(settings.delivery_timeout_s * 1000))
    request_ms = max(500, min(settings.request_timeout_ms, delivery_ms - settings.linger_ms - 1))
    return {
        "delivery_timeout_ms": max(delivery_ms, request_ms + settings.linger_ms + 1),
        "request_timeout_ms": request_ms,
        "max_block_ms": delivery_ms,
        "bootstrap_timeout_ms": delivery_ms,
    }


def make_producer(settings: KafkaSettings) -> KafkaProducer:
    options: dict[str, Any] = settings.client_options()
    options.update(
        acks="all",
        enable_idempotence=True,
        retries=settings.retries,
        linger_ms=settings.linger_ms,
        compression_type=settings.compression_type,
        max_in_flight_requests_per_connection=5,
        **producer_timeouts(settings),
    )
    try:
        return KafkaProducer(**options)
    except (KafkaError, OSError) as exc:
        raise _translate(exc, "creating the Kafka producer") from exc


def send_all(producer: KafkaProducer, records: Iterable[Record], timeout_s: float) -> Offsets:
    """Send, flush, and check every delivery within ``timeout_s`` in all; return the offsets
    written per topic/partition."""
    futures = []
    deadline = time.monotonic() + timeout_s
    try:
        for rec in records:
            futures.append(producer.send(rec.topic, key=rec.key, value=rec.value, headers=rec.headers))
        producer.flush(timeout=max(0.1, deadline - time.monotonic()))
        offsets: Offsets = {}
        for fut in futures:
            meta = fut.get(timeout=max(0.1, deadline - time.monotonic()))
            part = offsets.setdefault(meta.topic, {}).setdefault(meta.partition, [meta.offset, meta.offset])
            part[0] = min(part[0], meta.offset)
            part[1] = max(part[1], meta.offset)
    except KafkaError as exc:
        raise _translate(exc, f"publishing {len(futures)} record(s)") from exc
    return offsets


def publish(settings: KafkaSettings, records: list[Record]) -> Offsets:
    producer = make_producer(settings)
    delivered = False
    try:
        offsets = send_all(producer, records, settings.delivery_timeout_s)
        delivered = True
        return offsets
    finally:
        close_producer(producer, 5.0 if delivered else 0.5)  # after a failure nothing is worth waiting for


def close_producer(producer: KafkaProducer, timeout_s: float = 5.0) -> None:
    """Close for good, even with records the broker never took: every record was acknowledged, or
    the send error is on its way out, and a close must not replace that outcome. kafka-python's
    close() raises from its flush when records are pending and leaves the producer open, so its
    ``__del__`` tries again later and prints "Exception ignored in KafkaProducer.__del__"; here
    the pending records are dropped (the sender's force close) and the close is done once."""
    try:
        producer.close(timeout=timeout_s)
        return
    except KafkaError as exc:
        log.warning("closing the Kafka producer: %r; dropping the records it still holds", exc)
    sender = getattr(producer, "_sender", None)
    if sender is not None:
        sender.force_close()  # aborts the incomplete batches: their futures fail, flush returns
        sender.join(timeout_s)
    try:
        producer.close(timeout=0.5)
    except KafkaError as exc:  # pragma: no cover - kafka-python internals changed
        log.warning("closing the Kafka producer again: %r", exc)
        producer._closed = True  # nothing more to close; keep __del__ from raising at exit


def wait_ready(bootstrap: str, timeout_s: float = 30.0) -> None:
    """Until a broker at ``bootstrap`` lists its topics; ``PublishUnavailable`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            admin = KafkaAdminClient(bootstrap_servers=[bootstrap], request_timeout_ms=3000)
            try:
                admin.list_topics()
                return
            finally:
                admin.close()
        except (KafkaError, OSError, ValueError) as exc:
            last = exc
            time.sleep(0.2)
    raise PublishUnavailable(f"Kafka at {bootstrap} not ready after {timeout_s}s: {last}")
