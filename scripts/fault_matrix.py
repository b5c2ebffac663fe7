"""The fault matrix: run every fault-injection test against real local servers (each test that
kills a server gets a private one), collect the row each test audits, write docs/fault-matrix.md.

    .venv/bin/python scripts/fault_matrix.py        (or: make faults)

Exits non-zero if a test fails or any row has a lost or duplicated article.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = [
    "tests/integration/test_faults.py",
    "tests/integration/test_indexer_follow.py",
    "tests/integration/test_pipeline.py",
]
COLUMNS = [
    ("fault", "fault"),
    ("handling", "how it is handled"),
    ("events_acknowledged", "events acknowledged"),
    ("articles_published", "articles published"),
    ("indexed", "indexed"),
    ("dead_lettered", "articles dead-lettered"),
    ("pages_dead_lettered", "pages dead-lettered"),
    ("lost", "lost"),
    ("duplicated", "duplicated in the index"),
]


def main() -> int:
    rows_file = Path(tempfile.mkstemp(prefix="fault-matrix-", suffix=".jsonl")[1])
    env = {**os.environ, "FAULT_MATRIX_ROWS": str(rows_file)}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *TESTS], cwd=ROOT, env=env)
    rows = [json.loads(line) for line in rows_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows_file.unlink()
    rows.sort(key=lambda r: r["fault"])
    out = [
        "# Fault matrix",
        "",
        "Every fault below is injected against real servers (tansu for Kafka, noida-db for Elasticsearch,",
        "a fault-injecting HTTP proxy in front of it for 429s); after each, the test audits the index",
        "against what was published. *Lost* = published, neither indexed nor dead-lettered; *duplicated* =",
        "a second document of an article or one left over from an earlier run. Both must be 0.",
        "",
        f"Produced by `.venv/bin/python scripts/fault_matrix.py` on {datetime.now(UTC):%Y-%m-%d}, "
        f"Python {platform.python_version()}, {os.cpu_count()} cores; pytest exit code {proc.returncode}.",
        "",
        "| " + " | ".join(title for _, title in COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    out += ["| " + " | ".join(str(r.get(key, "")) for key, _ in COLUMNS) + " |" for r in rows]
    out += [
        "",
        f"{len(rows)} faults; lost in total: {sum(r['lost'] for r in rows)}; "
        f"duplicated in total: {sum(r['duplicated'] for r in rows)}.",
        "",
    ]
    (ROOT / "docs" / "fault-matrix.md").write_text("\n".join(out), encoding="utf-8")
    print("\n".join(out))
    bad = any(r["lost"] or r["duplicated"] for r in rows)
    return proc.returncode or int(bad) or int(not rows)


if __name__ == "__main__":
    sys.exit(main())
