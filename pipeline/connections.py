"""Long-lived clients for a run of many issues: one producer and one Elasticsearch client, topics
and index checked once (a replay opens its own consumer). A stage given no ``Connections`` opens
its own and closes it (an Airflow task is one stage of one issue); ``inkstream run`` over a
backfill shares one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pipeline.config import Settings


class Connections:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._producer: Any = None
        self._es: Any = None
        self._index: str | None = None
        self._topics_ready = False

    def producer(self) -> Any:
        from pipeline.publishing.producer import ensure_topics, make_producer

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
            from pipeline.publishing.producer import close_producer

            close_quietly(lambda: close_producer(producer))

    def es(self) -> Any:
        from pipeline.indexing import client

        if self._es is None:
            self._es = client.make_client(self.settings.es)
        return self._es

    def index(self) -> str:
        """The write alias, template and index ensured once per run."""
        from pipeline.indexing import client

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


def close_quietly(fn: Any) -> None:
    """Closing after the outcome is known must not replace it (every record was acknowledged, or
    the real error is already on its way out)."""
    import logging

    try:
        fn()
    except Exception as exc:
        logging.getLogger(__name__).warning("closing a client: %r", exc)


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
