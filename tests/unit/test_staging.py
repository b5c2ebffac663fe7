"""The staging area on a local folder and on a real S3 server (the project's folder-backed S3 server
over HTTP, and moto's when ``make tools`` installed it): the same format and answers on each,
whole-or-absent pages while they are overwritten, and a page retried by another worker (another
client, another disk) overwriting the same object."""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from pipeline.config import Settings, StagingStore
from pipeline.devtools import servers
from pipeline.devtools.objectstore import serve
from pipeline.errors import ConfigError
from pipeline.models import Article, EnrichedArticle
from pipeline.runner.staging import Staging, run_staging, staging, with_staging_connection

DAY = date(2026, 11, 18)


def _article(page: int, n: int, body: str = "") -> EnrichedArticle:
    text = f"第{page}版第{n}篇。{body}"
    return EnrichedArticle(
        article_id=f"grrb-{DAY}-p{page:02d}-a{n:02d}",
        issue_id=f"grrb-{DAY}",
        paper="grrb",
        paper_name="工人日报",
        issue_date=DAY,
        page=page,
        position=n,
        article=Article(headline=f"标题{page}-{n}", paragraphs=[text]),
        text=text,
    )


@pytest.fixture(scope="module")
def objectstore(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = serve(tmp_path_factory.mktemp("s3"), "127.0.0.1", 0, ("staging",), fsync=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    try:
        servers.moto_binary()
    except ConfigError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"{exc} (CI=true)")
        pytest.skip(str(exc))
    proc, endpoint = servers.start_s3(tmp_path_factory.mktemp("moto"), servers.free_port(), bucket="staging")
    yield endpoint
    servers.stop_pid(proc.pid)
    proc.wait(timeout=15)


@pytest.fixture(params=["folder", "objectstore", "moto"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings whose staging is a folder, or a fresh prefix of bucket ``staging`` on an S3 server."""
    base = Settings(data_dir=tmp_path / "data")
    if request.param == "folder":
        return base
    endpoint = request.getfixturevalue(request.param)
    store = StagingStore(
        endpoint=endpoint, region="us-east-1", access_key_id="inkstream", secret_access_key="inkstream", allow_http=True
    )
    return base.model_copy(update={"staging_url": f"s3://staging/{uuid.uuid4().hex[:8]}/runs", "staging_store": store})


def test_pages_errors_and_summary_round_trip(settings: Settings) -> None:
    run = run_staging(settings, "grrb", DAY, "manual__2026-11-18T07:00:00+00:00")
    assert run.pages_ok() == [] and run.pages_failed() == [] and list(run.articles()) == []
    assert run.summary() is None and run.page_error(3) is None
    where = run.write_page(2, [_article(2, 0), _article(2, 1, "“引号”与换行\\n")])
    run.write_page(1, [_article(1, 0)])
    run.write_page_error(3, "source", "page grrb/2026-11-18/03: 不是 UTF-8")
    assert where.endswith("grrb/2026-11-18/manual__2026-11-18T07_00_00_00_00/page-02.jsonl")
    assert str(run) in where and (where.startswith("s3://") == bool(settings.staging_url))
    assert run.pages_ok() == [1, 2] and run.pages_failed() == [3]
    assert [a.article_id for a in run.articles()] == [
        _article(1, 0).article_id,
        _article(2, 0).article_id,
        _article(2, 1).article_id,
    ]
    assert list(run.articles())[2] == _article(2, 1, "“引号”与换行\\n")
    assert run.page_error(3) == {"page": 3, "stage": "source", "error": "page grrb/2026-11-18/03: 不是 UTF-8"}
    run.write_page(3, [_article(3, 0)])  # the page succeeded on retry: its failure record goes
    assert run.pages_failed() == [] and run.page_error(3) is None and run.pages_ok() == [1, 2, 3]
    run.write_summary({"issue_id": f"grrb-{DAY}", "articles": 4, "note": "四篇"})
    assert run.summary() == {"issue_id": f"grrb-{DAY}", "articles": 4, "note": "四篇"}
    run.clear()
    assert run.pages_ok() == [] and run.summary() is None and list(run.articles()) == []


def test_summaries_by_paper_and_day_oldest_run_first(settings: Settings) -> None:
    area = staging(settings)
    other = date(2026, 11, 19)
    for paper, day, run_id in (("grrb", DAY, "r1"), ("grrb", other, "r1"), ("grrb", DAY, "r2"), ("rmrb", DAY, "r1")):
        area.run(paper, day, run_id).write_summary({"issue_id": f"{paper}-{day}", "run_id": run_id})
        area.run(paper, day, run_id).write_page(1, [_article(1, 0)])  # not a summary: not listed
    rows = area.summaries()
    assert [(r["issue_id"], r["run_id"]) for r in rows] == [
        (f"grrb-{DAY}", "r1"),
        (f"grrb-{DAY}", "r2"),
        (f"grrb-{other}", "r1"),
        (f"rmrb-{DAY}", "r1"),
    ]
    assert all(isinstance(r["_mtime"], float) for r in rows) and rows[0]["_mtime"] <= rows[1]["_mtime"]
    assert [r["run_id"] for r in area.summaries("grrb", DAY.isoformat())] == ["r1", "r2"]
    assert [r["issue_id"] for r in area.summaries("grrb")] == [f"grrb-{DAY}", f"grrb-{DAY}", f"grrb-{other}"]
    assert [r["issue_id"] for r in area.summaries(issue_date=other.isoformat())] == [f"grrb-{other}"]


def test_a_page_retried_on_another_worker_overwrites_the_same_object(settings: Settings, tmp_path: Path) -> None:
    """Two workers: their own clients and data folders (their own disks), one staging URL. The first
    attempt's page is replaced, not added to, and the publish task (a third client) reads it once."""
    first = settings.model_copy(update={"data_dir": tmp_path / "worker-a"})
    second = settings.model_copy(update={"data_dir": tmp_path / "worker-b"})
    if not settings.staging_url:  # a local folder is shared only when both name it
        first = first.model_copy(update={"staging_url": str(tmp_path / "shared")})
        second = second.model_copy(update={"staging_url": str(tmp_path / "shared")})
    run_staging(first, "grrb", DAY, "r").write_page_error(2, "enrichment", "worker lost")
    run_staging(first, "grrb", DAY, "r").write_page(2, [_article(2, n, "第一次") for n in range(3)])
    run_staging(second, "grrb", DAY, "r").write_page(2, [_article(2, n, "重试") for n in range(2)])
    publisher = run_staging(
        settings.model_copy(update={"data_dir": tmp_path / "publisher"}) if settings.staging_url else first,
        "grrb",
        DAY,
        "r",
    )
    articles = list(publisher.articles())
    assert [a.article_id for a in articles] == [_article(2, 0).article_id, _article(2, 1).article_id]
    assert all("重试" in a.text for a in articles) and publisher.pages_failed() == []


def test_a_reader_sees_a_page_whole_while_it_is_overwritten(settings: Settings) -> None:
    """A retried page task rewrites the page while another task reads it: every read is one
    attempt's page, whole (never a mix, never a torn line)."""
    run = run_staging(settings, "grrb", DAY, "r")
    versions = {n: [_article(1, k, f"第{n}次" * (50 + 400 * (n % 2))) for k in range(1 + n % 3)] for n in range(4)}
    run.write_page(1, versions[0])
    stop = threading.Event()
    errors: list[BaseException] = []
    writes = [0]

    def rewrite() -> None:
        try:
            while not stop.is_set():
                writes[0] += 1
                run.write_page(1, versions[writes[0] % 4])
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    writer = threading.Thread(target=rewrite)
    writer.start()
    reads, deadline = 0, time.monotonic() + 30
    try:
        while (reads < 30 or writes[0] < 10) and time.monotonic() < deadline and not errors:
            assert list(run.articles()) in versions.values()
            reads += 1
    finally:
        stop.set()
        writer.join(timeout=30)
    assert not errors and writes[0] >= 10 and reads >= 30  # read 30 times while it was rewritten


def test_staging_url_from_the_environment_and_bad_urls(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("INKSTREAM_DATA_DIR", str(tmp_path))
    assert str(staging(Settings())) == str(tmp_path / "staging")
    monkeypatch.setenv("INKSTREAM_STAGING_URL", "s3://inkstream-staging/prod")
    monkeypatch.setenv("INKSTREAM_STAGING_STORE__ENDPOINT", "http://127.0.0.1:9")
    with pytest.raises(ConfigError, match="plain HTTP"):  # credentials in clear text only when told so
        staging(Settings(staging_url="s3://inkstream-staging/prod"))
    monkeypatch.setenv("INKSTREAM_STAGING_STORE__ALLOW_HTTP", "true")
    monkeypatch.setenv("INKSTREAM_STAGING_STORE__ACCESS_KEY_ID", "inkstream")
    monkeypatch.setenv("INKSTREAM_STAGING_STORE__SECRET_ACCESS_KEY", "not-printed")
    s = Settings()
    assert str(run_staging(s, "grrb", DAY, "r1")) == f"s3://inkstream-staging/prod/grrb/{DAY}/r1"
    assert "not-printed" not in json.dumps(s.masked())
    with pytest.raises(ConfigError, match="only a folder"):
        Staging("gs://bucket/x")
    with pytest.raises(ConfigError, match="no bucket"):
        Staging("s3:///x")
    local = Staging(f"file://{tmp_path}/x")
    local.run("grrb", DAY, "r").write_summary({"issue_id": "i"})
    assert (tmp_path / "x" / "grrb" / DAY.isoformat() / "r" / "summary.json").is_file()


def test_object_store_from_an_airflow_connection(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path)
    assert with_staging_connection(s, None) is s
    conn = {
        "conn_type": "aws",
        "login": "AKIA-test",
        "password": "secret-key",
        "extra": json.dumps(
            {"endpoint_url": "http://minio:9000", "region_name": "eu-west-1", "staging_url": "s3://staging/inkstream"}
        ),
    }
    got = with_staging_connection(s, conn)
    assert got.staging_url == "s3://staging/inkstream"
    store = got.staging_store
    assert (store.endpoint, store.region, store.access_key_id, store.allow_http) == (
        "http://minio:9000",
        "eu-west-1",
        "AKIA-test",
        True,
    )
    assert store.secret_access_key is not None and store.secret_access_key.get_secret_value() == "secret-key"


def test_summaries_and_pages_ignore_the_http_download_cache_beside_the_runs(tmp_path: Path) -> None:
    """The HTTP source keeps its downloads under the local staging folder (``<paper>/<date>/_downloads``,
    ``_http``): neither is a run, a page or a summary."""
    s = Settings(data_dir=tmp_path)
    run = run_staging(s, "grrb", DAY, "r1")
    run.write_page(1, [_article(1, 0)])
    run.write_summary({"issue_id": f"grrb-{DAY}", "run_id": "r1"})
    cache = s.staging_dir / "grrb" / DAY.isoformat() / "_downloads"
    (cache / "pages").mkdir(parents=True)
    (cache / "pages" / "page-02.jsonl").write_text("{}\n", encoding="utf-8")
    (cache / "summary.json").write_text('{"issue_id": "not a run"}', encoding="utf-8")
    (s.staging_dir / "_http").mkdir()
    (s.staging_dir / "_http" / "example.org.slot0").write_bytes(b"")
    assert [r["run_id"] for r in staging(s).summaries()] == ["r1"]
    assert run.pages_ok() == [1] and [a.page for a in run.articles()] == [1]
