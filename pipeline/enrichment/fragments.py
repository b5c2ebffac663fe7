"""Recognised candidates that are sentence fragments, out: a candidate that a leading function
word, a trailing predicate or a clause shape marks as part of a sentence (向记者, 和工会, 解决急,
主题活动暨, 法律咨询) is dropped, or trimmed to the organisation name it still contains
(代表|深圳市腾讯计算机系统有限公司). The vocabulary is data (``lexicon/resolve.toml``) and is
shared with ``resolve`` (aliases, short forms)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence

from pipeline.enrichment.names import _HAN, _common_tag, _dict_tag, _is_place_stem, _words, canonical_org, vocab
from pipeline.enrichment.rules import divisions
from pipeline.models import Entity, EntityType

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
                out.append(
                    e
                    if same
                    else e.model_copy(update={"text": text[ps:pe], "start": ps, "end": pe, "canonical": text[ps:pe]})
                )
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
