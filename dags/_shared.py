"""Shared DAG wiring: default args, the configured papers, error mapping.

Everything configurable comes from ``pipeline.config.Settings`` (the one reader of the
environment) and each paper's ``PaperConfig``. Kept light at parse time: pydantic only, no
jieba, Kafka or Elasticsearch imports.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, ParamSpec, TypeVar

from pipeline.config import PaperConfig, Settings, list_papers

P = ParamSpec("P")
R = TypeVar("R")

#: the environment as the DAG file was parsed with (the tasks read it again: ``settings()``)
PARSED = Settings()
DEFAULT_PAPER = PARSED.default_paper
#: how long a missing issue is waited for after its run is due
ISSUE_WAIT_S = PARSED.issue_wait_s
POKE_INTERVAL_S = PARSED.airflow_poke_interval_s

DEFAULT_ARGS: dict[str, Any] = {
    "owner": "inkstream",
    "retries": PARSED.airflow_retries,
    "retry_delay": timedelta(seconds=PARSED.airflow_retry_delay_s),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=10),
}


def settings() -> Settings:
    """``Settings`` from the environment, overridden by the Airflow connections (ids in the
    settings: ``inkstream_kafka``, ``inkstream_elasticsearch``, ``inkstream_site``,
    ``inkstream_staging``) when they are
    defined (UI, CLI, secrets backend or ``AIRFLOW_CONN_*``): credentials then live in Airflow,
    not in the worker's environment."""
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    from pipeline.config import with_connections

    def fields(conn_id: str) -> dict[str, Any] | None:
        try:
            conn = Connection.get(conn_id)
        except AirflowNotFoundException:
            return None
        return {
            "conn_type": conn.conn_type,
            "host": conn.host,
            "port": conn.port,
            "login": conn.login,
            "password": conn.password,
            "schema": conn.schema,
            "extra": conn.extra_dejson,
        }

    from pipeline.runner.staging import with_staging_connection

    base = Settings()
    wired = with_connections(
        base, fields(base.airflow_kafka_conn_id), fields(base.airflow_es_conn_id), fields(base.airflow_site_conn_id)
    )
    return with_staging_connection(wired, fields(base.airflow_staging_conn_id))


def paper_configs() -> list[PaperConfig]:
    return list_papers(PARSED)


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
        return date.fromisoformat(str(day))
    logical = context.get("logical_date") or context["dag_run"].run_after
    return pendulum.instance(logical).in_timezone(timezone).date()


def run_due(context: Any) -> Any:
    """When the run was due: its logical date (scheduled runs) or when it was asked for."""
    import pendulum

    return pendulum.instance(context.get("logical_date") or context["dag_run"].run_after)
