"""Elasticsearch adapter: template, versioned index behind an alias, bulk with per-item results.

Only this module knows ``elasticsearch`` errors; they leave as ``IndexUnavailable`` (transient)
or ``IndexRejected`` (terminal).
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from elasticsearch import ApiError, Elasticsearch, TransportError, helpers

from pipeline import PROJECT_ROOT
from pipeline.config import ElasticsearchSettings
from pipeline.errors import IndexRejected, IndexUnavailable

TEMPLATE_FILE = PROJECT_ROOT / "schemas" / "elasticsearch" / "articles.template.json"
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

    doc = {"issue_id": issue, "article_ids": sorted(set(ids)), "run_id": run_id,
           "updated_at": datetime.now(UTC).isoformat()}
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


@dataclass
class SearchFilters:
    date_from: str | None = None
    date_to: str | None = None
    person: str | None = None
    organisation: str | None = None
    place: str | None = None
    paper: str | None = None

    def clauses(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        if self.date_from or self.date_to:
            out.append(
                {"range": {"issue_date": {k: v for k, v in (("gte", self.date_from), ("lte", self.date_to)) if v}}}
            )
        from pipeline.enrichment.resolve import canonical_query
        from pipeline.models import EntityType

        for field_name, value in (
            ("persons", self.person and canonical_query(EntityType.PER, self.person)),
            ("organisations", self.organisation and canonical_query(EntityType.ORG, self.organisation)),
            ("places", self.place and canonical_query(EntityType.LOC, self.place)),
            ("paper", self.paper),
        ):
            if value:  # the facets hold canonical names: 全国总工会 filters as 中华全国总工会
                out.append({"term": {field_name: value}})
        return out


def search_query(tokens: list[str], text: str, filters: SearchFilters) -> dict[str, Any]:
    """Chinese search on a vanilla cluster: every jieba token of the query must be a token of the
    article (so 和服 does not match 和服务, which cjk bigrams would); exact names also match the
    entity facets; cjk phrase matches on headline and body rank the hits."""
    from pipeline.enrichment.resolve import canonical_query
    from pipeline.models import EntityType

    must: list[dict[str, Any]] = []
    if text:
        must.append(
            {
                "bool": {
                    "should": [
                        {"match": {"tokens": {"query": " ".join(tokens), "operator": "and"}}},
                        {"term": {"persons": text}},
                        {"term": {"organisations": canonical_query(EntityType.ORG, text)}},
                        {"term": {"places": canonical_query(EntityType.LOC, text)}},
                        {"term": {"entity_names": text}},
                        {"term": {"reporters": text}},
                    ],
                    "minimum_should_match": 1,
                }
            }
        )
    should = (
        [
            {"match_phrase": {"headline": {"query": text, "boost": 4}}},
            {"match_phrase": {"kicker": {"query": text, "boost": 2}}},
            {"match_phrase": {"body": {"query": text, "boost": 1}}},
        ]
        if text
        else []
    )
    return {"bool": {"must": must or [{"match_all": {}}], "should": should, "filter": filters.clauses()}}


def search(
    es: Elasticsearch,
    settings: ElasticsearchSettings,
    text: str,
    size: int = 10,
    filters: SearchFilters | None = None,
) -> Iterator[dict[str, Any]]:
    from pipeline.enrichment.tokenizer import tokens as jieba_tokens

    query = search_query(jieba_tokens(text) if text else [], text, filters or SearchFilters())
    try:
        res = es.search(
            index=settings.alias,
            query=query,
            size=size,
            source=["headline", "issue_date", "page", "pages", "paper_name", "article_id", "persons", "organisations"],
            highlight={
                "fields": {
                    "body": {"fragment_size": 80, "number_of_fragments": 1},
                    "headline": {"number_of_fragments": 0},
                },
                "pre_tags": ["【"],
                "post_tags": ["】"],
            },
            sort=["_score", {"issue_date": "desc"}],
        )
    except TransportError as exc:
        raise IndexUnavailable(str(exc)) from exc
    for hit in res["hits"]["hits"]:
        highlight = hit.get("highlight", {})
        snippet = (highlight.get("body") or highlight.get("headline") or [""])[0]
        yield {"score": hit.get("_score"), "snippet": snippet, **hit["_source"]}


#: the entity kinds the report draws (document field -> its terms aggregation)
REPORT_ENTITY_FIELDS = ("persons", "organisations", "places")


def report_aggregations(es: Elasticsearch, settings: ElasticsearchSettings, latest: int = 15) -> dict[str, Any]:
    """The raw aggregations of ``inkstream report`` (shaped by ``pipeline.report``, which stays pure):
    articles per day, top entities with the names they share articles with, metrics by unit then
    subject, articles per place for the map, the latest articles. ``TransportError`` passes
    through for the CLI to explain."""
    es.indices.refresh(index=settings.alias)
    cooccurring = {f: {"terms": {"field": f, "size": 8}} for f in ("persons", "organisations")}
    res = es.search(
        index=settings.alias,
        size=latest,
        sort=[{"issue_date": "desc"}, {"page": "asc"}],
        source=["issue_date", "page", "headline", "persons", "organisations"],
        aggs={
            "per_day": {"date_histogram": {"field": "issue_date", "calendar_interval": "day", "min_doc_count": 1}},
            **{f: {"terms": {"field": f, "size": 40}} for f in REPORT_ENTITY_FIELDS},
            "pairs_persons": {"terms": {"field": "persons", "size": 30}, "aggs": cooccurring},
            "pairs_organisations": {"terms": {"field": "organisations", "size": 30}, "aggs": cooccurring},
            "map_places": {"terms": {"field": "places", "size": 300}},
            "metrics": {
                "nested": {"path": "metrics"},
                "aggs": {
                    "units": {
                        "terms": {"field": "metrics.unit", "size": 10},
                        "aggs": {
                            "subjects": {
                                "terms": {"field": "metrics.subject", "size": 6, "missing": ""},
                                "aggs": {
                                    "low": {"min": {"field": "metrics.value"}},
                                    "high": {"max": {"field": "metrics.value"}},
                                },
                            },
                        },
                    },
                },
            },
        },
    )
    return {"total": res["hits"]["total"]["value"], "aggregations": res["aggregations"],
            "latest": [h["_source"] for h in res["hits"]["hits"]]}


def report_metric_key(unit: str, subject: str | None) -> str:
    """The ``metric_articles`` bucket key of (unit, subject); subject ``None`` stands for any subject."""
    return unit + "\x1f" + ("\x1e" if subject is None else subject)


def report_trends(
    es: Elasticsearch,
    settings: ElasticsearchSettings,
    names: dict[str, list[str]],
    metrics: list[tuple[str, str | None]],
) -> dict[str, Any]:
    """Articles per issue date naming each of ``names`` (field -> canonical names), and articles
    with a metric of each (unit, subject) in ``metrics`` (subject ``""``: none; ``None``: any),
    keyed ``report_metric_key(unit, subject)``: the report's trends and metric article counts."""

    def metric_filter(unit: str, subject: str | None) -> dict[str, Any]:
        clauses: dict[str, Any] = {"filter": [{"term": {"metrics.unit": unit}}]}
        if subject:
            clauses["filter"].append({"term": {"metrics.subject": subject}})
        elif subject == "":
            clauses["must_not"] = [{"exists": {"field": "metrics.subject"}}]
        return {"nested": {"path": "metrics", "query": {"bool": clauses}}}

    aggs: dict[str, Any] = {
        "per_day": {
            "date_histogram": {"field": "issue_date", "calendar_interval": "day", "min_doc_count": 1},
            "aggs": {
                f: {"terms": {"field": f, "include": sorted(v), "size": max(len(v), 1)}}
                for f, v in names.items() if v
            },
        },
    }
    if metrics:
        aggs["metric_articles"] = {"filters": {"filters": {
            report_metric_key(unit, subject): metric_filter(unit, subject) for unit, subject in metrics}}}
    res = es.search(index=settings.alias, size=0, aggs=aggs)
    return res["aggregations"]
