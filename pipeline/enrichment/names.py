"""Canonical names: the resolution vocabulary (``lexicon/resolve.toml``, ``lexicon/aliases.toml``)
and the index-wide canonical of an organisation or place name, which the facets and the search
filters share (全国总工会 -> 中华全国总工会, 浙江省人社厅 -> 浙江省人力资源和社会保障厅)."""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass

from pipeline.enrichment.rules import LEXICON, divisions, load_rules, short_name
from pipeline.models import Entity, EntityType

_HAN = re.compile(r"^[\u4e00-\u9fff·]+$")


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class _Vocab:
    lead_pos: frozenset[str]
    lead_words: frozenset[str]
    trail_pos: frozenset[str]
    trail_words: tuple[str, ...]
    per_trail: tuple[str, ...]
    per_clause_pos: frozenset[str]
    common_min_freq: int
    org_suffixes: tuple[str, ...]
    org_stop: frozenset[str]
    loc_stop: frozenset[str]
    countries: frozenset[str]
    person_words: tuple[str, ...]
    known_orgs: frozenset[str]
    aliases: dict[str, str]  # alias -> canonical (whole names)
    suffixes: tuple[tuple[str, str], ...]  # (short ending, full ending), longest first
    short_forms: tuple[tuple[str, str], ...]  # 省总 -> 省总工会, longest first


@functools.cache
def vocab() -> _Vocab:
    r = load_rules("resolve")
    ent = load_rules("entities")
    with (LEXICON / "aliases.toml").open("rb") as fh:
        al = tomllib.load(fh)
    aliases: dict[str, str] = {}
    for entry in al["org"]:
        for name in entry["aliases"]:
            if aliases.setdefault(name, entry["canonical"]) != entry["canonical"]:
                raise ValueError(f"aliases.toml: {name} has two canonicals")
    dict_names = {
        line.split()[0]
        for line in (LEXICON / "orgs.dict.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and line.split()[-1] in ("nt", "j")
    }
    suffixes = sorted({*ent["org_suffixes"], *r["extra_org_suffixes"]}, key=len, reverse=True)
    person_words = {*ent["person_titles"], *(w for w in ent["per_stop"] if len(w) >= 2)}
    return _Vocab(
        lead_pos=frozenset(r["lead_pos"]),
        lead_words=frozenset(r["lead_words"]),
        trail_pos=frozenset(r["trail_pos"]),
        trail_words=tuple(sorted(r["trail_words"], key=len, reverse=True)),
        per_trail=tuple(r["per_trail"]),
        per_clause_pos=frozenset(r["per_clause_pos"]),
        common_min_freq=int(r["common_min_freq"]),
        org_suffixes=tuple(suffixes),
        org_stop=frozenset(ent["org_stop"]),
        loc_stop=frozenset({*ent["loc_stop"], *r["generic_places"]}) - {"中国"},
        countries=frozenset(ent["countries"]),
        person_words=tuple(sorted(person_words, key=len, reverse=True)),
        known_orgs=frozenset({*dict_names, *aliases, *aliases.values()}),
        aliases=aliases,
        suffixes=tuple(sorted(((s["short"], s["full"]) for s in al["suffix"]), key=lambda x: -len(x[0]))),
        short_forms=tuple(sorted(ent["aliases"].items(), key=lambda x: -len(x[0]))),
    )


@functools.lru_cache(maxsize=1 << 14)
def _words(text: str) -> tuple[tuple[str, str], ...]:
    """(word, dictionary tag) of the words of a candidate cut on its own; the tag is the
    dictionary's (stable), the cut's tag when the word is not in the dictionary."""
    from pipeline.text.tokenizer import pos_tokenizer

    tagger = pos_tokenizer()
    table = tagger.word_tag_tab
    return tuple((w, table.get(w, f)) for w, f, _ in tagger.tag(text))


def _dict_tag(word: str) -> str | None:
    from pipeline.text.tokenizer import pos_tokenizer

    return pos_tokenizer().word_tag_tab.get(word)  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=1 << 14)
def _common_tag(word: str) -> str | None:
    """The dictionary tag of a word common enough to be read as that word (解决, 成长), not of a
    rare entry that is mostly part of a name (何远 in 何远舟): jieba's frequency decides."""
    from pipeline.text.tokenizer import plain_tokenizer

    return _dict_tag(word) if plain_tokenizer().FREQ.get(word, 0) >= vocab().common_min_freq else None


# --------------------------------------------------------------------------- aliases


def canonical_org(name: str) -> str:
    """The index-wide canonical of an organisation name: official short names (全国总工会 ->
    中华全国总工会), short endings after a stem (浙江省人社厅 -> 浙江省人力资源和社会保障厅),
    short union forms with a stem (贵州省总 -> 贵州省总工会). Unknown names are returned as given."""
    v = vocab()
    name = name.strip()
    if name in v.aliases:
        return v.aliases[name]
    for short, full in v.suffixes:
        if name.endswith(short) and len(name) > len(short):
            return canonical_org(name[: -len(short)] + full)
    for short, full in v.short_forms:
        if name.endswith(short):
            stem = name[: -len(short)]
            if full.startswith("中华"):
                return full if not stem else name
            if stem and _is_place_stem(stem + full[0]):
                return stem + full
    return name


def _is_place_stem(stem: str) -> bool:
    """贵州省, 江川市 … : a division name, or a place-like name ending in a level character."""
    by_name, _ = divisions()
    return stem in by_name or short_name(stem) in by_name or (len(stem) >= 3 and stem[-1] in "省市县区州旗盟")


def canonical_query(kind: EntityType, value: str) -> str:
    """A search filter's value in the form the facet fields hold."""
    value = value.strip()
    if kind is EntityType.ORG:
        return canonical_org(value)
    if kind is EntityType.LOC:
        options = divisions()[0].get(value, [])
        names = {d.name for d in options}
        return names.pop() if len(names) == 1 else value
    return value


@functools.cache
def _aliases_by_canonical() -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for alias, canonical in vocab().aliases.items():
        out.setdefault(canonical, []).append(alias)
    return {k: tuple(v) for k, v in out.items()}


def entity_names(entities: Iterable[Entity]) -> list[str]:
    """Every name the entities go by: what the text says, the canonical, the canonical's official
    short names, a division's short name (杭州市 -> 杭州). The index keeps them in ``entity_names`` so
    a Kibana filter on any alias finds the article; the facets keep only canonicals (one bar each)."""
    names: set[str] = set()
    for e in entities:
        names.update((e.text, e.canonical, *_aliases_by_canonical().get(e.canonical, ())))
        if e.type is EntityType.LOC and e.place is not None:
            names.add(short_name(e.place.name))
    return sorted(n for n in names if n)
