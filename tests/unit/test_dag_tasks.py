"""The decisions behind the DAG's tasks (pipeline.runner.tasks) and `inkstream airflow`'s process
handling, without Airflow: calendar, waiting deadline, incomplete runs, password file, stopping
a process group."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from pipeline.config import PaperConfig, PublicationCalendar, Settings
from pipeline.devtools.airflow_local import _group_alive, ensure_password, stop_group
from pipeline.runner.staging import run_staging
from pipeline.runner.steps import PublishResult
from pipeline.runner.tasks import check_issue, incomplete
from tests.conftest import ROOT, copy_sample_issue

DAY = date(2026, 11, 18)  # a Wednesday
DUE = datetime(2026, 11, 17, 23, 0, tzinfo=UTC)  # 07:00 Beijing time


def test_calendar_weekdays_holidays_and_special_editions() -> None:
    cal = PublicationCalendar(
        weekdays=("mon", "tue", "wed", "thu", "fri"), no_issue=(DAY,), extra_issue=(date(2026, 11, 22),)
    )
    assert not cal.publishes_on(DAY)  # a listed holiday
    assert cal.publishes_on(date(2026, 11, 19))
    assert not cal.publishes_on(date(2026, 11, 21))  # a Saturday
    assert cal.publishes_on(date(2026, 11, 22))  # a Sunday special edition
    assert PublicationCalendar().publishes_on(date(2026, 11, 21))  # every day unless told otherwise


def test_paper_calendar_rejects_unknown_weekdays() -> None:
    with pytest.raises(ValueError):
        PaperConfig(id="x", name="x", start_date=DAY, calendar={"weekdays": ["monday"]})  # type: ignore[arg-type]


def _settings(tmp_path: Path, wait_s: float = 600, **update: object) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", source_root=tmp_path / "issues", papers_dir=ROOT / "papers", issue_wait_s=wait_s
    ).model_copy(update=update)


def test_check_issue_ready_waiting_and_skipped(tmp_path: Path) -> None:
    copy_sample_issue(tmp_path, DAY)
    s = _settings(tmp_path)
    ready = check_issue(s, "grrb", DAY, DUE, DUE + timedelta(days=30))
    assert ready.done and not ready.skip and str(tmp_path / "issues" / "grrb" / DAY.isoformat()) in ready.reason
    other = DAY + timedelta(days=1)
    waiting = check_issue(s, "grrb", other, DUE, DUE + timedelta(seconds=599))
    assert not waiting.done and not waiting.skip and "waiting for" in waiting.reason
    late = check_issue(s, "grrb", other, DUE, DUE + timedelta(seconds=600))
    assert late.skip and not late.done and "skipped" in late.reason


def test_check_issue_skips_a_day_off_the_calendar_even_with_pages(tmp_path: Path) -> None:
    copy_sample_issue(tmp_path, DAY)
    papers = tmp_path / "papers"
    papers.mkdir()
    toml = (ROOT / "papers" / "grrb.toml").read_text(encoding="utf-8")
    (papers / "grrb.toml").write_text(toml.replace("no_issue = []", f"no_issue = [{DAY}]"), encoding="utf-8")
    wait = check_issue(_settings(tmp_path, papers_dir=papers), "grrb", DAY, DUE, DUE)
    assert wait.skip and not wait.done and "calendar" in wait.reason


def test_incomplete_names_failed_pages_with_reasons_and_dead_letters(tmp_path: Path) -> None:
    s = _settings(tmp_path)
    published = PublishResult(
        issue_id=f"grrb-{DAY}",
        paper="grrb",
        issue_date=DAY.isoformat(),
        run_id="r1",
        offsets={},
        article_ids=["a", "b", "c"],
        pages_ok=[1, 2],
        pages_failed=[3, 4],
        articles=3,
        entities=0,
        metrics=0,
    )
    run_staging(s, "grrb", DAY, "r1").write_page_error(3, "source", "page grrb/2026-11-18/03: not UTF-8")
    summary = {"dead_letters": 3, "in_index": 2, "articles": 3}  # 2 pages + 1 article dead-lettered
    problems = incomplete(s, published, summary)
    assert problems[0] == "page 3 failed at source: page grrb/2026-11-18/03: not UTF-8"
    assert problems[1].startswith("page 4: failed (no error record")
    assert problems[2].startswith("1 article(s) dead-lettered") and len(problems) == 3
    clean = PublishResult(**{**published.__dict__, "pages_failed": []})
    assert incomplete(s, clean, {"dead_letters": 0, "in_index": 3, "articles": 3}) == []
    assert incomplete(s, clean, {"dead_letters": 0, "in_index": 2, "articles": 3}) == ["2 of 3 article(s) in the index"]


def test_password_is_generated_once_into_a_private_file(tmp_path: Path) -> None:
    path = tmp_path / "passwords.json.generated"
    ensure_password(path)
    first = json.loads(path.read_text(encoding="utf-8"))
    assert set(first) == {"admin"} and len(first["admin"]) >= 16
    assert path.stat().st_mode & 0o777 == 0o600
    ensure_password(path)
    assert json.loads(path.read_text(encoding="utf-8")) == first  # kept across starts


def test_stop_group_ends_every_process_of_the_group(tmp_path: Path) -> None:
    # a parent that ignores SIGTERM and a child of its own: both must be gone afterwards
    script = (
        "import signal, subprocess, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)']); time.sleep(600)"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(_members(proc.pid)) < 2:
            time.sleep(0.05)
        assert len(_members(proc.pid)) == 2
        stop_group(proc.pid, timeout_s=1.0)
        proc.wait(timeout=5)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and _group_alive(proc.pid):
            time.sleep(0.05)
        assert not _group_alive(proc.pid)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 9)


def _members(pgid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            out.append(int(stat.parent.name))
    return out
