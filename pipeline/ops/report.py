"""``inkstream report``: one self-contained static HTML page with the pictures Kibana would show
(for the local default, where there is no Kibana).

What it shows: articles per day; entity trends per issue date (persons, organisations, places);
a map of the places the articles name, from the coordinates indexed with them; the persons and
organisations named in the same articles; metrics grouped by what is counted (unit *and* subject,
never summed across subjects); the latest articles.

The Elasticsearch queries live in :mod:`pipeline.indexing.client`; this module shapes their
aggregations (``shape``) and draws them (``render``), both pure. Charts are inline SVG (no
JavaScript, no network). Chinese renders without any system font: the page embeds, as a base64
``@font-face``, a subset of Noto Sans CJK SC (SIL Open Font License 1.1, shipped by the
``manimgx-fonts-cjk`` wheel) cut by fontTools to the characters the page uses.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pipeline import fonts
from pipeline.config import ElasticsearchSettings

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

COLORS = ("#2f6db5", "#c0392b", "#27ae60", "#8e44ad", "#d68910", "#17a589")
KIND_TITLES = {"persons": "Persons", "organisations": "Organisations", "places": "Places"}
FONT_FAMILY = "InkstreamCJK"
#: longitude/latitude box the map draws (mainland China and its seas)
CHINA_BOX = (73.0, 135.5, 17.5, 54.0)
TRENDS_PER_KIND = 5


# --------------------------------------------------------------------------- data


def gather(es: Elasticsearch, settings: ElasticsearchSettings) -> dict[str, Any]:
    """Query Elasticsearch (through the indexing client) and shape the answers for ``render``."""
    from pipeline.indexing import search as index_search

    raw = index_search.report_aggregations(es, settings)
    tops = {f: [k for k, _ in _buckets(raw["aggregations"][f])[:TRENDS_PER_KIND]] for f in KIND_TITLES}
    trends = index_search.report_trends(
        es, settings, tops, metric_keys(raw["aggregations"]["metrics"]["units"]["buckets"])
    )
    return shape(raw, trends, tops)


def metric_keys(units: Iterable[dict[str, Any]]) -> list[tuple[str, str | None]]:
    """The (unit, subject) pairs whose articles the report counts; subject ``None``: the whole unit."""
    keys: list[tuple[str, str | None]] = []
    for u in units:
        keys.append((u["key"], None))
        keys.extend((u["key"], s["key"]) for s in u["subjects"]["buckets"])
    return keys


def _buckets(agg: dict[str, Any]) -> list[tuple[str, int]]:
    return [(b["key"], b["doc_count"]) for b in agg["buckets"]]


def shape(raw: dict[str, Any], trends: dict[str, Any], tops: dict[str, list[str]]) -> dict[str, Any]:
    """The report's data from the raw aggregations (``index_search.report_aggregations`` and
    ``index_search.report_trends``): plain lists and dicts, nothing Elasticsearch-specific."""
    aggs = raw["aggregations"]
    days = [b["key_as_string"][:10] for b in trends["per_day"]["buckets"]]
    series: dict[str, dict[str, list[int]]] = {}
    for kind, names in tops.items():
        counts = {n: [0] * len(days) for n in names}
        for i, day in enumerate(trends["per_day"]["buckets"]):
            for b in day.get(kind, {}).get("buckets", []):
                if b["key"] in counts:
                    counts[b["key"]][i] = b["doc_count"]
        series[kind] = counts
    return {
        "total": raw["total"],
        "per_day": [(b["key_as_string"][:10], b["doc_count"]) for b in aggs["per_day"]["buckets"]],
        **{kind: _buckets(aggs[kind])[:10] for kind in KIND_TITLES},
        "trends": {"days": days, "series": series},
        "points": place_points(_buckets(aggs["map_places"])),
        "places_named": len(aggs["map_places"]["buckets"]),
        "pairs": cooccurring_pairs(aggs["pairs_persons"]["buckets"] + aggs["pairs_organisations"]["buckets"]),
        "metrics": metric_groups(
            aggs["metrics"]["units"]["buckets"], trends.get("metric_articles", {}).get("buckets", {})
        ),
        "latest": raw["latest"],
    }


def cooccurring_pairs(buckets: Iterable[dict[str, Any]], limit: int = 15) -> list[tuple[str, str, int]]:
    """Unordered name pairs (person or organisation) with the number of articles naming both, from
    terms buckets whose ``persons``/``organisations`` sub-aggregations list the names sharing
    their articles. A name paired with itself is dropped; a pair seen from both sides counts once."""
    pairs: dict[tuple[str, str], int] = {}
    for b in buckets:
        for sub in ("persons", "organisations"):
            for other in b.get(sub, {}).get("buckets", []):
                if other["key"] == b["key"]:
                    continue
                key = tuple(sorted((b["key"], other["key"])))
                pairs[key] = max(pairs.get(key, 0), other["doc_count"])
    ranked = sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(a, b, n) for (a, b), n in ranked[:limit]]


def metric_groups(units: Iterable[dict[str, Any]], articles: dict[str, Any]) -> list[dict[str, Any]]:
    """Per unit: its top subjects, each with mentions, articles and the smallest and largest figure.
    Figures are only compared within one unit and one subject; nothing is added up. ``articles``:
    the ``metric_articles`` filter buckets keyed by ``report_metric_key``."""
    from pipeline.indexing.search import report_metric_key

    def count(unit: str, subject: str | None) -> int:
        return int(articles.get(report_metric_key(unit, subject), {}).get("doc_count", 0))

    out = []
    for u in units:
        subjects = [
            {
                "subject": s["key"],
                "mentions": s["doc_count"],
                "articles": count(u["key"], s["key"]),
                "low": s["low"]["value"],
                "high": s["high"]["value"],
            }
            for s in u["subjects"]["buckets"]
        ]
        out.append(
            {"unit": u["key"], "mentions": u["doc_count"], "articles": count(u["key"], None), "subjects": subjects}
        )
    return out


def place_points(places: Iterable[tuple[str, int]]) -> list[dict[str, Any]]:
    """Map points: each place name with its article count at the coordinates of its division in
    the table the enrichment resolves places with (cpca's adcodes.csv, the source of the indexed
    ``place_points``; the local search server has no geo aggregations, so names carry them here).
    Names the table does not know (foreign places, unresolved fragments) are not drawn."""
    from pipeline.enrichment.rules import divisions

    by_name, _ = divisions()
    points = []
    for name, count in places:
        div = next((d for d in by_name.get(name, []) if d.lat is not None and d.lon is not None), None)
        if div is not None:
            points.append({"lat": div.lat, "lon": div.lon, "articles": count, "name": name})
    return sorted(points, key=lambda p: (-p["articles"], p["name"]))


# --------------------------------------------------------------------------- drawing


def _esc(value: object) -> str:
    return html.escape(str(value))


def _num(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _section(title: str, body: str, note: str = "") -> str:
    note_html = f'<p class="note">{note}</p>' if note else ""
    return f"<section><h2>{_esc(title)}</h2>{note_html}{body}</section>"


def _svg(title: str, w: float, h: float, inner: str) -> str:
    return (
        f'<svg role="img" aria-label="{_esc(title)}" width="{w:.0f}" height="{h:.0f}" '
        f'viewBox="0 0 {w:.0f} {h:.0f}">{inner}</svg>'
    )


def _bars(title: str, rows: list[tuple[str, float]], color: str, vertical: bool = False) -> str:
    if not rows:
        return _section(title, "<p>no data</p>")
    top = max(v for _, v in rows) or 1
    if vertical:
        w, h, bw = 60 * len(rows) + 40, 240, 40
        bars = "".join(
            f'<rect x="{30 + i * 60}" y="{200 - 180 * v / top:.1f}" width="{bw}" height="{180 * v / top:.1f}" fill="{color}"/>'
            f'<text x="{50 + i * 60}" y="{195 - 180 * v / top:.1f}" text-anchor="middle" font-size="12">{v:g}</text>'
            f'<text x="{50 + i * 60}" y="220" text-anchor="middle" font-size="11">{_esc(k)}</text>'
            for i, (k, v) in enumerate(rows)
        )
    else:
        w, h = 460, 26 * len(rows) + 10
        bars = "".join(
            f'<text x="150" y="{20 + i * 26}" text-anchor="end" font-size="13">{_esc(k)}</text>'
            f'<rect x="160" y="{7 + i * 26}" width="{250 * v / top:.1f}" height="18" fill="{color}"/>'
            f'<text x="{166 + 250 * v / top:.1f}" y="{20 + i * 26}" font-size="12">{v:g}</text>'
            for i, (k, v) in enumerate(rows)
        )
    return _section(title, _svg(title, w, h, bars))


def _trend(kind: str, days: list[str], series: dict[str, list[int]]) -> str:
    title = f"{KIND_TITLES[kind]} per issue date"
    if not days or not series:
        return f'<div class="panel"><h3>{_esc(title)}</h3><p>no data</p></div>'
    w, h, left, right, top_pad, bottom = 380, 230, 30, 125, 15, 40
    top = max(max(v) for v in series.values()) or 1
    step = (w - left - right) / max(len(days) - 1, 1)

    def x(i: int) -> float:
        return left + (i * step if len(days) > 1 else (w - left - right) / 2)

    def y(v: float) -> float:
        return h - bottom - (h - bottom - top_pad) * v / top

    parts = [
        f'<line x1="{left}" y1="{y(0):.1f}" x2="{w - right}" y2="{y(0):.1f}" stroke="#999"/>',
        f'<text x="{left - 6}" y="{y(top) + 4:.1f}" text-anchor="end" font-size="11">{top}</text>',
        f'<text x="{left - 6}" y="{y(0) + 4:.1f}" text-anchor="end" font-size="11">0</text>',
    ]
    label_every = max(1, math.ceil(len(days) / 6))
    for i, day in enumerate(days):
        if i % label_every == 0 or i == len(days) - 1:
            parts.append(
                f'<text x="{x(i):.1f}" y="{h - bottom + 16}" text-anchor="middle" font-size="10">{day[5:]}</text>'
            )
    for n, (name, counts) in enumerate(series.items()):
        color = COLORS[n % len(COLORS)]
        pts = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(counts))
        if len(counts) > 1:
            parts.append(f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="2"/>')
        parts.extend(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3.5" fill="{color}"/>' for i, v in enumerate(counts))
        parts.append(
            f'<rect x="{w - right + 12}" y="{top_pad + n * 20}" width="10" height="10" fill="{color}"/>'
            f'<text x="{w - right + 28}" y="{top_pad + 9 + n * 20}" font-size="12">{_esc(name)}</text>'
        )
    return f'<div class="panel"><h3>{_esc(title)}</h3>{_svg(title, w, h, "".join(parts))}</div>'


def _map(points: list[dict[str, Any]], named: int | None = None, labels: int = 14) -> str:
    title = "Places on the map"
    lon0, lon1, lat0, lat1 = CHINA_BOX
    scale = 13.0  # pixels per degree of latitude; longitude shrunk by cos(35°) (equirectangular)
    kx = scale * math.cos(math.radians(35))
    w, h = (lon1 - lon0) * kx + 20, (lat1 - lat0) * scale + 20

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return 10 + (lon - lon0) * kx, 10 + (lat1 - lat) * scale

    inside = [p for p in points if lon0 <= p["lon"] <= lon1 and lat0 <= p["lat"] <= lat1]
    parts = [f'<rect x="10" y="10" width="{w - 20:.0f}" height="{h - 20:.0f}" fill="#f4f7fb" stroke="#bcc8d6"/>']
    for lon in range(80, 136, 10):
        x, _ = xy(lat0, lon)
        parts.append(
            f'<line x1="{x:.1f}" y1="10" x2="{x:.1f}" y2="{h - 10:.0f}" stroke="#dde4ec"/>'
            f'<text x="{x + 2:.1f}" y="{h - 13:.0f}" font-size="9" fill="#8895a5">{lon}°E</text>'
        )
    for lat in range(20, 55, 10):
        _, y = xy(lat, lon0)
        parts.append(
            f'<line x1="10" y1="{y:.1f}" x2="{w - 10:.0f}" y2="{y:.1f}" stroke="#dde4ec"/>'
            f'<text x="13" y="{y - 2:.1f}" font-size="9" fill="#8895a5">{lat}°N</text>'
        )
    top = max((p["articles"] for p in inside), default=1)
    for p in reversed(inside):  # biggest drawn last, on top
        x, y = xy(p["lat"], p["lon"])
        r = 3 + 9 * math.sqrt(p["articles"] / top)
        tip = f"{p['name']} {p['lat']:.2f}°N {p['lon']:.2f}°E: {p['articles']} article(s)"
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{COLORS[1]}" fill-opacity="0.55" '
            f'stroke="#7b241c"><title>{_esc(tip)}</title></circle>'
        )
    for p in inside[:labels]:
        x, y = xy(p["lat"], p["lon"])
        parts.append(f'<text x="{x + 7:.1f}" y="{y - 5:.1f}" font-size="12" class="halo">{_esc(p["name"])}</text>')
    outside = len(points) - len(inside)
    note = (
        f"{len(inside)} place(s) in the box {lon0}–{lon1}°E, {lat0}–{lat1}°N; circle area ~ articles"
        + (f"; {outside} outside the box not drawn" if outside else "")
        + (
            f"; {named - len(points)} of {named} place names have no coordinates in the division table"
            if named is not None and named > len(points)
            else ""
        )
    )
    body = _svg(title, w, h, "".join(parts)) if inside else "<p>no coordinates indexed</p>"
    return _section(title, body, _esc(note))


def _pairs(pairs: list[tuple[str, str, int]]) -> str:
    title = "Named together: persons and organisations in the same article"
    rows = [(f"{a} · {b}", n) for a, b, n in pairs]
    if not rows:
        return _section(title, "<p>no pairs</p>")
    top = max(n for _, n in rows) or 1
    w, h = 640, 24 * len(rows) + 10
    bars = "".join(
        f'<text x="330" y="{19 + i * 24}" text-anchor="end" font-size="13">{_esc(k)}</text>'
        f'<rect x="340" y="{6 + i * 24}" width="{250 * n / top:.1f}" height="17" fill="{COLORS[5]}"/>'
        f'<text x="{346 + 250 * n / top:.1f}" y="{19 + i * 24}" font-size="12">{n}</text>'
        for i, (k, n) in enumerate(rows)
    )
    return _section(title, _svg(title, w, h, bars), "bar: articles naming both")


def _metrics(groups: list[dict[str, Any]]) -> str:
    title = "Metrics by what is counted"
    if not groups:
        return _section(title, "<p>no metrics</p>")
    cards = []
    for g in groups:
        rows = "".join(
            f'<tr><td>{_esc(s["subject"] or "(no subject)")}</td><td class="n">{s["articles"]}</td>'
            f'<td class="n">{s["mentions"]}</td><td class="n">{_esc(_num(s["high"]))}</td>'
            f'<td class="n">{_esc(_num(s["low"]) if s["mentions"] > 1 else "")}</td></tr>'
            for s in g["subjects"]
        )
        cards.append(
            f'<div class="card"><h3>unit {_esc(g["unit"])} <small>{g["mentions"]} mentions in {g["articles"]} articles'
            f"</small></h3><table><tr><th>subject</th><th>articles</th><th>mentions</th><th>largest</th><th>smallest</th>"
            f"</tr>{rows}</table></div>"
        )
    note = "Figures grouped by unit and subject; figures about different things are never added up."
    return _section(title, f'<div class="grid">{"".join(cards)}</div>', note)


def _latest(articles: list[dict[str, Any]]) -> str:
    rows = "".join(
        f"<tr><td>{_esc(a['issue_date'])}</td><td>{_esc(a['page'])}</td><td>{_esc(a.get('headline') or '—')}</td>"
        f"<td>{_esc('、'.join(a.get('persons') or []))}</td></tr>"
        for a in articles
    )
    return _section(
        "Latest articles", f"<table><tr><th>date</th><th>page</th><th>headline</th><th>persons</th></tr>{rows}</table>"
    )


CSS = """body{font-family:"%s",sans-serif;margin:2em;color:#222;max-width:1400px}
section{margin-bottom:2.2em}h2{border-bottom:2px solid #2f6db5;padding-bottom:4px}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px}td.n{text-align:right}
.grid{display:flex;flex-wrap:wrap;gap:18px}.card,.panel{border:1px solid #dde;border-radius:6px;padding:8px 12px}
.note{color:#666;font-size:0.9em}.halo{paint-order:stroke;stroke:#fff;stroke-width:3px}
h3 small{font-weight:normal;color:#666}"""


def render(data: dict[str, Any], title: str = "inkstream report", embed_font: bool = True) -> str:
    """The page. ``embed_font`` adds the subset CJK font (off only to show what a page without it
    looks like)."""
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    trends = data["trends"]
    body = "\n".join(
        [
            f"<h1>{_esc(title)}</h1>",
            f'<p id="summary">{data["total"]} articles indexed · generated {generated}</p>',
            '<div class="grid">'
            + _bars("Articles per day", list(data["per_day"]), COLORS[0], vertical=True)
            + _bars("Top persons", data["persons"], COLORS[1])
            + _bars("Top organisations", data["organisations"], COLORS[2])
            + _bars("Top places", data["places"], COLORS[3])
            + "</div>",
            _section(
                "Entity trends",
                '<div class="grid">'
                + "".join(_trend(kind, trends["days"], trends["series"].get(kind, {})) for kind in KIND_TITLES)
                + "</div>",
                "articles per issue date naming each of the most frequent names",
            ),
            '<div class="grid">' + _map(data["points"], data.get("places_named")) + _pairs(data["pairs"]) + "</div>",
            _metrics(data["metrics"]),
            _latest(data["latest"]),
        ]
    )
    font_css = font_face(body + title) if embed_font else ""
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{_esc(title)}</title>
<style>{font_css}
{CSS % FONT_FAMILY}</style>
</head><body>
{body}
</body></html>
"""


# --------------------------------------------------------------------------- font


def subset_font(text: str) -> bytes:
    """Noto Sans CJK SC cut to the glyphs of ``text``, as OpenType bytes. About a second for the
    whole collection's SC face; 10–40 KB per page."""
    return fonts.subset(
        "".join(sorted(set(text))),
        layout_features=["kern", "palt", "liga"],
        drop_tables=["DSIG", "BASE", "VORG", "vhea", "vmtx", "STAT"],
    )


def font_face(text: str) -> str:
    """A ``@font-face`` rule embedding the subset font as a data URL (the page stays one file)."""
    data = base64.b64encode(subset_font(html.unescape(text))).decode("ascii")
    return (
        f'@font-face{{font-family:"{FONT_FAMILY}";src:url(data:font/otf;base64,{data}) format("opentype");'
        "font-weight:100 900;font-display:block}"
    )
