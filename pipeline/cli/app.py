"""The ``inkstream`` application object, the options every verb takes, and output helpers."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape as _escape
from rich.table import Table

from pipeline.cli.errors import EXIT_CODES_HELP, InkstreamGroup, quiet_client_logs
from pipeline.config import Settings

app = typer.Typer(
    help="inkstream: newspaper e-paper pages -> articles -> Kafka -> Elasticsearch.",
    epilog=EXIT_CODES_HELP,
    cls=InkstreamGroup,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)
out = Console(soft_wrap=True)


@app.callback()
def _options(
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            envvar="INKSTREAM_DATA_DIR",
            show_envvar=False,
            help="servers' data, staging, logs (default: ./.inkstream)",
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="show tracebacks and client logs")] = False,
) -> None:
    """Options for every verb (before the verb: inkstream --data-dir D up)."""
    if data_dir is not None:
        os.environ["INKSTREAM_DATA_DIR"] = str(data_dir.expanduser().resolve())
    quiet_client_logs(debug)


def _settings() -> Settings:
    return Settings()


def _dump(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=1) + "\n")


def _print_table(title: str, columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    table = Table(title=title)
    for col in columns:
        table.add_column(col)
    for row in rows:
        table.add_row(*row)
    out.print(table)


def _fail(exc: Exception, code: int = 1) -> typer.Exit:
    console.print(f"[red]error:[/red] {_escape(str(exc))}")
    return typer.Exit(code=code)
