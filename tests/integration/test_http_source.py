"""The e-paper website source against a real local site (pipeline/devtools/epaper_site.py, started
by the fixture; the client is never mocked) and, where a run publishes, the local Kafka and
Elasticsearch servers."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from pipeline.config import Settings, load_paper
from pipeline.devtools.epaper_site import SiteHandle, start_site
from pipeline.errors import InvalidPage
from pipeline.evaluation.golden import render_file
from pipeline.indexing import client
from pipeline.models import DeadLetter
from pipeline.publishing.consumer import iter_topic
from pipeline.runner.backfill import run_issue
from pipeline.runner.tasks import check_issue
from pipeline.sources import ArticleSource, source_for
from pipeline.sources.http import HttpSource
from pipeline.sources.siteconfig import SiteAccess
from tests.conftest import ROOT, cli_env

PAPER = "grrb-site"
DAYS = [date(2026, 11, 18), date(2026, 11, 19), date(2026, 11, 20)]


def gold(day: date, page: int) -> list[Any]:
    return render_file(ROOT / "samples" / "src" / "grrb" / day.isoformat() / f"{page:02d}.page").gold.articles


def papers_dir(tmp_path: Path, **site: object) -> Path:
    """papers/ with grrb-site.toml's [site] keys replaced (``rate_per_s=5`` …)."""
    text = (ROOT / "papers" / f"{PAPER}.toml").read_text(encoding="utf-8")
    for key, value in site.items():
        literal = f'"{value}"' if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else value
        text, n = re.subn(rf"^{key} = .*$", f"{key} = {literal}", text, flags=re.M)
        assert n == 1, key
    folder = tmp_path / "papers"
    folder.mkdir(exist_ok=True)
    (folder / f"{PAPER}.toml").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def epaper() -> Iterator[Callable[..., SiteHandle]]:
    """start_site(**faults), stopped after the test."""
    started: list[SiteHandle] = []

    def start(**faults: Any) -> SiteHandle:
        handle = start_site(**faults)
        started.append(handle)
        return handle

    yield start
    for handle in started:
        handle.stop()


def site_settings(base: Settings, handle: SiteHandle, tmp_path: Path, **site: object) -> Settings:
    fast = {"backoff_s": 0.05, "timeout_s": 2.0, "rate_per_s": 50.0}
    return base.model_copy(
        update={
            "site": SiteAccess(base_url=handle.url + "/epaper"),
            "papers_dir": papers_dir(tmp_path, **{**fast, **site}),
        }
    )


@pytest.fixture
def offline(tmp_path: Path) -> Settings:
    """Settings for tests that use the source alone (no Kafka, no Elasticsearch)."""
    return Settings(data_dir=tmp_path / "data")


def source(settings: Settings) -> HttpSource:
    src = source_for(settings, load_paper(settings, PAPER))
    assert isinstance(src, HttpSource) and isinstance(src, ArticleSource)
    return src


def read(src: HttpSource, day: date, page: int) -> tuple[Any, Any]:
    issue = src.get_issue(PAPER, day)
    ref = next(r for r in issue.pages if r.page == page)
    text = src.read_page(issue, ref)
    return text, src.read_split(issue, ref, text)


def test_articles_come_exactly_from_the_article_pages_in_image_map_order(
    epaper: Callable[..., SiteHandle], offline: Settings, tmp_path: Path
) -> None:
    handle = epaper()
    src = source(site_settings(offline, handle, tmp_path))
    assert src.available_dates(PAPER) == DAYS
    for day in DAYS:
        issue = src.get_issue(PAPER, day)
        assert [(r.page, r.section) for r in issue.pages] == [(1, "要闻"), (2, "新闻"), (3, "工会"), (4, "综合")]
        for ref in issue.pages:
            text, split = read(src, day, ref.page)
            expected = gold(day, ref.page)
            fields = (
                "kicker",
                "headline",
                "subheadline",
                "byline",
                "paragraphs",
                "subheads",
                "continued_from",
                "continued_to",
            )
            assert [a.model_dump(include=set(fields)) for a in split.articles] == [
                g.model_dump(include=set(fields)) for g in expected
            ]
            for art in split.articles:
                assert art.source_kind == "html" and art.box is not None
                ((start, end),) = art.spans
                block = text.text[start:end]
                assert all(p in block for p in art.paragraphs) and (art.headline or "") in block
    # the site lists the areas in URL order, not reading order: the order came from the geometry
    page = handle.site.pages[DAYS[0]][1]
    assert [a.key for a in page.articles] != sorted(a.key for a in page.articles)
    assert all(h.user_agent.startswith("inkstream/") for h in handle.requests)
    assert handle.requests[0].path == "/robots.txt"


def test_a_timeout_is_retried_and_the_retry_succeeds(
    epaper: Callable[..., SiteHandle], offline: Settings, tmp_path: Path
) -> None:
    handle = epaper(slow={"2026-11-18/01": (3.0, 1)})
    src = source(site_settings(offline, handle, tmp_path, timeout_s=0.5, retries=2))
    _, split = read(src, DAYS[0], 1)
    assert len(split.articles) == len(gold(DAYS[0], 1))
    asked = [h for h in handle.requests if h.path.endswith("/18/node_01.html")]
    assert len(asked) == 2 and src.fetcher.stats.retries == 1


def test_a_page_that_keeps_timing_out_fails_that_page(
    epaper: Callable[..., SiteHandle], offline: Settings, tmp_path: Path
) -> None:
    handle = epaper(slow={"2026-11-18/01": (2.0, 5)})
    src = source(site_settings(offline, handle, tmp_path, timeout_s=0.3, retries=1))
    with pytest.raises(InvalidPage, match=r"timed out after 0.3 s .*\(2 attempts\)"):
        read(src, DAYS[0], 1)
    _, split = read(src, DAYS[0], 2)  # the issue goes on
    assert split.articles


def test_503_answers_are_retried(epaper: Callable[..., SiteHandle], offline: Settings, tmp_path: Path) -> None:
    handle = epaper(unavailable={"2026-11-18/04": 2})
    src = source(site_settings(offline, handle, tmp_path, retries=3))
    _, split = read(src, DAYS[0], 4)
    assert len(split.articles) == len(gold(DAYS[0], 4))
    statuses = [h.status for h in handle.requests if h.path.endswith("/18/node_04.html")]
    assert statuses == [503, 503, 200]


def test_a_gb18030_page_and_its_articles(epaper: Callable[..., SiteHandle], offline: Settings, tmp_path: Path) -> None:
    handle = epaper(gb18030={"2026-11-18/02"})
    src = source(site_settings(offline, handle, tmp_path))
    text, split = read(src, DAYS[0], 2)
    assert [a.headline for a in split.articles] == [g.headline for g in gold(DAYS[0], 2)]
    assert [a.paragraphs for a in split.articles] == [g.paragraphs for g in gold(DAYS[0], 2)]
    # what came over the wire was GB18030, not UTF-8
    raw = src.fetcher.cached(f"{handle.url}/epaper/2026-11/18/node_02.html", src.downloads_dir(PAPER, DAYS[0]))
    assert raw is not None and b'charset="gb18030"' in raw
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert "。" in text.text


def test_robots_txt_is_honoured(epaper: Callable[..., SiteHandle], offline: Settings, tmp_path: Path) -> None:
    handle = epaper(disallow=["/epaper/2026-11/19/node_02.html"])
    src = source(site_settings(offline, handle, tmp_path))
    with pytest.raises(InvalidPage, match=r"robots\.txt disallows"):
        read(src, DAYS[1], 2)
    assert not any(h.path.endswith("/19/node_02.html") for h in handle.requests)
    assert read(src, DAYS[1], 1)[1].articles


def test_an_issue_that_appears_after_the_first_poke(
    epaper: Callable[..., SiteHandle], offline: Settings, tmp_path: Path
) -> None:
    handle = epaper(late={"2026-11-20": 1})
    s = site_settings(offline, handle, tmp_path)
    due = datetime(2026, 11, 20, 7, tzinfo=UTC)
    first = check_issue(s, PAPER, DAYS[2], due, due)
    assert not first.done and not first.skip and "waiting" in first.reason
    assert DAYS[2] not in source(s).available_dates(PAPER)
    second = check_issue(s, PAPER, DAYS[2], due, due)
    assert second.done and not second.skip
    index_hits = [h.status for h in handle.requests if h.path.endswith("/20/index.html")]
    assert index_hits[:2] == [404, 200]


def _read_issue(settings: Settings, day: date) -> int:
    src = source(settings)
    issue = src.get_issue(PAPER, day)
    return sum(len(src.read_split(issue, r, src.read_page(issue, r)).articles) for r in issue.pages)


def test_the_rate_limit_holds_across_processes(
    epaper: Callable[..., SiteHandle], offline: Settings, tmp_path: Path
) -> None:
    handle = epaper()
    rate = 8.0
    s = site_settings(offline, handle, tmp_path, rate_per_s=rate)
    with ProcessPoolExecutor(2) as pool:  # two workers, one host: the gate is shared through the staging area
        counts = list(pool.map(_read_issue, [s, s], [DAYS[0], DAYS[1]]))
    assert counts == [sum(len(gold(d, p)) for p in range(1, 5)) for d in DAYS[:2]]
    times = sorted(h.at for h in handle.requests)
    assert len(times) >= 20
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # measured at the server as each request arrived: over the whole run no faster than the rate (2 ms
    # for the first and last arrival's jitter); no two requests together, as two ungated processes
    # would send them (an arrival may lag its start by a scheduler tick on a busy machine: half the gap)
    assert (times[-1] - times[0]) / (len(times) - 1) >= 1 / rate - 0.002
    assert min(gaps) >= 0.5 / rate, min(gaps)
    # and as each process started them (its journal): every start at least the interval after the last
    journal = tmp_path / "data" / "staging" / PAPER
    lines = [json.loads(line) for f in journal.glob("**/requests.jsonl") for line in f.read_text().splitlines()]
    starts = sorted(line["at"] for line in lines)
    assert len({line["pid"] for line in lines}) == 2 and len(starts) == len(times)
    assert min(b - a for a, b in itertools.pairwise(starts)) >= 1 / rate - 0.02


def test_a_page_without_article_pages_falls_back_to_its_pdf(
    epaper: Callable[..., SiteHandle], offline: Settings, tmp_path: Path
) -> None:
    pytest.importorskip("pipeline.sources.pdf", reason="the PDF reader (issue 15 part 3) is not in the tree yet")
    pytest.importorskip("pipeline.evaluation.pdfgen", reason="the PDF renderer is not in the tree yet")
    from pipeline.runner.staging import run_staging
    from pipeline.runner.steps import process_page

    handle = epaper(pdf_only={"2026-11-19/04"})
    s = site_settings(offline, handle, tmp_path, timeout_s=30.0)
    text, split = read(source(s), DAYS[1], 4)
    assert text.source.endswith("/19/page_04.pdf") and text.kind == "pdf"
    assert split is None  # no article pages: the runner segments the PDF's text
    assert process_page(s, PAPER, DAYS[1], 4, "run-pdf").ok
    articles = [e.article for e in run_staging(s, PAPER, DAYS[1], "run-pdf").articles()]
    headlines = {g.headline for g in gold(DAYS[1], 4)}
    assert articles and all(a.source_kind == "pdf" for a in articles)
    assert headlines & {a.headline for a in articles}


# ------------------------------------------------------------------------------ whole runs


def test_a_404_page_fails_only_that_page(epaper: Callable[..., SiteHandle], settings: Settings, tmp_path: Path) -> None:
    handle = epaper(fail={"2026-11-19/03": 404})
    s = site_settings(settings, handle, tmp_path)
    result = run_issue(s, PAPER, DAYS[1], "run-404")
    failed = [p for p in result.pages if not p.ok]
    assert [p.page for p in failed] == [3] and "HTTP 404" in (failed[0].error or "")
    assert result.summary["pages_failed"] == [3] and result.summary["pages_ok"] == 3
    letters = [DeadLetter.model_validate_json(r.value) for r in iter_topic(s.kafka, s.kafka.deadletter_topic)]
    assert [(d.page, d.stage) for d in letters] == [(3, "source")] and "HTTP 404" in letters[0].reason
    expected = sum(len(gold(DAYS[1], p)) for p in (1, 2, 4))
    es = client.make_client(s.es)
    try:
        client.refresh(es, s.es)
        assert es.count(index=s.es.alias)["count"] == expected == result.summary["in_index"]
    finally:
        es.close()


def _index_snapshot(s: Settings) -> dict[str, dict[str, Any]]:
    es = client.make_client(s.es)
    try:
        client.refresh(es, s.es)
        hits = es.search(index=s.es.alias, size=500, query={"match_all": {}})["hits"]["hits"]
        volatile = {"run_id", "produced_at", "indexed_at"}
        return {h["_id"]: {k: v for k, v in h["_source"].items() if k not in volatile} for h in hits}
    finally:
        es.close()


def test_inkstream_run_against_the_site_then_a_second_run_downloads_nothing(
    epaper: Callable[..., SiteHandle], settings: Settings, tmp_path: Path
) -> None:
    handle = epaper()
    s = site_settings(settings, handle, tmp_path)
    env = {k: v for k, v in cli_env(s).items() if not k.startswith("INKSTREAM_SITE__")}
    env["INKSTREAM_PAPERS_DIR"] = str(s.papers_dir)
    site = handle.url + "/epaper"
    cmd = [sys.executable, "-m", "pipeline", "run", "--paper", PAPER, "--site", site, "--workers", "2", "--quiet"]
    first = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr[-3000:]
    downloads = handle.requests
    # every file once: the planner's and both workers' reads of an issue index share the download
    assert all(h.status == 200 and not h.conditional for h in downloads)
    assert len({h.path for h in downloads}) == len(downloads)
    articles = [a for d in DAYS for p in range(1, 5) for a in gold(d, p)]
    jumps = sum(1 for a in articles if a.continued_from is not None)
    before = _index_snapshot(s)
    assert len(before) == len(articles) - jumps  # every sample article, each jumped one joined
    assert {d["headline"] for d in before.values()} >= {a.headline for a in articles if a.continued_from is None}
    assert len(downloads) == 1 + 1 + 3 * (1 + 4) + len(articles)  # robots, archive, indexes + pages, articles

    # the second run asks about every file again (revalidate_after_s = 0): conditional requests only
    papers_dir(tmp_path, backoff_s=0.05, timeout_s=2.0, rate_per_s=50.0, revalidate_after_s=0.0)
    handle.clear_requests()
    second = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr[-3000:]
    again = [h for h in handle.requests if h.path != "/robots.txt"]  # robots.txt is kept an hour at least
    assert again and all(h.conditional and h.status == 304 and h.bytes == 0 for h in again)
    assert {h.path for h in again} == {h.path for h in downloads if h.path != "/robots.txt"}
    assert _index_snapshot(s) == before


def test_the_site_runs_as_its_own_process_and_stops_on_sigterm(tmp_path: Path) -> None:
    import signal
    import socket

    from pipeline.devtools.epaper_site import site_command, wait_site

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with (tmp_path / "site.log").open("wb") as log:
        proc = subprocess.Popen(site_command(port), stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_site(f"http://127.0.0.1:{port}", timeout_s=30)
        settings = Settings(data_dir=tmp_path / "data").model_copy(
            update={"site": SiteAccess(base_url=f"http://127.0.0.1:{port}/epaper")}
        )
        assert source(settings).available_dates(PAPER) == DAYS
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    assert f"http://127.0.0.1:{port}/epaper" in (tmp_path / "site.log").read_text(encoding="utf-8")


def test_without_etags_last_modified_makes_the_rerun_conditional(
    epaper: Callable[..., SiteHandle], offline: Settings, tmp_path: Path
) -> None:
    handle = epaper(etags=False)
    s = site_settings(offline, handle, tmp_path, revalidate_after_s=0.0)
    first = read(source(s), DAYS[0], 1)[1]
    handle.clear_requests()
    again = read(source(s), DAYS[0], 1)[1]
    assert again == first
    hits = handle.requests
    assert hits and all(h.status == 304 and h.conditional for h in hits)
