"""Segmentation throughput (chars/s) and linearity: the scored segmenter (the default) against the
hand-set rule segmenter it replaced and against reading the same text line by line, timed in the
same run (the target: scored >= 0.8x the rule segmenter's throughput)."""

from __future__ import annotations

from common import best_of, report, sample_pages

from pipeline.segmentation import segment_page


def main() -> None:
    base = "\n\n".join(sample_pages())
    for method in ("scored", "rules"):  # warm-up: jieba's dictionary, the model's weights
        segment_page(base, method=method)
    rows: dict[str, object] = {}
    for mult in (1, 8, 64):
        text = base * mult
        seg = best_of(lambda text=text: segment_page(text), repeat=3)
        rules = best_of(lambda text=text: segment_page(text, method="rules"), repeat=3)
        lines = best_of(lambda text=text: [ln.strip() for ln in text.splitlines()], repeat=3)
        rows[f"x{mult}"] = {
            "chars": len(text),
            "segment_chars_per_s": round(len(text) / seg),
            "rules_chars_per_s": round(len(text) / rules),
            "ratio_to_rules": round(rules / seg, 3),
            "ratio_to_line_split": round(lines / seg, 4),
        }
    small, large = rows["x1"], rows["x64"]
    rows["linearity"] = round(large["segment_chars_per_s"] / small["segment_chars_per_s"], 3)  # type: ignore[index]
    rows["target_ratio_to_rules"] = 0.8
    report("segmentation", rows)


if __name__ == "__main__":
    main()
