"""Download figures of the e-paper source over the sample days (docs/sources.md): a first run with
an empty download cache, a second run while the downloads are fresh (``revalidate_after_s``), and a
second run that asks about every file again (conditional requests). The source is driven as the
runner drives it (plan, then each page on a new source instance) against the local site; requests,
statuses and body bytes are counted by the site, wall time by this process.

``python -m pipeline.devtools.site_figures [--rate 10] [--json] [--cli]``
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from pipeline.config import Settings, load_paper
from pipeline.devtools.epaper_site import SiteHandle, start_site
from pipeline.sources.http import HttpSource
from pipeline.sources.siteconfig import SiteAccess

PAPER = "grrb-site"


def _run(settings: Settings, handle: SiteHandle, revalidate_after_s: float, rate: float) -> dict[str, Any]:
    paper = load_paper(settings, PAPER)
    assert paper.site is not None
    paper = paper.model_copy(
        update={"site": paper.site.model_copy(update={"revalidate_after_s": revalidate_after_s, "rate_per_s": rate})}
    )
    handle.clear_requests()
    started = time.perf_counter()
    articles = 0
    days = HttpSource(settings, paper).available_dates(paper.id)
    for day in days:
        pages = HttpSource(settings, paper).get_issue(paper.id, day).pages  # the planner
        for ref in pages:  # each page task builds its own source, as the runner does
            src = HttpSource(settings, paper)
            issue = src.get_issue(paper.id, day)
            text = src.read_page(issue, ref)
            split = src.read_split(issue, ref, text)
            articles += len(split.articles) if split else 0
            src.close()
    wall = time.perf_counter() - started
    hits = handle.requests
    return {
        "days": len(days),
        "articles": articles,
        "requests": len(hits),
        "status_200": sum(1 for h in hits if h.status == 200),
        "status_304": sum(1 for h in hits if h.status == 304),
        "body_bytes": sum(h.bytes for h in hits),
        "wall_s": round(wall, 2),
    }


def measure(rate: float = 10.0, data_dir: Path | None = None) -> dict[str, dict[str, Any]]:
    handle = start_site()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            base = Settings(data_dir=data_dir or Path(tmp))
            settings = base.model_copy(update={"site": SiteAccess(base_url=handle.url + "/epaper")})
            return {
                "first run (empty cache)": _run(settings, handle, 300.0, rate),
                "second run, downloads fresh (revalidate_after_s 300)": _run(settings, handle, 300.0, rate),
                "second run, every file asked again (revalidate_after_s 0)": _run(settings, handle, 0.0, rate),
            }
    finally:
        handle.stop()


def measure_cli(workers: int = 2) -> dict[str, dict[str, Any]]:
    """``inkstream run --paper grrb-site`` twice against the local site and the Kafka and
    Elasticsearch servers the environment names (``INKSTREAM_KAFKA__BOOTSTRAP_SERVERS``,
    ``INKSTREAM_ES__URL``, e.g. after ``inkstream up``): a first run with an empty download cache, a
    second while the downloads are fresh and a third asking about every file again
    (``revalidate_after_s = 0``). Topics and index alias are
    fresh for the measurement; wall time is the CLI's, start to exit."""
    import os
    import re
    import subprocess
    import sys
    import uuid

    from pipeline.resources import data_dir

    handle = start_site()
    tag = uuid.uuid4().hex[:8]
    out: dict[str, dict[str, Any]] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            papers = Path(tmp) / "papers"
            papers.mkdir()
            text = (data_dir("papers") / f"{PAPER}.toml").read_text(encoding="utf-8")
            env = {
                **os.environ,
                "INKSTREAM_DATA_DIR": str(Path(tmp) / "data"),
                "INKSTREAM_PAPERS_DIR": str(papers),
                "INKSTREAM_SITE__BASE_URL": handle.url + "/epaper",
                "INKSTREAM_KAFKA__ARTICLES_TOPIC": f"f{tag}.articles",
                "INKSTREAM_KAFKA__ISSUES_TOPIC": f"f{tag}.issues",
                "INKSTREAM_KAFKA__DEADLETTER_TOPIC": f"f{tag}.deadletter",
                "INKSTREAM_ES__ALIAS": f"figures-{tag}-articles",
            }
            # the baseline in the same measurement: the same issues from the sample folder
            (papers / "grrb.toml").write_text(
                (data_dir("papers") / "grrb.toml").read_text(encoding="utf-8"), encoding="utf-8"
            )
            started = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-m", "pipeline", "run", "--paper", "grrb", "--workers", str(workers), "--quiet"],
                env=env,
                capture_output=True,
                text=True,
            )
            if proc.returncode != 0:
                raise SystemExit(f"inkstream run --paper grrb failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
            out["baseline: the sample folder (paper grrb)"] = {
                "requests": 0,
                "status_200": 0,
                "status_304": 0,
                "body_bytes": 0,
                "wall_s": round(time.perf_counter() - started, 2),
                "articles": sum(int(m) for m in re.findall(r": (\d+) articles,", proc.stderr)),
            }
            for name, revalidate in (
                ("first run (empty cache)", 300.0),
                ("second run, downloads fresh (revalidate_after_s 300)", 300.0),
                ("third run, every file asked again (revalidate_after_s 0)", 0.0),
            ):
                (papers / f"{PAPER}.toml").write_text(
                    re.sub(r"^revalidate_after_s = .*$", f"revalidate_after_s = {revalidate}", text, flags=re.M),
                    encoding="utf-8",
                )
                handle.clear_requests()
                started = time.perf_counter()
                proc = subprocess.run(
                    [sys.executable, "-m", "pipeline", "run", "--paper", PAPER, "--workers", str(workers), "--quiet"],
                    env=env,
                    capture_output=True,
                    text=True,
                )
                wall = time.perf_counter() - started
                if proc.returncode != 0:
                    raise SystemExit(f"inkstream run failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
                hits = handle.requests
                out[name] = {
                    "requests": len(hits),
                    "status_200": sum(1 for h in hits if h.status == 200),
                    "status_304": sum(1 for h in hits if h.status == 304),
                    "body_bytes": sum(h.bytes for h in hits),
                    "wall_s": round(wall, 2),
                    "articles": sum(int(m) for m in re.findall(r": (\d+) articles,", proc.stderr)),
                }
    finally:
        handle.stop()
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=10.0, help="requests per second (rate_per_s)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--cli",
        action="store_true",
        help="time `inkstream run --paper grrb-site` twice (Kafka, Elasticsearch from the environment)",
    )
    args = parser.parse_args(argv)
    figures = measure_cli() if args.cli else measure(args.rate)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=1))
        return
    print(f"{'run':58} {'requests':>8} {'200':>5} {'304':>5} {'bytes':>8} {'wall s':>7} {'articles':>8}")
    base = next(iter(figures.values()))["wall_s"]
    for name, f in figures.items():
        print(
            f"{name:58} {f['requests']:8d} {f['status_200']:5d} {f['status_304']:5d} {f['body_bytes']:8d} "
            f"{f['wall_s']:7.2f} {f['articles']:8d}  {f['wall_s'] / base:.2f}x"
        )


if __name__ == "__main__":
    main()
