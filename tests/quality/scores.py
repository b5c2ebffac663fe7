"""Golden-set scores shared by the quality gate and the repin script."""

from __future__ import annotations

from pipeline import PROJECT_ROOT
from pipeline.evaluation.segmentation import evaluate, golden_pages

BASELINE = PROJECT_ROOT / "tests" / "quality" / "baseline.json"
SEGMENTATION_ROOTS = [PROJECT_ROOT / "samples" / "src", PROJECT_ROOT / "tests" / "golden" / "segmentation"]


def current_scores() -> dict[str, dict[str, float]]:
    seg = evaluate(golden_pages(SEGMENTATION_ROOTS), PROJECT_ROOT)
    return {"segmentation": seg.as_dict()}
