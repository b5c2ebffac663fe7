"""DAG files stay thin and parse under Airflow 3."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DAGS = Path(__file__).resolve().parents[2] / "dags"
DAG_FILES = sorted(p for p in DAGS.glob("*.py") if not p.name.startswith("_"))
HEAVY = ("jieba", "elasticsearch", "kafka", "pipeline")
#: the settings and paper models (pydantic, which Airflow itself loads) are all a DAG file may read
ALLOWED = ("pipeline.config",)


@pytest.mark.parametrize("path", [*DAG_FILES, DAGS / "_shared.py", DAGS / "_issue_wait.py"], ids=lambda p: p.name)
def test_dag_files_import_nothing_heavy_at_parse_time(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules = [a.name for n in tree.body if isinstance(n, ast.Import) for a in n.names]
    modules += [n.module or "" for n in tree.body if isinstance(n, ast.ImportFrom)]
    assert not [m for m in modules if m.split(".")[0] in HEAVY and m not in ALLOWED]
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 130


def test_the_settings_a_dag_file_reads_load_no_client_or_tokenizer() -> None:
    import subprocess
    import sys

    code = (
        "import sys, pipeline.config; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'jieba', 'kafka', 'elasticsearch', 'httpx'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.fixture(scope="module")
def dagbag():  # type: ignore[no-untyped-def]
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS))


def test_dags_import_without_errors(dagbag) -> None:  # type: ignore[no-untyped-def]
    assert dagbag.import_errors == {}
    assert "newspaper_ingest" in dagbag.dag_ids


def test_newspaper_ingest_shape(dagbag) -> None:  # type: ignore[no-untyped-def]
    dag = dagbag.dags["newspaper_ingest"]
    assert set(dag.task_ids) == {"wait_for_issue", "plan_pages", "process_page", "publish", "index", "verify"}
    assert dag.catchup is True and "inkstream" in dag.tags
    sensor = dag.get_task("wait_for_issue")
    assert sensor.mode == "reschedule" and sensor.soft_fail  # a missing issue skips the day, never fails it
    assert sensor.deferrable  # between asks it waits in the triggerer, holding no worker slot
    assert sensor.timeout <= 6 * 3600  # and holds no run slot for half a day
    assert type(dag.get_task("process_page")).__name__.endswith("MappedOperator")  # one task per page
    assert dag.get_task("publish").trigger_rule == "none_skipped"  # runs after failed pages, not on skipped days
    assert "day" in dag.params  # a manual run of any day, with no logical date to collide with
    for task in dag.tasks:
        assert task.retries >= 2, task.task_id
    assert str(dag.timezone) == "Asia/Shanghai"  # runs at 07:00 Beijing time, one per issue day
    downstream = dag.get_task("plan_pages").get_flat_relative_ids(upstream=False)
    assert {"process_page", "publish", "index", "verify"} <= downstream
