"""Run every stage benchmark; each prints one JSON line with throughput and ratios to its baseline."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

for script in ("bench_segmentation.py", "bench_enrichment.py", "bench_entities_backends.py", "bench_kafka_es.py"):
    subprocess.run([sys.executable, str(HERE / script)], check=True, cwd=HERE)
