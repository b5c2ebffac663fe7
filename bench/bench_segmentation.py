"""Segmentation throughput (chars/s) and linearity, against reading the same text line by line."""

from __future__ import annotations

from common import best_of, report, sample_pages

from pipeline.segmentation import segment_page


def main() -> None:
    base = "\n\n".join(sample_pages())
    segment_page(base)  # warm-up: jieba dictionary for the word-across-the-cut check
    rows: dict[str, object] = {}
    for mult in (1, 8, 64):
        text = base * mult
        seg = best_of(lambda text=text: segment_page(text), repeat=2)
        lines = best_of(lambda text=text: [ln.strip() for ln in text.splitlines()], repeat=2)
        rows[f"x{mult}"] = {
            "chars": len(text),
            "segment_chars_per_s": round(len(text) / seg),
            "ratio_to_line_split": round(lines / seg, 4),
        }
    small, large = rows["x1"], rows["x64"]
    rows["linearity"] = round(large["segment_chars_per_s"] / small["segment_chars_per_s"], 3)  # type: ignore[index]
    report("segmentation", rows)


if __name__ == "__main__":
    main()
