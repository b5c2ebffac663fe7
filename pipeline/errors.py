"""Exceptions raised on purpose by ``pipeline``.

* PipelineError
  + TransientError          retrying the same input may succeed (drives Airflow retries)
    - SourceNotReady        the issue is not there yet
    - PublishUnavailable    Kafka unreachable / timed out while writing
    - ConsumeUnavailable    Kafka unreachable / timed out while reading
    - IndexUnavailable      Elasticsearch unreachable, 429 / 5xx after retries
  + TerminalError           retrying cannot help (the DAG fails fast)
    - ConfigError
    - InvalidPage           one page cannot be decoded / segmented (that page only)
    - PublishRejected       Kafka refused a record (too large, not authorised)
    - IndexRejected         Elasticsearch refused documents (mapping conflict …)
    - QueryRejected         Elasticsearch refused a search (a bad query or filter value)
    - CountMismatch         indexed count differs from published count

Every exception keeps its constructor arguments so it survives pickling across processes.
"""

from __future__ import annotations

from typing import Any


class PipelineError(Exception):
    """Root of every error ``pipeline`` raises on purpose."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), self.args)


class TransientError(PipelineError):
    """Retrying the same input may succeed."""


class TerminalError(PipelineError):
    """Retrying cannot help."""


class ConfigError(TerminalError):
    pass


class SourceNotReady(TransientError):
    pass


class InvalidPage(TerminalError):
    """A page that cannot be turned into articles. Carries which page and why."""

    def __init__(self, page: str, reason: str) -> None:
        self.page, self.reason = page, reason
        super().__init__(page, reason)

    def __str__(self) -> str:
        return f"page {self.page}: {self.reason}"


class PublishUnavailable(TransientError):
    pass


class ConsumeUnavailable(TransientError):
    pass


class PublishRejected(TerminalError):
    pass


class IndexUnavailable(TransientError):
    pass


class IndexRejected(TerminalError):
    def __init__(self, index: str, failures: list[dict[str, Any]]) -> None:
        self.index, self.failures = index, failures
        super().__init__(index, failures)

    def __str__(self) -> str:
        return f"{len(self.failures)} document(s) rejected by index {self.index!r}"


class QueryRejected(TerminalError):
    pass


class CountMismatch(TerminalError):
    pass
