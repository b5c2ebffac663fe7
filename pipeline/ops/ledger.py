"""Operators' views: the per-issue completeness ledger (one summary per run) and the dead letters."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any

from pipeline.config import Settings


def read_ledger(settings: Settings, paper: str | None = None, issue_date: str | None = None) -> list[dict[str, Any]]:
    """Every run's summary in the staging area, oldest first."""
    from pipeline.runner.staging import staging

    return staging(settings).summaries(paper, issue_date)


@dataclass
class LedgerView:
    """The ledger's rows (each a run summary plus ``pages_expected`` and ``in_index_now``) and
    whether the index counts are current: ``stale`` says why not (the cached counts are shown)."""

    rows: list[dict[str, Any]]
    stale: str | None = None


def ledger_view(
    settings: Settings, paper: str | None = None, issue_date: str | None = None, refresh: bool = True
) -> LedgerView:
    """The ledger with the pages each issue's source lists and the documents the index holds now
    for each issue (one count per issue); if Elasticsearch does not answer, the counts recorded
    by each run, marked stale."""
    rows = read_ledger(settings, paper, issue_date)
    expected: dict[tuple[str, str], int | None] = {}
    for row in rows:
        key = (row.get("issue_id", "").split("-", 1)[0], row.get("issue_id", "")[-10:])
        if key not in expected:
            expected[key] = _pages_expected(settings, *key)
        row["pages_expected"] = expected[key]
        row["in_index_now"] = None
    if not rows or not refresh:
        return LedgerView(rows, "counts not refreshed: 'in index' is as recorded by each run" if rows else None)
    from pipeline.indexing import client

    now: dict[str, int] = {}
    try:
        es = client.make_client(settings.es.model_copy(update={"request_timeout_s": 5.0}))
        try:
            for issue in sorted({r["issue_id"] for r in rows}):
                now[issue] = client.count_issue(es.options(max_retries=0), settings.es, issue)
        finally:
            es.close()
    except Exception as exc:  # any failure to ask: the view says so instead of passing old counts off as new
        reason = " ".join(str(exc).split())[:120]
        return LedgerView(
            rows,
            f"Elasticsearch at {settings.es.url} did not answer ({reason}): "
            "'in index' is as recorded by each run, not now",
        )
    for row in rows:
        row["in_index_now"] = now.get(row["issue_id"])
    return LedgerView(rows)


def _pages_expected(settings: Settings, paper: str, day: str) -> int | None:
    """Pages the source lists for the issue (its manifest or page files), else the paper's usual
    page count, else unknown."""
    from datetime import date as date_cls

    from pipeline.config import load_paper
    from pipeline.errors import PipelineError
    from pipeline.sources import source_for

    try:
        cfg = load_paper(settings, paper)
    except (PipelineError, ValueError, OSError):
        return None
    try:
        return len(source_for(settings, cfg).get_issue(cfg.id, date_cls.fromisoformat(day)).pages)
    except (PipelineError, ValueError, OSError):
        return cfg.pages


_RUN_KINDS = {
    "scheduled": "sch",
    "manual": "man",
    "backfill": "bkf",
    "replay": "rpl",
    "cli": "cli",
    "indexer": "idx",
    "asset_triggered": "ast",
}


def short_run(run_id: str) -> str:
    """``manual__2026-11-30T04:05:06.123+00:00`` -> ``man 11-30 04:05`` (15 columns at most)."""
    kind, _, stamp = run_id.partition("__")
    digits = "".join(ch for ch in stamp if ch.isdigit())
    if len(digits) >= 12:
        return f"{_RUN_KINDS.get(kind, kind[:3])} {digits[4:6]}-{digits[6:8]} {digits[8:10]}:{digits[10:12]}"
    return run_id if len(run_id) <= 15 else run_id[:14] + "…"


def _failed(pages: list[int], width: int) -> str:
    if not pages:
        return "0"
    text = f"{len(pages)}: {','.join(map(str, pages))}"
    return text if len(text) <= width else text[: width - 1] + "…"


#: (header, width, right-aligned); 78 columns with the single spaces between them
LEDGER_COLUMNS = (
    ("issue", 15, False),
    ("run", 15, False),
    ("pages", 5, True),
    ("failed", 9, False),
    ("artcl", 5, True),
    ("indexed", 7, True),
    ("in idx", 6, True),
    ("dead", 4, True),
    ("jumps", 5, True),
)


def format_ledger(view: LedgerView) -> list[str]:
    """Fixed columns that fit 80 characters, the same on a terminal and in a pipe."""

    def line(cells: list[str]) -> str:
        out = []
        for (_, width, right), cell in zip(LEDGER_COLUMNS, cells, strict=True):
            cell = cell if len(cell) <= width else cell[: width - 1] + "…"
            out.append(cell.rjust(width) if right else cell.ljust(width))
        return " ".join(out).rstrip()

    lines = [line([c[0] for c in LEDGER_COLUMNS])]
    for r in view.rows:
        now = r.get("in_index_now")
        in_index = f"{r['in_index']}*" if now is None and view.stale else str(now if now is not None else r["in_index"])
        expected = r.get("pages_expected")
        pages_ok = int(r.get("pages_ok", 0))
        lines.append(
            line(
                [
                    str(r["issue_id"]),
                    short_run(str(r["run_id"])),
                    f"{pages_ok}/{expected if expected is not None else '?'}",
                    _failed(list(r.get("pages_failed", [])), 9),
                    str(r.get("articles", 0)),
                    str(r.get("indexed", 0)),
                    in_index,
                    str(r.get("dead_letters", 0)),
                    f"{r.get('jumps_joined', 0)}/{r.get('jumps_unpaired', 0)}",
                ]
            )
        )
    if not view.rows:
        lines.append("(no runs recorded under the staging folder)")
    lines.append("pages: ok/expected by the source; failed: count: pages; in idx: in the index now")
    if view.stale:
        lines.extend(textwrap.wrap(f"* stale: {view.stale}", 80, subsequent_indent="  "))
    return lines
