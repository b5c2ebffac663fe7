"""Golden-set scores shared by the quality gate and the repin script."""

from __future__ import annotations

from pipeline import PROJECT_ROOT
from pipeline.evaluation.enrichment import evaluate as evaluate_enrichment
from pipeline.evaluation.enrichment import golden_articles
from pipeline.evaluation.segmentation import evaluate, golden_pages

BASELINE = PROJECT_ROOT / "tests" / "quality" / "baseline.json"
SEGMENTATION_ROOTS = [PROJECT_ROOT / "samples" / "src", PROJECT_ROOT / "tests" / "golden" / "segmentation"]


def current_scores() -> dict[str, dict[str, float]]:
    seg = evaluate(golden_pages(SEGMENTATION_ROOTS), PROJECT_ROOT, PROJECT_ROOT / "papers")
    enr = evaluate_enrichment(golden_articles(PROJECT_ROOT / "tests" / "golden" / "enrichment")).as_dict()
    flat = {f"{kind}_f1": value["f1"] for kind, value in enr.items() if isinstance(value, dict)}
    return {"segmentation": seg.as_dict(), "enrichment": {"articles": enr["articles"], **flat}}
