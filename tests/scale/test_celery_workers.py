"""One day through newspaper_ingest on two Celery workers that share no disk (docs/scaling.md):
the pages of the issue run on both workers and meet again in the S3 staging area, indexed ==
published; then a worker is killed while it processes a page, and the issue completes on the
other worker with nothing lost and nothing duplicated (Kafka records and documents counted by id)."""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

import pytest

from pipeline.indexing import client
from pipeline.runner.staging import run_staging
from tests.scale.conftest import DAY, WORKERS, Stack

pytestmark = pytest.mark.scale


def _article_records(stack: Stack) -> list[dict[str, Any]]:
    """Every record on the article topic (value: the article event)."""
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(
        stack.settings.kafka.articles_topic,
        bootstrap_servers=stack.settings.kafka.bootstrap_servers,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=4000,
    )
    try:
        return [json.loads(r.value) for r in consumer if r.value is not None]
    finally:
        consumer.close()


def _documents(stack: Stack, issue: str) -> dict[str, str]:
    """article id -> the run that indexed it, for every document of the issue."""
    es = client.make_client(stack.settings.es)
    try:
        client.refresh(es, stack.settings.es)
        hits = es.search(
            index=stack.settings.es.alias, query={"term": {"issue_id": issue}}, size=1000, source=["run_id"]
        )["hits"]["hits"]
        return {h["_id"]: h["_source"]["run_id"] for h in hits}
    finally:
        es.close()


def _pages(stack: Stack, run_id: str) -> dict[int, dict[str, Any]]:
    """map index -> task instance of process_page."""
    return {ti["map_index"]: ti for ti in stack.task_instances(run_id) if ti["task_id"] == "process_page"}


@pytest.fixture(scope="module")
def clean_run(stack: Stack) -> dict[str, Any]:
    """A day with both workers up: the run, where each page ran, the published article ids."""
    run_id = stack.trigger(DAY)
    state = stack.wait_run(run_id)
    assert state == "success", (run_id, stack.states(run_id), stack.logs())
    pages = _pages(stack, run_id)
    summary = run_staging(stack.settings, "grrb", DAY, run_id).summary()
    assert summary is not None
    ids = sorted({r["article_id"] for r in _article_records(stack) if r["run_id"] == run_id})
    tasks = {
        ti["task_id"] + (f"[{ti['map_index']}]" if ti["map_index"] >= 0 else ""): round(ti["duration"] or 0, 1)
        for ti in stack.task_instances(run_id)
    }
    return {
        "run_id": run_id,
        "hosts": {ti["map_index"]: ti["hostname"] for ti in pages.values()},
        "summary": summary,
        "ids": ids,
        "durations": tasks,
    }


def test_pages_of_one_issue_run_on_both_workers_and_meet_in_the_object_store(
    stack: Stack, clean_run: dict[str, Any]
) -> None:
    hosts, summary = clean_run["hosts"], clean_run["summary"]
    print(
        f"\nprocess_page workers (map index -> host): {json.dumps(hosts, sort_keys=True)}; "
        f"task durations (s): {json.dumps(clean_run['durations'], sort_keys=True)}"
    )
    assert len(hosts) == 4 and set(hosts.values()) == set(WORKERS), hosts  # both workers ran pages
    staged = run_staging(stack.settings, "grrb", DAY, clean_run["run_id"])
    assert str(staged).startswith("s3://staging/") and staged.pages_ok() == [1, 2, 3, 4]
    for name in WORKERS:  # neither worker wrote staging to its own disk
        assert not list((stack.base / name / "data").glob("staging/**/*.jsonl")), name
    assert summary["pages_ok"] == 4 and summary["pages_failed"] == [] and summary["dead_letters"] == 0
    assert summary["articles"] > 0 and summary["indexed"] == summary["articles"] == summary["in_index"]
    docs = _documents(stack, f"grrb-{DAY}")
    assert sorted(docs) == clean_run["ids"] and len(docs) == summary["articles"]  # indexed == published


def test_a_worker_killed_mid_issue_the_issue_completes_on_the_other(stack: Stack, clean_run: dict[str, Any]) -> None:
    run_id = stack.trigger(DAY)
    victim, victim_page = None, None
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and victim is None:
        stack.check_alive()
        for index, ti in _pages(stack, run_id).items():
            if ti["state"] == "running" and ti["hostname"] in WORKERS:
                victim, victim_page = ti["hostname"], index
                break
        else:
            time.sleep(0.3)
    assert victim is not None, (stack.task_instances(run_id), stack.logs())
    stack.kill(victim)  # the machine is gone: the worker, its pool and the task process
    survivor = next(w for w in WORKERS if w != victim)
    state = stack.wait_run(run_id, timeout_s=300)
    assert state == "success", (run_id, stack.states(run_id), stack.logs())

    tries = stack.tries(run_id, "process_page", victim_page)
    print(
        f"\nkilled {victim} while it ran page index {victim_page}; tries of that page: "
        f"{[(t['try_number'], t['hostname'], t['state']) for t in tries]}"
    )
    assert tries[0]["hostname"] == victim and tries[-1]["hostname"] == survivor and tries[-1]["state"] == "success"
    after = {ti["map_index"]: ti["hostname"] for ti in _pages(stack, run_id).values()}
    assert after[victim_page] == survivor

    records = [r for r in _article_records(stack) if r["run_id"] == run_id]
    counts = Counter(r["article_id"] for r in records)
    docs = _documents(stack, f"grrb-{DAY}")
    expected = set(clean_run["ids"])
    lost = sorted(expected - set(counts)) + sorted(expected - set(docs))
    duplicated = sum(n - 1 for n in counts.values())
    print(
        f"articles expected {len(expected)}, Kafka records of the run {len(records)} "
        f"({len(counts)} ids), documents {len(docs)}; lost {len(lost)}, duplicated {duplicated}"
    )
    assert lost == [] and duplicated == 0 and set(counts) == expected == set(docs)
    assert set(docs.values()) == {run_id}  # every document is this run's
    staged = run_staging(stack.settings, "grrb", DAY, run_id)  # the retried page: one object, no failure record
    assert staged.pages_ok() == [1, 2, 3, 4] and staged.pages_failed() == []
    summary = staged.summary()
    assert summary is not None and summary["indexed"] == summary["articles"] == summary["in_index"] == len(expected)
