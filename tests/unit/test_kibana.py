"""Kibana saved objects: in sync with their builder, and every field they use exists in the
index template with a type that fits how it is used."""

from __future__ import annotations

import json

from pipeline.indexing.client import TEMPLATE_FILE
from pipeline.ops.kibana import NDJSON, render_ndjson

PROPS = json.loads(TEMPLATE_FILE.read_text(encoding="utf-8"))["template"]["mappings"]["properties"]
FITS = {
    "terms": {"keyword", "integer", "long"},
    "date_histogram": {"date"},
    "sum": {"double", "long", "integer", "float"},
    "geo": {"geo_point"},
    "column": {"keyword", "integer", "text", "date", "double"},
}


def _type(field: str) -> str | None:
    node: dict = {"properties": PROPS}
    for part in field.split("."):
        node = node.get("properties", {}).get(part, {})
    return node.get("type")


def _objects() -> list[dict]:
    return [json.loads(line) for line in NDJSON.read_text(encoding="utf-8").splitlines()]


def test_ndjson_is_generated_from_the_builder() -> None:
    assert NDJSON.read_text(encoding="utf-8") == render_ndjson(), "run `inkstream kibana export`"


def test_every_field_used_exists_with_a_fitting_type() -> None:
    used: list[tuple[str, str, str]] = []
    for obj in _objects():
        attrs = obj["attributes"]
        if obj["type"] == "visualization":
            for agg in json.loads(attrs["visState"])["aggs"]:
                if "field" in agg["params"]:
                    used.append((obj["id"], agg["type"], agg["params"]["field"]))
        elif obj["type"] == "map":
            for layer in json.loads(attrs["layerListJSON"]):
                used.append((obj["id"], "geo", layer["sourceDescriptor"]["geoField"]))
        elif obj["type"] == "search":
            used += [(obj["id"], "column", c) for c in attrs["columns"]]
        elif obj["type"] == "index-pattern":
            used.append((obj["id"], "date_histogram", attrs["timeFieldName"]))
    assert len(used) >= 10
    for oid, usage, field in used:
        assert _type(field) in FITS[usage], f"{oid}: {field} is {_type(field)}, not usable for {usage}"


def test_references_resolve_and_the_dashboard_shows_every_panel() -> None:
    objects = _objects()
    ids = {(o["type"], o["id"]) for o in objects}
    for obj in objects:
        for ref in obj["references"]:
            assert (ref["type"], ref["id"]) in ids, (obj["id"], ref)
    [dash] = [o for o in objects if o["type"] == "dashboard"]
    panels = json.loads(dash["attributes"]["panelsJSON"])
    assert len(panels) == len([o for o in objects if o["type"] in ("visualization", "map", "search")])
    assert {p["panelRefName"] for p in panels} == {r["name"] for r in dash["references"]}
