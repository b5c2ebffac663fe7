"""Events -> Kafka records (pure): key, JSON value, CloudEvents ``ce_*`` headers (binary mode)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from pydantic import BaseModel

from pipeline.clock import now
from pipeline.models import ArticleEvent, DeadLetter, IssueEvent

CE_SOURCE = "urn:inkstream:pipeline"


@dataclass(frozen=True)
class Record:
    topic: str
    key: bytes
    value: bytes | None
    headers: list[tuple[str, bytes]]


def _schema(event: BaseModel) -> tuple[str, str]:
    return str(getattr(event, "schema_name")), str(getattr(event, "schema_version"))  # noqa: B009


def headers_for(event: BaseModel, run_id: str, subject: str) -> list[tuple[str, bytes]]:
    name, version = _schema(event)
    produced = getattr(event, "produced_at", None) or now()
    pairs = {
        "ce_specversion": "1.0",
        "ce_id": str(uuid.uuid4()),
        "ce_source": CE_SOURCE,
        "ce_type": f"{name}.v{version}",
        "ce_time": produced.isoformat(),
        "ce_subject": subject,
        "ce_dataschema": f"schemas/{name}.v{version}.schema.json",
        "content-type": "application/json; charset=utf-8",
        "schema_name": name,
        "schema_version": version,
        "run_id": run_id,
    }
    return [(k, v.encode("utf-8")) for k, v in pairs.items()]


def to_record(topic: str, key: str, event: BaseModel, run_id: str) -> Record:
    """Validate (by construction) and serialise one event."""
    value = event.model_dump_json().encode("utf-8")
    return Record(topic=topic, key=key.encode("utf-8"), value=value, headers=headers_for(event, run_id, key))


def tombstone(topic: str, key: str, run_id: str) -> Record:
    """A null value for a key: compacting consumers drop the key (a stale article)."""
    headers = [
        ("ce_specversion", b"1.0"),
        ("ce_type", b"inkstream.article.deleted"),
        ("ce_subject", key.encode()),
        ("run_id", run_id.encode()),
    ]
    return Record(topic=topic, key=key.encode("utf-8"), value=None, headers=headers)


def article_record(topic: str, event: ArticleEvent) -> Record:
    return to_record(topic, event.article_id, event, event.run_id)


def issue_record(topic: str, event: IssueEvent) -> Record:
    return to_record(topic, event.issue_id, event, event.run_id)


def deadletter_record(topic: str, event: DeadLetter) -> Record:
    key = event.key or f"{event.paper}-{event.issue_date}-p{event.page or 0:02d}-{event.stage}"
    return to_record(topic, key, event, event.run_id)
