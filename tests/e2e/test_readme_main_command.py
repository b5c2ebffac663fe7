"""The README's first command, exactly as written, in an isolated data directory."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from tests.conftest import ROOT


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- two-commands -->\s*```(?:sh|bash)\n(.*?)```", text, re.S)
    assert block, "README lost its two-commands block"
    return [line.strip() for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")]


def test_readme_has_exactly_two_setup_commands_and_ci_runs_the_second() -> None:
    commands = _readme_commands()
    assert len(commands) == 2
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci


def test_readme_main_command_runs_the_dag_for_every_sample_day(tmp_path: Path) -> None:
    main_command = _readme_commands()[0]
    env = {k: v for k, v in os.environ.items() if not k.startswith("INKSTREAM_")}
    env["INKSTREAM_DATA_DIR"] = str(tmp_path / "data")
    try:
        proc = subprocess.run(main_command, shell=True, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
        output = proc.stdout + proc.stderr
        assert proc.returncode == 0, output[-3000:]
        assert output.count("run success") == 3, output[-3000:]
        hits = re.search(r"Search '工会' → (\d+) hit", output)
        assert hits and int(hits.group(1)) > 0, output[-3000:]
        assert "Where to look" in output
    finally:
        subprocess.run(
            [str(ROOT / ".venv" / "bin" / "inkstream"), "down"], cwd=ROOT, env=env, capture_output=True, timeout=60
        )


def test_the_demo_switched_to_the_local_epaper_site(tmp_path: Path) -> None:
    """`inkstream demo --site`: the same days read over HTTP from the local e-paper site (article
    pages, the grrb-site paper), every day published and indexed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INKSTREAM_")}
    env["INKSTREAM_DATA_DIR"] = str(tmp_path / "data")
    inkstream = str(ROOT / ".venv" / "bin" / "inkstream")
    try:
        proc = subprocess.run(
            [inkstream, "demo", "--site"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900
        )
        output = proc.stdout + proc.stderr
        assert proc.returncode == 0, output[-3000:]
        assert "newspaper_ingest__grrb-site" in output and output.count("run success") == 3, output[-3000:]
        days = re.findall(r"articles (\d+) .* indexed (\d+)\s+dead letters 0", output)
        assert len(days) == 3 and all(a == n and int(a) > 0 for a, n in days), output[-3000:]
    finally:
        subprocess.run([inkstream, "down"], cwd=tmp_path, env=env, capture_output=True, timeout=60)
