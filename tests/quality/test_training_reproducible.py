"""The shipped segmentation weights are what ``inkstream train segmentation`` fits today.

The fit is deterministic (full-batch, no random draws) on deterministic generated pages, so a
change that alters what training sees (a feature, a candidate pruned, a page recipe) shows here
first: refit and re-pin, or keep the change out of training."""

from __future__ import annotations

from pipeline.segmentation.model import WEIGHTS_FILE, Model
from pipeline.segmentation.training import train_model, training_pages


def test_refitting_gives_the_shipped_weights() -> None:
    shipped = Model.load(WEIGHTS_FILE)
    refit = train_model(training_pages(int(shipped.meta.get("pages_per_recipe", 24))))
    assert refit.meta["decisions"] == shipped.meta["decisions"]
    names = set(refit.weights) | set(shipped.weights)
    differ = sorted(k for k in names if abs(refit.weights.get(k, 0.0) - shipped.weights.get(k, 0.0)) > 1e-3)
    assert not differ, f"{len(differ)} of {len(names)} weights differ from the shipped ones, e.g. {differ[:5]}"
