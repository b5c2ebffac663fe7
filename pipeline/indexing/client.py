"""Elasticsearch adapter: template, versioned index behind an alias, bulk with per-item results.

Only this module knows ``elasticsearch`` errors; they leave as ``IndexUnavailable`` (transient)
or ``IndexRejected`` (terminal).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from elasticsearch import ApiError, Elasticsearch, TransportError, helpers

from pipeline import PROJECT_ROOT
from pipeline.config import ElasticsearchSettings
from pipeline.errors import IndexRejected, IndexUnavailable

TEMPLATE_FILE = PROJECT_ROOT / "schemas" / "elasticsearch" / "articles.template.json"


def load_template(settings: ElasticsearchSettings) -> dict[str, Any]:
    template: dict[str, Any] = json.loads(TEMPLATE_FILE.read_text(encoding="utf-8"))
    template = copy.deepcopy(template)
    template["index_patterns"] = [f"{settings.alias}-v*"]
    return template


def make_client(settings: ElasticsearchSettings) -> Elasticsearch:
    kwargs: dict[str, Any] = {"request_timeout": settings.request_timeout_s}
    if settings.api_key:
        kwargs["api_key"] = settings.api_key.get_secret_value()
    elif settings.username and settings.password:
        kwargs["basic_auth"] = (settings.username, settings.password.get_secret_value())
    if settings.ca_certs:
        kwargs["ca_certs"] = settings.ca_certs
    if not settings.verify_certs:
        kwargs["verify_certs"] = False
    return Elasticsearch(settings.url, **kwargs)


def ensure_index(es: Elasticsearch, settings: ElasticsearchSettings) -> str:
    """Template + ``<alias>-v<N>`` + alias; returns the concrete index name. Idempotent."""
    index = settings.index_name
    try:
        es.indices.put_index_template(name=settings.alias, **load_template(settings))
        if not es.indices.exists(index=index):
            try:
                es.indices.create(index=index)
            except ApiError as exc:
                if exc.meta.status != 400 or "already_exists" not in str(exc):
                    raise
        if not es.indices.exists_alias(name=settings.alias, index=index):
            es.indices.put_alias(index=index, name=settings.alias, is_write_index=True)
    except TransportError as exc:
        raise IndexUnavailable(f"Elasticsearch at {settings.url}: {exc}") from exc
    return index


@dataclass
class BulkReport:
    indexed: int = 0
    deleted: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)


def bulk(es: Elasticsearch, actions: Iterable[dict[str, Any]], settings: ElasticsearchSettings) -> BulkReport:
    """Index/delete with retries on 429; per-item failures are returned, never dropped."""
    report = BulkReport()
    try:
        for ok, item in helpers.streaming_bulk(
            es,
            actions,
            chunk_size=settings.bulk_chunk_size,
            max_retries=settings.bulk_max_retries,
            initial_backoff=0.5,
            max_backoff=10,
            raise_on_error=False,
            raise_on_exception=True,
            yield_ok=True,
        ):
            op, result = next(iter(item.items()))
            if ok:
                if op == "delete":
                    report.deleted += 1
                else:
                    report.indexed += 1
            elif op == "delete" and result.get("status") == 404:
                report.deleted += 1  # already gone: a delete is idempotent
            else:
                report.failures.append({"op": op, **result})
    except TransportError as exc:
        raise IndexUnavailable(f"bulk to Elasticsearch failed: {exc}") from exc
    except ApiError as exc:
        if exc.meta.status in (429, 502, 503, 504):
            raise IndexUnavailable(f"bulk to Elasticsearch failed: {exc}") from exc
        raise IndexRejected(settings.alias, [{"error": str(exc)}]) from exc
    return report


def refresh(es: Elasticsearch, settings: ElasticsearchSettings) -> None:
    try:
        es.indices.refresh(index=settings.alias)
    except TransportError as exc:
        raise IndexUnavailable(str(exc)) from exc


def delete_stale(es: Elasticsearch, settings: ElasticsearchSettings, issue: str, keep: list[str]) -> int:
    """Remove the issue's documents a newer run no longer produces."""
    query = {"bool": {"filter": [{"term": {"issue_id": issue}}], "must_not": [{"ids": {"values": keep}}]}}
    try:
        res = es.delete_by_query(index=settings.alias, query=query, refresh=True, conflicts="proceed")
    except TransportError as exc:
        raise IndexUnavailable(str(exc)) from exc
    return int(res.get("deleted", 0))


def count_issue(es: Elasticsearch, settings: ElasticsearchSettings, issue: str) -> int:
    try:
        return int(es.count(index=settings.alias, query={"term": {"issue_id": issue}})["count"])
    except TransportError as exc:
        raise IndexUnavailable(str(exc)) from exc


def search(
    es: Elasticsearch, settings: ElasticsearchSettings, text: str, size: int = 10
) -> Iterator[dict[str, Any]]:
    query = {
        "bool": {
            "should": [
                {"match_phrase": {"headline": {"query": text, "boost": 4}}},
                {"match_phrase": {"body": {"query": text, "boost": 2}}},
                {"match": {"tokens": {"query": text, "operator": "and"}}},
                {"term": {"persons": text}},
                {"term": {"organisations": text}},
                {"term": {"places": text}},
            ],
            "minimum_should_match": 1,
        }
    }
    try:
        res = es.search(index=settings.alias, query=query, size=size,
                        source=["headline", "issue_date", "page", "paper_name", "article_id"])
    except TransportError as exc:
        raise IndexUnavailable(str(exc)) from exc
    for hit in res["hits"]["hits"]:
        yield {"score": hit.get("_score"), **hit["_source"]}
