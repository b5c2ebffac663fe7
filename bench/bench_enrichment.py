"""Enrichment throughput (chars/s) against plain jieba tokenisation and POS tagging of the same text."""

from __future__ import annotations

from datetime import date

from common import best_of, report, sample_pages

from pipeline.enrichment import article_text, extract
from pipeline.enrichment.tokenizer import plain_tokenizer, pos_tokenizer
from pipeline.segmentation import segment_page


def main() -> None:
    texts = [article_text(a) for page in sample_pages() for a in segment_page(page).articles] * 4
    chars = sum(map(len, texts))
    extract(texts[0], date(2026, 11, 20))  # warm-up
    cut = best_of(lambda: [list(plain_tokenizer().cut(t)) for t in texts])
    pos = best_of(lambda: [list(pos_tokenizer().cut(t)) for t in texts])
    enrich = best_of(lambda: [extract(t, date(2026, 11, 20)) for t in texts])
    report("enrichment", {
        "chars": chars,
        "jieba_cut_chars_per_s": round(chars / cut),
        "jieba_pos_chars_per_s": round(chars / pos),
        "enrich_chars_per_s": round(chars / enrich),
        "ratio_to_jieba_pos": round(pos / enrich, 3),
        "ratio_to_jieba_cut": round(cut / enrich, 3),
    })


if __name__ == "__main__":
    main()
