"""The dead-letter topic: where a page or an article that cannot go on is kept, whole, with why."""

from __future__ import annotations

from collections.abc import Callable

from kafka import KafkaProducer

from pipeline.config import KafkaSettings
from pipeline.models import DeadLetter
from pipeline.publishing.consumer import iter_topic
from pipeline.publishing.producer import ensure_topics, publish, send_all
from pipeline.publishing.records import deadletter_record

#: hands letters to the dead-letter topic; returns when every one is acknowledged, else raises
DeadLetterSink = Callable[[list[DeadLetter]], None]


def kafka_sink(settings: KafkaSettings, producer: Callable[[], KafkaProducer] | None = None) -> DeadLetterSink:
    """A sink on the dead-letter topic, through the run's producer when one is given (else a
    producer for each call)."""

    def sink(letters: list[DeadLetter]) -> None:
        if not letters:
            return
        records = [deadletter_record(settings.deadletter_topic, d) for d in letters]
        if producer is None:
            ensure_topics(settings)
            publish(settings, records)
        else:
            send_all(producer(), records, settings.delivery_timeout_s)

    return sink


def read_dead_letters(settings: KafkaSettings) -> list[tuple[tuple[int, int], DeadLetter]]:
    """Every letter on the topic with its (partition, offset), oldest first per partition."""
    return [
        ((rec.partition, rec.offset), DeadLetter.model_validate_json(rec.value))
        for rec in iter_topic(settings, settings.deadletter_topic)
        if rec.value is not None
    ]
