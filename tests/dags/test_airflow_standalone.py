"""`inkstream airflow` as an operator runs it: the UI/API on 127.0.0.1 only, the admin password in
a file (never printed), and SIGTERM stops every Airflow process it started."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from pipeline.servers import free_port
from tests.conftest import ROOT


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
    env.update(INKSTREAM_DATA_DIR=str(tmp_path / "data"),
               AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(free_port()),
               AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT=str(free_port()))
    log = (tmp_path / "out.txt").open("w+", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "airflow", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
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
