"""Where issues come from. Adapters: they read files (later: HTTP)."""

from pipeline.sources.decoding import decode_page
from pipeline.sources.directory import DirectorySource

__all__ = ["DirectorySource", "decode_page"]
