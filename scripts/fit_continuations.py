"""Fit and report the text evidence that pairs the parts of an article continued on another page.

Data: jump pages composed by the page generator (``pipeline/evaluation/pagegen.py``) from the
project's own article bank: an article cut on page 1 (下转/转第N版) and continued on page N
(上接/接第1版, its title repeated or not). Issues are built by stacking ``k`` such jumps onto the
same two pages (k jumps to one page), the parts of each jump among the others' parts.

    .venv/bin/python scripts/fit_continuations.py fit      # -> pipeline/segmentation/jumps.toml
    .venv/bin/python scripts/fit_continuations.py report   # pairing accuracy, fit and held-out text

The fit sees only jumps composed from the bank's fit text; the report gives both splits (the
held-out one is the honest figure), on the gold parts and on the parts the segmenter finds.
Model: a conditional logit over a first part's candidates (softmax of w·x), L2, gradient ascent.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.continuations import FEATURES, WEIGHTS_FILE, lexical_overlap, pair_parts, text_features
from pipeline.models import Article

SEED = 20261201
GROUPS = 90  # jumps composed per text split


@dataclass
class Jump:
    first: list[Article]  # page 1 as segmented (or gold), the cut article among them
    cont: list[Article]  # page N
    gold_first: Article
    gold_cont: Article


def jumps(split: str, n: int = GROUPS, seed: int = SEED, segmented: bool = False) -> list[Jump]:
    from pipeline.evaluation import pagegen as pg
    from pipeline.segmentation import segment_page

    bank = pg.load_bank()
    out = []
    for i in range(0, 2 * n, 2):
        rng = pg._page_rng(seed, "jump_page", split, i)
        comp = pg.Composer(bank, split, rng, pg.Style(half=rng.random() < 0.75, rng=rng))  # type: ignore[arg-type]
        to = rng.choice([2, 3, 4, 5, 8])
        one, two = pg.jump_pages(comp, 1, to)
        pages = [
            pg.render(pg._markup(pg._layout_meta("jump_page", rng, no), pieces)) for pieces, no in ((one, 1), (two, to))
        ]
        gf = next(a for a in pages[0].gold.articles if a.continued_to)
        gc = next(a for a in pages[1].gold.articles if a.continued_from)
        arts = [segment_page(p.text).articles if segmented else p.gold.articles for p in pages]
        out.append(Jump(arts[0], arts[1], gf, gc))
    return out


def stacks(js: list[Jump], k: int) -> Iterator[list[Jump]]:
    """Consecutive groups of k jumps whose articles differ (one bank article is printed once)."""
    chunk: list[Jump] = []
    for j in js:
        if any(j.gold_first.headline == c.gold_first.headline for c in chunk):
            continue
        chunk.append(j)
        if len(chunk) == k:
            yield chunk
            chunk = []


def _spans_meet(a: Article, b: Article) -> bool:
    return any(s < e2 and s2 < e for s, e in a.spans for s2, e2 in b.spans)


def examples(js: list[Jump], k: int) -> list[tuple[list[list[float]], int]]:
    """Per first part: the feature vectors of the k candidate continuations and the true one."""
    out = []
    for chunk in stacks(js, k):
        conts = [j.gold_cont for j in chunk]
        for n, j in enumerate(chunk):
            overlap = lexical_overlap(j.gold_first, conts)
            feats = [text_features(j.gold_first, c, o) for c, o in zip(conts, overlap, strict=True)]
            out.append(([[f[name] for name in FEATURES] for f in feats], n))
    return out


def fit(
    data: list[tuple[list[list[float]], int]], l2: float = 0.01, rate: float = 0.5, epochs: int = 400
) -> list[float]:
    w = [0.0] * len(FEATURES)
    for _ in range(epochs):
        grad = [-l2 * x for x in w]
        for xs, y in data:
            scores = [sum(a * b for a, b in zip(w, x, strict=True)) for x in xs]
            top = max(scores)
            exp = [math.exp(s - top) for s in scores]
            z = sum(exp)
            for i, x in enumerate(xs):
                p = exp[i] / z
                for d, v in enumerate(x):
                    grad[d] += ((i == y) - p) * v
        w = [a + rate * g / max(1, len(data)) for a, g in zip(w, grad, strict=True)]
    return w


def accuracy(js: list[Jump], k: int, strip_titles: bool) -> tuple[int, int, int]:
    """(correctly paired, jumps, left unpaired) with k jumps stacked onto the same two pages."""
    ok = total = unpaired = 0
    for chunk in stacks(js, k):
        page1: list[Article] = []
        page9: list[Article] = []
        origin1: list[int] = []
        origin9: list[int] = []
        for g, j in enumerate(chunk):
            for a in j.first:
                page1.append(a.model_copy(update={"continued_to": 9 if a.continued_to else None}))
                origin1.append(g)
            for a in j.cont:
                update: dict[str, object] = {"continued_from": 1 if a.continued_from else None}
                if strip_titles and a.continued_from:
                    update.update(kicker=None, headline=None, subheadline=None)
                page9.append(a.model_copy(update=update))
                origin9.append(g)
        links = pair_parts({1: page1, 9: page9}).links
        for g, j in enumerate(chunk):
            total += 1
            src = [
                i for i, a in enumerate(page1) if origin1[i] == g and a.continued_to and _spans_meet(a, j.gold_first)
            ]
            if not src or (1, src[0]) not in links:
                unpaired += 1
                continue
            c = links[(1, src[0])][1]
            ok += origin9[c] == g and _spans_meet(page9[c], j.gold_cont)
    return ok, total, unpaired


def fit_accuracy(w: dict[str, float], gold: list[Jump], segmented: list[Jump]) -> int:
    """Jumps paired right on the fit split with weights ``w``: gold and segmented parts, 2 and 3
    jumps to a page, titles as printed and stripped."""
    import pipeline.continuations as continuations

    own = continuations.weights
    continuations.weights = lambda: w  # type: ignore[assignment,misc]
    try:
        return sum(accuracy(js, k, strip)[0] for js in (gold, segmented) for k in (2, 3) for strip in (False, True))
    finally:
        continuations.weights = own  # type: ignore[method-assign]


def write_weights(w: dict[str, float], note: list[str], path: Path = WEIGHTS_FILE) -> None:
    lines = [
        "# Weights of the text evidence that a part continues a jumped article (pipeline/continuations.py).",
        "# Chosen by scripts/fit_continuations.py fit on generated jump pages (fit text of the article bank,",
        f"# seed {SEED}, {GROUPS} jumps). Do not edit by hand.",
        *(f"# {line}" for line in note),
        "[weights]",
        *(f"{name} = {w[name]:.4f}" for name in FEATURES),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=["fit", "report"])
    args = ap.parse_args(argv)
    if args.what == "fit":
        js = jumps("fit")
        data = examples(js, 2) + examples(js, 3)
        candidates = {
            "overlap alone": {name: float(name == "overlap") for name in FEATURES},
            "logit": dict(zip(FEATURES, fit(data), strict=True)),
        }
        seg = jumps("fit", segmented=True)
        scores = {name: fit_accuracy(w, js, seg) for name, w in candidates.items()}
        best = max(scores, key=lambda n: (scores[n], n == "overlap alone"))  # a tie goes to the simpler
        note = [
            f"{name}: {scores[name]} jumps paired right on the fit split; weights "
            + ", ".join(f"{k}={v:.3f}" for k, v in w.items() if v)
            for name, w in candidates.items()
        ]
        write_weights(candidates[best], [*note, f"chosen: {best} ({len(data)} first parts in the logit fit)"])
        print("\n".join(note), f"\nchosen: {best}", sep="")
        return 0
    import pipeline.continuations as continuations

    fitted = continuations.weights()
    baseline = {name: float(name == "overlap") for name in FEATURES}  # the overlap alone
    print("split    parts      jumps/page titles      fitted: correct  | overlap alone | unpaired")
    for split in ("fit", "heldout"):
        for segmented in (False, True):
            js = jumps(split, segmented=segmented)
            for k in (1, 2, 3):
                for strip in (False, True):
                    row = []
                    for w in (fitted, baseline):
                        continuations.weights = lambda w=w: w  # type: ignore[assignment,misc]
                        row.append(accuracy(js, k, strip))
                    (ok, total, unpaired), (ok0, _, _) = row
                    print(
                        f"{split:8} {'segmented' if segmented else 'gold':10} {k:10} "
                        f"{'stripped' if strip else 'as printed':11} {ok:3}/{total:3} {ok / total:.3f}  | "
                        f"{ok0:3}/{total:3} {ok0 / total:.3f}  | {unpaired:3}"
                    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
