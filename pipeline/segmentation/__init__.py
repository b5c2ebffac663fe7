"""Split one decoded e-paper page into articles and blocks. Pure: no I/O, no clients."""

from pipeline.segmentation.rules import DEFAULT_RULES, SegmentationRules
from pipeline.segmentation.segmenter import segment_page

__all__ = ["DEFAULT_RULES", "SegmentationRules", "segment_page"]
