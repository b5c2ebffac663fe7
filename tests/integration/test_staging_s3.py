"""`inkstream run` with the staging area on S3 (INKSTREAM_STAGING_URL=s3://…, the project's S3 server
over HTTP): the page workers and the publisher meet in the bucket, nothing is staged on local disk,
and a second run of the same days (a retry elsewhere) overwrites its pages and indexes the same
articles once."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from pipeline.config import Settings, StagingStore
from pipeline.devtools import servers
from pipeline.indexing import client
from pipeline.runner.staging import staging
from tests.conftest import cli_env


@pytest.fixture
def s3(tmp_path: Path) -> Iterator[str]:
    proc, endpoint = servers.start_objectstore(tmp_path / "s3", servers.free_port(), bucket="staging")
    yield endpoint
    servers.stop_pid(proc.pid)
    proc.wait(timeout=15)


def test_inkstream_run_stages_in_the_bucket_and_a_second_run_indexes_the_same_articles(
    settings: Settings, s3: str
) -> None:
    store = StagingStore(
        endpoint=s3, region="us-east-1", access_key_id="inkstream", secret_access_key="inkstream", allow_http=True
    )
    on_s3 = settings.model_copy(update={"staging_url": "s3://staging/runs", "staging_store": store})
    env = cli_env(settings) | {
        "INKSTREAM_STAGING_URL": "s3://staging/runs",
        "INKSTREAM_STAGING_STORE__ENDPOINT": s3,
        "INKSTREAM_STAGING_STORE__REGION": "us-east-1",
        "INKSTREAM_STAGING_STORE__ACCESS_KEY_ID": "inkstream",
        "INKSTREAM_STAGING_STORE__SECRET_ACCESS_KEY": "inkstream",
        "INKSTREAM_STAGING_STORE__ALLOW_HTTP": "true",
    }
    day = date(2026, 11, 18)
    counts = []
    for _ in range(2):
        proc = subprocess.run(
            [sys.executable, "-m", "pipeline", "run", "--date", str(day), "--workers", "2", "--quiet"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        es = client.make_client(settings.es)
        try:
            client.refresh(es, settings.es)
            counts.append(client.count_issue(es, settings.es, f"grrb-{day}"))
        finally:
            es.close()
    rows = staging(on_s3).summaries("grrb", str(day))
    assert len(rows) == 2 and all(r["pages_ok"] == 4 and r["pages_failed"] == [] for r in rows), rows
    assert rows[0]["articles"] == rows[1]["articles"] == rows[1]["in_index"] == counts[0] == counts[1] > 0
    run = staging(on_s3).run("grrb", day, rows[1]["run_id"])
    assert str(run).startswith("s3://staging/runs/grrb/") and run.pages_ok() == [1, 2, 3, 4]
    assert len({a.article_id for a in run.articles()}) == len(list(run.articles()))
    local = settings.staging_dir
    assert not local.exists() or not [p for p in local.rglob("*") if p.is_file()], json.dumps(
        [str(p) for p in local.rglob("*")]
    )
