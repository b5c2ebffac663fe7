"""`inkstream report` renders in headless Chromium: charts drawn, labels present, not blank."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from PIL import Image, ImageStat

from pipeline import report
from pipeline.config import Settings
from pipeline.indexing import client
from pipeline.stages import run_issue

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("chromium missing: `make tools` installs it")
        pytest.skip("chromium not installed (make tools)")
    return exe


def test_report_is_drawn_in_a_real_browser(settings: Settings, tmp_path: Path) -> None:
    exe = _chromium()
    run_issue(settings, "grrb", date(2026, 11, 19), "run-report")
    es = client.make_client(settings.es)
    try:
        data = report.gather(es, settings.es)
    finally:
        es.close()
    page = tmp_path / "report.html"
    page.write_text(report.render(data), encoding="utf-8")
    common = [exe, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1000,1600"]
    dom = subprocess.run([*common, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    for label in ("Articles per day", "Top persons", "Top organisations", "Metric totals by unit", "Latest articles",
                  "2026-11-19", "吴长河"):
        assert label in dom.stdout, label
    assert dom.stdout.count("<rect") >= 5
    shot = tmp_path / "report.png"
    proc = subprocess.run([*common, f"--screenshot={shot}", page.as_uri()], capture_output=True, timeout=120)
    assert proc.returncode == 0 and shot.is_file()
    image = Image.open(shot).convert("RGB")
    stats = ImageStat.Stat(image)
    assert max(stats.stddev) > 10, "screenshot is blank"
    colours = image.getcolors(maxcolors=1 << 20) or []
    bar_blue = sum(n for n, rgb in colours if rgb == (0x2F, 0x6D, 0xB5))
    assert bar_blue > 500, "the articles-per-day bars are not drawn"
