"""Searching the index: the query a Kibana user's search box and ``inkstream search`` share, and
the aggregations of ``inkstream report``. Client errors leave as the project's (``client.translate``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from elasticsearch import ApiError, Elasticsearch, TransportError

from pipeline.config import ElasticsearchSettings
from pipeline.enrichment.names import canonical_query
from pipeline.indexing.client import translate
from pipeline.models import EntityType
from pipeline.text.tokenizer import tokens as jieba_tokens


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
    query = search_query(jieba_tokens(text) if text else [], text, filters or SearchFilters())
    try:
        res = es.search(
            index=settings.alias,
            query=query,
            size=size,
            source={
                "includes": [
                    "headline",
                    "issue_date",
                    "page",
                    "pages",
                    "paper_name",
                    "article_id",
                    "persons",
                    "organisations",
                ]
            },
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
    except (ApiError, TransportError) as exc:
        raise translate(exc, "search", settings.alias) from exc
    for hit in res["hits"]["hits"]:
        highlight = hit.get("highlight", {})
        snippet = (highlight.get("body") or highlight.get("headline") or [""])[0]
        yield {"score": hit.get("_score"), "snippet": snippet, **hit["_source"]}


#: the entity kinds the report draws (document field -> its terms aggregation)
REPORT_ENTITY_FIELDS = ("persons", "organisations", "places")


def report_aggregations(es: Elasticsearch, settings: ElasticsearchSettings, latest: int = 15) -> dict[str, Any]:
    """The raw aggregations of ``inkstream report`` (shaped by ``pipeline.ops.report``, which stays pure):
    articles per day, top entities with the names they share articles with, metrics by unit then
    subject, articles per place for the map, the latest articles."""
    try:
        es.indices.refresh(index=settings.alias)
    except (ApiError, TransportError) as exc:
        raise translate(exc, "report", settings.alias) from exc
    cooccurring = {f: {"terms": {"field": f, "size": 8}} for f in ("persons", "organisations")}
    res = _search(
        es,
        settings,
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
    return {
        "total": res["hits"]["total"]["value"],
        "aggregations": res["aggregations"],
        "latest": [h["_source"] for h in res["hits"]["hits"]],
    }


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
                f: {"terms": {"field": f, "include": sorted(v), "size": max(len(v), 1)}} for f, v in names.items() if v
            },
        },
    }
    if metrics:
        aggs["metric_articles"] = {
            "filters": {
                "filters": {report_metric_key(unit, subject): metric_filter(unit, subject) for unit, subject in metrics}
            }
        }
    res = _search(es, settings, size=0, aggs=aggs)
    return dict(res["aggregations"])


def _search(es: Elasticsearch, settings: ElasticsearchSettings, **request: Any) -> Any:
    try:
        return es.search(index=settings.alias, **request)
    except (ApiError, TransportError) as exc:
        raise translate(exc, "report", settings.alias) from exc
