"""After recognition: whatever backend found the entities, make them what users facet on.

* fragments out: a candidate that a leading function word, a trailing predicate or a clause
  shape marks as part of a sentence (向记者, 和工会, 解决急, 主题活动暨, 法律咨询) is dropped, or
  trimmed to the organisation name it still contains (代表|深圳市腾讯计算机系统有限公司);
  the vocabulary is data (``lexicon/resolve.toml``);
* one canonical name per organisation: official short names (``lexicon/aliases.toml``, with
  sources), short endings after a place stem (浙江省人社厅), short forms resolved against the full
  name in the same article (省总 -> 贵州省总工会);
* places in context: a division name that several divisions share resolves to the one whose city
  (else province) the article names nearest; without such context it stays unresolved;
* credits: reporters, correspondents and photographers as PER entities with a ``role``, their
  offsets in a credits line appended to the article text (``credits_line``).
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from pipeline.enrichment.entities import place_model
from pipeline.enrichment.rules import LEXICON, Division, divisions, load_rules, short_name
from pipeline.models import Article, Block, BlockKind, Byline, Entity, EntityType

_HAN = re.compile(r"^[\u4e00-\u9fff·]+$")
Role = Literal["reporter", "correspondent", "photographer"]
ROLE_LABELS: dict[Role, str] = {"reporter": "记者", "correspondent": "通讯员", "photographer": "摄影"}


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


# --------------------------------------------------------------------------- fragments


def _has_org_shape(name: str) -> bool:
    v = vocab()
    shorts = (*(k for k, _ in v.short_forms), *(k for k, _ in v.suffixes))  # 陕西省总, 浙江省人社厅
    return name in v.known_orgs or (name.endswith((*v.org_suffixes, *shorts)) and name not in v.org_stop)


def _lead_len(words: Sequence[tuple[str, str]]) -> int:
    """Characters of the leading words that cannot begin a name (代表, 在, 向, 新一届)."""
    v = vocab()
    n = 0
    for word, _ in words[:-1]:  # a tag alone says so only for one character (大连/d is a city)
        if word in v.lead_words or (len(word) == 1 and _common_tag(word) in v.lead_pos):
            n += len(word)
        else:
            break
    return n


def _trailing_clause(name: str, words: Sequence[tuple[str, str]]) -> bool:
    """Ends like a clause: a predicate or a function word last (法律咨询 ends in 咨询/vn)."""
    v = vocab()
    if name.endswith(v.trail_words):
        return True
    last = words[-1][0] if words else name
    if len(last) >= 4 or len(words) == 1:  # a dictionary word (法律咨询/nt, 篮球联赛/n): its own last word
        last = next((last[k:] for k in range(1, len(last) - 1) if _dict_tag(last[k:])), last)
    return last != name and len(last) >= 2 and _common_tag(last) in v.trail_pos  # 畜牧|系: 系 is a suffix


@functools.lru_cache(maxsize=1 << 14)
def _clean_org(name: str) -> tuple[int, int] | None:
    """(chars to cut in front, chars to cut at the end) for an ORG candidate, None if a fragment."""
    v = vocab()
    if name in v.known_orgs:
        return 0, 0
    words = _words(name)
    lead = _lead_len(words)
    if lead:
        rest = name[lead:]
        return (lead, 0) if _named_org(rest) else None
    if name.endswith(v.trail_words):  # 领导带队 ends in 队 but is a predicate
        return None
    if _has_org_shape(name):
        return 0, 0
    # no suffix (欧盟, 微软, 中国足协): a fragment only with a predicate at its end or inside it
    inner_verb = len(words) > 1 and any(len(w) >= 2 and _common_tag(w) in ("v", "vn") for w, _ in words)
    if _trailing_clause(name, words) or inner_verb:
        return None
    return 0, 0


def _split_at_predicate(name: str) -> list[tuple[int, int]]:
    """青山县人社局|联合|县总工会, 东海市总工会|组织|律师团队: two names joined by a predicate; the parts
    that still have an organisation's shape and a name in them, as (start, end) inside ``name``."""
    v = vocab()
    words = _words(name)
    pos = 0
    for i, (word, _) in enumerate(words):
        if 0 < i < len(words) - 1 and word in v.lead_words and len(word) >= 2:  # not 研究/协调: in names
            if not _named_org(name[:pos]):
                return [(0, len(name))]  # 中国|移动|通信集团 is one name
            parts = [(0, pos), (pos + len(word), len(name))]
            return [(a, b) for a, b in parts if _named_org(name[a:b])]
        pos += len(word)
    return [(0, len(name))]


def _named_org(name: str) -> bool:
    """Organisation-shaped with a name in it (a place, a proper noun), not 律师团队 or 产业工会委员会."""
    v = vocab()
    if name in v.known_orgs:
        return True
    if len(name) < 3 or not _has_org_shape(name):
        return False
    by_name = divisions()[0]
    return any(t.startswith(("ns", "nt", "nz", "nr", "j")) or w in by_name for w, t in _words(name)) or (
        _is_place_stem(name[:3]) or name[0] in "省市县区"
    )


@functools.lru_cache(maxsize=1 << 14)
def _is_person_fragment(name: str) -> bool:
    v = vocab()
    if "·" in name:
        return False
    if any(w in name for w in v.person_words):  # 向记者, 和工会: a role or common word inside
        return True
    if len(name) >= 2 and _common_tag(name) in v.per_clause_pos:  # 成长/v is a common word (周恩来/t is a name)
        return True
    words = _words(name)
    if words and len(words[0][0]) >= 2 and _common_tag(words[0][0]) in v.per_clause_pos:  # 解决急
        return True
    if len(words) > 1 and len(words[0][0]) >= 2 and words[0][0] in v.lead_words:  # 代表|…
        return True
    rest = name[1:]
    rest_tag = _common_tag(rest) if len(rest) >= 2 else None
    if _common_tag(name[0]) in v.lead_pos and rest_tag and not rest_tag.startswith(("nr", "ns")):
        return True  # 据|了解, 向|记者; not 和|万春, 于|金山
    return name.endswith(v.per_trail)


def drop_fragments(text: str, entities: Iterable[Entity]) -> list[Entity]:
    """Entities without the candidates that are sentence fragments; organisation candidates with
    a leading predicate or function word are trimmed to the name behind it."""
    by_name, _ = divisions()
    out: list[Entity] = []
    for e in entities:
        if e.role is not None:
            out.append(e)
            continue
        name = e.text
        if e.type is EntityType.PER:
            if not _HAN.match(name) or _is_person_fragment(name) or (len(name) >= 3 and name[-1] in "省市县区州"):
                continue
        elif e.type is EntityType.ORG:
            cut = _clean_org(name)
            if cut is None:
                continue
            s, t = e.start + cut[0], e.end - cut[1]
            parts = _split_at_predicate(text[s:t]) if _has_org_shape(text[s:t]) else [(0, t - s)]
            for a, b in parts:
                ps, pe = s + a, s + b
                same = (ps, pe) == (e.start, e.end)
                out.append(e if same else e.model_copy(
                    update={"text": text[ps:pe], "start": ps, "end": pe, "canonical": text[ps:pe]}
                ))
            continue
        elif e.type is EntityType.LOC:
            if re.search(r"[^\w·]", name):  # 美”江川市: keep the division after the punctuation
                tail = re.split(r"[^\w·]", name)[-1]
                if tail not in by_name:
                    continue
                s = e.end - len(tail)
                e = e.model_copy(update={"text": tail, "start": s, "canonical": tail})
                name = tail
            if name in vocab().loc_stop:
                continue
            short = next((k for k, _ in vocab().short_forms if name.endswith(k) and len(name) > len(k)), None)
            if short and _is_place_stem(name[: -len(short)] + short[0]):  # 江川市总 is the union, not a place
                out.append(e.model_copy(update={"type": EntityType.ORG, "canonical": canonical_org(name)}))
                continue
            words = _words(name)
            lead = _lead_len(words)
            if lead and name[lead:] in by_name:
                s = e.start + lead
                e = e.model_copy(update={"text": text[s : e.end], "start": s, "canonical": text[s : e.end]})
            elif lead:
                continue
        out.append(e)
    return out


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


def _article_canonicals(entities: list[Entity]) -> list[Entity]:
    """Within an article: a name without its place stem (省总工会, 省总 -> 省总工会, 市人社局) takes the
    full name the article gives nearest before it (else after it)."""
    v = vocab()
    orgs = [e for e in entities if e.type is EntityType.ORG]
    out: list[Entity] = []
    for e in entities:
        if e.type is not EntityType.ORG:
            out.append(e)
            continue
        canon = canonical_org(e.canonical)
        expanded = canon
        for short, full in (*v.short_forms, *v.suffixes):
            if canon == short:
                expanded = full  # 省总 -> 省总工会, 人社局 -> 人力资源和社会保障局
        if expanded != canon or expanded[:1] in "省市县区州":
            found = [
                (o.start, x) for o in orgs
                if o is not e and (x := _with_stem(canonical_org(o.canonical), expanded))
            ]
            before = [x for start, x in found if start < e.start]
            best = before[-1] if before else found[0][1] if found else None
            if best is not None:
                canon = best
        if canon != e.canonical:
            e = e.model_copy(update={"canonical": canon})
        out.append(e)
    return out


def _with_stem(full: str, bare: str) -> str | None:
    """The name ``bare`` (written without its place) stands for, given the full name ``full`` of the
    same article: 省总工会 / 贵州省总工会 -> 贵州省总工会; 省财贸工会 / 贵州省财贸工会委员会 -> the
    committee; 市总工会网络工作部 / 江川市总工会 -> 江川市总工会网络工作部; None if unrelated."""
    v = vocab()
    for tail in ("", "委员会"):
        if full.endswith(bare + tail) and len(full) > len(bare + tail):
            stem = full[: -len(bare + tail)]
            if _is_place_stem(stem) or (bare[0] in "省市县区州" and _is_place_stem(stem + bare[0])):
                return full
    if bare[0] in "省市县区州":
        for k in range(len(bare) - 1, 2, -1):
            head = bare[:k]
            if head.endswith(v.org_suffixes) and full.endswith(head) and len(full) > k:
                stem = full[:-k]
                if _is_place_stem(stem + bare[0]):
                    return stem + bare
    return None


# --------------------------------------------------------------------------- places


def _parts(name: str) -> list[str]:
    """杭州市西湖区 -> [杭州市, 西湖区] (greedy, all or nothing); a single name -> [name]."""
    by_name, _ = divisions()
    parts: list[str] = []
    pos = 0
    while pos < len(name):
        for end in range(len(name), pos + 1, -1):
            if name[pos:end] in by_name:
                parts.append(name[pos:end])
                pos = end
                break
        else:
            return [name]
    return parts


def _names_of(code: str) -> tuple[str, ...]:
    _, by_code = divisions()
    div = by_code.get(code)
    if div is None:
        return ()
    short = short_name(div.name)
    return (div.name, short) if short != div.name else (div.name,)


def _nearest(text: str, names: Sequence[str], pos: int, own: tuple[int, int]) -> int | None:
    """Distance from ``pos`` to the nearest mention of one of ``names`` outside ``own``."""
    best: int | None = None
    for name in names:
        for m in re.finditer(re.escape(name), text):
            if own[0] <= m.start() < own[1]:
                continue
            d = abs(m.start() - pos)
            best = d if best is None or d < best else best
    return best


def resolve_place(text: str, name: str, start: int, end: int) -> Division | None:
    """The division a place name means here. Several divisions share the name: the one whose city
    (else province) the text names nearest wins, inside the same name first (杭州市西湖区); no such
    mention, or a tie, leaves it unresolved."""
    by_name, _ = divisions()
    parts = _parts(name)
    options = by_name.get(parts[-1], [])
    if len(options) <= 1:
        return options[0] if options else None
    prefix = "".join(parts[:-1])
    for level in (4, 2):  # city, then province
        scored: list[tuple[int, Division]] = []
        for div in options:
            if div.adcode[level:].strip("0") == "":
                continue  # the option is itself that level: its parent is one level up
            parent = div.adcode[:level] + "0" * (len(div.adcode) - level)
            names = _names_of(parent)
            if prefix and any(prefix.endswith(n) or n in prefix for n in names):
                scored.append((-1, div))
                continue
            d = _nearest(text, names, start, (start, end))
            if d is not None:
                scored.append((d, div))
        if scored:
            scored.sort(key=lambda x: x[0])
            if len(scored) > 1 and scored[0][0] == scored[1][0]:
                return None
            return scored[0][1]
    return None


def _resolve_places(text: str, entities: list[Entity]) -> list[Entity]:
    by_name, _ = divisions()
    out: list[Entity] = []
    for e in entities:
        if e.type is EntityType.LOC and _parts(e.text)[-1] in by_name:
            div = resolve_place(text, e.text, e.start, e.end)
            canon = div.name if div else e.text
            e = e.model_copy(update={"place": place_model(div) if div else None, "canonical": canon})
        out.append(e)
    return out


# --------------------------------------------------------------------------- entry points


def resolve(text: str, entities: Sequence[Entity]) -> list[Entity]:
    """Fragments out, canonical organisation names, places in context (offsets unchanged or
    trimmed inside the recognised span, so ``text[start:end] == entity.text`` still holds)."""
    kept = drop_fragments(text, entities)
    kept = _article_canonicals(kept)
    kept = _resolve_places(text, kept)
    kept.sort(key=lambda x: (x.start, x.end))
    return kept


def credits_line(byline: Byline, photographers: Sequence[str] = ()) -> tuple[str, list[Entity]]:
    """The article's credits as one line (``记者 李丰 张楠 通讯员 孙岚 摄影 郑子衡``) and its
    names as PER entities with a role, offsets into that line. The caller appends the line to
    the article text (after a newline) and shifts the offsets by where it starts."""
    groups: tuple[tuple[Role, Sequence[str]], ...] = (
        ("reporter", byline.reporters),
        ("correspondent", byline.correspondents),
        ("photographer", [n for p in photographers for n in re.split(r"[、\s]+", p) if n]),
    )
    line = ""
    out: list[Entity] = []
    for role, names in groups:
        names = [n for n in dict.fromkeys(names) if n]
        if not names:
            continue
        line += ("" if not line else " ") + ROLE_LABELS[role]
        for name in names:
            line += " "
            out.append(Entity(
                text=name, type=EntityType.PER, start=len(line), end=len(line) + len(name), canonical=name, role=role,
            ))
            line += name
    return line, out


def caption_credits(articles: Sequence[Article], blocks: Sequence[Block]) -> list[list[str]]:
    """Photographers per article: a credited caption belongs to the article its spans enclose on
    the page (the photo printed inside the article), else to the article that follows it, else to
    the one before it (a photo sits above or beside its story). One list per article."""
    out: list[list[str]] = [[] for _ in articles]
    bounds = [(min(s for s, _ in a.spans), max(e for _, e in a.spans)) if a.spans else None for a in articles]
    for blk in blocks:
        if blk.kind is not BlockKind.CAPTION or not blk.photographer or not blk.spans:
            continue
        at = blk.spans[0][0]
        inside = [i for i, b in enumerate(bounds) if b and b[0] <= at < b[1]]
        after = [i for i, b in enumerate(bounds) if b and b[0] >= at]
        before = [i for i, b in enumerate(bounds) if b and b[1] <= at]
        owner = (
            inside[0] if inside
            else min(after, key=lambda i: bounds[i][0]) if after  # type: ignore[index]
            else max(before, key=lambda i: bounds[i][1]) if before  # type: ignore[index]
            else None
        )
        if owner is not None:
            out[owner].extend(n for n in re.split(r"[、\s]+", blk.photographer) if n)
    return out
