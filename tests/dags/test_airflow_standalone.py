"""`inkstream airflow` as an operator runs it: the UI/API on 127.0.0.1 only, the admin password in
a file (never printed), and SIGTERM stops every Airflow process it started."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pendulum

from pipeline.config import Settings
from pipeline.devtools.servers import free_port
from pipeline.indexing import client
from tests.conftest import ROOT, copy_sample_issue


def _listeners(port: int) -> set[str]:
    """Local addresses (hex, as /proc/net/tcp* writes them) listening on ``port``."""
    out = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            addr, hexport = local.rsplit(":", 1)
            if state == "0A" and int(hexport, 16) == port:
                out.add(addr)
    return out


def _group_members(pgid: int) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            pids.append(int(stat.parent.name))
    return pids


def _airflow_group(parent: int) -> int | None:
    """The process group of the `airflow standalone` child of ``parent``."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == parent and int(fields[2]) == int(stat.parent.name):  # a group leader: its own group
            return int(fields[2])
    return None


def test_airflow_binds_localhost_hides_the_password_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INKSTREAM_", "AIRFLOW"))}
    env.update(
        INKSTREAM_DATA_DIR=str(tmp_path / "data"),
        AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(free_port()),
        AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT=str(free_port()),
    )
    log = (tmp_path / "out.txt").open("w+", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "airflow", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    group = None
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and not _listeners(port) and proc.poll() is None:
            group = group or _airflow_group(proc.pid)
            time.sleep(1)
        group = group or _airflow_group(proc.pid)
        listening = _listeners(port)
        assert listening == {"0100007F"}, (listening, Path(log.name).read_text(encoding="utf-8")[-3000:])
        assert group is not None and group != os.getpgrp() and len(_group_members(group)) >= 4
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 130
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _group_members(group):
            time.sleep(0.2)
        assert _group_members(group) == [] and not _listeners(port)  # scheduler, api-server, ... all gone
        out = Path(log.name).read_text(encoding="utf-8")
        pw_file = tmp_path / "data" / "airflow" / "simple_auth_manager_passwords.json.generated"
        assert f"password in {pw_file}" in out and pw_file.stat().st_mode & 0o777 == 0o600
        password = pw_file.read_text(encoding="utf-8").split('"')[3]
        assert password not in out and "Password for user" not in out
    finally:
        if proc.poll() is None:
            proc.kill()
        if group is not None and group != os.getpgrp() and _group_members(group):
            os.killpg(group, signal.SIGKILL)
        log.close()


def _api(base: str, method: str, path: str, token: str | None = None, body: Any = None) -> Any:
    req = urllib.request.Request(
        base + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})},
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read() or b"null")


def test_real_scheduler_skips_missing_days_runs_a_manual_day_and_fails_the_bad_day(
    settings: Settings, tmp_path: Path
) -> None:
    """Unpaused with catchup over days mostly without issues: those end skipped, a manual run of a
    sample day (no logical date, param day) runs beside them, and the day with a bad page fails."""
    today = date.today()
    sample, bad_day = date(2026, 11, 18), today - timedelta(days=3)
    root = copy_sample_issue(tmp_path, sample)
    shutil.copytree(ROOT / "samples" / "issues" / "grrb" / "2026-11-19", root / "grrb" / bad_day.isoformat())
    (root / "grrb" / bad_day.isoformat() / "03.txt").write_bytes(b"\x00\x01\x02" * 1000)
    papers = tmp_path / "papers"
    papers.mkdir()
    toml = (ROOT / "papers" / "grrb.toml").read_text(encoding="utf-8")
    start = today - timedelta(days=5)
    (papers / "grrb.toml").write_text(toml.replace("start_date = 2026-11-18", f"start_date = {start}"), "utf-8")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        INKSTREAM_DATA_DIR=str(tmp_path / "data"),
        INKSTREAM_SOURCE_ROOT=str(root),
        INKSTREAM_PAPERS_DIR=str(papers),
        INKSTREAM_AIRFLOW_RETRY_DELAY_S="1",
        INKSTREAM_AIRFLOW_POKE_INTERVAL_S="5",
        AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(free_port()),
        AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT=str(free_port()),
    )
    log = (tmp_path / "out.txt").open("w+", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "airflow", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    group = None
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:
            group = group or _airflow_group(proc.pid)
            try:
                password = json.loads(
                    (tmp_path / "data" / "airflow" / "simple_auth_manager_passwords.json.generated").read_text()
                )["admin"]
                token = _api(base, "POST", "/auth/token", body={"username": "admin", "password": password})
                token = token["access_token"]
                _api(base, "GET", "/api/v2/dags/newspaper_ingest", token)
                break
            except (OSError, ValueError, KeyError):
                time.sleep(2)
        else:
            raise AssertionError(Path(log.name).read_text(encoding="utf-8")[-3000:])
        _api(base, "PATCH", "/api/v2/dags/newspaper_ingest", token, {"is_paused": False})
        manual = _api(
            base,
            "POST",
            "/api/v2/dags/newspaper_ingest/dagRuns",
            token,
            {"logical_date": None, "conf": {"day": sample.isoformat()}},
        )
        runs: dict[str, dict[str, Any]] = {}
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            runs = {
                r["dag_run_id"]: r
                for r in _api(base, "GET", "/api/v2/dags/newspaper_ingest/dagRuns?limit=100", token)["dag_runs"]
            }
            scheduled = [r for r in runs.values() if r["run_type"] == "scheduled"]
            if (
                runs[manual["dag_run_id"]]["state"] in ("success", "failed")
                and len(scheduled) >= 5
                and all(r["state"] in ("success", "failed") for r in scheduled)
            ):
                break
            time.sleep(5)
        out = Path(log.name).read_text(encoding="utf-8")
        assert runs[manual["dag_run_id"]]["state"] == "success", (runs, out[-3000:])
        states = {
            pendulum.parse(r["logical_date"]).in_timezone("Asia/Shanghai").date(): r["state"]
            for r in runs.values()
            if r["run_type"] == "scheduled"
        }
        assert states.get(bad_day) == "failed", (states, out[-3000:])
        assert [st for d, st in states.items() if d != bad_day] and all(
            st == "success" for d, st in states.items() if d != bad_day
        ), states
        es = client.make_client(settings.es)
        try:
            client.refresh(es, settings.es)
            assert client.count_issue(es, settings.es, f"grrb-{sample}") > 0
            assert client.count_issue(es, settings.es, f"grrb-{bad_day}") > 0  # its good pages are indexed
        finally:
            es.close()
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
        if group is not None and group != os.getpgrp() and _group_members(group):
            os.killpg(group, signal.SIGKILL)
        log.close()
