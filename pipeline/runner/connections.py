"""The one object that owns a run's connections: one producer and one Elasticsearch client,
topics and index checked once (a replay opens its own consumer). A step given no ``Connections``
opens its own and closes it (an Airflow task is one step of one issue); ``inkstream run`` over a
backfill shares one and passes it down.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from pipeline.config import Settings
from pipeline.indexing import client
from pipeline.publishing.deadletters import DeadLetterSink, kafka_sink
from pipeline.publishing.producer import close_producer, ensure_topics, make_producer

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch
    from kafka import KafkaProducer

log = logging.getLogger(__name__)


class Connections:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._producer: KafkaProducer | None = None
        self._es: Elasticsearch | None = None
        self._index: str | None = None
        self._topics_ready = False

    def producer(self) -> KafkaProducer:
        if not self._topics_ready:
            ensure_topics(self.settings.kafka)
            self._topics_ready = True
        if self._producer is None:
            self._producer = make_producer(self.settings.kafka)
        return self._producer

    def discard_producer(self) -> None:
        """After a failed send: the next issue gets a fresh producer (a new idempotence epoch)."""
        producer, self._producer = self._producer, None
        if producer is not None:
            close_quietly(lambda: close_producer(producer))

    def dead_letters(self) -> DeadLetterSink:
        """A sink on the dead-letter topic through this run's producer."""
        return kafka_sink(self.settings.kafka, self.producer)

    def es(self) -> Elasticsearch:
        if self._es is None:
            self._es = client.make_client(self.settings.es)
        return self._es

    def index(self) -> str:
        """The write alias, template and index ensured once per run."""
        if self._index is None:
            self._index = client.ensure_index(self.es(), self.settings.es)
        return self._index

    def __enter__(self) -> Connections:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.discard_producer()
        es, self._es = self._es, None
        if es is not None:
            close_quietly(es.close)


def close_quietly(fn: Callable[[], object]) -> None:
    """Closing after the outcome is known must not replace it (every record was acknowledged, or
    the real error is already on its way out)."""
    try:
        fn()
    except Exception as exc:
        log.warning("closing a client: %r", exc)


@contextmanager
def connections(settings: Settings, shared: Connections | None = None) -> Iterator[Connections]:
    """``shared`` if given (the caller closes it), else a fresh set closed on exit."""
    if shared is not None:
        yield shared
        return
    own = Connections(settings)
    try:
        yield own
    finally:
        own.close()
