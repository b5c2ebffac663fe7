"""End-to-end backfill of a synthetic year through `inkstream run` against fresh local servers:
wall time, issues/s, characters/s and peak memory (the largest process)."""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import SERVER_PIDS, cpu_seconds, local_servers, report
from gen_year import generate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "inkstream-year")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--index-window", type=int, default=None, help="inkstream run --index-window")
    parser.add_argument("--days", type=int, default=365, help="a shorter run (its own data folder)")
    args = parser.parse_args()
    if args.days != 365:
        args.data = args.data.with_name(f"{args.data.name}-{args.days}d")
    if not (args.data / "grrb").is_dir():
        generate(args.data, days=args.days)
    chars = sum(p.stat().st_size for p in args.data.rglob("*.txt")) // 3  # ~3 bytes per Han character
    issues = len(list((args.data / "grrb").iterdir()))
    with local_servers() as (kafka, es, work):
        env = {k: v for k, v in os.environ.items() if not k.startswith("INKSTREAM_")}
        env.update(
            INKSTREAM_KAFKA__BOOTSTRAP_SERVERS=json.dumps([kafka]),
            INKSTREAM_ES__URL=es,
            INKSTREAM_DATA_DIR=str(work / "data"),
            INKSTREAM_SOURCE_ROOT=str(args.data),
        )
        servers_before = {k: cpu_seconds(p) for k, p in SERVER_PIDS.items()}
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "pipeline", "run", "--quiet", "--workers", str(args.workers)]
            + (["--index-window", str(args.index_window)] if args.index_window else []),
            env=env,
            capture_output=True,
            text=True,
        )
        elapsed = time.perf_counter() - t0
        server_cpu = {f"cpu_s_{k}": round(cpu_seconds(p) - servers_before[k], 1) for k, p in SERVER_PIDS.items()}
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # inkstream run and its page workers
        if proc.returncode != 0:
            raise SystemExit(proc.stderr[-3000:])
        peak_kb = usage.ru_maxrss
        report(
            "year backfill",
            {
                "issues": issues,
                "pages": issues * 8,
                "approx_chars": chars,
                "workers": args.workers,
                "index_window": args.index_window or "default",
                "seconds": round(elapsed, 1),
                "issues_per_s": round(issues / elapsed, 2),
                "chars_per_s": round(chars / elapsed),
                "peak_rss_mb": round(peak_kb / 1024, 1),
                "target_seconds": 300,
                "cpu_s_inkstream": round(usage.ru_utime + usage.ru_stime, 1),
                **server_cpu,
            },
        )


if __name__ == "__main__":
    main()
