"""Run every stage benchmark; each prints one JSON line with throughput and ratios to its baseline.
``--year`` adds the synthetic year's end-to-end backfill (about seven minutes here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

SCRIPTS = [
    "bench_segmentation.py",
    "bench_enrichment.py",
    "bench_entities_backends.py",
    "bench_kafka_es.py",
    "bench_airflow.py",
]
if "--year" in sys.argv:
    SCRIPTS.append("bench_year.py")
for script in SCRIPTS:
    subprocess.run([sys.executable, str(HERE / script)], check=True, cwd=HERE)
