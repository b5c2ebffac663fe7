"""### newspaper_ingest

One run per paper per day (the paper's time zone): wait for the issue → pages (mapped, one
task per page) → publish to Kafka → index exactly the published offsets into Elasticsearch →
check indexed == published. Papers are configuration (`papers/*.toml`); the default paper's DAG
is `newspaper_ingest`, others are `newspaper_ingest__<paper>`. Wiring only: the work lives in
`pipeline.stages`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pendulum
from airflow.sdk import PokeReturnValue, dag, get_current_context, task

from _shared import DEFAULT_ARGS, dag_id_for, fail_fast_on_terminal, issue_date, paper_configs, settings


def build(paper: dict[str, Any]) -> Any:
    pid, tz = paper["id"], paper.get("timezone", "Asia/Shanghai")
    start = pendulum.parse(str(paper["start_date"]), tz=tz)

    @dag(
        dag_id=dag_id_for(pid),
        schedule=paper.get("schedule", "0 7 * * *"),
        start_date=start,
        catchup=True,
        max_active_runs=3,
        default_args=DEFAULT_ARGS,
        tags=["inkstream", "ingest", pid],
        doc_md=__doc__,
    )
    def newspaper_ingest() -> None:
        @task.sensor(mode="reschedule", poke_interval=300, timeout=12 * 3600)
        def wait_for_issue() -> PokeReturnValue:
            from pipeline.stages import issue_ready

            day = issue_date(get_current_context(), tz)
            return PokeReturnValue(is_done=issue_ready(settings(), pid, day))

        @task
        @fail_fast_on_terminal
        def plan_pages() -> list[int]:
            from pipeline.stages import plan_pages as plan

            return plan(settings(), pid, issue_date(get_current_context(), tz))

        @task(map_index_template="page {{ task.op_kwargs['page'] }}", retries=2,
              retry_delay=DEFAULT_ARGS["retry_delay"])
        @fail_fast_on_terminal
        def process_page(page: int) -> dict[str, Any]:
            from dataclasses import asdict

            from pipeline.stages import process_page as process

            ctx = get_current_context()
            return asdict(process(settings(), pid, issue_date(ctx, tz), page, ctx["run_id"]))

        @task(trigger_rule="all_done")
        @fail_fast_on_terminal
        def publish(pages: list[int]) -> dict[str, Any]:
            from dataclasses import asdict

            from pipeline.stages import publish_issue

            ctx = get_current_context()
            return asdict(publish_issue(settings(), pid, issue_date(ctx, tz), ctx["run_id"], planned=list(pages)))

        @task
        @fail_fast_on_terminal
        def index(published: dict[str, Any]) -> dict[str, Any]:
            from dataclasses import asdict

            from pipeline.stages import PublishResult, index_issue

            return asdict(index_issue(settings(), PublishResult(**published)))

        @task(execution_timeout=timedelta(minutes=10))
        @fail_fast_on_terminal
        def verify(published: dict[str, Any], indexed: dict[str, Any]) -> dict[str, Any]:
            from pipeline.stages import IndexResult, PublishResult, verify_issue

            return verify_issue(settings(), PublishResult(**published), IndexResult(**indexed))

        pages = plan_pages()
        processed = process_page.expand(page=pages)
        published = publish(pages)
        wait_for_issue() >> pages
        processed >> published
        verify(published, index(published))

    return newspaper_ingest()


for _paper in paper_configs():
    globals()[dag_id_for(_paper["id"])] = build(_paper)
