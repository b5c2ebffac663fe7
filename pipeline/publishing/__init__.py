"""Kafka: records (pure) and the producer adapter."""

from pipeline.publishing.producer import Offsets, ensure_topics, publish
from pipeline.publishing.records import Record, article_record, deadletter_record, issue_record, tombstone

__all__ = [
    "Offsets",
    "Record",
    "article_record",
    "deadletter_record",
    "ensure_topics",
    "issue_record",
    "publish",
    "tombstone",
]
