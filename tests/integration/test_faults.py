"""Fault injection against real servers: each test that kills a server gets its own private one."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import TypeVar

import pytest

from pipeline.config import Settings
from pipeline.devtools import servers
from pipeline.errors import ConfigError, IndexUnavailable, PublishUnavailable
from pipeline.indexing import client, follow
from pipeline.runner.steps import index_issue, plan_pages, process_page, publish_issue, verify_issue
from tests.faultmatrix import audit
from tests.faultproxy import FaultProxy
from tests.integration.test_indexer_follow import _committed

DAY = date(2026, 11, 19)
T = TypeVar("T")


class Private:
    """A private server that the test may stop and start again on the same port and data dir
    (a Kafka broker with ``s3_endpoint`` keeps its data in that S3 server across restarts)."""

    def __init__(self, kind: str, data_dir: Path, s3_endpoint: str | None = None) -> None:
        self.kind, self.data_dir, self.port = kind, data_dir, servers.free_port()
        self.s3_endpoint = s3_endpoint
        self.proc: subprocess.Popen[bytes] | None = None
        self.address = ""

    def start(self) -> str:
        if self.kind == "kafka":
            self.proc, self.address = servers.start_kafka(self.data_dir, self.port, s3_endpoint=self.s3_endpoint)
        else:
            self.proc, self.address = servers.start_elasticsearch(self.data_dir, self.port)
        wait = servers.wait_kafka if self.kind == "kafka" else servers.wait_elasticsearch
        wait(self.address)
        return self.address

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            servers.stop_pid(self.proc.pid)
            self.proc.wait(timeout=20)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, sig)
        self.proc.wait(timeout=20)


def _private(kind: str, env_var: str, tmp_path: Path, s3_endpoint: str | None = None) -> Iterator[Private]:
    if os.environ.get(env_var):
        pytest.skip("restart tests need the local server")
    server = Private(kind, tmp_path / f"private-{kind}", s3_endpoint)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def private_es(tmp_path: Path, endpoints: object) -> Iterator[Private]:
    yield from _private("es", "INKSTREAM_TEST_ES_URL", tmp_path)


@pytest.fixture
def private_kafka(tmp_path: Path, endpoints: object) -> Iterator[Private]:
    yield from _private("kafka", "INKSTREAM_TEST_KAFKA_BOOTSTRAP", tmp_path)


@pytest.fixture
def durable_kafka(tmp_path: Path, endpoints: object) -> Iterator[Private]:
    """tansu storing its log in a local S3 server (moto): acknowledged records survive SIGKILL."""
    try:
        s3, endpoint = servers.start_s3(tmp_path / "s3", servers.free_port())
    except ConfigError as exc:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(str(exc))
    try:
        yield from _private("kafka", "INKSTREAM_TEST_KAFKA_BOOTSTRAP", tmp_path, s3_endpoint=endpoint)
    finally:
        servers.stop_pid(s3.pid)
        s3.wait(timeout=20)


def _fails_fast(settings: Settings, broker: Private) -> Settings:
    """Pointed at ``broker``, with timeouts short enough that a dead broker fails a publish quickly."""
    kafka = settings.kafka.model_copy(
        update={
            "bootstrap_servers": [broker.address],
            "delivery_timeout_s": 8.0,
            "request_timeout_ms": 4000,
            "retries": 2,
        }
    )
    return settings.model_copy(update={"kafka": kafka})


def _kill_broker_mid_publish(s: Settings, broker: Private, run_id: str, pages: list[int]) -> int:
    """Publish the issue over and over while the broker is SIGKILLed; the publish in flight must
    fail as transient. Returns how many publishes were acknowledged before that."""
    errors: list[Exception] = []
    acknowledged = [0]

    def publish_many() -> None:
        try:
            for _ in range(200):  # keep the producer busy while the broker dies
                publish_issue(s, "grrb", DAY, run_id, planned=pages)
                acknowledged[0] += 1
        except Exception as exc:
            errors.append(exc)

    worker = threading.Thread(target=publish_many)
    worker.start()
    time.sleep(1.0)
    broker.kill(signal.SIGKILL)
    worker.join(timeout=120)
    assert errors and isinstance(errors[0], PublishUnavailable), errors
    return acknowledged[0]


def _as_task_retries(fn: Callable[[], T], tries: int = 4, delay_s: float = 2.0) -> T:
    """Run ``fn`` the way Airflow runs a task with retries: a transient error tries again."""
    for attempt in range(1, tries + 1):
        try:
            return fn()
        except (PublishUnavailable, IndexUnavailable):
            if attempt == tries:
                raise
            time.sleep(delay_s)
    raise AssertionError("unreachable")


def _stage_pages(s: Settings, run_id: str) -> list[int]:
    pages = plan_pages(s, "grrb", DAY)
    for page in pages:
        process_page(s, "grrb", DAY, page, run_id)
    return pages


def test_elasticsearch_down_at_indexing_then_back_loses_nothing(settings: Settings, private_es: Private) -> None:
    s = settings.model_copy(update={"es": settings.es.model_copy(update={"url": private_es.address})})
    pages = _stage_pages(s, "run-es")
    published = publish_issue(s, "grrb", DAY, "run-es", planned=pages)
    private_es.kill(signal.SIGTERM)
    with pytest.raises(IndexUnavailable):
        index_issue(s, published)  # transient: Airflow retries the task
    private_es.start()  # same port, same data dir
    indexed = index_issue(s, published)
    summary = verify_issue(s, published, indexed)
    assert summary["in_index"] == summary["articles"] == published.articles
    audit(
        s,
        "Elasticsearch stopped while indexing, started again",
        [published.issue_id],
        published.article_ids,
        handling="index task fails as transient (IndexUnavailable), Airflow retries it, replay is idempotent",
    )


def test_broker_killed_mid_publish_then_retry_indexes_every_article_once(
    settings: Settings, private_kafka: Private
) -> None:
    s = _fails_fast(settings, private_kafka)
    pages = _stage_pages(s, "run-kill")
    acknowledged = _kill_broker_mid_publish(s, private_kafka, "run-kill", pages)
    private_kafka.start()
    published = _as_task_retries(lambda: publish_issue(s, "grrb", DAY, "run-kill", planned=pages))
    indexed = index_issue(s, published)
    summary = verify_issue(s, published, indexed)
    es = client.make_client(s.es)
    try:
        client.refresh(es, s.es)
        docs = es.search(index=s.es.alias, query={"term": {"issue_id": f"grrb-{DAY}"}}, size=100)["hits"]["hits"]
    finally:
        es.close()
    ids = [d["_id"] for d in docs]
    assert len(ids) == len(set(ids)) == published.articles == summary["in_index"]
    audit(
        s,
        "Kafka broker SIGKILLed mid-publish, restarted (memory storage: empty)",
        [published.issue_id],
        published.article_ids,
        events=(acknowledged + 1) * published.articles,
        handling="publish task fails as transient (PublishUnavailable), its retry republishes the issue",
    )


def test_elasticsearch_429_storm_is_retried_with_backoff_and_loses_nothing(settings: Settings) -> None:
    pages = _stage_pages(settings, "run-429")
    published = publish_issue(settings, "grrb", DAY, "run-429", planned=pages)
    # more rejections in a row than the transport's own retries (3): the bulk helper backs off and retries
    with FaultProxy(settings.es.url, failures=6) as proxy:
        s = settings.model_copy(update={"es": settings.es.model_copy(update={"url": proxy.url})})
        indexed = index_issue(s, published)
        summary = verify_issue(s, published, indexed)
    assert proxy.injected == 6 and proxy.forwarded > 0
    assert summary["in_index"] == summary["articles"] == published.articles and summary["dead_letters"] == 0
    audit(
        settings,
        "Elasticsearch answers 429 to 6 bulk requests in a row",
        [published.issue_id],
        published.article_ids,
        handling="client retries, then the bulk helper backs off and retries the chunk",
    )


def test_follow_commits_nothing_while_elasticsearch_rejects_then_catches_up(settings: Settings) -> None:
    pages = _stage_pages(settings, "run-429f")
    published = publish_issue(settings, "grrb", DAY, "run-429f", planned=pages)
    es = client.make_client(settings.es)
    client.ensure_index(es, settings.es)
    es.close()
    with FaultProxy(settings.es.url, failures=10**6) as proxy:  # every bulk rejected
        es_settings = settings.es.model_copy(update={"url": proxy.url, "bulk_max_retries": 1})
        s = settings.model_copy(update={"es": es_settings})
        with pytest.raises(IndexUnavailable):
            follow(s, "indexer-429")  # gives up after its retries: the process exits, the service restarts it
        assert proxy.injected >= 2 and _committed(s) == 0  # nothing committed for an unindexed batch
        proxy.heal()
        stop = threading.Event()
        worker = threading.Thread(target=follow, args=(s, "indexer-429"), kwargs={"stop": stop.is_set}, daemon=True)
        worker.start()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and _committed(s) < published.articles:
            time.sleep(0.5)
        stop.set()
        worker.join(timeout=30)
    assert _committed(settings) == published.articles
    audit(
        settings,
        "Elasticsearch rejects every bulk (429) under the follow indexer",
        [published.issue_id],
        published.article_ids,
        handling="no offset committed; the indexer exits, its restart re-reads from the last commit",
    )


def test_durable_broker_sigkilled_mid_publish_keeps_what_it_acknowledged(
    settings: Settings, durable_kafka: Private
) -> None:
    s = _fails_fast(settings, durable_kafka)
    topic = s.kafka.articles_topic
    pages = _stage_pages(s, "run-durable")
    first = publish_issue(s, "grrb", DAY, "run-durable", planned=pages)  # acknowledged before the kill
    acked = sum(last + 1 for last in (r[1] for r in first.offsets[topic].values()))
    acknowledged = _kill_broker_mid_publish(s, durable_kafka, "run-durable", pages)
    durable_kafka.start()  # same port, same bucket
    # everything acknowledged before the kill is still there: the first publish's offsets replay
    replayed = index_issue(s, first)
    assert replayed.consumed >= len(first.article_ids) and replayed.indexed == len(first.article_ids)
    published = _as_task_retries(lambda: publish_issue(s, "grrb", DAY, "run-durable", planned=pages))
    assert sum(r[1] + 1 for r in published.offsets[topic].values()) > acked  # appended, not reset
    indexed = index_issue(s, published)
    verify_issue(s, published, indexed)
    audit(
        s,
        "Kafka broker (S3 storage) SIGKILLed mid-publish, restarted",
        [published.issue_id],
        published.article_ids,
        events=(acknowledged + 2) * published.articles,
        handling="acknowledged records survive; the retry appends the issue again, _id absorbs the repeat",
    )
