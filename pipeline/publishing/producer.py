"""kafka-python adapter: topics, an idempotent acks=all producer, delivery that fails loudly.

Only this module knows ``kafka.errors``; driver errors leave it as ``PublishUnavailable``
(transient: the task retries) or ``PublishRejected`` (terminal).
"""

from __future__ import annotations

import logging
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
        admin = KafkaAdminClient(**settings.client_options())
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


def make_producer(settings: KafkaSettings) -> KafkaProducer:
    options: dict[str, Any] = settings.client_options()
    options.update(
        acks="all",
        enable_idempotence=True,
        retries=settings.retries,
        linger_ms=settings.linger_ms,
        compression_type=settings.compression_type,
        max_in_flight_requests_per_connection=5,
        delivery_timeout_ms=int(settings.delivery_timeout_s * 1000),
    )
    try:
        return KafkaProducer(**options)
    except (KafkaError, OSError) as exc:
        raise _translate(exc, "creating the Kafka producer") from exc


def send_all(producer: KafkaProducer, records: Iterable[Record], timeout_s: float) -> Offsets:
    """Send, flush, and check every delivery; return the offsets written per topic/partition."""
    futures = []
    try:
        for rec in records:
            futures.append(producer.send(rec.topic, key=rec.key, value=rec.value, headers=rec.headers))
        producer.flush(timeout=timeout_s)
        offsets: Offsets = {}
        for fut in futures:
            meta = fut.get(timeout=timeout_s)
            part = offsets.setdefault(meta.topic, {}).setdefault(meta.partition, [meta.offset, meta.offset])
            part[0] = min(part[0], meta.offset)
            part[1] = max(part[1], meta.offset)
    except KafkaError as exc:
        raise _translate(exc, f"publishing {len(futures)} record(s)") from exc
    return offsets


def publish(settings: KafkaSettings, records: list[Record]) -> Offsets:
    producer = make_producer(settings)
    try:
        return send_all(producer, records, settings.delivery_timeout_s)
    finally:
        try:
            producer.close(timeout=5)
        except KafkaError as exc:
            # every record was already acknowledged (or the send error is on its way out):
            # a close that times out must not replace that outcome
            log.warning("closing the Kafka producer: %r", exc)
