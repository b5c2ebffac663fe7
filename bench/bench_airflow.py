"""Airflow overhead: the same sample days through `inkstream run` (CLI) and through the
`newspaper_ingest` DAG with `dag.test()` (real Airflow, SQLite, tasks in one process), each
against its own fresh local servers. Reports wall times and the ratio; the database migration
is timed separately (a one-off per Airflow home)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import date

from common import ROOT, local_servers, report

from pipeline.config import Settings
from pipeline.devtools.airflow_local import airflow_env, dag_test, migrate

DAYS = [date(2026, 11, 18), date(2026, 11, 19), date(2026, 11, 20)]


def _settings(kafka: str, es: str, work: os.PathLike[str]) -> Settings:
    os.environ.update(
        INKSTREAM_KAFKA__BOOTSTRAP_SERVERS=json.dumps([kafka]),
        INKSTREAM_ES__URL=es,
        INKSTREAM_DATA_DIR=str(work),
        INKSTREAM_SOURCE_ROOT=str(ROOT / "samples" / "issues"),
    )
    return Settings()


def main() -> None:
    rows: dict[str, object] = {"days": len(DAYS)}
    with local_servers() as (kafka, es, work):
        _settings(kafka, es, work / "cli")
        t0 = time.perf_counter()
        for day in DAYS:
            subprocess.run(
                [sys.executable, "-m", "pipeline", "run", "--quiet", "--workers", "1", "--date", day.isoformat()],
                check=True,
                capture_output=True,
                env=dict(os.environ),
            )
        rows["cli_seconds"] = round(time.perf_counter() - t0, 2)
    with local_servers() as (kafka, es, work):
        env = airflow_env(_settings(kafka, es, work / "airflow"))
        t0 = time.perf_counter()
        migrate(env)
        rows["airflow_db_migrate_seconds"] = round(time.perf_counter() - t0, 2)
        t0 = time.perf_counter()
        for day in DAYS:  # one child per day, like one CLI call per day
            results = dag_test(env, "newspaper_ingest", [day])
            assert all(r["state"] == "success" for r in results), results
        rows["dag_test_seconds"] = round(time.perf_counter() - t0, 2)
        t0 = time.perf_counter()
        results = dag_test(env, "newspaper_ingest", DAYS)  # re-runs, one child: Airflow's start-up paid once
        assert all(r["state"] == "success" for r in results), results
        rows["dag_test_one_process_seconds"] = round(time.perf_counter() - t0, 2)
    rows["dag_test_over_cli"] = round(float(rows["dag_test_seconds"]) / float(rows["cli_seconds"]), 2)  # type: ignore[arg-type]
    report("airflow overhead", rows)


if __name__ == "__main__":
    main()
