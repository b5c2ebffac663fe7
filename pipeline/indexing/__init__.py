"""Kafka -> Elasticsearch: documents (pure), the ES adapter, and the indexer."""

from pipeline.indexing.actions import to_document
from pipeline.indexing.indexer import IndexReport, follow, replay

__all__ = ["IndexReport", "follow", "replay", "to_document"]
