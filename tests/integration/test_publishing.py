"""Publishing against a real Kafka-protocol broker."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from kafka import KafkaConsumer, TopicPartition

from pipeline.config import Settings
from pipeline.models import ArticleEvent, EnrichedArticle
from pipeline.publishing import article_record, ensure_topics, publish
from pipeline.segmentation import segment_page


def _event(n: int) -> ArticleEvent:
    page = f"示例标题{n}\n\n本报讯 (记者王小明)近日,江川市总工会开展第{n}次慰问活动,共慰问职工{n}00人。\n"
    article = segment_page(page).articles[0]
    data = EnrichedArticle(
        article_id=f"grrb-2026-11-18-p01-{n:08x}",
        issue_id="grrb-2026-11-18",
        paper="grrb",
        paper_name="工人日报",
        issue_date=date(2026, 11, 18),
        page=1,
        position=n,
        article=article,
        text=page,
    )
    return ArticleEvent(
        article_id=data.article_id, issue_id=data.issue_id, run_id="test-run", produced_at=datetime.now(UTC), data=data
    )


def _consume(settings: Settings, topic: str, offsets: dict[int, list[int]]) -> list:
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka.bootstrap_servers, enable_auto_commit=False, consumer_timeout_ms=5000
    )
    tps = [TopicPartition(topic, p) for p in offsets]
    consumer.assign(tps)
    for tp in tps:
        consumer.seek(tp, offsets[tp.partition][0])
    want = sum(r[1] - r[0] + 1 for r in offsets.values())
    got = []
    for rec in consumer:
        got.append(rec)
        if len(got) >= want:
            break
    consumer.close()
    return got


def test_topics_are_created_with_configured_partitions(settings: Settings) -> None:
    ensure_topics(settings.kafka)
    ensure_topics(settings.kafka)  # idempotent
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka.bootstrap_servers)
    try:
        parts = consumer.partitions_for_topic(settings.kafka.articles_topic)
    finally:
        consumer.close()
    assert parts == set(range(settings.kafka.partitions))


def test_publish_returns_offsets_and_records_carry_key_headers_and_valid_json(settings: Settings) -> None:
    ensure_topics(settings.kafka)
    events = [_event(n) for n in range(1, 7)]
    offsets = publish(settings.kafka, [article_record(settings.kafka.articles_topic, e) for e in events])
    parts = offsets[settings.kafka.articles_topic]
    assert sum(last - first + 1 for first, last in parts.values()) == 6
    records = _consume(settings, settings.kafka.articles_topic, parts)
    assert sorted(r.key.decode() for r in records) == sorted(e.article_id for e in events)
    for rec in records:
        headers = dict(rec.headers)
        assert headers["ce_specversion"] == b"1.0"
        assert headers["ce_type"] == b"inkstream.article.v1"
        assert headers["ce_subject"] == rec.key
        assert headers["schema_version"] == b"1"
        assert headers["run_id"] == b"test-run"
        event = ArticleEvent.model_validate_json(rec.value)
        assert event.article_id == rec.key.decode()
        assert json.loads(rec.value)["schema_version"] == "1"


def test_same_key_always_lands_on_the_same_partition(settings: Settings) -> None:
    ensure_topics(settings.kafka)
    event = _event(9)
    first = publish(settings.kafka, [article_record(settings.kafka.articles_topic, event)])
    second = publish(settings.kafka, [article_record(settings.kafka.articles_topic, event)])
    assert list(first[settings.kafka.articles_topic]) == list(second[settings.kafka.articles_topic])
