"""Benchmark helpers: corpus from the sample issues, best-of-N timing, ratio reporting."""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def sample_pages() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted((ROOT / "samples" / "issues").rglob("*.txt"))]


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def report(stage: str, rows: dict[str, object]) -> None:
    print(json.dumps({"stage": stage, "python": platform.python_version(), **rows}, ensure_ascii=False))
