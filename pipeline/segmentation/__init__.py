"""Split one decoded e-paper page into articles and blocks. Pure: no I/O, no clients."""

from __future__ import annotations

from typing import Literal

from pipeline.models import PageSplit
from pipeline.segmentation.rules import DEFAULT_RULES, SegmentationRules

Method = Literal["scored", "rules"]


def segment_page(text: str, rules: SegmentationRules = DEFAULT_RULES, method: Method = "scored") -> PageSplit:
    """Split one decoded page into articles and blocks. Pure and deterministic.

    ``scored`` (default): decisions scored by weights fitted on training pages (``scored.py``);
    ``rules``: the hand-set rule segmenter it replaced, kept as the benchmark baseline."""
    if method == "rules":
        from pipeline.segmentation.segmenter import segment_rules

        return segment_rules(text, rules)
    from pipeline.segmentation.scored import segment_scored

    return segment_scored(text, rules)


__all__ = ["DEFAULT_RULES", "Method", "SegmentationRules", "segment_page"]
