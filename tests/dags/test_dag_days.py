"""Days without an issue end at once (skipped, no run slot held); a manual run of any day works
beside the scheduled ones. dag.test() against the local Kafka and Elasticsearch."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pipeline.config import Settings, load_paper
from pipeline.devtools.airflow_local import airflow_env, dag_test
from pipeline.ops.ledger import read_ledger
from tests.conftest import ROOT, copy_sample_issue

SAMPLE = date(2026, 11, 18)
MISSING = date(2026, 11, 21)  # no sample issue for this day


def _all_skipped(tasks: dict[str, str]) -> bool:
    return bool(tasks) and set(tasks.values()) == {"skipped"}


def test_a_day_without_an_issue_is_skipped_and_a_manual_run_of_a_day_runs(settings: Settings, tmp_path: Path) -> None:
    s = settings.model_copy(update={"source_root": copy_sample_issue(tmp_path, SAMPLE)})
    env = airflow_env(s, tmp_path / "airflow")
    logs: list[str] = []
    missing, manual = dag_test(env, "newspaper_ingest", [MISSING, f"manual:{SAMPLE}"], check=False, output=logs)
    # the missing day was due long ago: skipped at the first poke, not failed, not waited for
    assert missing["day"] == MISSING.isoformat() and missing["state"] == "success", missing
    assert _all_skipped(missing["tasks"]), missing
    assert f"grrb {MISSING}: no issue in" in logs[0] and ": skipped" in logs[0]
    # a manual run with no logical date and the day as its param processes that day
    assert manual["state"] == "success" and manual["run_id"].startswith("manual__"), manual
    assert manual["tasks"]["verify"] == "success"
    [row] = read_ledger(s, "grrb", SAMPLE.isoformat())
    assert row["articles"] > 0 and row["in_index"] == row["articles"]


def test_the_calendar_skips_a_day_the_paper_does_not_publish(settings: Settings, tmp_path: Path) -> None:
    papers = tmp_path / "papers"
    papers.mkdir()
    toml = (ROOT / "papers" / "grrb.toml").read_text(encoding="utf-8")
    toml = toml.replace("no_issue = []", f"no_issue = [{SAMPLE.isoformat()}]")
    (papers / "grrb.toml").write_text(toml, encoding="utf-8")
    s = settings.model_copy(update={"source_root": copy_sample_issue(tmp_path, SAMPLE), "papers_dir": papers})
    assert not load_paper(s, "grrb").calendar.publishes_on(SAMPLE)
    logs: list[str] = []
    # the pages are there, but the calendar says no issue: scheduled and manual runs both skip it
    scheduled, manual = dag_test(
        airflow_env(s, tmp_path / "airflow"), "newspaper_ingest", [SAMPLE, f"manual:{SAMPLE}"], check=False, output=logs
    )
    for run in (scheduled, manual):
        assert run["state"] == "success" and _all_skipped(run["tasks"]), run
    assert logs[0].count(f"grrb {SAMPLE}: no issue on this day by the paper's calendar") >= 2
    assert read_ledger(s, "grrb", SAMPLE.isoformat()) == []
