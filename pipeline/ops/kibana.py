"""Kibana saved objects as code: a data view, visualizations, a map, a saved search and a dashboard.

``inkstream kibana export`` writes ``kibana/inkstream.ndjson`` (a test keeps it in sync and checks
every field each object uses against the index template); ``inkstream kibana import`` loads it
through Kibana's saved-objects API.
"""

from __future__ import annotations

import json
import ssl
import urllib.request
import uuid
from base64 import b64encode
from pathlib import Path
from typing import Any

from pipeline.resources import data_dir

NDJSON = data_dir("kibana") / "inkstream.ndjson"
DATA_VIEW = "inkstream-articles"
_SEARCH_REF = "kibanaSavedObjectMeta.searchSourceJSON.index"


def _search_source() -> str:
    return json.dumps({"query": {"query": "", "language": "kuery"}, "filter": [], "indexRefName": _SEARCH_REF})


def _vis(
    vid: str, title: str, vis_type: str, aggs: list[dict[str, Any]], params: dict[str, Any] | None = None
) -> dict[str, Any]:
    state = {"title": title, "type": vis_type, "aggs": aggs, "params": {"type": vis_type, **(params or {})}}
    return {
        "id": vid,
        "type": "visualization",
        "attributes": {
            "title": title,
            "visState": json.dumps(state, ensure_ascii=False),
            "uiStateJSON": "{}",
            "description": "",
            "kibanaSavedObjectMeta": {"searchSourceJSON": _search_source()},
        },
        "references": [{"name": _SEARCH_REF, "type": "index-pattern", "id": DATA_VIEW}],
    }


def _count() -> dict[str, Any]:
    return {"id": "1", "enabled": True, "type": "count", "schema": "metric", "params": {}}


def _terms(field: str, size: int = 15) -> dict[str, Any]:
    return {
        "id": "2",
        "enabled": True,
        "type": "terms",
        "schema": "segment",
        "params": {"field": field, "size": size, "order": "desc", "orderBy": "1"},
    }


def _per_day() -> dict[str, Any]:
    return {
        "id": "2",
        "enabled": True,
        "type": "date_histogram",
        "schema": "segment",
        "params": {"field": "issue_date", "calendar_interval": "1d", "min_doc_count": 1},
    }


def saved_objects() -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = [
        {
            "id": DATA_VIEW,
            "type": "index-pattern",
            "attributes": {"title": DATA_VIEW, "name": "inkstream articles", "timeFieldName": "issue_date"},
            "references": [],
        }
    ]
    objects += [
        _vis("inkstream-articles-per-day", "Articles per day", "histogram", [_count(), _per_day()]),
        _vis("inkstream-articles-per-page", "Articles per page", "histogram", [_count(), _terms("page", 20)]),
        _vis("inkstream-top-persons", "Top persons", "horizontal_bar", [_count(), _terms("persons")]),
        _vis("inkstream-top-organisations", "Top organisations", "horizontal_bar", [_count(), _terms("organisations")]),
        _vis("inkstream-top-places", "Top places", "horizontal_bar", [_count(), _terms("places")]),
        _vis(
            "inkstream-money-over-time",
            "Money reported (元) per day",
            "line",
            [
                {"id": "1", "enabled": True, "type": "sum", "schema": "metric", "params": {"field": "money_total"}},
                _per_day(),
            ],
        ),
        _vis(
            "inkstream-people-over-time",
            "People counted (人/名/人次) per day",
            "line",
            [
                {"id": "1", "enabled": True, "type": "sum", "schema": "metric", "params": {"field": "headcount_total"}},
                _per_day(),
            ],
        ),
    ]
    layer = {
        "id": "places",
        "type": "MVT_VECTOR",
        "label": "Places named in articles",
        "sourceDescriptor": {
            "type": "ES_SEARCH",
            "id": "places-source",
            "geoField": "place_points",
            "indexPatternRefName": "layer_0_source_index_pattern",
            "scalingType": "MVT",
        },
        "visible": True,
    }
    objects.append(
        {
            "id": "inkstream-places-map",
            "type": "map",
            "attributes": {
                "title": "Places named in articles",
                "description": "",
                "layerListJSON": json.dumps([layer], ensure_ascii=False),
                "mapStateJSON": json.dumps({"zoom": 3.5, "center": {"lon": 105, "lat": 35}}),
            },
            "references": [{"name": "layer_0_source_index_pattern", "type": "index-pattern", "id": DATA_VIEW}],
        }
    )
    objects.append(
        {
            "id": "inkstream-latest-articles",
            "type": "search",
            "attributes": {
                "title": "Latest articles",
                "columns": ["headline", "pages", "persons", "organisations"],  # every page of a jumped article
                "sort": [["issue_date", "desc"]],
                "kibanaSavedObjectMeta": {"searchSourceJSON": _search_source()},
            },
            "references": [{"name": _SEARCH_REF, "type": "index-pattern", "id": DATA_VIEW}],
        }
    )
    panels, refs = [], []
    layout = [obj for obj in objects if obj["type"] in ("visualization", "map", "search")]
    for n, obj in enumerate(layout):
        ref = f"panel_{n}"
        panels.append(
            {
                "panelIndex": str(n),
                "gridData": {"x": (n % 2) * 24, "y": (n // 2) * 15, "w": 24, "h": 15, "i": str(n)},
                "embeddableConfig": {},
                "panelRefName": ref,
            }
        )
        refs.append({"name": ref, "type": obj["type"], "id": obj["id"]})
    objects.append(
        {
            "id": "inkstream-overview",
            "type": "dashboard",
            "attributes": {
                "title": "inkstream overview",
                "description": "Articles, entities and figures the papers report",
                "panelsJSON": json.dumps(panels),
                "timeRestore": False,
                "optionsJSON": json.dumps({"useMargins": True, "hidePanelTitles": False}),
                "kibanaSavedObjectMeta": {
                    "searchSourceJSON": json.dumps({"query": {"query": "", "language": "kuery"}, "filter": []})
                },
            },
            "references": refs,
        }
    )
    return objects


def render_ndjson() -> str:
    return "".join(json.dumps(o, ensure_ascii=False, sort_keys=True) + "\n" for o in saved_objects())


def import_objects(url: str, username: str | None, password: str | None, ca_certs: str | None) -> dict[str, Any]:
    """POST the NDJSON to ``/api/saved_objects/_import?overwrite=true`` (multipart)."""
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="inkstream.ndjson"\r\n'
            f"Content-Type: application/ndjson\r\n\r\n"
        ).encode()
        + NDJSON.read_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        f"{url.rstrip('/')}/api/saved_objects/_import?overwrite=true", data=body, method="POST"
    )
    request.add_header("kbn-xsrf", "inkstream")
    request.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
    if username and password:
        request.add_header("Authorization", "Basic " + b64encode(f"{username}:{password}".encode()).decode())
    context = ssl.create_default_context(cafile=ca_certs) if ca_certs else None
    with urllib.request.urlopen(request, context=context, timeout=60) as response:
        result: dict[str, Any] = json.loads(response.read())
    return result


def write(path: Path = NDJSON) -> bool:
    text = render_ndjson()
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True
