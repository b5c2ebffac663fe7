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
from typing import Any

from pipeline.enrichment.rules import Division, divisions, load_rules
from pipeline.models import Entity, EntityCount, EntityType, Place
from pipeline.text.tokenizer import pos_tokenizer

Token = tuple[str, str, int]  # word, POS, start offset
_HAN = re.compile(r"^[\u4e00-\u9fff]+$")
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]{2,3}")


@functools.cache
def _rules() -> dict[str, Any]:
    r = dict(load_rules("entities"))
    r["org_suffixes"] = tuple(sorted(r["org_suffixes"], key=len, reverse=True))
    for key in ("org_stop", "org_left_stop", "per_stop", "loc_stop", "person_titles", "org_inner_pos"):
        r[key] = frozenset(r[key])
    r["double_surnames"] = tuple(r["double_surnames"])
    r["name_initials"] = frozenset(r["surnames"]) | {d[0] for d in r["double_surnames"]}
    r["role_suffixes"] = tuple(r["role_suffixes"])
    r["name_followers"] = tuple(r["name_followers"])
    r["speech_followers"] = tuple(f for f in r["name_followers"] if _HAN.match(f))
    r["speech_verbs"] = tuple(r["speech_verbs"])
    r["countries"] = frozenset(r["countries"])
    r["single_char_suffix_pos"] = frozenset(r["single_char_suffix_pos"])
    t = r["transliteration"]
    r["foreign_re"] = re.compile(f"[{t}]{{1,6}}(?:·[{t}]{{1,8}})+")
    alias_keys = sorted(r["aliases"], key=len, reverse=True)
    r["alias_re"] = re.compile(r"(?P<alias>" + "|".join(alias_keys) + r")(?!工会)")
    return r


@functools.cache
def _suffix_lengths() -> tuple[frozenset[str], tuple[int, ...]]:
    suffixes = frozenset(_rules()["org_suffixes"])
    return suffixes, tuple(sorted({len(x) for x in suffixes}, reverse=True))


@functools.lru_cache(maxsize=1 << 16)
def _is_org_word(word: str, flag: str = "n") -> bool:
    """Ends in an organisation suffix (the longest one decides; one-character ones only for some POS)."""
    suffixes, lengths = _suffix_lengths()
    for n in lengths:
        if n <= len(word) and word[-n:] in suffixes:
            return n > 1 or flag in _rules()["single_char_suffix_pos"]
    return False


def _orgs(tokens: Sequence[Token]) -> list[tuple[int, int]]:
    r = _rules()
    spans: list[tuple[int, int]] = []
    for i, (word, flag, start) in enumerate(tokens):
        if not _is_org_word(word, flag) and flag != "nt":
            continue
        j = i
        named = flag in ("nt", "nz", "j") and word not in r["org_stop"]
        while j > 0:
            prev_word, prev_flag, prev_start = tokens[j - 1]
            if prev_start + len(prev_word) != tokens[j][2] or not _HAN.match(prev_word):
                break
            if prev_word in r["org_left_stop"] or prev_flag not in r["org_inner_pos"]:
                break
            if start + len(word) - prev_start > 24:
                break
            j -= 1
            if prev_flag in ("ns", "nt", "nz", "j", "nrt") or (
                _is_org_word(prev_word, prev_flag) and prev_word not in r["org_stop"]
            ):
                named = True
            elif prev_word in divisions()[0]:
                named = True  # 合肥/n 市总工会
        k = i
        while (
            k + 1 < len(tokens)
            and tokens[k + 1][1] in ("nz", "nt")
            and _HAN.match(tokens[k + 1][0])
            and tokens[k + 1][2] == tokens[k][2] + len(tokens[k][0])
        ):
            k += 1  # 中国石油 + 大庆油田/nz
        text_start = tokens[j][2]
        text = "".join(t[0] for t in tokens[j : k + 1])
        if named and len(text) >= 3 and text not in r["org_stop"]:
            spans.append((text_start, text_start + len(text)))
    # keep maximal, non-overlapping spans
    spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    kept: list[tuple[int, int]] = []
    for s in spans:
        if kept and s[0] < kept[-1][1]:
            if s[1] > kept[-1][1] and s[0] >= kept[-1][0]:
                kept[-1] = (kept[-1][0], s[1])
            continue
        if kept and s[0] == kept[-1][1]:
            kept[-1] = (kept[-1][0], s[1])  # 中国石油 + 大庆油田: one maximal name
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


@functools.lru_cache(maxsize=1 << 16)
def _is_name(name: str) -> bool:
    r = _rules()
    if not _HAN.match(name) or name in r["per_stop"]:
        return False
    if name.startswith(r["double_surnames"]):
        return 3 <= len(name) <= 4
    return name[0] in r["surnames"] and 2 <= len(name) <= 3


@functools.lru_cache(maxsize=1 << 16)
def _is_role(word: str, flag: str = "n") -> bool:
    """主席, 书记 …, or a noun ending like a job (探伤工, 乡邮员, 讲师); 施工/vn is not a role."""
    r = _rules()
    return word in r["person_titles"] or (
        len(word) >= 2 and flag.startswith(("n", "q")) and word.endswith(r["role_suffixes"])
    )


def _name_after(text: str, pos: int) -> int:
    """Length of a name starting at ``pos`` (after a role word) that a follower word closes, or 0."""
    r = _rules()
    for length in (3, 2, 4):
        name = text[pos : pos + length]
        if len(name) == length and _is_name(name) and text.startswith(r["name_followers"], pos + length):
            return length
    return 0


def _persons(text: str, tokens: Sequence[Token], taken: list[tuple[int, int]]) -> list[tuple[int, int]]:
    r = _rules()
    out: list[tuple[int, int]] = []
    for m in r["foreign_re"].finditer(text):
        out.append((m.start(), m.end()))
    for i, (word, flag, start) in enumerate(tokens):
        end = start + len(word)
        if flag in ("nr", "nrfg") and _is_name(word):
            prev = tokens[i - 1][0] if i else ""
            speech = r["speech_followers"]
            prev_flag = tokens[i - 1][1] if i else "x"
            in_dictionary = word in pos_tokenizer().word_tag_tab  # 向前走 is a dictionary "nr"
            if (len(word) >= 3 and not in_dictionary) or _is_role(prev, prev_flag) or text.startswith(speech, end):
                out.append((start, end))
                continue
        if _is_role(word, flag) or (i and len(word) == 1 and _is_role(tokens[i - 1][0] + word, flag)):
            length = _name_after(text, end)
            if length:
                out.append((end, end + length))
    # a name said with 说/介绍/表示 and repeated in the article (吴长河说 … 吴长河带徒弟): jieba often
    # splits such names (吴/长河); then every mention of a known name counts
    speech = r["speech_verbs"]
    initials = r["name_initials"]
    names = {text[s:e] for s, e in out if not r["foreign_re"].fullmatch(text[s:e])}
    for m in _HAN_RUN.finditer(text):
        if text[m.start()] not in initials:
            continue
        for length in (3, 2):
            name = text[m.start() : m.start() + length]
            if (
                len(name) == length
                and _is_name(name)
                and text.startswith(speech, m.start() + length)
                and text.count(name) >= 2
                and name not in divisions()[0]
            ):
                names.add(name)
                break
    for name in names:
        out.extend((m.start(), m.end()) for m in re.finditer(re.escape(name), text))
    out.sort(key=lambda s: (s[0], s[0] - s[1]))  # longest first at the same start
    kept: list[tuple[int, int]] = []
    for s in out:
        if any(a <= s[0] and s[1] <= b for a, b in taken):
            continue
        if kept and s[0] < kept[-1][1]:
            continue
        kept.append(s)
    return kept


def _split_places(word: str, start: int) -> list[tuple[int, int, str]]:
    """A jieba token made of several division names, split greedily (all or nothing)."""
    by_name, _ = divisions()
    parts: list[tuple[int, int, str]] = []
    pos = 0
    while pos < len(word):
        for end in range(len(word), pos + 1, -1):
            if word[pos:end] in by_name:
                parts.append((start + pos, start + end, word[pos:end]))
                pos = end
                break
        else:
            return []
    return parts if len(parts) > 1 else []


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


def place_model(div: Division) -> Place:
    """A division as the event's place: its province and city from the adcode, coordinates."""
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


def entities_from_spans(text: str, spans: Sequence[tuple[int, int, str]]) -> list[Entity]:
    """Typed spans of a recogniser (CRF, LAC) -> entities; a LOC resolves to the division that the
    other places of the text agree on (their province), with its place."""
    by_name, _ = divisions()
    provinces: Counter[str] = Counter(
        by_name[text[s:e]][0].adcode[:2] for s, e, kind in spans if kind == "LOC" and text[s:e] in by_name
    )
    entities: list[Entity] = []
    for s, e, kind in spans:
        surface = text[s:e]
        if kind == "LOC":
            div = _place(surface, provinces)
            canonical, place = (div.name, place_model(div)) if div else (surface, None)
            entities.append(Entity(text=surface, type=EntityType.LOC, start=s, end=e, canonical=canonical, place=place))
        else:
            entities.append(Entity(text=surface, type=EntityType(kind), start=s, end=e, canonical=surface))
    return entities


def short_forms(text: str, entities: Sequence[Entity], starts: set[int]) -> list[Entity]:
    """省总, 贵州省总, 全总 as ORG, ``canonical`` = the full name seen in the article. ``starts``:
    token starts; a short form must begin on one (安全总监 holds no 全总)."""
    r = _rules()
    taken = [(x.start, x.end) for x in entities]
    out: list[Entity] = []
    for m in r["alias_re"].finditer(text):
        s, e = m.start(), m.end()
        if any(a <= s < b for a, b in taken):
            continue
        full_suffix = r["aliases"][m.group("alias")]
        fulls = [x.text for x in entities if x.type is EntityType.ORG and x.text.endswith(full_suffix)]
        prefix = _alias_prefix(text, s, full_suffix, fulls)
        if (s - len(prefix)) not in starts:
            continue
        if prefix:
            s -= len(prefix)
            fulls = [f for f in fulls if f.startswith(prefix)] or [prefix + full_suffix]
        canonical = fulls[0] if fulls else full_suffix if full_suffix.startswith("中华") else text[s:e]
        out.append(Entity(text=text[s:e], type=EntityType.ORG, start=s, end=e, canonical=canonical))
    return out


def extract_entities(text: str, tokens: Sequence[Token]) -> list[Entity]:
    r = _rules()
    entities: list[Entity] = []
    org_spans = _orgs(tokens)
    for s, e in org_spans:
        entities.append(Entity(text=text[s:e], type=EntityType.ORG, start=s, end=e, canonical=text[s:e]))
    entities += short_forms(text, entities, {t[2] for t in tokens})
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
        if word in r["countries"] and not any(a <= start < b for a, b in taken):
            entities.append(Entity(text=word, type=EntityType.LOC, start=start, end=start + len(word), canonical=word))
            continue
        if word in r["loc_stop"] or len(word) < 2:
            continue
        if word not in by_name:
            if flag.startswith("ns") and not any(a <= start < b for a, b in taken):
                for s, e, part in _split_places(word, start):  # 吉林省延边朝鲜族自治州 = 吉林省 + 延边…
                    candidates.append((s, e, part))
                    provinces[by_name[part][0].adcode[:2]] += 1
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
            Entity(text=word, type=EntityType.LOC, start=s, end=e, canonical=div.name, place=place_model(div))
        )
    entities.sort(key=lambda x: (x.start, x.end))
    return entities


def count_entities(entities: Sequence[Entity]) -> list[EntityCount]:
    counts = Counter((e.canonical, e.type) for e in entities)
    return [EntityCount(name=n, type=t, count=c) for (n, t), c in counts.most_common()]
