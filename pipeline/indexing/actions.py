"""Article events -> Elasticsearch documents and bulk actions (pure)."""

from __future__ import annotations

from typing import Any

from pipeline.enrichment.names import entity_names
from pipeline.models import ArticleEvent, EntityType

#: units summed into ``headcount_total`` (flat numbers for Kibana charts; nested metrics stay for queries)
HEADCOUNT_UNITS = frozenset({"人", "名", "人次", "位"})


def _present(doc: dict[str, Any]) -> dict[str, Any]:
    """Without ``None`` and ``[]``: Elasticsearch indexes, searches and aggregates a missing field
    exactly like a null or empty one, and every stored byte is parsed, kept and (on the local test
    server) re-serialised with the index."""
    return {k: v for k, v in doc.items() if v is not None and v != []}


def to_document(event: ArticleEvent) -> dict[str, Any]:
    """The index document of an article event; absent values are left out (``_present``)."""
    a = event.data
    art = a.article

    def names(kind: EntityType) -> list[str]:
        return sorted({e.canonical for e in a.entities if e.type is kind})

    provinces = sorted({e.place.province for e in a.entities if e.place and e.place.province})
    points = sorted({(e.place.lat, e.place.lon) for e in a.entities if e.place and e.place.lat is not None})
    return _present(
        {
            "article_id": a.article_id,
            "issue_id": a.issue_id,
            "run_id": event.run_id,
            "produced_at": event.produced_at.isoformat(),
            "paper": a.paper,
            "paper_name": a.paper_name,
            "issue_date": a.issue_date.isoformat(),
            "page": a.page,
            "pages": a.pages or [a.page],
            "page_name": a.page_name,
            "section": a.section,
            "position": a.position,
            "kicker": art.kicker,
            "headline": art.headline,
            "subheadline": art.subheadline,
            "body": "\n".join(art.paragraphs),
            "tokens": " ".join(a.tokens),
            "byline_kind": art.byline.kind,
            "source_kind": art.source_kind or "text",
            "reporters": art.byline.reporters,
            "correspondents": art.byline.correspondents,
            "persons": names(EntityType.PER),
            "organisations": names(EntityType.ORG),
            "places": names(EntityType.LOC),
            "provinces": provinces,
            "entity_names": entity_names(a.entities),  # every alias: Kibana filters on any of them
            "place_points": [{"lat": lat, "lon": lon} for lat, lon in points],
            "continued_from": art.continued_from,
            "continued_to": art.continued_to,
            "paragraph_count": len(art.paragraphs),
            "char_count": sum(len(p) for p in art.paragraphs),
            "money_total": sum(m.value for m in a.metrics if m.unit == "元"),
            "headcount_total": sum(m.value for m in a.metrics if m.unit in HEADCOUNT_UNITS),
            "metrics": [
                _present(
                    {"text": m.text, "value": m.value, "unit": m.unit, "qualifier": m.qualifier, "subject": m.subject}
                )
                for m in a.metrics
            ],
            "dates": [
                {"text": d.text, "date_from": d.date_from.isoformat(), "date_to": d.date_to.isoformat()}
                for d in a.dates
            ],
        }
    )


def index_action(index: str, event: ArticleEvent) -> dict[str, Any]:
    return {"_op_type": "index", "_index": index, "_id": event.article_id, "_source": to_document(event)}


def delete_action(index: str, article_id: str) -> dict[str, Any]:
    return {"_op_type": "delete", "_index": index, "_id": article_id}
