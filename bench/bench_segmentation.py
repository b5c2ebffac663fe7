"""Segmentation throughput (chars/s) and linearity: the scored segmenter (the default) against the
hand-set rule segmenter it replaced and against reading the same text line by line, timed in the
same run (the target: scored >= 0.8x the rule segmenter's throughput).

``x1``/``x8``/``x64``: the sample pages joined into one page, repeated; warm (the scored
segmenter's caches of scores of text windows hold what the warm-up and earlier repeats left).
``cold``: the same x1 page with the caches keyed by text (jieba's join evidence and edge-word tags
of 4-8 character windows) emptied before every repeat, as for a page whose text the process has
not seen; what is keyed by a character pair or by the model's discrete feature keys stays, as it
does in a worker that has read other pages. The rule segmenter keeps no cache."""

from __future__ import annotations

from common import best_of, report, sample_pages

from pipeline.segmentation import segment_page


def clear_caches() -> None:
    from pipeline.segmentation import evidence

    evidence._gain.cache_clear()
    evidence._edge_pos.cache_clear()


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

    def cold() -> None:
        clear_caches()
        segment_page(base)

    seg = best_of(cold, repeat=5)
    rules = best_of(lambda: segment_page(base, method="rules"), repeat=5)
    rows["cold"] = {
        "chars": len(base),
        "segment_chars_per_s": round(len(base) / seg),
        "rules_chars_per_s": round(len(base) / rules),
        "ratio_to_rules": round(rules / seg, 3),
    }
    small, large = rows["x1"], rows["x64"]
    rows["linearity"] = round(large["segment_chars_per_s"] / small["segment_chars_per_s"], 3)  # type: ignore[index]
    rows["target_ratio_to_rules"] = 0.8
    report("segmentation", rows)


if __name__ == "__main__":
    main()
