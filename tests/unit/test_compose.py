"""docker-compose.yml is valid (Debian's docker-compose parses it) and keeps secrets out."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.conftest import ROOT


def test_compose_file_validates() -> None:
    exe = shutil.which("docker-compose")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("docker-compose missing: `make tools` installs it")
        pytest.skip("docker-compose not installed (make tools)")
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    proc = subprocess.run([exe, "-f", "docker-compose.yml", "--env-file", ".env.example", "config", "--services"],
                          cwd=ROOT, capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    services = set(proc.stdout.split())
    assert {"kafka", "elasticsearch", "kibana", "postgres", "airflow-apiserver", "airflow-scheduler",
            "airflow-dag-processor", "airflow-triggerer", "indexer", "kibana-setup"} <= services


def test_compose_has_no_inline_secrets() -> None:
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    for needle in ("PASSWORD=", "PASSWORD: ", "password: "):
        for line in text.splitlines():
            if needle in line:
                assert "${" in line, line
