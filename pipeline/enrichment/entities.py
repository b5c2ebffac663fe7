"""Persons, organisations and places: jieba part-of-speech tags plus a rule layer (lexicon/entities.toml).

Conventions (docs/entities.md): an organisation is the maximal name ending in an organisation
suffix (贵州省总工会, not 贵州省 + 总工会); a place inside an organisation name is not a separate
LOC; short forms (省总, 贵州省总) resolve to the full name seen in the same article.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Sequence

from pipeline.enrichment.rules import Division, divisions, load_rules
from pipeline.models import Entity, EntityCount, EntityType, Place

Token = tuple[str, str, int]  # word, POS, start offset
_HAN = re.compile(r"^[\u4e00-\u9fff]+$")
_FOREIGN = re.compile(r"[\u4e00-\u9fff]{1,6}(?:·[\u4e00-\u9fff]{1,8})+")


@functools.cache
def _rules() -> dict[str, object]:
    r = dict(load_rules("entities"))
    r["org_suffixes"] = tuple(sorted(r["org_suffixes"], key=len, reverse=True))  # type: ignore[arg-type]
    for key in ("org_stop", "org_left_stop", "per_stop", "loc_stop", "person_titles", "org_inner_pos"):
        r[key] = frozenset(r[key])  # type: ignore[arg-type]
    r["double_surnames"] = tuple(r["double_surnames"])  # type: ignore[arg-type]
    alias_keys = sorted(r["aliases"], key=len, reverse=True)  # type: ignore[arg-type]
    r["alias_re"] = re.compile(r"(?P<alias>" + "|".join(alias_keys) + r")(?!工会)")
    return r


def _is_org_word(word: str) -> bool:
    return word.endswith(_rules()["org_suffixes"])  # type: ignore[arg-type]


def _orgs(tokens: Sequence[Token]) -> list[tuple[int, int]]:
    r = _rules()
    spans: list[tuple[int, int]] = []
    for i, (word, flag, start) in enumerate(tokens):
        if not _is_org_word(word) and flag != "nt":
            continue
        j = i
        named = flag in ("nt", "nz", "j") and word not in r["org_stop"]  # type: ignore[operator]
        while j > 0:
            prev_word, prev_flag, prev_start = tokens[j - 1]
            if prev_start + len(prev_word) != tokens[j][2] or not _HAN.match(prev_word):
                break
            if prev_word in r["org_left_stop"] or prev_flag not in r["org_inner_pos"]:  # type: ignore[operator]
                break
            if start + len(word) - prev_start > 24:
                break
            j -= 1
            if prev_flag in ("ns", "nt", "nz", "j", "nrt", "m") or _is_org_word(prev_word):
                named = True
        text_start = tokens[j][2]
        text = "".join(t[0] for t in tokens[j : i + 1])
        if named and len(text) >= 3 and text not in r["org_stop"]:  # type: ignore[operator]
            spans.append((text_start, start + len(word)))
    # keep maximal, non-overlapping spans
    spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    kept: list[tuple[int, int]] = []
    for s in spans:
        if kept and s[0] < kept[-1][1]:
            if s[1] > kept[-1][1] and s[0] >= kept[-1][0]:
                kept[-1] = (kept[-1][0], s[1])
            continue
        kept.append(s)
    return kept


def _alias_prefix(text: str, start: int, full_suffix: str, fulls: list[str]) -> str:
    """The place stem written before a short form: 贵州|省总, 江川|市总 (from the article, then the table)."""
    for full in sorted(fulls, key=len, reverse=True):
        stem = full[: -len(full_suffix)]
        if stem and text[max(0, start - len(stem)) : start] == stem:
            return stem
    by_name, _ = divisions()
    for k in range(6, 1, -1):
        stem = text[max(0, start - k) : start]
        if len(stem) == k and stem in by_name:
            return stem
    return ""


def _persons(text: str, tokens: Sequence[Token], taken: list[tuple[int, int]]) -> list[tuple[int, int]]:
    r = _rules()
    out: list[tuple[int, int]] = []
    for m in _FOREIGN.finditer(text):
        out.append((m.start(), m.end()))
    for i, (word, flag, start) in enumerate(tokens):
        end = start + len(word)
        if flag in ("nr", "nrfg") and 2 <= len(word) <= 4 and _HAN.match(word) and word not in r["per_stop"]:  # type: ignore[operator]
            if word[0] in r["surnames"] or word.startswith(r["double_surnames"]):  # type: ignore[arg-type, operator]
                out.append((start, end))
                continue
        if word in r["person_titles"] and i + 1 < len(tokens):  # type: ignore[operator]
            # a name split by jieba into single characters after a title: 副主席 陈/立/峰
            nxt = tokens[i + 1 : i + 4]
            name = ""
            for w, f, s in nxt:
                if s != end + len(name) or not _HAN.match(w) or len(name) + len(w) > 3:
                    break
                name += w
                if len(name) >= 2 and f.startswith("nr"):
                    break
            if 2 <= len(name) <= 3 and name[0] in r["surnames"] and name not in r["per_stop"]:  # type: ignore[operator]
                if all(len(w) == 1 for w, _, _ in nxt[: len(name)]) or any(
                    f.startswith("nr") for _, f, _ in nxt[:2]
                ):
                    out.append((end, end + len(name)))
    return [s for s in out if not any(a <= s[0] and s[1] <= b for a, b in taken)]


def _place(name: str, context: Counter[str]) -> Division | None:
    by_name, _ = divisions()
    options = by_name.get(name)
    if not options:
        return None
    if len(options) > 1:  # prefer a division whose province is mentioned in the same text
        for div in options:
            if context[div.adcode[:2]]:
                return div
    return options[0]


def _place_model(div: Division) -> Place:
    _, by_code = divisions()
    prov = by_code.get(div.adcode[:2] + "0" * (len(div.adcode) - 2))
    city = by_code.get(div.adcode[:4] + "0" * (len(div.adcode) - 4))
    return Place(
        adcode=div.adcode,
        name=div.name,
        province=prov.name if prov else None,
        city=city.name if city and div.level != "province" else None,
        county=div.name if div.level == "county" else None,
        lat=div.lat,
        lon=div.lon,
    )


def extract_entities(text: str, tokens: Sequence[Token]) -> list[Entity]:
    r = _rules()
    entities: list[Entity] = []
    org_spans = _orgs(tokens)
    for s, e in org_spans:
        entities.append(Entity(text=text[s:e], type=EntityType.ORG, start=s, end=e, canonical=text[s:e]))
    # short forms: 省总, 贵州省总, 全总 -> the full name seen in the article
    for m in r["alias_re"].finditer(text):  # type: ignore[attr-defined]
        s, e = m.start(), m.end()
        if any(a <= s < b for a, b in org_spans):
            continue
        full_suffix = r["aliases"][m.group("alias")]  # type: ignore[index]
        fulls = [x.text for x in entities if x.type is EntityType.ORG and x.text.endswith(full_suffix)]
        prefix = _alias_prefix(text, s, full_suffix, fulls)
        if prefix:
            s -= len(prefix)
            fulls = [f for f in fulls if f.startswith(prefix)] or [prefix + full_suffix]
        canonical = fulls[0] if fulls else full_suffix if full_suffix.startswith("中华") else text[s:e]
        entities.append(Entity(text=text[s:e], type=EntityType.ORG, start=s, end=e, canonical=canonical))
    taken = [(x.start, x.end) for x in entities]
    for s, e in _persons(text, tokens, taken):
        if any(a < e and s < b for a, b in taken):
            continue
        entities.append(Entity(text=text[s:e], type=EntityType.PER, start=s, end=e, canonical=text[s:e]))
        taken.append((s, e))
    # places: division names, not inside an organisation or person name
    by_name, _ = divisions()
    provinces: Counter[str] = Counter()
    candidates: list[tuple[int, int, str]] = []
    for word, flag, start in tokens:
        if word in r["loc_stop"] or len(word) < 2 or word not in by_name:  # type: ignore[operator]
            continue
        if flag not in ("ns", "nz", "n", "j", "nt") and not flag.startswith("ns"):
            continue
        if any(a <= start < b for a, b in taken):
            continue
        candidates.append((start, start + len(word), word))
        provinces[by_name[word][0].adcode[:2]] += 1
    for s, e, word in candidates:
        div = _place(word, provinces)
        if div is None:
            continue
        entities.append(
            Entity(text=word, type=EntityType.LOC, start=s, end=e, canonical=div.name, place=_place_model(div))
        )
    entities.sort(key=lambda x: (x.start, x.end))
    return entities


def count_entities(entities: Sequence[Entity]) -> list[EntityCount]:
    counts = Counter((e.canonical, e.type) for e in entities)
    return [EntityCount(name=n, type=t, count=c) for (n, t), c in counts.most_common()]
