"""### newspaper_ingest

One run per paper per day (the paper's time zone): wait for the issue → pages (mapped, one
task per page) → publish to Kafka → index exactly the published offsets into Elasticsearch →
check indexed == published. A day off the paper's calendar, or whose issue is still missing
`INKSTREAM_ISSUE_WAIT_S` after the run was due, is skipped (not failed, no slot held for hours).
A run with a failed or dead-lettered page fails in `verify`, after its good pages are indexed.
Trigger any day by hand with the param `day` (YYYY-MM-DD) and no logical date: it then never
collides with the scheduled run of that day. Papers are configuration (`papers/*.toml`); the default paper's DAG
is `newspaper_ingest`, others are `newspaper_ingest__<paper>`. Wiring only: the work lives in
`pipeline.runner`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

import pendulum
from airflow.sdk import Param, dag, get_current_context, task

import _shared as sh
from _issue_wait import WaitForIssue
from _shared import DEFAULT_ARGS, dag_id_for, fail_fast_on_terminal, issue_date, paper_configs, settings
from pipeline.config import PaperConfig


def build(paper: PaperConfig) -> Any:
    pid, tz = paper.id, paper.timezone
    start = pendulum.datetime(paper.start_date.year, paper.start_date.month, paper.start_date.day, tz=tz)

    @dag(
        dag_id=dag_id_for(pid),
        schedule=paper.schedule,
        start_date=start,
        catchup=True,
        max_active_runs=3,
        default_args=DEFAULT_ARGS,
        tags=["inkstream", "ingest", pid],
        doc_md=__doc__,
        params={
            "day": Param(
                None,
                type=["null", "string"],
                format="date",
                description="the issue day for a manual run (default: the logical date's day)",
            )
        },
    )
    def newspaper_ingest() -> None:
        # asks once, then defers to the triggerer (no worker slot held while the issue is late)
        wait_for_issue = WaitForIssue(
            task_id="wait_for_issue",
            paper_id=pid,
            timezone=tz,
            poke_interval=min(sh.POKE_INTERVAL_S, sh.ISSUE_WAIT_S),
            timeout=sh.ISSUE_WAIT_S,
            deferrable=sh.PARSED.airflow_deferrable,
        )

        @task
        @fail_fast_on_terminal
        def plan_pages() -> list[int]:
            from pipeline.runner.tasks import plan

            return plan(settings(), pid, issue_date(get_current_context(), tz))

        @task(
            map_index_template="page {{ task.op_kwargs['page'] }}", retries=2, retry_delay=DEFAULT_ARGS["retry_delay"]
        )
        @fail_fast_on_terminal
        def process_page(page: int) -> dict[str, Any]:
            from dataclasses import asdict

            from pipeline.runner.steps import process_page as process

            ctx = get_current_context()
            return asdict(process(settings(), pid, issue_date(ctx, tz), page, ctx["run_id"]))

        @task(trigger_rule="none_skipped")  # after failed pages too, not on a skipped day
        @fail_fast_on_terminal
        def publish(pages: list[int]) -> dict[str, Any]:
            from dataclasses import asdict

            from pipeline.runner.tasks import publish as publish_day

            ctx = get_current_context()
            return asdict(publish_day(settings(), pid, issue_date(ctx, tz), ctx["run_id"], list(pages)))

        @task
        @fail_fast_on_terminal
        def index(published: dict[str, Any]) -> dict[str, Any]:
            from dataclasses import asdict

            from pipeline.runner.steps import PublishResult
            from pipeline.runner.tasks import index as index_day

            return asdict(index_day(settings(), PublishResult(**published)))

        @task(execution_timeout=timedelta(minutes=10))
        @fail_fast_on_terminal
        def verify(published: dict[str, Any], indexed: dict[str, Any]) -> dict[str, Any]:
            from airflow.sdk.exceptions import AirflowFailException

            from pipeline.runner.steps import IndexResult, PublishResult
            from pipeline.runner.tasks import verify as verify_day

            summary, incomplete = verify_day(settings(), PublishResult(**published), IndexResult(**indexed))
            if incomplete:  # the good pages are indexed; the run still fails (the CLI exits 3)
                raise AirflowFailException(f"{summary['issue_id']} incomplete: {incomplete}")
            return summary

        # task outputs are XComArgs here; Airflow hands each task the values at run time
        pages = plan_pages()
        processed = process_page.expand(page=pages)
        published = publish(cast("list[int]", pages))
        wait_for_issue >> pages
        processed >> published
        result = cast("dict[str, Any]", published)
        verify(result, cast("dict[str, Any]", index(result)))

    return newspaper_ingest()


for _paper in paper_configs():
    globals()[dag_id_for(_paper.id)] = build(_paper)
