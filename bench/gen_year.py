"""A synthetic year of a daily paper from the project's own golden and sample pages:
365 issues x 8 pages x ~6,000 characters, deterministic (seeded by date and page)."""

from __future__ import annotations

import argparse
import random
from datetime import date, timedelta
from pathlib import Path

from pipeline import PROJECT_ROOT
from pipeline.evaluation.golden import render_file


def source_pages() -> list[str]:
    roots = [PROJECT_ROOT / "samples" / "src", PROJECT_ROOT / "tests" / "golden" / "segmentation"]
    return [render_file(p).text for root in roots for p in sorted(root.rglob("*.page"))]


def generate(
    out: Path, paper: str = "grrb", year: int = 2025, pages: int = 8, chars: int = 6000, days: int = 366
) -> int:
    texts = source_pages()
    day = date(year, 1, 1)
    written = 0
    while day.year == year and (day - date(year, 1, 1)).days < days:
        folder = out / paper / day.isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        for page in range(1, pages + 1):
            rng = random.Random(f"{day}-{page}")
            parts: list[str] = []
            while sum(map(len, parts)) < chars:
                parts.append(rng.choice(texts))
            (folder / f"{page:02d}.txt").write_text("\n\n".join(parts), encoding="utf-8")
            written += 1
        day += timedelta(days=1)
    return written


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--days", type=int, default=365, help="only the first N days (smoke runs)")
    args = parser.parse_args()
    print(generate(args.out, days=args.days), "pages")
