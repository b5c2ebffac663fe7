"""The operator's ledger: 80 columns in a terminal or a pipe, --jsonl, and counts marked stale when
Elasticsearch cannot be asked."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.config import Settings
from pipeline.ops.ledger import LedgerView, format_ledger, ledger_view, short_run


def _summary(issue: str, run: str, failed: list[int]) -> dict[str, object]:
    return {
        "issue_id": issue,
        "run_id": run,
        "pages_ok": 4 - len(failed),
        "pages_failed": failed,
        "articles": 11,
        "entities": 40,
        "metrics": 9,
        "indexed": 10,
        "in_index": 10,
        "dead_letters": 1 + len(failed),
        "stale_removed": 0,
        "jumps_joined": 1,
        "jumps_unpaired": 0,
    }


def _dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def _staged(tmp_path: Path) -> Settings:
    settings = Settings(data_dir=tmp_path / "data")
    settings = settings.model_copy(update={"es": settings.es.model_copy(update={"url": _dead_url()})})
    runs = [
        ("2026-11-19", "manual__2026-11-30T04:05:06.123456+00:00", [2, 3]),
        ("2026-11-20", "scheduled__2026-11-20T07:00:00+00:00", []),
    ]
    for day, run, failed in runs:
        folder = settings.staging_dir / "grrb" / day / run
        folder.mkdir(parents=True)
        (folder / "summary.json").write_text(json.dumps(_summary(f"grrb-{day}", run, failed)), encoding="utf-8")
    return settings


def test_run_ids_shrink_to_kind_and_time() -> None:
    assert short_run("manual__2026-11-30T04:05:06.123456+00:00") == "man 11-30 04:05"
    assert short_run("cli__20261130T040506") == "cli 11-30 04:05"
    assert short_run("scheduled__2026-11-20T07:00:00+00:00") == "sch 11-20 07:00"
    assert short_run("odd") == "odd"


def test_elasticsearch_down_marks_the_counts_stale_and_everything_fits_80_columns(tmp_path: Path) -> None:
    view = ledger_view(_staged(tmp_path))
    assert view.stale and "did not answer" in view.stale
    assert all(r["in_index_now"] is None for r in view.rows)
    assert [r["pages_expected"] for r in view.rows] == [4, 4]  # the sample issues list four pages
    lines = format_ledger(view)
    assert max(map(len, lines)) <= 80, lines
    rows = [ln for ln in lines if ln.startswith("grrb-")]
    assert len(rows) == 2 and "2: 2,3" in rows[0] and "2/4" in rows[0] and "man 11-30 04:05" in rows[0]
    assert all("10*" in row for row in rows) and any(ln.startswith("* stale") for ln in lines)


def test_a_fresh_view_has_no_marker() -> None:
    view = LedgerView(
        [{**_summary("grrb-2026-11-18", "cli__20261130T040506", []), "pages_expected": 4, "in_index_now": 11}]
    )
    lines = format_ledger(view)
    assert "*" not in "\n".join(lines) and " 11 " in lines[1]


def test_cli_ledger_jsonl_and_table(tmp_path: Path) -> None:
    settings = _staged(tmp_path)
    env = {"INKSTREAM_DATA_DIR": str(settings.data_dir), "INKSTREAM_ES__URL": settings.es.url}
    res = CliRunner().invoke(app, ["ledger", "--jsonl"], env=env)
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    assert rows[0]["run_id"].startswith("manual__") and all(r["stale"] for r in rows)
    res = CliRunner().invoke(app, ["ledger", "--date", "2026-11-20"], env=env)
    assert res.exit_code == 0 and "sch 11-20 07:00" in res.stdout and "grrb-2026-11-19" not in res.stdout
