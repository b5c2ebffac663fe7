"""Operators' verbs: dead letters, the ledger, the report, schemas, Kibana objects."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.app import _dump, _fail, _print_table, _settings, app, out
from pipeline.cli.errors import parse_day, require
from pipeline.errors import PipelineError

deadletter_app = typer.Typer(help="Inspect and replay the dead-letter topic.", no_args_is_help=True)
app.add_typer(deadletter_app, name="deadletter")


@deadletter_app.command("list")
def deadletter_list(
    jsonl: Annotated[bool, typer.Option("--jsonl", help="print whole dead letters as JSON lines")] = False,
) -> None:
    """List dead letters: offset, stage, where (paper/date/page or key), error and reason."""
    from pipeline.publishing.deadletters import read_dead_letters

    settings = _settings()
    require(settings.kafka.bootstrap_servers)
    letters = read_dead_letters(settings.kafka)
    if jsonl:
        for (partition, offset), letter in letters:
            row = {"partition": partition, "offset": offset, **letter.model_dump(mode="json")}
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    _print_table(
        f"{len(letters)} dead letter(s)",
        ("offset", "stage", "where", "error", "reason", "run"),
        [
            (
                f"{partition}:{offset}",
                d.stage,
                f"{d.paper}/{d.issue_date}/{d.page:02d}" if d.page else (d.key or ""),
                d.error_type,
                d.reason[:80],
                d.run_id,
            )
            for (partition, offset), d in letters
        ],
    )


@deadletter_app.command("replay")
def deadletter_replay(
    stage: Annotated[str | None, typer.Option(help="only letters of this stage (index, source, segmentation…)")] = None,
) -> None:
    """Replay dead letters after a fix: index letters are re-indexed from their original event,
    page letters re-run their issue. Prints what was replayed and what failed again."""
    from pipeline.runner.replay import replay_dead_letters

    try:
        settings = _settings()
        require(settings.kafka.bootstrap_servers, settings.es.url)
        _dump(replay_dead_letters(settings, stage))
    except PipelineError as exc:
        raise _fail(exc) from exc


@app.command()
def ledger(
    paper: Annotated[str | None, typer.Option(help="paper id")] = None,
    issue_date: Annotated[str | None, typer.Option("--date", help="issue date (YYYY-MM-DD)")] = None,
    jsonl: Annotated[bool, typer.Option("--jsonl", help="one JSON object per run (every field, full run id)")] = False,
) -> None:
    """Per-issue completeness, per run: pages ok/expected by the source, failed pages (how many:
    which), articles, indexed by the run, in the index now, dead letters, page jumps joined/unpaired.
    Fits 80 columns; when Elasticsearch does not answer, the counts recorded by each run are shown
    marked '*' (stale)."""
    from pipeline.ops.ledger import format_ledger, ledger_view

    issue_date = str(parse_day(issue_date, "--date")) if issue_date is not None else None
    view = ledger_view(_settings(), paper, issue_date)
    if jsonl:
        for row in view.rows:
            row = {k: v for k, v in row.items() if not k.startswith("_")}
            sys.stdout.write(json.dumps({**row, "stale": view.stale}, ensure_ascii=False) + "\n")
        return
    sys.stdout.write("\n".join(format_ledger(view)) + "\n")


# ----------------------------------------------------------------------------- samples


@app.command()
def samples(
    check: Annotated[bool, typer.Option(help="fail if samples/issues is out of date instead of writing")] = False,
) -> None:
    """Render samples/src/*.page (team-written markup) into the sample issues under samples/issues."""
    from pipeline.evaluation.samples import build_samples

    stale = build_samples(check=check)
    if check and stale:
        raise _fail(PipelineError(f"out of date: {', '.join(stale)} (run `inkstream samples`)"))
    out.print(f"{'checked' if check else 'wrote'} sample issues ({len(stale)} changed)")


@app.command()
def schemas() -> None:
    """Regenerate schemas/*.schema.json from the pydantic models."""
    from pipeline.schemas import write_all

    written = write_all()
    out.print(f"{len(written)} schema file(s) updated")


@app.command()
def report(
    output: Annotated[Path, typer.Option("-o", "--output", help="HTML file to write")] = Path("report.html"),
) -> None:
    """Write one static HTML page with charts from Elasticsearch aggregations (no Kibana needed)."""
    from pipeline.indexing import client
    from pipeline.ops import report as report_page

    settings = _settings()
    require(es=settings.es.url)
    es = client.make_client(settings.es)
    try:
        data = report_page.gather(es, settings.es)
    except PipelineError as exc:
        raise _fail(exc) from exc
    finally:
        es.close()
    output.write_text(report_page.render(data), encoding="utf-8")
    out.print(f"wrote {output} ({data['total']} articles)")


kibana_app = typer.Typer(help="Kibana saved objects (data view, dashboards) kept as code.", no_args_is_help=True)
app.add_typer(kibana_app, name="kibana")


@kibana_app.command("export")
def kibana_export() -> None:
    """Regenerate kibana/inkstream.ndjson from pipeline/ops/kibana.py."""
    from pipeline.ops import kibana

    out.print("updated" if kibana.write() else "up to date")


@kibana_app.command("import")
def kibana_import(
    url: Annotated[str, typer.Option(envvar="INKSTREAM_KIBANA_URL", help="Kibana base URL")] = "http://localhost:5601",
    username: Annotated[str | None, typer.Option(envvar="INKSTREAM_KIBANA_USERNAME")] = None,
    password: Annotated[str | None, typer.Option(envvar="INKSTREAM_KIBANA_PASSWORD", show_default=False)] = None,
    ca_certs: Annotated[str | None, typer.Option(envvar="INKSTREAM_KIBANA_CA_CERTS")] = None,
) -> None:
    """Load the data view and dashboards through Kibana's saved-objects API (one step)."""
    from pipeline.ops import kibana

    try:
        result = kibana.import_objects(url, username, password, ca_certs)
    except OSError as exc:
        raise _fail(exc) from exc
    _dump(
        {"success": result.get("success"), "imported": result.get("successCount"), "errors": result.get("errors", [])}
    )
    if not result.get("success"):
        raise typer.Exit(code=1)
