"""Text shared by segmentation, enrichment and search: jieba's tokenizers, loaded once."""
