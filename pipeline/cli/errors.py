"""How the ``inkstream`` command line fails: one line saying what is wrong and what to do, and an
exit status a script can act on. No traceback unless ``--debug`` (or ``INKSTREAM_DEBUG=1``).

Exit codes (README, ``inkstream --help``):

* 0  done, everything as asked
* 1  a runtime failure: a server unreachable or refusing, a disk or data problem
* 2  a usage error: a bad option, argument, date, path, query or input line
* 3  done, but not everything went through: ``run`` had failed or dead-lettered pages (the good
     pages are published and indexed), ``search`` found nothing
* 130 interrupted (Ctrl-C)
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterable
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import typer
from typer._click import exceptions as cx  # typer vendors its own click: its exceptions, not click's
from typer.core import TyperGroup

OK, FAILURE, USAGE, INCOMPLETE, INTERRUPTED = 0, 1, 2, 3, 130

EXIT_CODES_HELP = (
    "Exit codes: 0 done; 1 runtime failure (a server down or refusing, a disk or data problem); "
    "2 usage error (bad option, date, path, query or input); 3 done but incomplete (run: pages failed "
    "or dead-lettered, the good ones indexed; search: no hits); 130 interrupted. --debug shows tracebacks."
)

UP_HINT = "start the local servers with `inkstream up`, or point INKSTREAM_{var} at a running one"


class UsageProblem(cx.UsageError):
    """Something the user gave is wrong (exit 2); the message says what and what to do."""


class Unreachable(Exception):
    """A server the verb needs does not answer."""


def parse_day(value: str | None, option: str) -> date | None:
    """A YYYY-MM-DD date from the command line, or a usage error naming the option."""
    if value is None:
        return None
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise UsageProblem(f"{option} {value!r} is not a date: give it as YYYY-MM-DD, e.g. 2026-11-19") from None


def _host_port(address: str, default_port: int) -> tuple[str, int]:
    parts = urlsplit(address if "://" in address else f"//{address}")
    return parts.hostname or "127.0.0.1", parts.port or default_port


def _connects(address: str, default_port: int, timeout_s: float) -> OSError | None:
    try:
        socket.create_connection(_host_port(address, default_port), timeout=timeout_s).close()
    except OSError as exc:
        return exc
    return None


def require(kafka: Iterable[str] | None = None, es: str | None = None, timeout_s: float = 3.0) -> None:
    """Fail fast with what to do when a server does not even accept a connection (a client
    library would wait its full timeout, 30 s and more, before saying so)."""
    servers = list(kafka or ())
    if servers:
        errors = [_connects(s, 9092, timeout_s) for s in servers]
        if all(errors):  # one reachable bootstrap server is enough
            err = errors[0]
            raise Unreachable(
                f"Kafka at {', '.join(servers)} does not answer ({getattr(err, 'strerror', None) or err})"
                f": {UP_HINT.format(var='KAFKA__BOOTSTRAP_SERVERS')}"
            )
    if es:
        err = _connects(es, 9200, timeout_s)
        if err:
            raise Unreachable(
                f"Elasticsearch at {es} does not answer ({err.strerror or err}): {UP_HINT.format(var='ES__URL')}"
            )


def _named_on_command_line(filename: object, args: Iterable[str]) -> bool:
    if not filename:
        return False
    try:
        target = os.path.realpath(os.fsdecode(filename))  # type: ignore[arg-type]
        return any(a == filename or os.path.realpath(a) == target for a in args if a and not a.startswith("-"))
    except (TypeError, ValueError):
        return False


def explain(exc: BaseException, args: Iterable[str] = ()) -> tuple[str, int]:
    """(one-line message, exit code) for an exception that reached the command line; ``args``:
    the command line (a missing path the user named is a usage error, a missing file of ours is not)."""
    from pipeline.errors import (
        ConfigError,
        ConsumeUnavailable,
        IndexUnavailable,
        InvalidPage,
        PipelineError,
        PublishUnavailable,
        QueryRejected,
    )

    name = type(exc).__name__
    if isinstance(exc, Unreachable):
        return str(exc), FAILURE
    if isinstance(exc, QueryRejected):
        return f"Elasticsearch refused the request: {_short(exc)}; check the query and its options", USAGE
    if isinstance(exc, (PublishUnavailable, ConsumeUnavailable)):
        return f"Kafka unavailable: {_short(exc)}; {UP_HINT.format(var='KAFKA__BOOTSTRAP_SERVERS')}", FAILURE
    if isinstance(exc, IndexUnavailable):
        return f"Elasticsearch unavailable: {_short(exc)}; {UP_HINT.format(var='ES__URL')}", FAILURE
    if isinstance(exc, InvalidPage):
        return f"{exc}", FAILURE
    if isinstance(exc, ConfigError):
        return f"configuration: {exc}", FAILURE
    if isinstance(exc, PipelineError):
        return _short(exc), FAILURE
    if isinstance(exc, (FileNotFoundError, IsADirectoryError, NotADirectoryError)):
        if _named_on_command_line(exc.filename, args):
            return f"{exc.strerror}: {exc.filename}; check the path", USAGE
        return f"{exc.strerror}: {exc.filename} (is the installation complete? `make install`)", FAILURE
    if isinstance(exc, PermissionError):
        return f"permission denied: {exc.filename}", FAILURE
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}{': ' + str(exc.filename) if exc.filename else ''}", FAILURE
    if isinstance(exc, UnicodeError):
        return f"not valid text: {exc}; give UTF-8 (or GB18030) input", USAGE
    if isinstance(exc, MemoryError):
        return "out of memory", FAILURE
    return f"unexpected {name}: {_short(exc)} (run with --debug for the traceback)", FAILURE


def _short(exc: BaseException, limit: int = 300) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def debug_requested(ctx: Any) -> bool:
    return bool(ctx.find_root().params.get("debug")) or os.environ.get("INKSTREAM_DEBUG", "") not in ("", "0")


class InkstreamGroup(TyperGroup):
    """The root command: every verb's exceptions end here as one line and an exit code."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        ctx.meta["inkstream.args"] = list(args)
        return list(super().parse_args(ctx, args))

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, cx.ClickException):
            raise
        except KeyboardInterrupt:
            if debug_requested(ctx):
                raise
            typer.echo("interrupted", err=True)
            raise typer.Exit(INTERRUPTED) from None
        except Exception as exc:
            if debug_requested(ctx):
                raise
            message, code = explain(exc, ctx.meta.get("inkstream.args", ()))
            typer.echo(f"error: {message}", err=True)
            raise typer.Exit(code) from None


def quiet_client_logs(debug: bool) -> None:
    """kafka-python and elastic-transport log every refused connection at ERROR/WARNING; the CLI
    reports the outcome itself, so they speak only under --debug."""
    import logging

    level = logging.DEBUG if debug else logging.CRITICAL
    for name in ("kafka", "elastic_transport"):
        logging.getLogger(name).setLevel(level)
    if debug and not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, stream=sys.stderr)
