"""The package works outside its checkout: the wheel is built, installed into a fresh virtual
environment in a temporary folder, and `inkstream up`, `run`, `search` and `down` work there.

The fresh environment takes the wheel itself with ``--no-deps``; its dependencies come from the
project's environment through a ``.pth`` line (installing them from PyPI again would only measure
the network). ``pip check`` then proves every declared dependency is satisfied, and the checkout
is on no path: the paper configuration, schemas, index template, samples and DAG files the
commands need come from the wheel's package data.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from pipeline.devtools.servers import free_port
from tests.conftest import ROOT

SHIPPED = ("pyproject.toml", "README.md", "pipeline", "schemas", "papers", "kibana", "samples", "dags")


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{cmd} exited {proc.returncode}:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    return proc


def test_the_wheel_runs_outside_the_checkout(tmp_path: Path) -> None:
    src = tmp_path / "src"  # a copy of what the build reads, so the build leaves nothing in the checkout
    src.mkdir()
    for name in SHIPPED:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / name, src / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INKSTREAM_", "PYTHON"))}
    _run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path / "dist"), str(src)],
        tmp_path,
        env,
    )
    [wheel] = (tmp_path / "dist").glob("inkstream-*.whl")

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], tmp_path, env)
    site = Path(
        _run(
            [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            tmp_path,
            env,
        ).stdout.strip()
    )
    (site / "inkstream-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-deps", str(wheel)], tmp_path, env)
    _run([str(venv / "bin" / "python"), "-m", "pip", "check"], tmp_path, env)

    work = tmp_path / "elsewhere"
    work.mkdir()
    inkstream = str(venv / "bin" / "inkstream")
    where = _run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import pipeline, pipeline.resources as r; print(pipeline.__file__); print(r.data_dir('papers'))",
        ],
        work,
        env,
    ).stdout.split()
    assert all(str(venv) in line and str(ROOT) not in line for line in where), where

    kafka, es = free_port(), free_port()
    env = {
        **env,
        "INKSTREAM_DATA_DIR": str(work / "data"),
        "INKSTREAM_KAFKA__BOOTSTRAP_SERVERS": json.dumps([f"127.0.0.1:{kafka}"]),
        "INKSTREAM_ES__URL": f"http://127.0.0.1:{es}",
    }
    _run([inkstream, "up", "--kafka-port", str(kafka), "--es-port", str(es)], work, env)
    try:
        samples = Path(where[1]).parent / "samples" / "issues"  # the wheel's copy of the sample issues
        ran = _run([inkstream, "run", "--source", str(samples), "--workers", "1", "--quiet"], work, env)
        assert sum("articles," in line for line in ran.stderr.splitlines()) == 3, ran.stderr[-2000:]
        found = _run([inkstream, "search", "快递员"], work, env)
        assert "让快递小哥住得安心" in found.stdout, found.stdout
    finally:
        _run([inkstream, "down"], work, env)
