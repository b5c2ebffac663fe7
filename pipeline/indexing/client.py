"""Elasticsearch adapter: template, versioned index behind an alias, bulk with per-item results.

Only ``pipeline.indexing`` knows ``elasticsearch``; its errors leave as ``IndexUnavailable``
(transient), ``QueryRejected`` or ``IndexRejected`` (terminal), see ``translate``.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from elasticsearch import ApiError, Elasticsearch, TransportError, helpers

from pipeline.config import ElasticsearchSettings
from pipeline.errors import IndexRejected, IndexUnavailable, QueryRejected
from pipeline.resources import data_dir


def translate(exc: Exception, what: str, index: str) -> Exception:
    """An Elasticsearch client error as the project's: unreachable, overloaded or failing (429,
    5xx) → ``IndexUnavailable`` (transient); a request it refuses (400) → ``QueryRejected``; any
    other answer → ``IndexRejected``."""
    if isinstance(exc, ApiError):
        status = int(getattr(exc, "status_code", 0) or 0)
        reason = _reason(exc)
        if status == 429 or status >= 500:
            return IndexUnavailable(f"{what}: Elasticsearch answered {status}: {reason}")
        if status == 400:
            return QueryRejected(f"{what}: {reason}")
        return IndexRejected(index, [{"status": status, "error": f"{what}: {reason}"}])
    return IndexUnavailable(f"{what}: {exc}")


def _reason(exc: ApiError) -> str:
    body: Any = getattr(exc, "body", None)
    try:
        cause = body["error"]["root_cause"][0]
        return f"{cause.get('type')}: {cause.get('reason')}"
    except (TypeError, KeyError, IndexError, AttributeError):
        return str(getattr(exc, "message", None) or exc)


TEMPLATE_FILE = data_dir("schemas") / "elasticsearch" / "articles.template.json"
log = logging.getLogger(__name__)


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


REGISTRY_MAPPINGS: dict[str, Any] = {
    "dynamic": False,
    "properties": {
        "issue_id": {"type": "keyword"},
        "article_ids": {"type": "keyword"},
        "run_id": {"type": "keyword"},
        "updated_at": {"type": "date"},
    },
}


def registry_index(settings: ElasticsearchSettings) -> str:
    """One document per issue: the article ids the index may hold for it (``<alias>-issues``;
    outside the ``<alias>-v*`` pattern, so Kibana and searches never see it)."""
    return f"{settings.alias}-issues"


def ensure_index(es: Elasticsearch, settings: ElasticsearchSettings) -> str:
    """Template + ``<alias>-v<N>`` + alias, unless the alias already exists (then it may point at
    a newer version after `inkstream reindex`). Returns the alias: writes go through it to its
    write index. Idempotent."""
    index = settings.index_name
    try:
        es.indices.put_index_template(name=settings.alias, **load_template(settings))
        if not es.indices.exists(index=registry_index(settings)):
            try:
                es.indices.create(index=registry_index(settings), mappings=REGISTRY_MAPPINGS)
            except ApiError as exc:
                if exc.meta.status != 400 or "already_exists" not in str(exc):
                    raise
        if es.indices.exists_alias(name=settings.alias):
            add_new_fields(es, settings)
            return settings.alias
        if not es.indices.exists(index=index):
            try:
                es.indices.create(index=index)
            except ApiError as exc:
                if exc.meta.status != 400 or "already_exists" not in str(exc):
                    raise
        es.indices.put_alias(index=index, name=settings.alias, is_write_index=True)
    except TransportError as exc:
        raise IndexUnavailable(f"Elasticsearch at {settings.url}: {exc}") from exc
    return settings.alias


def add_new_fields(es: Elasticsearch, settings: ElasticsearchSettings) -> list[str]:
    """Map on the alias's indices the fields the template gained since they were created (an
    optional field added within a schema version, e.g. ``pages``): the mapping is strict, so a
    document carrying a new field would be rejected. Additive only, a mapped field is never
    changed; a refused mapping is logged and its documents go to the dead-letter topic."""
    wanted = load_template(settings)["template"]["mappings"]["properties"]
    added: set[str] = set()
    for index, body in es.indices.get_mapping(index=settings.alias).body.items():
        have = body.get("mappings", {}).get("properties", {})
        missing = {k: v for k, v in wanted.items() if k not in have}
        if not missing:
            continue
        try:
            es.indices.put_mapping(index=index, properties=missing)
            added |= set(missing)
        except ApiError as exc:
            log.warning("%s: could not map the new fields %s: %s", index, sorted(missing), exc)
    return sorted(added)


def alias_target(es: Elasticsearch, settings: ElasticsearchSettings) -> str | None:
    try:
        found = es.indices.get_alias(name=settings.alias)
    except ApiError as exc:
        if exc.meta.status == 404:
            return None
        raise
    return sorted(found.body)[-1] if found.body else None


def reindex(es: Elasticsearch, settings: ElasticsearchSettings, version: int, drop_old: bool = False) -> dict[str, Any]:
    """Zero-downtime move to ``<alias>-v<version>``: create it from the template, copy, swap the
    alias atomically (readers never see an empty alias), optionally drop the old index."""
    old = alias_target(es, settings)
    new = f"{settings.alias}-v{version}"
    if old == new:
        raise IndexRejected(settings.alias, [{"error": f"{settings.alias} already points at {new}"}])
    try:
        es.indices.put_index_template(name=settings.alias, **load_template(settings))
        es.indices.create(index=new)
        copied = 0
        if old is not None:
            res = es.reindex(source={"index": old}, dest={"index": new}, refresh=True, wait_for_completion=True)
            if res.get("failures"):
                raise IndexRejected(new, list(res["failures"]))
            copied = int(res.get("created", 0)) + int(res.get("updated", 0))
        actions: list[dict[str, Any]] = [{"add": {"index": new, "alias": settings.alias, "is_write_index": True}}]
        if old is not None:
            actions.insert(0, {"remove": {"index": old, "alias": settings.alias}})
        es.indices.update_aliases(actions=actions)
        if drop_old and old is not None:
            es.indices.delete(index=old)
    except TransportError as exc:
        raise IndexUnavailable(str(exc)) from exc
    return {"from": old, "to": new, "copied": copied, "dropped_old": bool(drop_old and old)}


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


def known_ids(es: Elasticsearch, settings: ElasticsearchSettings, issue: str) -> list[str]:
    """The article ids the registry says the index may hold for ``issue`` (empty if never indexed)."""
    try:
        res = es.get(index=registry_index(settings), id=issue)
    except ApiError as exc:
        if exc.meta.status == 404:
            return []
        raise IndexUnavailable(f"reading the issue registry: {exc}") from exc
    except TransportError as exc:
        raise IndexUnavailable(str(exc)) from exc
    return list(res["_source"].get("article_ids", []))


def record_ids(es: Elasticsearch, settings: ElasticsearchSettings, issue: str, ids: Iterable[str], run_id: str) -> None:
    from datetime import UTC, datetime

    doc = {
        "issue_id": issue,
        "article_ids": sorted(set(ids)),
        "run_id": run_id,
        "updated_at": datetime.now(UTC).isoformat(),
    }
    try:
        es.index(index=registry_index(settings), id=issue, document=doc)
    except TransportError as exc:
        raise IndexUnavailable(str(exc)) from exc
    except ApiError as exc:
        raise IndexUnavailable(f"writing the issue registry: {exc}") from exc


def delete_ids(es: Elasticsearch, settings: ElasticsearchSettings, ids: list[str]) -> int:
    """Delete documents by id (already gone counts as deleted); a failed delete raises."""
    if not ids:
        return 0
    report = bulk(es, ({"_op_type": "delete", "_index": settings.alias, "_id": i} for i in ids), settings)
    if report.failures:
        raise IndexUnavailable(f"deleting {len(report.failures)} stale document(s): {report.failures[:3]}")
    return report.deleted


def count_present(es: Elasticsearch, settings: ElasticsearchSettings, ids: list[str]) -> int:
    """How many of ``ids`` are in the index (``mget``: real time, no refresh, no scan)."""
    found = 0
    for i in range(0, len(ids), 1000):
        try:
            res = es.mget(index=settings.alias, ids=ids[i : i + 1000], source=False)
        except TransportError as exc:
            raise IndexUnavailable(str(exc)) from exc
        found += sum(1 for d in res["docs"] if d.get("found"))
    return found


def count_issue(es: Elasticsearch, settings: ElasticsearchSettings, issue: str) -> int:
    try:
        return int(es.count(index=settings.alias, query={"term": {"issue_id": issue}})["count"])
    except TransportError as exc:
        raise IndexUnavailable(str(exc)) from exc


def wait_ready(url: str, timeout_s: float = 30.0) -> None:
    """Until Elasticsearch at ``url`` answers; ``IndexUnavailable`` after ``timeout_s``."""
    import time

    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            es = Elasticsearch(url, request_timeout=2)
            try:
                es.info()
                return
            finally:
                es.close()
        except (ApiError, TransportError, OSError, ValueError) as exc:
            last = exc
            time.sleep(0.2)
    raise IndexUnavailable(f"Elasticsearch at {url} not ready after {timeout_s}s: {last}")
