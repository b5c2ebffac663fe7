"""Enrichment throughput (chars/s) against plain jieba tokenisation and POS tagging of the same text.

The ceiling is stock ``jieba.posseg``; enrichment tags with the same tagger and an exact, faster
HMM decoder (pipeline/text/viterbi.py), so ``our_pos`` is printed too.
The entity backends alone (``crf``: features + CRFsuite tagging + places; ``rules``: the jieba
backend's rule layer) are timed on the same text's POS tokens, the CRF also as a ratio to stock
``jieba.posseg``.
"Enrichment" is everything ``enrich_article`` does for a segmented article (POS tagging, entities,
metrics, dates, search tokens, the event model; entities from the default CRF backend), on one
core, after ``warm_up()`` as a page worker does. All runs are timed interleaved, best of N, in CPU
time of this process (this shared VM's steal time otherwise swamps the difference), so a noisy
neighbour hits them alike."""

from __future__ import annotations

import time
from datetime import date

from common import report, sample_pages

from pipeline.enrichment import article_text, enrich_article, warm_up
from pipeline.enrichment.entities import extract_entities
from pipeline.enrichment.ner import extract_entities_crf
from pipeline.models import PageText
from pipeline.segmentation import segment_page
from pipeline.text.tokenizer import jieba_pos_tokenizer, plain_tokenizer, pos_tokenizer


def main(repeat: int = 7) -> None:
    page = PageText(paper="grrb", issue_date=date(2026, 11, 20), page=1, text="", source="bench")
    articles = [a for text in sample_pages() for a in segment_page(text).articles] * 4
    texts = [article_text(a) for a in articles]
    chars = sum(map(len, texts))
    warm_up()
    toks = [pos_tokenizer().tag(t) for t in texts]  # entity backends alone, on the pipeline's POS tokens
    runs = {
        "cut": lambda: [list(plain_tokenizer().cut(t)) for t in texts],
        "pos": lambda: [list(jieba_pos_tokenizer().cut(t)) for t in texts],
        "our_pos": lambda: [pos_tokenizer().tag(t) for t in texts],
        "enrich": lambda: [enrich_article(a, page, n, "工人日报") for n, a in enumerate(articles)],
        "crf": lambda: [extract_entities_crf(t, k) for t, k in zip(texts, toks, strict=True)],
        "rules": lambda: [extract_entities(t, k) for t, k in zip(texts, toks, strict=True)],
    }
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(repeat):
        for name, fn in runs.items():
            t0 = time.process_time()
            fn()
            best[name] = min(best[name], time.process_time() - t0)
    report(
        "enrichment",
        {
            "chars": chars,
            "jieba_cut_chars_per_s": round(chars / best["cut"]),
            "jieba_pos_chars_per_s": round(chars / best["pos"]),
            "our_pos_chars_per_s": round(chars / best["our_pos"]),
            "enrich_chars_per_s": round(chars / best["enrich"]),
            "ratio_to_jieba_pos": round(best["pos"] / best["enrich"], 3),
            "ratio_to_jieba_cut": round(best["cut"] / best["enrich"], 3),
            "ratio_to_our_pos": round(best["our_pos"] / best["enrich"], 3),
            "crf_entities_chars_per_s": round(chars / best["crf"]),
            "rules_entities_chars_per_s": round(chars / best["rules"]),
            "crf_entities_ratio_to_jieba_pos": round(best["pos"] / best["crf"], 3),
            "target_ratio_to_jieba_pos": 0.8,
        },
    )


if __name__ == "__main__":
    main()
