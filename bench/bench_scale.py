"""What one page costs, for docs/scaling.md: CPU seconds (inkstream and its page worker, the Kafka and
Elasticsearch stand-ins) and bytes at each hand-over (source page, staged page, Kafka article events,
index documents), over N days of the synthetic year (bench/gen_year.py, 8 pages a day) through
`inkstream run --workers 1` against fresh local servers, staging on the project's S3 server.

Prints one JSON line per measurement. CPU is measured, not wall time: the VM is shared."""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import SERVER_PIDS, cpu_seconds, local_servers, report
from gen_year import generate

from pipeline.devtools import servers


def _topic_bytes(bootstrap: str, topic: str) -> tuple[int, int, list[int]]:
    """(records, value bytes, articles per issue) of a topic, read from the start."""
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=[bootstrap],
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        consumer_timeout_ms=5000,
    )
    count, size, per_issue = 0, 0, {}
    try:
        for rec in consumer:
            if rec.value is None:
                continue
            count += 1
            size += len(rec.value)
            issue = json.loads(rec.value)["issue_id"]
            per_issue[issue] = per_issue.get(issue, 0) + 1
    finally:
        consumer.close()
    return count, size, sorted(per_issue.values())


def _document_bytes(es_url: str, alias: str) -> tuple[int, int]:
    """(documents, bytes of their JSON source) in the index."""
    from elasticsearch import Elasticsearch

    es = Elasticsearch(es_url, request_timeout=60)
    try:
        es.indices.refresh(index=alias)
        docs, size, after = 0, 0, None
        while True:
            body = {"size": 500, "sort": [{"article_id": "asc"}], "query": {"match_all": {}}}
            if after:
                body["search_after"] = after
            hits = es.search(index=alias, body=body)["hits"]["hits"]
            if not hits:
                return docs, size
            docs += len(hits)
            size += sum(len(json.dumps(h["_source"], ensure_ascii=False).encode("utf-8")) for h in hits)
            after = hits[-1]["sort"]
    finally:
        es.close()


def measure(source: Path, label: str) -> dict[str, object]:
    """``inkstream run --workers 1`` over every issue under ``source`` (staging on the project's S3
    server, fresh local servers): CPU seconds and bytes, per page and per article."""
    page_files = sorted(source.rglob("*.txt"))
    with local_servers() as (kafka, es, work):
        s3_proc, s3 = servers.start_objectstore(work / "s3", servers.free_port(), bucket="staging")
        try:
            env = {k: v for k, v in os.environ.items() if not k.startswith("INKSTREAM_")}
            env.update(
                INKSTREAM_KAFKA__BOOTSTRAP_SERVERS=json.dumps([kafka]),
                INKSTREAM_ES__URL=es,
                INKSTREAM_DATA_DIR=str(work / "data"),
                INKSTREAM_SOURCE_ROOT=str(source),
                INKSTREAM_STAGING_URL="s3://staging/bench",
                INKSTREAM_STAGING_STORE__ENDPOINT=s3,
                INKSTREAM_STAGING_STORE__REGION="us-east-1",
                INKSTREAM_STAGING_STORE__ACCESS_KEY_ID="x",
                INKSTREAM_STAGING_STORE__SECRET_ACCESS_KEY="x",
                INKSTREAM_STAGING_STORE__ALLOW_HTTP="true",
            )
            before = {k: cpu_seconds(p) for k, p in SERVER_PIDS.items()}
            s3_before = cpu_seconds(s3_proc.pid)
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-m", "pipeline", "run", "--quiet", "--workers", "1"],
                env=env,
                capture_output=True,
                text=True,
            )
            wall = time.perf_counter() - t0
            if proc.returncode != 0:
                raise SystemExit(proc.stderr[-3000:])
            usage = resource.getrusage(resource.RUSAGE_CHILDREN)
            server_cpu = {k: cpu_seconds(p) - before[k] for k, p in SERVER_PIDS.items()}
            s3_cpu = cpu_seconds(s3_proc.pid) - s3_before
            staged = [p.stat().st_size for p in (work / "s3" / "kafka" / "staging").rglob("*~") if ".jsonl" in p.name]
            records, event_bytes, per_issue = _topic_bytes(kafka, "inkstream.articles")
            docs, doc_bytes = _document_bytes(es, "inkstream-articles")
        finally:
            servers.stop_pid(s3_proc.pid)
    pages = len(page_files)
    inkstream_cpu = usage.ru_utime + usage.ru_stime - children.ru_utime - children.ru_stime
    row: dict[str, object] = {
        "pages": pages,
        "articles": records,
        "documents": docs,
        "articles_per_page": round(records / pages, 1),
        "articles_per_issue_median": statistics.median(per_issue),
        "wall_s": round(wall, 1),
        "cpu_s_inkstream": round(inkstream_cpu, 1),
        "cpu_s_inkstream_per_page": round(inkstream_cpu / pages, 3),
        "cpu_s_es_per_page": round(server_cpu["elasticsearch"] / pages, 3),
        "cpu_s_kafka_per_page": round(server_cpu["kafka"] / pages, 4),
        "cpu_s_s3_per_page": round(s3_cpu / pages, 4),
        "source_bytes_per_page": round(sum(p.stat().st_size for p in page_files) / pages),
        "staged_bytes_per_page": round(sum(staged) / max(len(staged), 1)),
        "staged_objects": len(staged),
        "event_bytes_per_article": round(event_bytes / records),
        "document_bytes_per_article": round(doc_bytes / docs),
    }
    report(label, row)
    return row


def real_issues(page: Path, out: Path, days: int, pages: int = 8) -> Path:
    """``days`` issues of ``pages`` copies of one real page (measured only; written to a temp folder)."""
    for d in range(days):
        folder = out / "grrb" / f"2021-06-{d + 1:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        for n in range(1, pages + 1):
            (folder / f"{n:02d}.txt").write_bytes(page.read_bytes())
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "inkstream-scale-bench")
    parser.add_argument(
        "--real-page",
        type=Path,
        default=None,
        help="also: issues of copies of this page, 1 day and 4 days (the difference is per page without start-up)",
    )
    args = parser.parse_args()
    source = args.data.with_name(f"{args.data.name}-{args.days}d")
    if not (source / "grrb").is_dir():
        generate(source, days=args.days)
    measure(source, f"synthetic year, {args.days} days")
    if args.real_page:
        with tempfile.TemporaryDirectory() as tmp:
            one = measure(real_issues(args.real_page, Path(tmp) / "one", 1), "real page x 8, 1 day")
            four = measure(real_issues(args.real_page, Path(tmp) / "four", 4), "real page x 8, 4 days")
        extra_pages = int(four["pages"]) - int(one["pages"])  # type: ignore[call-overload]
        report(
            "real page, marginal",
            {
                "cpu_s_inkstream_per_page": round(
                    (float(four["cpu_s_inkstream"]) - float(one["cpu_s_inkstream"]))  # type: ignore[arg-type]
                    / extra_pages,
                    3,
                ),
                "start_up_cpu_s": round(
                    float(one["cpu_s_inkstream"])
                    - 8
                    * (
                        float(four["cpu_s_inkstream"])  # type: ignore[arg-type]
                        - float(one["cpu_s_inkstream"])
                    )
                    / extra_pages,
                    1,
                ),  # type: ignore[arg-type]
            },
        )


if __name__ == "__main__":
    main()
