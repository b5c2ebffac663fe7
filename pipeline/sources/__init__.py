"""Where issues come from: adapters that turn a paper's published issues into pages
(``Source``). ``source_for`` picks the one a paper's configuration names."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipeline.sources.base import ArticleSource, Source
from pipeline.sources.decoding import decode_page
from pipeline.sources.directory import DirectorySource

if TYPE_CHECKING:
    from pipeline.config import PaperConfig, Settings

__all__ = ["ArticleSource", "DirectorySource", "Source", "decode_page", "source_for"]


def source_for(settings: Settings, paper: PaperConfig) -> Source:
    """The source of ``paper``'s issues (``source`` in ``papers/<id>.toml``): a folder, or the
    paper's e-paper website (``source = "http"``, ``[site]``: ``pipeline.sources.http``)."""
    if paper.source == "http":
        from pipeline.sources.http import HttpSource  # httpx and selectolax only when a paper asks

        return HttpSource(settings, paper)
    return DirectorySource(settings.source_root, settings.limits.max_page_bytes)
