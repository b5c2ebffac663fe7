"""Enrichment quality against the team's annotated articles (tests/golden/enrichment/*.gold).

Markup: ``[text|PER]`` ``[short|ORG>canonical]`` entities, ``{text|value|unit|qualifier}``
metrics, ``<text|from|to>`` dates; an annotation with empty fields (``{两成|}``, ``<近日|>``)
marks text that must *not* be extracted and is scored only through precision.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pipeline.enrichment import extract

_MARK = re.compile(
    r"\[(?P<etext>[^\]|]+)\|(?P<etype>PER|ORG|LOC)(?:>(?P<canon>[^\]]+))?\]"
    r"|\{(?P<mtext>[^}|]+)(?:\|(?P<mfields>[^}]*))?\}"
    r"|<(?P<dtext>[^>|]+)\|(?P<dfields>[^>]*)>"
)


@dataclass
class GoldArticle:
    id: str
    issue_date: date
    text: str
    entities: list[tuple[int, int, str, str]] = field(default_factory=list)
    metrics: list[tuple[int, int, float, str, str | None]] = field(default_factory=list)
    dates: list[tuple[int, int, date, date]] = field(default_factory=list)


def parse_gold(source: str) -> list[GoldArticle]:
    articles: list[GoldArticle] = []
    chunks = re.split(r"^@ ", source, flags=re.M)
    for chunk in chunks[1:]:
        header, _, body = chunk.partition("\n")
        day, ident = header.split()
        raw = "\n".join(line for line in body.strip().splitlines() if not line.startswith("#"))
        art = GoldArticle(id=ident, issue_date=date.fromisoformat(day), text="")
        out: list[str] = []
        pos = 0
        last = 0
        for m in _MARK.finditer(raw):
            out.append(raw[last : m.start()])
            pos += m.start() - last
            last = m.end()
            surface = m.group("etext") or m.group("mtext") or m.group("dtext")
            start, end = pos, pos + len(surface)
            out.append(surface)
            pos = end
            if m.group("etype"):
                art.entities.append((start, end, m.group("etype"), m.group("canon") or surface))
            elif m.group("mtext") is not None and m.group("mfields"):
                value, unit, qualifier = m.group("mfields").split("|")
                art.metrics.append((start, end, float(value), unit, qualifier or None))
            elif m.group("dtext") is not None and m.group("dfields"):
                d_from, d_to = m.group("dfields").split("|")
                art.dates.append((start, end, date.fromisoformat(d_from), date.fromisoformat(d_to)))
        out.append(raw[last:])
        art.text = "".join(out)
        articles.append(art)
    return articles


@dataclass
class PRF:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def as_dict(self) -> dict[str, float]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "gold": self.tp + self.fn}


@dataclass
class EnrichScores:
    articles: int = 0
    per_type: dict[str, PRF] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def prf(self, key: str) -> PRF:
        return self.per_type.setdefault(key, PRF())

    def as_dict(self) -> dict[str, object]:
        return {"articles": self.articles, **{k: v.as_dict() for k, v in sorted(self.per_type.items())}}


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _score(
    kind: str, gold: list[tuple[Any, ...]], pred: list[tuple[Any, ...]], scores: EnrichScores, label: str, text: str
) -> None:
    """Items are (start, end, *key); a prediction matches an unused gold item with the same key
    and an overlapping span (entities: the same span)."""
    used: set[int] = set()
    prf = scores.prf(kind)
    for p in pred:
        hit = next(
            (
                i
                for i, g in enumerate(gold)
                if i not in used
                and g[2:] == p[2:]
                and ((g[0], g[1]) == (p[0], p[1]) if kind.startswith("entity") else _overlap(g[:2], p[:2]))
            ),
            None,
        )
        if hit is None:
            prf.fp += 1
            scores.errors.append(f"{label} {kind} FP {text[p[0] : p[1]]!r} {p[2:]}")
        else:
            used.add(hit)
            prf.tp += 1
    for i, g in enumerate(gold):
        if i not in used:
            prf.fn += 1
            scores.errors.append(f"{label} {kind} FN {text[g[0] : g[1]]!r} {g[2:]}")


def evaluate(articles: Iterable[GoldArticle], backend: str = "jieba") -> EnrichScores:
    scores = EnrichScores()
    for art in articles:
        scores.articles += 1
        got = extract(art.text, art.issue_date, backend)
        gold_ents = [(s, e, t) for s, e, t, _ in art.entities]
        pred_ents = [(x.start, x.end, x.type.value) for x in got.entities]
        _score("entity", gold_ents, pred_ents, scores, art.id, art.text)
        for etype in ("PER", "ORG", "LOC"):
            _score(
                f"entity_{etype}",
                [g for g in gold_ents if g[2] == etype],
                [p for p in pred_ents if p[2] == etype],
                EnrichScores(per_type=scores.per_type),
                art.id,
                art.text,
            )
        _score(
            "metric",
            [(s, e, v, u, q) for s, e, v, u, q in art.metrics],
            [(m.start, m.end, float(m.value), m.unit, m.qualifier) for m in got.metrics],
            scores,
            art.id,
            art.text,
        )
        _score(
            "date",
            list(art.dates),
            [(d.start, d.end, d.date_from, d.date_to) for d in got.dates],
            scores,
            art.id,
            art.text,
        )
    return scores


def golden_articles(root: Path, only: str | None = None) -> list[GoldArticle]:
    paths = sorted(root.glob(only or "*.gold"))
    return [a for path in paths for a in parse_gold(path.read_text(encoding="utf-8"))]
