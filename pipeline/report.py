"""``inkstream report``: one static HTML page with the pictures Kibana would show (for the local
default, where there is no Kibana): articles per day, top entities, metric totals, latest articles.
Built from Elasticsearch aggregations; charts are inline SVG (no JavaScript, no network)."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Any

from elasticsearch import Elasticsearch

from pipeline.config import ElasticsearchSettings

COLORS = ("#2f6db5", "#c0392b", "#27ae60", "#8e44ad")


def gather(es: Elasticsearch, settings: ElasticsearchSettings) -> dict[str, Any]:
    es.indices.refresh(index=settings.alias)
    res = es.search(
        index=settings.alias,
        size=15,
        sort=[{"issue_date": "desc"}, {"page": "asc"}],
        source=["issue_date", "page", "headline", "persons", "organisations"],
        aggs={
            "per_day": {"date_histogram": {"field": "issue_date", "calendar_interval": "day", "min_doc_count": 1}},
            "persons": {"terms": {"field": "persons", "size": 10}},
            "organisations": {"terms": {"field": "organisations", "size": 10}},
            "places": {"terms": {"field": "places", "size": 10}},
            "metrics": {
                "nested": {"path": "metrics"},
                "aggs": {
                    "units": {
                        "terms": {"field": "metrics.unit", "size": 12},
                        "aggs": {"total": {"sum": {"field": "metrics.value"}}},
                    },
                },
            },
        },
    )
    aggs = res["aggregations"]
    return {
        "total": res["hits"]["total"]["value"],
        "per_day": [(b["key_as_string"][:10], b["doc_count"]) for b in aggs["per_day"]["buckets"]],
        "persons": [(b["key"], b["doc_count"]) for b in aggs["persons"]["buckets"]],
        "organisations": [(b["key"], b["doc_count"]) for b in aggs["organisations"]["buckets"]],
        "places": [(b["key"], b["doc_count"]) for b in aggs["places"]["buckets"]],
        "metrics": [(b["key"], b["doc_count"], b["total"]["value"]) for b in aggs["metrics"]["units"]["buckets"]],
        "latest": [h["_source"] for h in res["hits"]["hits"]],
    }


def _bars(title: str, rows: list[tuple[str, float]], color: str, vertical: bool = False) -> str:
    if not rows:
        return f"<section><h2>{html.escape(title)}</h2><p>no data</p></section>"
    top = max(v for _, v in rows) or 1
    if vertical:
        w, h, bw = 60 * len(rows) + 40, 240, 40
        bars = "".join(
            f'<rect x="{30 + i * 60}" y="{200 - 180 * v / top:.1f}" width="{bw}" height="{180 * v / top:.1f}" fill="{color}"/>'
            f'<text x="{50 + i * 60}" y="{195 - 180 * v / top:.1f}" text-anchor="middle" font-size="12">{v:g}</text>'
            f'<text x="{50 + i * 60}" y="220" text-anchor="middle" font-size="11">{html.escape(str(k))}</text>'
            for i, (k, v) in enumerate(rows)
        )
    else:
        w, h = 620, 26 * len(rows) + 10
        bars = "".join(
            f'<text x="150" y="{20 + i * 26}" text-anchor="end" font-size="13">{html.escape(str(k))}</text>'
            f'<rect x="160" y="{7 + i * 26}" width="{400 * v / top:.1f}" height="18" fill="{color}"/>'
            f'<text x="{166 + 400 * v / top:.1f}" y="{20 + i * 26}" font-size="12">{v:g}</text>'
            for i, (k, v) in enumerate(rows)
        )
    return (
        f'<section><h2>{html.escape(title)}</h2><svg role="img" aria-label="{html.escape(title)}" '
        f'width="{w}" height="{h}" viewBox="0 0 {w} {h}">{bars}</svg></section>'
    )


def render(data: dict[str, Any], title: str = "inkstream report") -> str:
    metrics_rows = "".join(
        f"<tr><td>{html.escape(unit)}</td><td>{count}</td><td>{total:,.0f}</td></tr>"
        for unit, count, total in data["metrics"]
    )
    latest_rows = "".join(
        f"<tr><td>{html.escape(a['issue_date'])}</td><td>{a['page']}</td><td>{html.escape(a.get('headline') or '—')}</td>"
        f"<td>{html.escape('、'.join(a.get('persons') or []))}</td></tr>"
        for a in data["latest"]
    )
    money = next((total for unit, _, total in data["metrics"] if unit == "元"), 0.0)
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif;margin:2em;color:#222}}
section{{margin-bottom:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px}}</style>
</head><body>
<h1>{html.escape(title)}</h1>
<p id="summary">{data["total"]} articles indexed · generated {generated}</p>
{_bars("Articles per day", [(d, c) for d, c in data["per_day"]], COLORS[0], vertical=True)}
{_bars("Top persons", data["persons"], COLORS[1])}
{_bars("Top organisations", data["organisations"], COLORS[2])}
{_bars("Top places", data["places"], COLORS[3])}
<section><h2>Metric totals by unit</h2><table><tr><th>unit</th><th>mentions</th><th>total</th></tr>{metrics_rows}</table>
<p>Money reported: {money:,.0f} 元</p></section>
<section><h2>Latest articles</h2><table><tr><th>date</th><th>page</th><th>headline</th><th>persons</th></tr>{latest_rows}</table></section>
</body></html>
"""
