"""Shared DAG wiring: default args, paper configs (read as plain TOML), error mapping.

Kept light: no pipeline/jieba/kafka/elasticsearch imports at parse time.
"""

from __future__ import annotations

import functools
import os
import tomllib
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

PAPERS_DIR = Path(os.environ.get("INKSTREAM_PAPERS_DIR", Path(__file__).resolve().parent.parent / "papers"))
DEFAULT_PAPER = os.environ.get("INKSTREAM_DEFAULT_PAPER", "grrb")
_RETRY_DELAY = float(os.environ.get("INKSTREAM_AIRFLOW_RETRY_DELAY_S", "30"))
#: how long a missing issue is waited for after its run is due (Settings.issue_wait_s reads the same)
ISSUE_WAIT_S = float(os.environ.get("INKSTREAM_ISSUE_WAIT_S", "3600"))
POKE_INTERVAL_S = float(os.environ.get("INKSTREAM_AIRFLOW_POKE_INTERVAL_S", "300"))

DEFAULT_ARGS: dict[str, Any] = {
    "owner": "inkstream",
    "retries": int(os.environ.get("INKSTREAM_AIRFLOW_RETRIES", "3")),
    "retry_delay": timedelta(seconds=_RETRY_DELAY),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=10),
}


KAFKA_CONN_ID = os.environ.get("INKSTREAM_AIRFLOW_KAFKA_CONN_ID", "inkstream_kafka")
ES_CONN_ID = os.environ.get("INKSTREAM_AIRFLOW_ES_CONN_ID", "inkstream_elasticsearch")


def settings() -> Any:
    """``pipeline.config.Settings`` from the environment, overridden by the Airflow connections
    ``inkstream_kafka`` / ``inkstream_elasticsearch`` when they are defined (UI, CLI, secrets
    backend or ``AIRFLOW_CONN_*``): credentials then live in Airflow, not in the worker's env."""
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    from pipeline.config import Settings, with_connections

    def fields(conn_id: str) -> dict[str, Any] | None:
        try:
            conn = Connection.get(conn_id)
        except AirflowNotFoundException:
            return None
        return {"conn_type": conn.conn_type, "host": conn.host, "port": conn.port, "login": conn.login,
                "password": conn.password, "schema": conn.schema, "extra": conn.extra_dejson}

    return with_connections(Settings(), fields(KAFKA_CONN_ID), fields(ES_CONN_ID))


def paper_configs() -> list[dict[str, Any]]:
    papers = []
    for path in sorted(PAPERS_DIR.glob("*.toml")):
        with path.open("rb") as fh:
            papers.append(tomllib.load(fh))
    return papers


def dag_id_for(paper_id: str) -> str:
    return "newspaper_ingest" if paper_id == DEFAULT_PAPER else f"newspaper_ingest__{paper_id}"


def fail_fast_on_terminal(fn: Callable[P, R]) -> Callable[P, R]:
    """TerminalError -> AirflowFailException (no retries); anything else keeps Airflow's retries."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from airflow.sdk.exceptions import AirflowFailException

        from pipeline.errors import TerminalError

        try:
            return fn(*args, **kwargs)
        except TerminalError as exc:
            raise AirflowFailException(str(exc)) from exc

    return wrapper


def issue_date(context: Any, timezone: str) -> Any:
    """The issue a run is for: the run's param ``day`` when given (a manual run of any day, with
    no logical date to collide with the scheduled run's), else its logical date in the paper's
    time zone."""
    import pendulum

    day = (context.get("params") or {}).get("day")
    if day:
        return pendulum.parse(str(day)).date()
    logical = context.get("logical_date") or context["dag_run"].run_after
    return pendulum.instance(logical).in_timezone(timezone).date()


def run_due(context: Any) -> Any:
    """When the run was due: its logical date (scheduled runs) or when it was asked for."""
    import pendulum

    return pendulum.instance(context.get("logical_date") or context["dag_run"].run_after)
