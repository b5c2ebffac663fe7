"""Entities, metrics, dates and tokens for one article. Pure: no I/O beyond the lexicons."""

from pipeline.enrichment.enrich import article_text, enrich_article, extract, warm_up

__all__ = ["article_text", "enrich_article", "extract", "warm_up"]
