"""After recognition: whatever backend found the entities, make them what users facet on.

* fragments out (``fragments.py``): sentence fragments dropped or trimmed to the name inside;
* one canonical name per organisation: official short names (``lexicon/aliases.toml``, with
  sources), short endings after a place stem (浙江省人社厅), short forms resolved against the full
  name in the same article (省总 -> 贵州省总工会);
* places in context: a division name that several divisions share resolves to the one whose city
  (else province) the article names nearest; without such context it stays unresolved;
* credits: reporters, correspondents and photographers as PER entities with a ``role``, their
  offsets in a credits line appended to the article text (``credits_line``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from pipeline.enrichment.entities import place_model
from pipeline.enrichment.fragments import drop_fragments
from pipeline.enrichment.names import _is_place_stem, canonical_org, vocab
from pipeline.enrichment.rules import Division, divisions, short_name
from pipeline.models import Article, Block, BlockKind, Byline, Entity, EntityType

Role = Literal["reporter", "correspondent", "photographer"]
ROLE_LABELS: dict[Role, str] = {"reporter": "记者", "correspondent": "通讯员", "photographer": "摄影"}


# --------------------------------------------------------------------------- short forms in context


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
                (o.start, x) for o in orgs if o is not e and (x := _with_stem(canonical_org(o.canonical), expanded))
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
            out.append(
                Entity(
                    text=name,
                    type=EntityType.PER,
                    start=len(line),
                    end=len(line) + len(name),
                    canonical=name,
                    role=role,
                )
            )
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
        owner: int | None = None
        if inside:
            owner = inside[0]
        elif after:
            owner = min(after, key=lambda i: _edge(bounds[i], 0))
        elif before:
            owner = max(before, key=lambda i: _edge(bounds[i], 1))
        if owner is not None:
            out[owner].extend(n for n in re.split(r"[、\s]+", blk.photographer) if n)
    return out


def _edge(bound: tuple[int, int] | None, side: int) -> int:
    assert bound is not None  # only articles with text are candidates
    return bound[side]
