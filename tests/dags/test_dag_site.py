"""newspaper_ingest__grrb-site with dag.test() against the local e-paper site, Kafka and Elasticsearch:
the sensor waits for an issue that appears late, a page that answers 404 fails alone, the good
pages are indexed and verify fails naming the page."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pipeline.config import Settings
from pipeline.devtools.airflow_local import airflow_env, dag_test
from pipeline.devtools.epaper_site import start_site
from pipeline.evaluation.golden import render_file
from pipeline.indexing import client
from pipeline.sources.siteconfig import SiteAccess
from tests.conftest import ROOT
from tests.integration.test_http_source import papers_dir

DAY = date(2026, 11, 19)


def test_dag_run_against_the_site_waits_for_a_late_issue_and_fails_one_404_page(
    settings: Settings, tmp_path: Path
) -> None:
    handle = start_site(late={DAY.isoformat(): 1}, fail={f"{DAY}/03": 404})
    try:
        s = settings.model_copy(
            update={
                "site": SiteAccess(base_url=handle.url + "/epaper"),
                "papers_dir": papers_dir(tmp_path, rate_per_s=50.0, backoff_s=0.05),
            }
        )
        env = airflow_env(s, tmp_path / "airflow")
        env.update(
            INKSTREAM_SITE__BASE_URL=handle.url + "/epaper",
            INKSTREAM_AIRFLOW_RETRY_DELAY_S="1",
            INKSTREAM_AIRFLOW_POKE_INTERVAL_S="1",
        )
        logs: list[str] = []
        # a manual run of the day: due now, so a missing issue is waited for (a scheduled run of a past
        # day would be past its wait already and skipped)
        [result] = dag_test(env, "newspaper_ingest__grrb-site", [f"manual:{DAY}"], check=False, output=logs)
        hits = handle.requests
    finally:
        handle.stop()
    assert result["state"] == "failed", result
    tasks = result["tasks"]
    assert tasks["wait_for_issue"] == tasks["plan_pages"] == tasks["publish"] == tasks["index"] == "success"
    assert tasks["verify"] == "failed"
    pages = {k: v for k, v in tasks.items() if k.startswith("process_page[")}
    assert sorted(pages.values()) == ["failed", "success", "success", "success"]
    assert "page 3 failed at source" in logs[0] and "HTTP 404" in logs[0]
    # the sensor's first ask found no issue; it deferred, and the trigger's later ask found it
    assert [h.status for h in hits if h.path.endswith("/19/index.html")][:2] == [404, 200]
    assert "running trigger in line" in logs[0]
    expected = sum(
        len(render_file(ROOT / "samples" / "src" / "grrb" / DAY.isoformat() / f"{p:02d}.page").gold.articles)
        for p in (1, 2, 4)
    )
    es = client.make_client(s.es)
    try:
        client.refresh(es, s.es)
        assert es.count(index=s.es.alias)["count"] == expected
    finally:
        es.close()
