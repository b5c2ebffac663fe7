"""`inkstream index --follow`: a consumer group that commits only after the bulk succeeded."""

from __future__ import annotations

import threading
import time
from datetime import date

from kafka import KafkaConsumer, TopicPartition

from pipeline.config import Settings
from pipeline.indexing import client, follow
from pipeline.publishing import ensure_topics, publish, tombstone
from pipeline.stages import process_page, publish_issue

DAY = date(2026, 11, 19)


def _committed(settings: Settings) -> int:
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka.bootstrap_servers,
                             group_id=settings.kafka.consumer_group, enable_auto_commit=False)
    try:
        tps = [TopicPartition(settings.kafka.articles_topic, p)
               for p in consumer.partitions_for_topic(settings.kafka.articles_topic) or ()]
        return sum(consumer.committed(tp) or 0 for tp in tps)
    finally:
        consumer.close()


def _count(settings: Settings) -> int:
    es = client.make_client(settings.es)
    try:
        client.refresh(es, settings.es)
        return client.count_issue(es, settings.es, f"grrb-{DAY}")
    finally:
        es.close()


def test_follow_indexes_commits_after_bulk_and_applies_tombstones(settings: Settings) -> None:
    for page in (1, 4):
        process_page(settings, "grrb", DAY, page, "run-f")
    published = publish_issue(settings, "grrb", DAY, "run-f", planned=[1, 4])
    es = client.make_client(settings.es)
    client.ensure_index(es, settings.es)
    es.close()
    stop = threading.Event()
    seen: list[int] = []

    def on_batch(report: object) -> None:
        seen.append(getattr(report, "indexed"))  # noqa: B009

    worker = threading.Thread(target=follow, args=(settings, "indexer-test"),
                              kwargs={"stop": stop.is_set, "on_batch": on_batch}, daemon=True)
    worker.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and _count(settings) < published.articles:
        time.sleep(0.5)
    assert _count(settings) == published.articles
    while time.monotonic() < deadline and _committed(settings) < published.articles:
        time.sleep(0.5)
    assert _committed(settings) == published.articles  # committed exactly what was indexed
    # a tombstone removes the article from the index
    ensure_topics(settings.kafka)
    publish(settings.kafka, [tombstone(settings.kafka.articles_topic, published.article_ids[0], "run-f")])
    while time.monotonic() < deadline and _count(settings) != published.articles - 1:
        time.sleep(0.5)
    stop.set()
    worker.join(timeout=20)
    assert _count(settings) == published.articles - 1
    # at-least-once: a rebalance may redeliver, _id = article_id absorbs it (the count above is exact)
    assert sum(seen) >= published.articles
