"""Segmentation throughput (chars/s) and linearity: the scored segmenter (the default) against the
hand-set rule segmenter it replaced and against reading the same text line by line, timed in the
same run (the target: scored >= 0.8x the rule segmenter's throughput).

Two kinds of text:

``pages`` / ``pages_cold``: a stream of distinct pages, one ``segment_page`` call each, as a
backfill sends them — the sample issues' pages and the generated pages (``evaluation/pagegen``,
78 pages of the article bank in eleven layouts). Warm: the scored segmenter's caches of scores
of text windows hold what the warm-up left; cold: those caches (jieba's join evidence and edge-word
tags of 4-8 character windows, keyed by text) are emptied before each pass, as for pages the
process has never seen — what is keyed by a character pair or the model's discrete feature keys
stays, as in a worker that has read other pages. The rule segmenter keeps no cache.
``distinct_x8`` / ``distinct_x64``: that many distinct generated pages joined into one text
(linearity on text that does not repeat).

``x1``/``x8``/``x64``: the sample pages joined into one page, repeated 1, 8, 64 times (the rows
this benchmark has always had). Repeated text flatters the rule baseline: its lexical affinity
only weighs trigrams rare on the page (``affinity_max_df``), and once every trigram occurs 8 or
64 times none is rare, so most of its affinity work disappears (per unit about 35 µs at x1, 24 µs
at x8); the distinct rows measure the same code on text that does not repeat."""

from __future__ import annotations

from common import best_of, report, sample_pages

from pipeline.segmentation import segment_page


def clear_caches() -> None:
    from pipeline.segmentation import evidence

    evidence._gain.cache_clear()
    evidence._edge_pos.cache_clear()


def distinct_pages() -> list[str]:
    from pipeline.evaluation.pagegen import generated_pages

    return sample_pages() + [p.page.text for p in generated_pages("all")]


def _row(text_chars: int, seg: float, rules: float) -> dict[str, object]:
    return {
        "chars": text_chars,
        "segment_chars_per_s": round(text_chars / seg),
        "rules_chars_per_s": round(text_chars / rules),
        "ratio_to_rules": round(rules / seg, 3),
    }


def main() -> None:
    base = "\n\n".join(sample_pages())
    pages = distinct_pages()
    for method in ("scored", "rules"):  # warm-up: jieba's dictionary, the model's weights
        segment_page(base, method=method)
        for page in pages:
            segment_page(page, method=method)
    rows: dict[str, object] = {}
    chars = sum(map(len, pages))

    def stream(method: str) -> None:
        for page in pages:
            segment_page(page, method=method)  # type: ignore[arg-type]

    def stream_cold() -> None:
        clear_caches()
        stream("scored")

    rules = best_of(lambda: stream("rules"), repeat=3)
    rows["pages"] = {"pages": len(pages), **_row(chars, best_of(lambda: stream("scored"), repeat=3), rules)}
    rows["pages_cold"] = {"pages": len(pages), **_row(chars, best_of(stream_cold, repeat=3), rules)}
    generated = pages[len(sample_pages()) :]
    for mult in (8, 64):
        text = "\n\n".join(generated[:mult])
        seg = best_of(lambda text=text: segment_page(text), repeat=3)
        rules = best_of(lambda text=text: segment_page(text, method="rules"), repeat=3)
        rows[f"distinct_x{mult}"] = _row(len(text), seg, rules)
    for mult in (1, 8, 64):
        text = base * mult
        seg = best_of(lambda text=text: segment_page(text), repeat=3)
        rules = best_of(lambda text=text: segment_page(text, method="rules"), repeat=3)
        lines = best_of(lambda text=text: [ln.strip() for ln in text.splitlines()], repeat=3)
        rows[f"x{mult}"] = {**_row(len(text), seg, rules), "ratio_to_line_split": round(lines / seg, 4)}

    def cold() -> None:
        clear_caches()
        segment_page(base)

    rows["cold"] = _row(
        len(base), best_of(cold, repeat=5), best_of(lambda: segment_page(base, method="rules"), repeat=5)
    )
    small, large = rows["x1"], rows["x64"]
    rows["linearity"] = round(large["segment_chars_per_s"] / small["segment_chars_per_s"], 3)  # type: ignore[index]
    rows["target_ratio_to_rules"] = 0.8
    report("segmentation", rows)


if __name__ == "__main__":
    main()
