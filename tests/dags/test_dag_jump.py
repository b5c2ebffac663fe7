"""The DAG publishes an article continued on another page as one article, as the CLI does: its
publish task joins the parts from the staged pages the mapped page tasks wrote."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pipeline.config import Settings
from pipeline.devtools.airflow_local import airflow_env, dag_test
from pipeline.indexing import client
from pipeline.indexing import search as index_search
from pipeline.ops.ledger import read_ledger
from tests.conftest import copy_sample_issue

DAY = date(2026, 11, 20)  # “有事找工会,真管用” starts on page 1 (下转第2版) and ends on page 2 (上接第1版)
HEADLINE = "“有事找工会,真管用”"


def test_dag_run_indexes_a_jump_across_pages_once_with_both_pages(settings: Settings, tmp_path: Path) -> None:
    s = settings.model_copy(update={"source_root": copy_sample_issue(tmp_path, DAY)})
    [result] = dag_test(airflow_env(s, tmp_path / "airflow"), "newspaper_ingest", [DAY])
    assert result["state"] == "success", result
    [row] = read_ledger(s, "grrb", DAY.isoformat())
    assert row["jumps_joined"] == 1 and row["jumps_unpaired"] == 0 and row["in_index"] == row["articles"]
    es = client.make_client(s.es)
    try:
        client.refresh(es, s.es)
        # 陈立峰 is printed on page 1, the 2100万元 of legal aid on page 2: one article holds both
        for query in ("陈立峰", "挽回经济损失"):
            hits = [h for h in index_search.search(es, s.es, query) if h["headline"] == HEADLINE]
            assert [(h["page"], h["pages"]) for h in hits] == [(1, [1, 2])], query
        assert client.count_issue(es, s.es, f"grrb-{DAY}") == row["articles"]
    finally:
        es.close()
