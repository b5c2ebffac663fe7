"""A deferrable wait for a day's issue (Airflow 3's triggerer): asks the paper's source, as the
sensor's ``check_issue`` does, every ``poke_interval_s`` seconds without holding a worker slot, and
fires once the issue is there or will not come (off the calendar, or past the issue wait).

Import this module only where Airflow runs a task or the triggerer (never from a DAG file at parse
time). The sensor task that defers to it::

    wait = check_issue(settings(), pid, day, due, now)          # first poke in the worker
    if wait.skip: raise AirflowSkipException(wait.reason)
    if not wait.done:
        self.defer(trigger=IssueTrigger(pid, day.isoformat(), due.isoformat(), POKE_INTERVAL_S),
                   method_name="resume")                          # resume(event): skip or return
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

log = logging.getLogger(__name__)


def trigger_settings() -> Any:
    """Settings from the triggerer's environment, with the site's Airflow connection
    (``settings.airflow_site_conn_id``, default ``inkstream_site``) when it is defined."""
    from pipeline.config import Settings, with_connections

    settings = Settings()
    try:
        from airflow.sdk import Connection

        conn = Connection.get(settings.airflow_site_conn_id)
    except Exception:  # not defined, or no connection API in this process: the environment stands
        return settings
    return with_connections(settings, site={"conn_type": conn.conn_type, "host": conn.host, "port": conn.port,
                                            "login": conn.login, "password": conn.password,
                                            "schema": conn.schema})


class IssueTrigger(BaseTrigger):
    def __init__(self, paper_id: str, day: str, due: str, poke_interval_s: float = 300.0) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.paper_id, self.day, self.due, self.poke_interval_s = paper_id, day, due, float(poke_interval_s)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (f"{type(self).__module__}.{type(self).__qualname__}",
                {"paper_id": self.paper_id, "day": self.day, "due": self.due, "poke_interval_s": self.poke_interval_s})

    def _check(self) -> Any:
        from pipeline.runner.tasks import check_issue

        due = datetime.fromisoformat(self.due)
        return check_issue(trigger_settings(), self.paper_id, date.fromisoformat(self.day),
                           due if due.tzinfo else due.replace(tzinfo=UTC), datetime.now(UTC))

    async def run(self) -> AsyncIterator[TriggerEvent]:
        while True:
            wait = await asyncio.to_thread(self._check)  # the source's HTTP client is synchronous
            if wait.done or wait.skip:
                yield TriggerEvent({"done": wait.done, "skip": wait.skip,  # type: ignore[no-untyped-call]
                                    "reason": wait.reason})
                return
            await asyncio.sleep(self.poke_interval_s)
