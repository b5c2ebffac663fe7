"""`inkstream run` (no Airflow) with pages in a process pool, as an operator runs it."""

from __future__ import annotations

import subprocess
import sys

from pipeline.config import Settings
from pipeline.evaluation.golden import render_file
from pipeline.indexing import client
from tests.conftest import ROOT, cli_env


def test_cli_run_with_two_workers_indexes_every_sample_issue(settings: Settings) -> None:
    env = cli_env(settings)
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", "--workers", "2", "--quiet"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [ln for ln in proc.stderr.splitlines() if "articles," in ln]
    assert len(lines) == 3 and all("0 dead letters" in ln for ln in lines)
    es = client.make_client(settings.es)
    try:
        client.refresh(es, settings.es)
        gold = [a for p in (ROOT / "samples" / "src").rglob("*.page") for a in render_file(p).gold.articles]
        # the segmentation is exact on these pages; each 上接 part is one article with its 下转 part
        jumps = sum(1 for a in gold if a.continued_from is not None)
        assert jumps == 2 and es.count(index=settings.es.alias)["count"] == len(gold) - jumps
    finally:
        es.close()
