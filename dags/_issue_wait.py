"""The wait for a day's issue: a sensor that asks the paper's source once in the worker and then
defers to Airflow 3's triggerer, which asks again every poke interval without holding a worker
slot, and resumes the task once the issue is there (success) or will not come (skipped: off the
paper's calendar, or still missing ``issue_wait_s`` after the run was due).

Airflow code, so it lives beside the DAG files (nothing under ``pipeline/`` imports Airflow); the
decision itself is ``pipeline.runner.tasks.check_issue``. The triggerer imports this module by
name: the DAG folder is on its ``PYTHONPATH`` (docker-compose.yml, ``airflow_local``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from airflow.sdk import BaseSensorOperator
from airflow.sdk.exceptions import AirflowSkipException
from airflow.triggers.base import BaseTrigger, TriggerEvent

import _shared as sh


def _check(paper_id: str, day: date, due: datetime) -> Any:
    from pipeline.runner.tasks import check_issue

    return check_issue(sh.settings(), paper_id, day, due, datetime.now(UTC))


class IssueTrigger(BaseTrigger):
    """Asks ``check_issue`` every ``poke_interval_s`` in a thread (the sources' clients are
    synchronous); fires once the issue is there or will not come."""

    def __init__(self, paper_id: str, day: str, due: str, poke_interval_s: float = 300.0) -> None:
        super().__init__()
        self.paper_id, self.day, self.due, self.poke_interval_s = paper_id, day, due, float(poke_interval_s)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {"paper_id": self.paper_id, "day": self.day, "due": self.due, "poke_interval_s": self.poke_interval_s},
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        due = datetime.fromisoformat(self.due)
        due = due if due.tzinfo else due.replace(tzinfo=UTC)
        while True:
            wait = await asyncio.to_thread(_check, self.paper_id, date.fromisoformat(self.day), due)
            if wait.done or wait.skip:
                yield TriggerEvent({"done": wait.done, "skip": wait.skip, "reason": wait.reason})
                return
            await asyncio.sleep(self.poke_interval_s)


class WaitForIssue(BaseSensorOperator):
    """``deferrable=False`` keeps a plain sensor (reschedule mode: no slot held between pokes)."""

    def __init__(self, *, paper_id: str, timezone: str, deferrable: bool = True, **kwargs: Any) -> None:
        kwargs.setdefault("mode", "reschedule")
        kwargs.setdefault("soft_fail", True)
        super().__init__(**kwargs)
        self.paper_id, self.timezone, self.deferrable = paper_id, timezone, deferrable

    def _wait(self, context: Any) -> Any:
        day, due = sh.issue_date(context, self.timezone), sh.run_due(context)
        return day, due, _check(self.paper_id, day, due)

    def poke(self, context: Any) -> bool:
        _, _, wait = self._wait(context)
        if wait.skip:
            raise AirflowSkipException(wait.reason)
        return bool(wait.done)

    def execute(self, context: Any) -> Any:
        if not self.deferrable:
            return super().execute(context)
        day, due, wait = self._wait(context)  # the first ask in the worker: most days the issue is there
        if wait.skip:
            raise AirflowSkipException(wait.reason)
        if wait.done:
            return None
        self.defer(
            trigger=IssueTrigger(self.paper_id, day.isoformat(), due.isoformat(), self.poke_interval),
            method_name="execute_complete",
            timeout=timedelta(seconds=self.timeout),
        )
        return None

    def execute_complete(self, context: Any, event: dict[str, Any] | None = None) -> None:
        if event is None or event.get("skip"):
            raise AirflowSkipException((event or {}).get("reason", "the wait for the issue ended without it"))
