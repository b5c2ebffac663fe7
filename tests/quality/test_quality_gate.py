"""Quality gate: golden-set scores never fall below the pinned floors."""

from __future__ import annotations

import json

import pytest

from tests.quality.scores import BASELINE, current_scores

FLOORS = json.loads(BASELINE.read_text(encoding="utf-8"))
NOISE = 0.002


@pytest.fixture(scope="module")
def scores() -> dict[str, dict[str, float]]:
    return current_scores()


@pytest.mark.parametrize(
    ("stage", "metric"),
    [(stage, metric) for stage, floors in FLOORS.items() if not stage.startswith("_") for metric in floors],
)
def test_metric_does_not_regress(stage: str, metric: str, scores: dict[str, dict[str, float]]) -> None:
    got, floor = scores[stage][metric], FLOORS[stage][metric]
    assert got >= floor - NOISE, f"{stage}.{metric}={got:.4f} < floor {floor:.4f}"


def test_golden_set_is_big_enough(scores: dict[str, dict[str, float]]) -> None:
    assert scores["segmentation"]["pages"] >= 12 and scores["segmentation"]["articles_gold"] >= 35
    assert scores["enrichment"]["articles"] >= 40
