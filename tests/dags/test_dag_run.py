"""Run newspaper_ingest with dag.test() against the local Kafka and Elasticsearch."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from pipeline.config import Settings
from pipeline.devtools.airflow_local import airflow_env, dag_test
from pipeline.indexing import client
from pipeline.indexing import search as index_search
from tests.conftest import copy_sample_issue

DAY = date(2026, 11, 19)


def test_dag_run_indexes_the_good_pages_and_fails_on_a_bad_one(settings: Settings, tmp_path: Path) -> None:
    root = copy_sample_issue(tmp_path, DAY)
    (root / "grrb" / DAY.isoformat() / "03.txt").write_bytes(b"\x00\x01\x02" * 1000)  # one broken page
    s = settings.model_copy(update={"source_root": root})
    env = airflow_env(s, tmp_path / "airflow")
    env["INKSTREAM_AIRFLOW_RETRY_DELAY_S"] = "1"
    # Elasticsearch comes from an Airflow connection, which wins over the (dead) environment setting
    es_url = urlsplit(s.es.url)
    env["INKSTREAM_ES__URL"] = "http://127.0.0.1:9"
    env["AIRFLOW_CONN_INKSTREAM_ELASTICSEARCH"] = json.dumps(
        {"conn_type": "http", "host": es_url.hostname, "port": es_url.port, "extra": {"verify_certs": True}}
    )
    logs: list[str] = []
    [result] = dag_test(env, "newspaper_ingest", [DAY], check=False, output=logs)
    # the same rule as the CLI's exit status 3: the good pages are published and indexed, the run fails
    assert result["state"] == "failed", result
    tasks = result["tasks"]
    assert tasks["wait_for_issue"] == tasks["plan_pages"] == tasks["publish"] == "success"
    assert tasks["index"] == "success" and tasks["verify"] == "failed"
    # the final task's log names the failed page and why; the other tasks say what they did
    assert "page 3 failed at" in logs[0] and f"grrb-{DAY} incomplete" in logs[0]
    assert f"grrb {DAY}: issue ready in" in logs[0] and f"grrb {DAY}: 4 page(s) [1, 2, 3, 4]" in logs[0]
    assert "published" in logs[0] and "consumed" in logs[0]
    pages = {k: v for k, v in tasks.items() if k.startswith("process_page[")}
    assert len(pages) == 4 and sorted(pages.values()) == ["failed", "success", "success", "success"]
    es = client.make_client(s.es)
    try:
        client.refresh(es, s.es)
        hits = list(index_search.search(es, s.es, "吴长河"))  # page 3 is broken: its feature must be absent
        assert hits == []
        hits = list(index_search.search(es, s.es, "暖屋"))
        assert hits and all(h["issue_date"] == DAY.isoformat() for h in hits)
        assert client.count_issue(es, s.es, f"grrb-{DAY}") > 0
    finally:
        es.close()
