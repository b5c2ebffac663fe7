"""Segmentation quality against golden pages: article boundary P/R/F1, headline/body/byline exact rates."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.evaluation.golden import GoldenPage, render_file
from pipeline.models import Article, Block, PageSplit
from pipeline.segmentation import DEFAULT_RULES, segment_page


def _chars(spans: Iterable[tuple[int, int]], text: str) -> frozenset[int]:
    return frozenset(i for s, e in spans for i in range(s, e) if not text[i].isspace())


def f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class SegScores:
    pages: int = 0
    gold_articles: int = 0
    predicted_articles: int = 0
    matched: int = 0
    headline_ok: int = 0
    decks_ok: int = 0
    body_ok: int = 0
    paragraphs_ok: int = 0
    byline_ok: int = 0
    gold_blocks: int = 0
    predicted_blocks: int = 0
    matched_blocks: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, float]:
        p = self.matched / self.predicted_articles if self.predicted_articles else 0.0
        r = self.matched / self.gold_articles if self.gold_articles else 0.0
        bp = self.matched_blocks / self.predicted_blocks if self.predicted_blocks else 1.0
        br = self.matched_blocks / self.gold_blocks if self.gold_blocks else 1.0
        g = self.gold_articles or 1
        return {
            "pages": self.pages,
            "articles_gold": self.gold_articles,
            "articles_predicted": self.predicted_articles,
            "article_precision": round(p, 4),
            "article_recall": round(r, 4),
            "article_f1": round(f1(p, r), 4),
            "headline_exact": round(self.headline_ok / g, 4),
            "decks_exact": round(self.decks_ok / g, 4),
            "body_exact": round(self.body_ok / g, 4),
            "paragraphs_exact": round(self.paragraphs_ok / g, 4),
            "byline_accuracy": round(self.byline_ok / g, 4),
            "block_f1": round(f1(bp, br), 4),
        }


def _norm(text: str) -> str:
    return "".join(text.split()).replace("——", "").replace("—", "")


def _body(a: Article) -> str:
    """The body as the reader sees it: paragraphs joined, whitespace ignored (where a column break
    at a sentence end splits a paragraph, the text alone cannot tell, so paragraph breaks are not
    part of this measure; ``paragraphs_exact`` counts them)."""
    return "".join(_norm(p) for p in a.paragraphs)


def _title(a: Article) -> tuple[str | None, str | None, str | None]:
    return a.kicker, a.headline, a.subheadline


def judge(label: str, pred: Article, gold: Article, errors: list[str]) -> tuple[bool, bool, bool]:
    """A matched article's title (all decks, whitespace and dashes ignored), body (``_body``) and
    byline against the gold's; what differs is added to ``errors``."""
    headline = _decks(pred) == _decks(gold)
    if not headline:
        errors.append(f"{label}: title {_title(pred)} != {_title(gold)}")
    body = _body(pred) == _body(gold)
    if not body:
        errors.append(f"{label}: body")
    byline = pred.byline == gold.byline
    if not byline:
        errors.append(f"{label}: byline {pred.byline} != {gold.byline}")
    return headline, body, byline


def score_page(name: str, page: GoldenPage, got: PageSplit, scores: SegScores) -> None:
    text = page.text
    scores.pages += 1
    scores.gold_articles += len(page.gold.articles)
    scores.predicted_articles += len(got.articles)
    predicted = {_chars(a.spans, text): a for a in got.articles}
    for gold in page.gold.articles:
        pred = predicted.get(_chars(gold.spans, text))
        label = f"{name}: {gold.headline or gold.paragraphs[0][:12]}"
        if pred is None:
            scores.errors.append(f"{label}: boundary")
            continue
        scores.matched += 1
        scores.decks_ok += _title(pred) == _title(gold)
        scores.paragraphs_ok += pred.paragraphs == gold.paragraphs
        headline, body, byline = judge(label, pred, gold, scores.errors)
        scores.headline_ok += headline
        scores.body_ok += body
        scores.byline_ok += byline

    def key(b: Block) -> tuple[str, frozenset[int]]:
        return b.kind.value, _chars(b.spans, text)

    gold_blocks = {key(b) for b in page.gold.blocks}
    pred_blocks = {key(b) for b in got.blocks}
    scores.gold_blocks += len(gold_blocks)
    scores.predicted_blocks += len(pred_blocks)
    scores.matched_blocks += len(gold_blocks & pred_blocks)
    for kind, _ in gold_blocks - pred_blocks:
        scores.errors.append(f"{name}: missed {kind} block")


@dataclass
class ReaderScores:
    """Scores as a reader of the result counts them (the criteria of the real-page scorer in
    ``../shared/eval``): an article is found when it covers the gold article's non-space characters
    with Jaccard >= 0.8 (pairs taken best first); its headline is right when the headline alone or
    all its decks read the same; its body when the paragraphs' text, section heads left out, reads
    the same; its byline when the reporters are the same (articles with reporters only)."""

    gold: int = 0
    predicted: int = 0
    found: int = 0
    headline_ok: int = 0
    body_ok: int = 0
    with_reporters: int = 0
    reporters_ok: int = 0

    def add(self, text: str, gold: PageSplit, got: PageSplit) -> None:
        gold_sets = [_chars(a.spans, text) for a in gold.articles]
        got_sets = [_chars(a.spans, text) for a in got.articles]
        pairs = sorted(
            (
                (len(g & p) / len(g | p), gi, pi)
                for gi, g in enumerate(gold_sets)
                for pi, p in enumerate(got_sets)
                if g and p and len(g & p) >= 0.8 * len(g | p)
            ),
            reverse=True,
        )
        match: dict[int, int] = {}
        for _, gi, pi in pairs:
            if gi not in match and pi not in match.values():
                match[gi] = pi
        self.gold += len(gold_sets)
        self.predicted += len(got_sets)
        self.found += len(match)
        for gi, want in enumerate(gold.articles):
            reporters = want.byline.reporters if want.byline else []
            self.with_reporters += bool(reporters)
            if gi not in match:
                continue
            have = got.articles[match[gi]]
            if _norm(have.headline or "") == _norm(want.headline or "") or _decks(have) == _decks(want):
                self.headline_ok += 1
            heads = {_norm(s.text) for s in want.subheads + have.subheads}
            if "".join(x for x in map(_norm, have.paragraphs) if x not in heads) == _body(want):
                self.body_ok += 1
            if reporters and have.byline and list(map(_norm, have.byline.reporters)) == list(map(_norm, reporters)):
                self.reporters_ok += 1

    def as_dict(self) -> dict[str, float]:
        p = self.found / self.predicted if self.predicted else 0.0
        r = self.found / self.gold if self.gold else 0.0
        g = self.gold or 1
        return {
            "articles_gold": self.gold,
            "article_f1": round(f1(p, r), 4),
            "headline": round(self.headline_ok / g, 4),
            "body_exact": round(self.body_ok / g, 4),
            "byline": round(self.reporters_ok / (self.with_reporters or 1), 4),
        }


def _decks(a: Article) -> str:
    return _norm("".join(x or "" for x in _title(a)))


def golden_pages(roots: Iterable[Path]) -> list[Path]:
    return sorted(p for root in roots for p in root.rglob("*.page"))


def paper_banners(path: Path, papers_dir: Path) -> tuple[str, ...]:
    """A golden page under ``…/<paper>/…`` is segmented with that paper's banners, as in the pipeline."""
    for part in path.parts:
        config = papers_dir / f"{part}.toml"
        if config.is_file():
            with config.open("rb") as fh:
                return tuple(tomllib.load(fh).get("banners", ()))
    return ()


def evaluate(paths: Iterable[Path], root: Path | None = None, papers_dir: Path | None = None) -> SegScores:
    scores = SegScores()
    for path in paths:
        page = render_file(path)
        name = str(path.relative_to(root)) if root else path.name
        banners = paper_banners(path.relative_to(root) if root else path, papers_dir) if papers_dir else ()
        score_page(name, page, segment_page(page.text, DEFAULT_RULES.for_paper(banners)), scores)
    return scores
