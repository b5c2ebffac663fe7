"""Publishing (msgs/s, MB/s) vs kafka-python's plain producer, and indexing (docs/s) vs
elasticsearch.helpers.bulk, on the same payloads, against the local servers."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from common import best_of, local_servers, report, sample_pages
from elasticsearch import Elasticsearch, helpers
from kafka import KafkaProducer

from pipeline.config import ElasticsearchSettings, Settings
from pipeline.enrichment import enrich_article
from pipeline.indexing import client
from pipeline.indexing.actions import index_action
from pipeline.models import ArticleEvent, PageText
from pipeline.publishing import article_record, ensure_topics, publish
from pipeline.segmentation import segment_page


def events(copies: int) -> list[ArticleEvent]:
    out = []
    for n, text in enumerate(sample_pages()):
        page = PageText(paper="bench", issue_date=date(2026, 11, 20), page=n + 1, text=text, source="bench")
        for pos, art in enumerate(segment_page(text).articles):
            data = enrich_article(art, page, pos, "bench")
            for c in range(copies):
                item = data.model_copy(update={"article_id": f"{data.article_id}-{c}"})
                out.append(
                    ArticleEvent(
                        article_id=item.article_id,
                        issue_id=item.issue_id,
                        run_id="bench",
                        produced_at=datetime.now(UTC),
                        data=item,
                    )
                )
    return out


def main() -> None:
    with local_servers() as (kafka, es_url, _):
        evs = events(copies=20)
        # the project's settings (INKSTREAM_KAFKA__COMPRESSION_TYPE etc. apply), pointed at this broker
        ks = Settings().kafka.model_copy(
            update={"bootstrap_servers": [kafka], "articles_topic": f"bench-{uuid.uuid4().hex[:6]}"}
        )
        ensure_topics(ks, [ks.articles_topic])
        records = [article_record(ks.articles_topic, e) for e in evs]
        size = sum(len(r.value or b"") for r in records)

        def plain() -> None:
            producer = KafkaProducer(
                bootstrap_servers=[kafka], acks="all", compression_type=ks.compression_type, linger_ms=ks.linger_ms
            )
            for r in records:
                producer.send(ks.articles_topic, key=r.key, value=r.value)
            producer.flush()
            producer.close()

        ours = base = float("inf")
        for _ in range(4):  # alternated, best of 4 each: this VM's speed drifts within a run
            ours = min(ours, best_of(lambda: publish(ks, records), repeat=1))
            base = min(base, best_of(plain, repeat=1))
        es_settings = ElasticsearchSettings(url=es_url, alias=f"bench-{uuid.uuid4().hex[:6]}")
        es = Elasticsearch(es_url)
        index = client.ensure_index(es, es_settings)
        actions = [index_action(index, e) for e in evs]
        helpers.bulk(es, actions, chunk_size=es_settings.bulk_chunk_size)  # both then overwrite, not create
        # alternated, best of 4 each: the local server saves its whole store once a second while it
        # has unsaved writes, and that pause lands in whichever timing is running
        ours_es = base_es = float("inf")
        for _ in range(4):
            ours_es = min(ours_es, best_of(lambda: client.bulk(es, actions, es_settings), repeat=1))
            base_es = min(
                base_es, best_of(lambda: helpers.bulk(es, actions, chunk_size=es_settings.bulk_chunk_size), repeat=1)
            )
        es.close()
        report(
            "publish+index",
            {
                "messages": len(records),
                "compression": ks.compression_type,
                "publish_msgs_per_s": round(len(records) / ours),
                "publish_mb_per_s": round(size / ours / 1e6, 2),
                "plain_producer_msgs_per_s": round(len(records) / base),
                "publish_ratio_to_plain": round(base / ours, 3),
                "index_docs_per_s": round(len(actions) / ours_es),
                "plain_bulk_docs_per_s": round(len(actions) / base_es),
                "index_ratio_to_plain_bulk": round(base_es / ours_es, 3),
            },
        )


if __name__ == "__main__":
    main()
