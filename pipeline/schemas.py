"""JSON Schemas of every Kafka value and CLI output, generated from ``pipeline.models``."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.models import EVENT_MODELS, SCHEMA_VERSION
from pipeline.resources import data_dir

SCHEMA_DIR = data_dir("schemas")
NAMES = {
    "article": "inkstream.article",
    "issue": "inkstream.issue",
    "deadletter": "inkstream.deadletter",
    "split": "inkstream.split",
    "extraction": "inkstream.extraction",
}


def render_all() -> dict[Path, str]:
    out: dict[Path, str] = {}
    for key, model in EVENT_MODELS.items():
        schema = model.model_json_schema(mode="serialization")
        schema["$id"] = f"https://inkstream.example/schemas/{NAMES[key]}.v{SCHEMA_VERSION}.schema.json"
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        path = SCHEMA_DIR / f"{NAMES[key]}.v{SCHEMA_VERSION}.schema.json"
        out[path] = json.dumps(schema, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    return out


def write_all() -> list[Path]:
    written = []
    for path, text in render_all().items():
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
