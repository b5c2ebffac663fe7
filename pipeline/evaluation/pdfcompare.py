"""Segmentation from the PDF path against the text path on the same generated pages: render,
extract, segment, score by content (``python -m pipeline.evaluation.pdfcompare --compare``)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pipeline.evaluation.golden import GoldenPage
from pipeline.evaluation.pdfgen import _merge_cut_paragraphs, modules_of, render_page_pdf
from pipeline.evaluation.pdfitems import Item, _norm, items_from_markup
from pipeline.evaluation.segmentation import f1, judge
from pipeline.models import PageSplit


def _content(spans: Iterable[tuple[int, int]], text: str) -> tuple[tuple[str, int], ...]:
    """What an article is made of, wherever it sits in the text: the multiset of its non-space
    characters (dashes aside: a title's —— between decks is not set on the PDF page)."""
    return tuple(sorted(Counter(_norm("".join(text[s:e] for s, e in spans))).items()))


@dataclass
class ContentScores:
    """The internal scorer's measures (``evaluation.segmentation``) with articles matched by content
    instead of offsets, so pages of different text (the PDF's extraction and the generated text)
    are scored alike against the same gold."""

    pages: int = 0
    gold: int = 0
    predicted: int = 0
    matched: int = 0
    headline: int = 0
    body: int = 0
    byline: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, name: str, page: GoldenPage, got_text: str, got: PageSplit) -> None:
        self.pages += 1
        self.gold += len(page.gold.articles)
        self.predicted += len(got.articles)
        predicted: dict[tuple[tuple[str, int], ...], list[Any]] = {}
        for a in got.articles:
            predicted.setdefault(_content(a.spans, got_text), []).append(a)
        for gold in page.gold.articles:
            label = f"{name}: {gold.headline or (gold.paragraphs[0][:12] if gold.paragraphs else '?')}"
            found = predicted.get(_content(gold.spans, page.text))
            if not found:
                self.errors.append(f"{label}: boundary")
                continue
            self.matched += 1
            headline, body, byline = judge(label, found.pop(), gold, self.errors)
            self.headline += headline
            self.body += body
            self.byline += byline

    def as_dict(self) -> dict[str, float]:
        p = self.matched / self.predicted if self.predicted else 0.0
        r = self.matched / self.gold if self.gold else 0.0
        g = self.gold or 1
        return {
            "pages": self.pages,
            "articles_gold": self.gold,
            "articles_predicted": self.predicted,
            "article_f1": round(f1(p, r), 4),
            "headline_exact": round(self.headline / g, 4),
            "body_exact": round(self.body / g, 4),
            "byline_accuracy": round(self.byline / g, 4),
        }


def compare_pdf_text(
    pages: Sequence[Any],
    segment: Callable[[str], PageSplit] | None = None,
    extract: Callable[[bytes, str], Any] | None = None,
    render: Callable[[Any], bytes] | None = None,
) -> dict[str, Any]:
    """Segmentation scores of the text path (generated text -> segmenter) and of the PDF path
    (render -> extract -> segmenter) on the same pages, against the same gold:
    ``{"text": {...}, "pdf": {...}, "per_recipe": {recipe: {"text": {...}, "pdf": {...}}},
    "extraction": {"blocks_exact": n/N, ...}, "errors": {"text": [...], "pdf": [...]}}``."""
    from pipeline.sources.pdf import extract_page

    if segment is None:
        from pipeline.segmentation import segment_page
        from pipeline.segmentation.training import bank_rules

        rules = bank_rules()

        def segment(text: str) -> PageSplit:
            return segment_page(text, rules)

    extract = extract or extract_page
    totals = {"text": ContentScores(), "pdf": ContentScores()}
    per_recipe: dict[str, dict[str, ContentScores]] = {}
    same_text = 0
    for p in pages:
        gp: GoldenPage = p.page
        data = (render or render_page_pdf)(p)
        pdf_text = extract(data, p.name).text
        runs = {"text": (gp.text, segment(gp.text)), "pdf": (pdf_text, segment(pdf_text))}
        rec = per_recipe.setdefault(p.recipe, {"text": ContentScores(), "pdf": ContentScores()})
        for path, (text, got) in runs.items():
            totals[path].add(p.name, gp, text, got)
            rec[path].add(p.name, gp, text, got)
        if reads_as_set(pdf_text, _expected_text(p)):
            same_text += 1
    return {
        "text": totals["text"].as_dict(),
        "pdf": totals["pdf"].as_dict(),
        "per_recipe": {r: {k: v.as_dict() for k, v in s.items()} for r, s in sorted(per_recipe.items())},
        "extraction": {"pages": len(pages), "pages_with_expected_blocks": same_text},
        "errors": {k: v.errors for k, v in totals.items()},
    }


def _blocks(text: str) -> list[str]:
    return [_norm(b) for b in re.split(r"\n\s*\n", text) if b.strip()]


def _cuts(blocks: list[str]) -> set[int]:
    out, at = set(), 0
    for b in blocks:
        at += len(b)
        out.add(at)
    return out


def reads_as_set(extracted: str, expected: str) -> bool:
    """The extracted text holds the set text in the same order, every set block boundary a block
    boundary (extraction adds one where the layout broke a paragraph at a column end)."""
    got, want = _blocks(extracted), _blocks(expected)
    return "".join(got) == "".join(want) and _cuts(want) <= _cuts(got)


def _expected_text(page: Any) -> str:
    """The blocks the PDF of a generated page should extract to: its items in order, the decks of a
    title one line, a paragraph and the rest cut from it in the same module one block (as set)."""
    _, items = items_from_markup(page.source)
    out: list[str] = []
    for module in modules_of(items):
        prev: Item | None = None
        for it in _merge_cut_paragraphs(module.items):
            if prev is not None and prev.role == it.role == "T":
                out[-1] += "——" + it.text
            else:
                out.append(it.text)
            prev = it
    return "\n\n".join(out)


def _table(result: dict[str, Any]) -> str:
    cols = ("article_f1", "headline_exact", "body_exact", "byline_accuracy")
    head = f"{'part':<34}{'path':<6}{'pages':>6}{'gold':>6}{'pred':>6}" + "".join(f"{c:>17}" for c in cols)
    rows = [head, "-" * len(head)]

    def row(name: str, path: str, d: dict[str, float]) -> str:
        return f"{name:<34}{path:<6}{d['pages']:>6}{d['articles_gold']:>6}{d['articles_predicted']:>6}" + "".join(
            f"{d[c]:>17.3f}" for c in cols
        )

    for recipe, scores in result["per_recipe"].items():
        for path in ("text", "pdf"):
            rows.append(row(recipe, path, scores[path]))
    rows.append("-" * len(head))
    for path in ("text", "pdf"):
        rows.append(row("all", path, result[path]))
    ex = result["extraction"]
    rows.append(f"PDF pages read in the order set: {ex['pages_with_expected_blocks']}/{ex['pages']}")
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    import argparse
    import json

    from pipeline.evaluation.pagegen import generated_pages

    parser = argparse.ArgumentParser(prog="python -m pipeline.evaluation.pdfcompare")
    parser.add_argument("--compare", action="store_true", help="segmentation F1: PDF path against text path")
    parser.add_argument("--split", default="heldout", choices=("fit", "heldout", "all"))
    parser.add_argument("--recipe", default=None)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--errors", action="store_true", help="list the PDF path's errors")
    parser.add_argument("--render", metavar="PAGE_NAME", help="write the PDF of one generated page to stdout")
    args = parser.parse_args(argv)
    pages = [p for p in generated_pages(args.split) if args.recipe in (None, p.recipe)]
    if args.render:
        import sys

        page = next(p for p in generated_pages("all") if p.name == args.render)
        sys.stdout.buffer.write(render_page_pdf(page))
        return 0
    if not args.compare:
        parser.print_help()
        return 2
    result = compare_pdf_text(pages)
    if args.json:
        shown = {k: v for k, v in result.items() if k != "errors" or args.errors}
        print(json.dumps(shown, ensure_ascii=False, indent=1))
    else:
        print(f"{len(pages)} generated pages ({args.split})")
        print(_table(result))
        if args.errors:
            for line in result["errors"]["pdf"]:
                print("pdf:", line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
