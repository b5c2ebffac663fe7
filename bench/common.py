"""Benchmark helpers: corpus from the sample issues, best-of-N timing, ratio reporting."""

from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.devtools import servers

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


#: pids of the servers the innermost ``local_servers`` started: {"kafka": pid, "elasticsearch": pid}
SERVER_PIDS: dict[str, int] = {}


def cpu_seconds(pid: int) -> float:
    """user + system CPU seconds a live process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def local_servers() -> Iterator[tuple[str, str, Path]]:
    """Fresh tansu + noida-db on free ports for one benchmark: (bootstrap, es_url, work dir)."""
    work = Path(tempfile.mkdtemp(prefix="inkstream-bench-"))
    kproc, kafka = servers.start_kafka(work, servers.free_port())
    eproc, es_url = servers.start_elasticsearch(work, servers.free_port())
    SERVER_PIDS.update(kafka=kproc.pid, elasticsearch=eproc.pid)
    try:
        servers.wait_kafka(kafka)
        servers.wait_elasticsearch(es_url)
        yield kafka, es_url, work
    finally:
        servers.stop_pid(kproc.pid)
        servers.stop_pid(eproc.pid)
        shutil.rmtree(work, ignore_errors=True)  # a year's staging and index: ~500 MB
