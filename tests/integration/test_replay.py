"""Bounded replay (Kafka -> Elasticsearch by published offsets) and the backfill's index windows,
against the real local servers."""

from __future__ import annotations

from datetime import UTC, date, datetime

from pipeline.config import Settings
from pipeline.indexing import client
from pipeline.indexing.indexer import replay, replay_many
from pipeline.models import ArticleEvent
from pipeline.publishing import article_record
from pipeline.runner.backfill import IssueRun, run_issues
from pipeline.runner.connections import Connections
from tests.integration.test_publishing import _event


def _batch(tag: int, size: int) -> list[ArticleEvent]:
    out = []
    for n in range(size):
        e = _event(n + 1)
        data = e.data.model_copy(update={"article_id": f"{e.article_id}-{tag}"})
        out.append(
            ArticleEvent(
                article_id=data.article_id,
                issue_id=data.issue_id,
                run_id=f"run-{tag}",
                produced_at=datetime.now(UTC),
                data=data,
            )
        )
    return out


def _publish(conn: Connections, settings: Settings, events: list[ArticleEvent]) -> dict:
    from pipeline.publishing.producer import send_all

    records = [article_record(settings.kafka.articles_topic, e) for e in events]
    return send_all(conn.producer(), records, settings.kafka.delivery_timeout_s)


def test_one_replay_after_another_on_shared_connections_reaches_every_offset(settings: Settings) -> None:
    # every batch but the last has records after it: a consumer kept across replays and re-seeked
    # used to leave a partition unfetched for good (kafka-python 3.0.12), so the replay hung
    batches = [_batch(tag, 40) for tag in range(6)]
    with Connections(settings) as conn:
        published = [_publish(conn, settings, b) for b in batches]
        reports = [replay(settings, o, f"run-{n}", conn=conn, timeout_s=20) for n, o in enumerate(published)]
        es = conn.es()
        for batch, report in zip(batches, reports, strict=True):
            assert (report.consumed, report.indexed, report.dead_lettered) == (40, 40, 0)
            assert client.count_present(es, settings.es, [e.article_id for e in batch]) == 40


def test_replay_many_indexes_each_jobs_ranges_and_skips_records_between(settings: Settings) -> None:
    first, other, last = _batch(1, 25), _batch(2, 15), _batch(3, 30)
    with Connections(settings) as conn:
        a = _publish(conn, settings, first)
        _publish(conn, settings, other)  # another writer's records between the two jobs' ranges
        c = _publish(conn, settings, last)
        reports = replay_many(settings, [(a, "run-1"), (c, "run-3")], conn=conn, timeout_s=20)
        es = conn.es()
        assert [(r.consumed, r.indexed) for r in reports] == [(25, 25), (30, 30)]
        assert client.count_present(es, settings.es, [e.article_id for e in first + last]) == 55
        assert client.count_present(es, settings.es, [e.article_id for e in other]) == 0


def test_backfill_in_index_windows_reports_every_issue_in_date_order(settings: Settings) -> None:
    days = [date(2026, 11, 18), date(2026, 11, 19), date(2026, 11, 20)]
    outcomes = list(run_issues(settings, "grrb", days, "run-window", index_window=2, lookahead=1))
    assert [day for day, _ in outcomes] == days
    for _, outcome in outcomes:
        assert isinstance(outcome, IssueRun), outcome
        assert outcome.summary["in_index"] == outcome.summary["articles"] > 0
    es = client.make_client(settings.es)
    try:
        total = es.count(index=settings.es.alias)["count"]  # searchable: the run refreshed once, at the end
    finally:
        es.close()
    assert total == sum(o.summary["articles"] for _, o in outcomes if isinstance(o, IssueRun))
