"""Fit the scored segmenter (``scored.py``) on gold pages.

Each gold page is replayed unit by unit with the gold decisions (teacher forcing): at every unit
the candidates the decoder would consider are built from the gold state so far, and the gold one
is marked. The weights are those of a conditional logit model (softmax over a unit's candidates),
fitted by AdaGrad with L2 regularisation and averaged over the last epochs.

Gold labels come from any gold ``PageSplit`` (articles with spans, subheads, decks; blocks), so
the same code labels hand-written golden pages and generated ones.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.models import BlockKind, PageSplit
from pipeline.segmentation.charlm import LM_FILE, CharLM
from pipeline.segmentation.evidence import Feats
from pipeline.segmentation.model import Candidate, Model
from pipeline.segmentation.rules import DEFAULT_RULES, SegmentationRules
from pipeline.segmentation.scored import ScoredSegmenter
from pipeline.segmentation.segmenter import _Art
from pipeline.segmentation.units import Unit

_NORM = re.compile(r"\s+|——|—")
Decision = tuple[list[Feats], int]


def norm(text: str | None) -> str:
    return _NORM.sub("", text or "")


@dataclass(frozen=True)
class Label:
    owner: str  # "a" (article) or "b" (block)
    index: int
    role: str  # title, sub, byline, pnew, pjoin, marker, banner, block


def unit_labels(text: str, gold: PageSplit, units: Sequence[Unit], rules: SegmentationRules) -> list[Label | None]:
    """The gold owner and role of each unit (None where the gold says nothing about it)."""

    def covering(spans: Iterable[Sequence[int]], pos: int) -> bool:
        return any(s <= pos < e for s, e in spans)

    out: list[Label | None] = []
    for unit in units:
        art_n = next((n for n, a in enumerate(gold.articles) if covering(a.spans, unit.start)), None)
        if art_n is None:
            blk_n = next((n for n, b in enumerate(gold.blocks) if covering(b.spans, unit.start)), None)
            if blk_n is None:
                out.append(None)
            else:
                kind = gold.blocks[blk_n].kind
                out.append(Label("b", blk_n, "banner" if kind is BlockKind.BANNER else "block"))
            continue
        art = gold.articles[art_n]
        t = norm(unit.text)
        if unit.kind == "marker":
            role = "marker"
        elif unit.kind == "byline":
            role = "byline"
        elif t in {norm(s.text) for s in art.subheads}:
            role = "sub"
        elif t and t in norm("".join(x or "" for x in (art.kicker, art.headline, art.subheadline))):
            role = "title"
        else:
            body = unit.text
            m = rules.dateline.match(body)
            if m:
                body = body[m.end() :]
            head = norm(rules.marker_re.sub("", body))[:15]
            role = "pnew" if any(norm(p).startswith(head) for p in art.paragraphs) else "pjoin"
        out.append(Label("a", art_n, role))
    return out


_ROLE_ACTION = {"title": "title", "sub": "sub", "byline": "pnew", "pnew": "pnew", "pjoin": "pjoin"}


def page_decisions(
    text: str, gold: PageSplit, rules: SegmentationRules = DEFAULT_RULES, policy: Model | None = None
) -> list[Decision]:
    """Replay one gold page; one (candidates' features, gold index) per unit.

    Without ``policy`` the gold decisions are taken (teacher forcing). With one, its own decisions
    are taken and the gold one is still recorded at every state it reaches: the gold action is
    defined against the state as it is (a gold article is the state's article holding its first
    unit), so the model also learns to carry on well after its own mistakes (DAgger)."""
    seg = ScoredSegmenter(text, rules, policy or Model({}))
    labels = unit_labels(text, gold, seg.units, rules)
    decisions: list[Decision] = []

    def owner_map() -> dict[int, _Art]:
        by_unit = {u.idx: a for a in seg.arts for u in a.title_units + a.body_units}
        mapping: dict[int, _Art] = {}
        for unit, label in zip(seg.units, labels, strict=True):
            if label is not None and label.owner == "a" and unit.idx in by_unit:
                mapping.setdefault(label.index, by_unit[unit.idx])
        return mapping

    def oracle(i: int, unit: Unit, cands: list[Candidate]) -> Candidate | None:
        label = labels[i]
        if label is None:
            return None
        if label.owner == "b":
            if label.role != "banner":
                return None
            action, art = "banner", None
        else:
            art = owner_map().get(label.index)
            if art is None:
                action = "new_title" if label.role == "title" else "new_body"
            else:
                action = _ROLE_ACTION.get(label.role, "pnew")
        for n, cand in enumerate(cands):
            if cand.action == action and cand.art is art:
                decisions.append(([c.features(seg.ufeats[i]) for c in cands], n))
                if policy is None:
                    return cand
                break
        else:
            if policy is None:
                return Candidate(action, art)  # pruned from the candidates: keep the gold state anyway
        return own_choice(i, unit)

    def own_choice(i: int, unit: Unit) -> Candidate:
        """What the decoder itself does here (``ScoredSegmenter.run``: the unscored paragraph rule, else
        the model's best candidate)."""
        settled = seg._next_paragraph(i, unit)
        if settled is not None:
            return Candidate(settled, seg.cur)
        return Candidate(*seg.decide(i, unit))

    seg.run(oracle=oracle)
    return decisions


def fit(decisions: Sequence[Decision], steps: int = 400, rate: float = 0.05, l2: float = 1e-3) -> Model:
    """Conditional logit (softmax over each decision's candidates), full batch: the mean negative
    log-likelihood of the gold candidates plus ``l2``/2 ||w||², minimised by Adam (numpy sparse
    sums; deterministic)."""
    import numpy as np

    names: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    starts: list[int] = []
    gold_rows: list[int] = []
    n = 0
    for cands, gold in decisions:
        starts.append(n)
        gold_rows.append(n + gold)
        for feats in cands:
            for k, v in feats.items():
                rows.append(n)
                cols.append(names.setdefault(k, len(names)))
                vals.append(v)
            n += 1
    r, c, x = np.array(rows), np.array(cols), np.array(vals)
    offsets = np.array(starts)
    group = np.repeat(np.arange(len(starts)), np.diff(np.append(offsets, n)))
    y = np.zeros(n)
    y[np.array(gold_rows, dtype=int)] = 1.0
    w = np.zeros(len(names))
    m1, m2 = np.zeros_like(w), np.zeros_like(w)
    b1, b2, eps = 0.9, 0.999, 1e-8
    for step in range(1, steps + 1):
        scores = np.bincount(r, weights=w[c] * x, minlength=n)
        top = np.maximum.reduceat(scores, offsets)
        e = np.exp(scores - top[group])
        p = e / np.add.reduceat(e, offsets)[group]
        grad = np.bincount(c, weights=(p - y)[r] * x, minlength=len(w)) / len(starts) + l2 * w
        m1 = b1 * m1 + (1 - b1) * grad
        m2 = b2 * m2 + (1 - b2) * grad * grad
        w -= rate * (m1 / (1 - b1**step)) / (np.sqrt(m2 / (1 - b2**step)) + eps)
    weights = {k: float(w[i]) for k, i in names.items() if abs(w[i]) > 1e-6}
    return Model(weights, {"steps": steps, "rate": rate, "l2": l2, "decisions": len(decisions)})


# ---------------------------------------------------------------------------- the fit and its report
def pages_decisions(
    pages: Iterable[tuple[str, PageSplit]], rules: SegmentationRules = DEFAULT_RULES, policy: Model | None = None
) -> list[Decision]:
    return [d for text, gold in pages for d in page_decisions(text, gold, rules, policy)]


DAGGER_ROUNDS = 0


def train_model(
    pages: Sequence[tuple[str, PageSplit]],
    rounds: int = DAGGER_ROUNDS,
    rules: SegmentationRules | None = None,
    **kwargs: float,
) -> Model:
    """Teacher forcing first, then ``rounds`` of DAgger: the decisions the current model reaches on
    the same pages are added (labelled by the gold) and the model is fitted again on all of them."""
    rules = rules or bank_rules()
    decisions = pages_decisions(pages, rules)
    model = fit(decisions, **kwargs)  # type: ignore[arg-type]
    for _ in range(rounds):
        decisions += pages_decisions(pages, rules, policy=model)
        model = fit(decisions, **kwargs)  # type: ignore[arg-type]
    model.meta.update({"pages": len(pages), "dagger_rounds": rounds})
    return model


def score_pages(
    model: Model, pages: Iterable[tuple[str, str, PageSplit]], rules: SegmentationRules | None = None
) -> dict[str, float]:
    """Article F1, headline / body exact and byline accuracy of ``model`` on gold pages (exact
    article boundaries), and the same as a reader counts them (``as_read_*``: ``ReaderScores``)."""
    return _score_mixed([(n, t, g, model) for n, t, g in pages], rules)


def msra_sentences(source: Path | None = None) -> list[str]:
    """The sentences of the MSRA NER training file (one character per line, a blank line between
    sentences): the text the character LM is counted on. Only msra_train.txt is read."""
    from pipeline.enrichment.ner_train import corpus_text

    sentences, chars = [], []
    for line in corpus_text(source).splitlines():
        token = line.split()
        if token:
            chars.append(token[0])
        elif chars:
            sentences.append("".join(chars))
            chars = []
    if chars:
        sentences.append("".join(chars))
    return sentences


def build_char_lm(source: Path | None = None, out: Path | None = None) -> CharLM:
    lm = CharLM.train(msra_sentences(source))
    lm.save(out or LM_FILE)
    return lm


# ---------------------------------------------------------------------------- the shipped model
TRAIN_PAGES_PER_RECIPE = 24  # generated pages of fit text per recipe the shipped weights are fitted on
_REPORT_KEYS = (
    "articles_gold",
    "article_f1",
    "headline_exact",
    "body_exact",
    "byline_accuracy",
    "block_f1",
    "as_read_article_f1",
    "as_read_headline",
    "as_read_body_exact",
    "as_read_byline",
)


def training_pages(
    per_recipe: int = TRAIN_PAGES_PER_RECIPE, exclude: Sequence[str] = ()
) -> list[tuple[str, PageSplit]]:
    """Generated pages of the bank's fit text (never its held-out text), every recipe but ``exclude``."""
    from pipeline.evaluation.pagegen import generate_pages

    pages = generate_pages(per_recipe={"fit": per_recipe, "heldout": 0})
    return [(p.page.text, p.page.gold) for p in pages if p.text_split == "fit" and p.recipe not in exclude]


def bank_rules(rules: SegmentationRules = DEFAULT_RULES) -> SegmentationRules:
    """Generated pages are segmented as a paper's pages are: with the paper's recurring column
    banners as configured vocabulary. Only every other column of the bank is configured (and no
    series banner of a single feature), so the model also learns banners nobody configured."""
    from pipeline.evaluation.bank import load_bank

    return rules.for_paper(tuple(load_bank().columns)[::2])


def train_shipped(out: Path | None = None, per_recipe: int = TRAIN_PAGES_PER_RECIPE) -> Model:
    """Fit the weights ``segment_page`` uses on every recipe's fit-text pages; write them to ``out``."""
    from pipeline.segmentation.model import WEIGHTS_FILE

    model = train_model(training_pages(per_recipe))
    model.meta.update({"pages_per_recipe": per_recipe, "text": "fit split of the article bank"})
    model.save(out or WEIGHTS_FILE)
    return model


def _subset(scores: dict[str, float]) -> dict[str, float]:
    return {k: scores[k] for k in _REPORT_KEYS}


def quality_report(
    model: Model | None = None,
    per_recipe: int = TRAIN_PAGES_PER_RECIPE,
    loro: bool = True,
    fitted: bool = True,
    loro_per_recipe: int | None = None,
) -> dict[str, object]:
    """The figures that say how the scored segmenter generalises, from the fitted to the unseen:

    ``fitted``        the shipped model on the pages it was fitted on;
    ``heldout_text``  on generated pages of the bank's held-out articles (recipes seen in the fit);
    ``leave_one_recipe_out``  per recipe, a model fitted on every *other* recipe's fit pages
                      (``loro_per_recipe`` of each, default ``per_recipe``), scored on that recipe's
                      held-out-text pages (unseen layout and unseen text), summed;
    ``heldout_restyled``  the held-out-text pages with their articles under other papers' headline
                      styles (short, exclaiming, asking, clause-listing: ``restyled_pages``), only
                      the pages where that changed something;
    ``handwritten``   the team's golden pages and sample issues, never fitted on.
    """
    from pipeline import PROJECT_ROOT
    from pipeline.evaluation.golden import render_file
    from pipeline.evaluation.pagegen import generated_pages, restyled_pages
    from pipeline.evaluation.recipes import RECIPES

    model = model or _shipped()
    held = [p for p in generated_pages("all") if p.text_split == "heldout"]
    as_triples = [(p.name, p.page.text, p.page.gold) for p in held]
    hand_paths = sorted((PROJECT_ROOT / "tests" / "golden" / "segmentation").glob("*.page"))
    hand_paths += sorted((PROJECT_ROOT / "samples" / "src").rglob("*.page"))
    hand = [(p.name, *_text_gold(render_file(p))) for p in hand_paths]
    report: dict[str, object] = {}
    if fitted:
        fit_pages = training_pages(per_recipe)
        report["fitted"] = _subset(score_pages(model, [(str(n), t, g) for n, (t, g) in enumerate(fit_pages)]))
    report["heldout_text"] = _subset(score_pages(model, as_triples))
    restyled = [(p.name, p.page.text, p.page.gold) for p in restyled_pages()]
    report["heldout_restyled"] = {"pages": len(restyled), **_subset(score_pages(model, restyled))}
    report["handwritten"] = _subset(score_pages(model, hand, _paper_rules()))
    if loro:
        per_recipe = loro_per_recipe or per_recipe
        per_recipe_scores: dict[str, dict[str, float]] = {}
        predicted: list[tuple[str, str, PageSplit, Model]] = []
        for recipe in RECIPES:
            other = train_model(training_pages(per_recipe, exclude=(recipe,)))
            pages = [(p.name, p.page.text, p.page.gold) for p in held if p.recipe == recipe]
            per_recipe_scores[recipe] = _subset(score_pages(other, pages))
            predicted += [(n, t, g, other) for n, t, g in pages]
        report["leave_one_recipe_out"] = _subset(_score_mixed(predicted))
        report["leave_one_recipe_out_by_recipe"] = per_recipe_scores
    return report


def _paper_rules() -> SegmentationRules:
    """The team's pages are 工人日报 pages: its configured banners, as the pipeline uses them."""
    from pipeline.config import Settings, load_paper

    return DEFAULT_RULES.for_paper(tuple(load_paper(Settings()).banners))


def _text_gold(page: object) -> tuple[str, PageSplit]:
    return page.text, page.gold  # type: ignore[attr-defined]


def _shipped() -> Model:
    from pipeline.segmentation.model import default_model

    return default_model()


def _score_mixed(
    pages: Iterable[tuple[str, str, PageSplit, Model]], rules: SegmentationRules | None = None
) -> dict[str, float]:
    """Scores of pages each segmented by its own model (the leave-one-recipe-out total)."""
    from pipeline.evaluation.golden import GoldenPage
    from pipeline.evaluation.segmentation import ReaderScores, SegScores, score_page
    from pipeline.segmentation.scored import segment_scored

    rules = rules or bank_rules()
    scores, read = SegScores(), ReaderScores()
    for name, text, gold, model in pages:
        got = segment_scored(text, rules, model)
        score_page(name, GoldenPage(text=text, gold=gold, meta={}), got, scores)
        read.add(text, gold, got)
    as_read = {f"as_read_{k}": v for k, v in read.as_dict().items() if k != "articles_gold"}
    return scores.as_dict() | as_read
