"""Stage functions shared by the CLI and the Airflow DAG: read input, call the pure core,
write output, return a small reference (paths, offsets, counts). No algorithms here."""

from __future__ import annotations

import base64
import itertools
import json
import logging
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from pipeline.config import Settings, load_paper
from pipeline.connections import Connections, connections
from pipeline.errors import CountMismatch, InvalidPage, PipelineError, SourceNotReady
from pipeline.models import (
    Article,
    ArticleEvent,
    DeadLetter,
    EnrichedArticle,
    IssueEvent,
    PageRef,
    PageText,
    issue_id,
)
from pipeline.publishing.records import now
from pipeline.runner.staging import run_staging
from pipeline.sources import ArticleSource, Source, source_for

if TYPE_CHECKING:
    from pipeline.continuations import JoinReport

log = logging.getLogger(__name__)


# ------------------------------------------------------------------------------ plan


def issue_ready(settings: Settings, paper_id: str, issue_date: date) -> bool:
    paper = load_paper(settings, paper_id)
    return source_for(settings, paper).is_ready(paper.id, issue_date)


def plan_pages(settings: Settings, paper_id: str, issue_date: date) -> list[int]:
    paper = load_paper(settings, paper_id)
    src = source_for(settings, paper)
    if not src.is_ready(paper.id, issue_date):
        raise SourceNotReady(f"{paper.id} {issue_date}: no pages in {src.where(paper.id, issue_date)}")
    return [p.page for p in src.get_issue(paper.id, issue_date).pages]


# ------------------------------------------------------------------------------ pages


@dataclass
class PageResult:
    page: int
    ok: bool
    articles: int = 0
    entities: int = 0
    metrics: int = 0
    blocks: int = 0
    error: str | None = None
    path: str | None = None


def process_page(settings: Settings, paper_id: str, issue_date: date, page: int, run_id: str) -> PageResult:
    """Decode, segment and enrich one page into ``<run dir>/page-NN.jsonl``.

    A bad page is dead-lettered (whole input + reason) and raised as ``InvalidPage``:
    the caller fails that page only.
    """
    from pipeline.enrichment import enrich_article
    from pipeline.enrichment.resolve import caption_credits
    from pipeline.segmentation import DEFAULT_RULES, segment_page

    paper = load_paper(settings, paper_id)
    src = source_for(settings, paper)
    issue = src.get_issue(paper.id, issue_date)
    ref = next((p for p in issue.pages if p.page == page), None) or PageRef(page=page, file=f"{page:02d}.txt")
    staged = run_staging(settings, paper.id, issue_date, run_id)
    label = f"{paper.id}/{issue_date}/{page:02d}"
    stage = "source"
    try:
        text = src.read_page(issue, ref)
        stage = "segmentation"
        given = src.read_split(issue, ref, text) if isinstance(src, ArticleSource) else None
        split = given if given is not None else segment_page(text.text, DEFAULT_RULES.for_paper(paper.banners))
        if not split.articles:
            raise InvalidPage(label, "; ".join(split.warnings) or "no articles")
        if len(split.articles) > settings.limits.max_articles_per_page:
            raise InvalidPage(label, f"{len(split.articles)} articles, above the limit")
        stage = "enrichment"
        credits = caption_credits(split.articles, split.blocks)  # photographers of each article's captions
        enriched = [
            enrich_article(a, text, n, paper.name, settings.enrichment_backend, credits[n])
            for n, a in enumerate(split.articles)
        ]
    except Exception as exc:
        error = exc if isinstance(exc, InvalidPage) else InvalidPage(label, f"{type(exc).__name__}: {exc}")
        _dead_letter_page(settings, src, issue, ref, run_id, stage, error)
        staged.write_page_error(page, stage, str(error))
        log.error("page %s failed at %s: %s", label, stage, error)
        raise error from exc
    path = staged.write_page(page, enriched)
    result = PageResult(
        page=page,
        ok=True,
        articles=len(enriched),
        entities=sum(len(a.entities) for a in enriched),
        metrics=sum(len(a.metrics) for a in enriched),
        blocks=len(split.blocks),
        path=path,
    )
    log.info("page %s: %s", label, asdict(result))
    return result


def _text_or_base64(raw: bytes, truncated: bool) -> tuple[str, str]:
    """UTF-8 text if the bytes are (a cut may split the last character: up to 3 bytes are dropped
    then), else base64."""
    for cut in range(4 if truncated else 1):
        try:
            return raw[: len(raw) - cut].decode("utf-8"), "text"
        except UnicodeDecodeError:
            continue
    return base64.b64encode(raw).decode("ascii"), "base64"


def _dead_letter_page(
    settings: Settings, src: Source, issue: Any, ref: PageRef, run_id: str, stage: str, error: InvalidPage
) -> None:
    from pipeline.publishing import deadletter_record, ensure_topics, publish

    limit = settings.limits.max_deadletter_original_bytes
    found = src.read_raw(issue, ref, limit)
    raw, size = found if found is not None else (None, None)
    truncated = size is not None and size > limit
    original, encoding = _text_or_base64(raw, truncated) if raw is not None else (None, "text")
    letter = DeadLetter(
        run_id=run_id,
        produced_at=now(),
        stage=stage,  # type: ignore[arg-type]
        error_type=type(error).__name__,
        reason=str(error),
        paper=issue.paper,
        issue_date=issue.issue_date,
        page=ref.page,
        original=original,
        original_encoding=encoding,  # type: ignore[arg-type]
        original_bytes=size,
        original_truncated=truncated,
    )
    ensure_topics(settings.kafka)
    publish(settings.kafka, [deadletter_record(settings.kafka.deadletter_topic, letter)])


# ------------------------------------------------------------------------------ publish


@dataclass
class PublishResult:
    issue_id: str
    paper: str
    issue_date: str
    run_id: str
    offsets: dict[str, dict[int, list[int]]]
    article_ids: list[str]
    pages_ok: list[int]
    pages_failed: list[int]
    articles: int
    entities: int
    metrics: int
    jumps_joined: int = 0
    jumps_unpaired: int = 0


def load_staged(settings: Settings, paper_id: str, issue_date: date, run_id: str) -> list[EnrichedArticle]:
    return list(run_staging(settings, paper_id, issue_date, run_id).articles())


def load_issue(
    settings: Settings, paper_id: str, issue_date: date, run_id: str
) -> tuple[list[EnrichedArticle], JoinReport]:
    """The staged articles of an issue with the parts of each article continued on another page
    (下转/上接) joined into one: what ``publish_issue`` publishes."""
    from pipeline.continuations import join_issue

    def reenrich(parts: Sequence[EnrichedArticle], merged: Article) -> EnrichedArticle:
        from pipeline.enrichment import enrich_article

        first = parts[0]
        page = PageText(paper=first.paper, issue_date=first.issue_date, page=first.page, name=first.page_name,
                        section=first.section, text="", source="(joined across pages)")
        # photo credits found on each page stay credited on the joined article
        photographers = [e.text for p in parts for e in p.entities if getattr(e, "role", None) == "photographer"]
        extra: dict[str, Any] = {"photographers": photographers} if photographers else {}
        return enrich_article(merged, page, first.position, first.paper_name, settings.enrichment_backend, **extra)

    articles, report = join_issue(load_staged(settings, paper_id, issue_date, run_id), reenrich)
    if report.unpaired:
        log.warning("%s/%s: %d jump marker(s) without their other part: %s", paper_id, issue_date,
                    report.unpaired, ", ".join(report.unpaired_ids))
    return articles, report


def publish_issue(
    settings: Settings,
    paper_id: str,
    issue_date: date,
    run_id: str,
    planned: list[int] | None = None,
    conn: Connections | None = None,
) -> PublishResult:
    from pipeline.publishing import article_record, issue_record
    from pipeline.publishing.producer import send_all

    paper = load_paper(settings, paper_id)
    articles, jumps = load_issue(settings, paper.id, issue_date, run_id)
    staged = run_staging(settings, paper.id, issue_date, run_id)
    ok = staged.pages_ok()
    failed = sorted(set(planned or []) - set(ok) | set(staged.pages_failed()))
    produced = now()
    events = [
        ArticleEvent(article_id=a.article_id, issue_id=a.issue_id, run_id=run_id, produced_at=produced, data=a)
        for a in articles
    ]
    issue_event = IssueEvent(
        issue_id=issue_id(paper.id, issue_date),
        paper=paper.id,
        issue_date=issue_date,
        run_id=run_id,
        produced_at=produced,
        pages_expected=max(paper.pages, len(ok) + len(failed)),
        pages_ok=ok,
        pages_failed=failed,
        article_ids=[a.article_id for a in articles],
        entities=sum(len(a.entities) for a in articles),
        metrics=sum(len(a.metrics) for a in articles),
    )
    records = [article_record(settings.kafka.articles_topic, e) for e in events]
    records.append(issue_record(settings.kafka.issues_topic, issue_event))
    with connections(settings, conn) as c:
        try:
            offsets = send_all(c.producer(), records, settings.kafka.delivery_timeout_s)
        except PipelineError:
            c.discard_producer()
            raise
    return PublishResult(
        issue_id=issue_event.issue_id,
        paper=paper.id,
        issue_date=issue_date.isoformat(),
        run_id=run_id,
        offsets={t: offsets[t] for t in offsets if t == settings.kafka.articles_topic},
        article_ids=issue_event.article_ids,
        pages_ok=ok,
        pages_failed=failed,
        articles=len(articles),
        entities=issue_event.entities,
        metrics=issue_event.metrics,
        jumps_joined=jumps.joined,
        jumps_unpaired=jumps.unpaired,
    )


# ------------------------------------------------------------------------------ index + verify


@dataclass
class IndexResult:
    issue_id: str
    consumed: int
    indexed: int
    dead_lettered: int
    stale_removed: int


def index_issue(settings: Settings, published: PublishResult, conn: Connections | None = None) -> IndexResult:
    """Replay the published offsets into the index, then remove the articles an earlier run of the
    issue indexed and this one no longer has. The issue registry (``client.known_ids``) says which
    ids the index may hold; it is widened *before* indexing and narrowed after the stale ones are
    gone, so a crash at any point leaves it a superset of what is in the index."""
    return index_issues(settings, [published], conn)[0]


def index_issues(
    settings: Settings, published: list[PublishResult], conn: Connections | None = None
) -> list[IndexResult]:
    """``index_issue`` for several issues with one replay pass (a backfill window)."""
    from pipeline.indexing import client
    from pipeline.indexing.indexer import replay_many

    with connections(settings, conn) as c:
        es = c.es()
        c.index()
        previous = [set(client.known_ids(es, settings.es, p.issue_id)) for p in published]
        current = [set(p.article_ids) for p in published]
        for p, before, new in zip(published, previous, current, strict=True):
            if not new <= before:
                client.record_ids(es, settings.es, p.issue_id, before | new, p.run_id)
        reports = replay_many(settings, [(p.offsets, p.run_id) for p in published], conn=c)
        out = []
        for p, before, new, report in zip(published, previous, current, reports, strict=True):
            stale = before - new
            removed = client.delete_ids(es, settings.es, sorted(stale))
            if stale:
                client.record_ids(es, settings.es, p.issue_id, new, p.run_id)
            out.append(IndexResult(p.issue_id, report.consumed, report.indexed, report.dead_lettered, removed))
    return out


def verify_issue(
    settings: Settings,
    published: PublishResult,
    indexed: IndexResult,
    conn: Connections | None = None,
    refresh: bool = True,
) -> dict[str, Any]:
    """Every published article not dead-lettered is in the index (real-time ``mget`` by id); the
    run summary goes to the log and ``summary.json``. ``refresh``: make them searchable now."""
    from pipeline.indexing import client

    with connections(settings, conn) as c:
        es = c.es()
        if refresh:
            client.refresh(es, settings.es)
        in_index = client.count_present(es, settings.es, published.article_ids)
    summary = {
        "issue_id": published.issue_id,
        "run_id": published.run_id,
        "pages_ok": len(published.pages_ok),
        "pages_failed": published.pages_failed,
        "articles": published.articles,
        "entities": published.entities,
        "metrics": published.metrics,
        "indexed": indexed.indexed,
        "in_index": in_index,
        "dead_letters": indexed.dead_lettered + len(published.pages_failed),
        "stale_removed": indexed.stale_removed,
        "jumps_joined": published.jumps_joined,
        "jumps_unpaired": published.jumps_unpaired,
    }
    expected = published.articles - indexed.dead_lettered
    if in_index != expected:
        raise CountMismatch(f"{published.issue_id}: {in_index} documents in the index, expected {expected}")
    log.info("run summary %s", json.dumps(summary, ensure_ascii=False))
    run_staging(settings, published.paper, date.fromisoformat(published.issue_date), published.run_id).write_summary(
        summary)
    return summary


@dataclass
class IssueRun:
    pages: list[PageResult] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


def _page_or_failure(settings: Settings, paper_id: str, issue_date: date, page: int, run_id: str) -> PageResult:
    try:
        return process_page(settings, paper_id, issue_date, page, run_id)
    except InvalidPage as exc:
        return PageResult(page=page, ok=False, error=str(exc))


def run_issue(
    settings: Settings, paper_id: str, issue_date: date, run_id: str, progress: Any = None, pool: Any = None
) -> IssueRun:
    """The whole pipeline for one issue, without Airflow; a failure raises."""
    for _, outcome in run_issues(settings, paper_id, [issue_date], run_id, pool=pool, progress=progress):
        if isinstance(outcome, Exception):
            raise outcome
        return outcome
    raise AssertionError("unreachable: one date in, one outcome out")


def run_issues(
    settings: Settings,
    paper_id: str,
    days: Iterable[date],
    run_id: str,
    pool: Executor | None = None,
    progress: Any = None,
    lookahead: int | None = None,
    index_window: int = 32,
) -> Iterator[tuple[date, IssueRun | PipelineError]]:
    """The pipeline for many issues (what ``inkstream run`` and a backfill do), one outcome per day,
    in date order.

    With a ``pool`` (one process per core, dictionaries loaded once per worker) the pages of the
    next ``lookahead`` issues (default: a window and two) are processed while this one is published
    and while a window is indexed, on one set of connections.
    Published issues are indexed and verified ``index_window`` at a time: the index sees a burst of
    writes and then a quiet spell, instead of a trickle (a store that persists on a timer while it
    has unsaved writes, as the local test server does, saves once per window rather than once per
    second). Memory stays flat: at most ``lookahead + 1`` issues are in flight, their pages live in
    the staging folder (a future holds a page's small receipt), and a window holds publish
    receipts. A failed issue is reported, not raised, and the run goes on. Documents become
    searchable at the latest after the last issue (one refresh), not after each."""
    days = list(days)
    lookahead = index_window + 2 if lookahead is None else lookahead
    started: deque[tuple[date, list[int] | PipelineError, list[Any]]] = deque()
    window: list[tuple[date, IssueRun | PipelineError, PublishResult | None]] = []

    def start(day: date) -> None:
        try:
            pages = plan_pages(settings, paper_id, day)
        except PipelineError as exc:
            started.append((day, exc, []))
            return
        run_staging(settings, paper_id, day, run_id).clear()
        args = [(settings, paper_id, day, p, run_id) for p in pages]
        futures = [pool.submit(_page_or_failure, *a) for a in args] if pool is not None else args
        started.append((day, pages, futures))

    def flush(conn: Connections, last: bool) -> Iterator[tuple[date, IssueRun | PipelineError]]:
        ready = [(n, p) for n, (_, outcome, p) in enumerate(window) if p is not None]
        outcomes: list[IssueRun | PipelineError] = [outcome for _, outcome, _ in window]
        try:
            indexed = index_issues(settings, [p for _, p in ready], conn=conn) if ready else []
        except PipelineError as exc:
            for n, _ in ready:
                outcomes[n] = exc
            indexed = []
        for k, ((n, published), result) in enumerate(zip(ready, indexed, strict=False)):
            run = outcomes[n]
            assert isinstance(run, IssueRun)
            try:  # searchable after the last issue: one refresh, before the last verification
                run.summary = verify_issue(settings, published, result, conn=conn, refresh=last and k == len(ready) - 1)
            except PipelineError as exc:
                outcomes[n] = exc
        yield from ((day, outcome) for (day, _, _), outcome in zip(window, outcomes, strict=True))
        window.clear()

    ahead = iter(days)
    with Connections(settings) as conn:
        for day in itertools.islice(ahead, lookahead + 1):
            start(day)
        while started:
            day, pages, futures = started.popleft()
            nxt = next(ahead, None)
            if nxt is not None:
                start(nxt)  # keep the workers busy while this issue is published
            if isinstance(pages, PipelineError):
                window.append((day, pages, None))
            else:
                result = IssueRun()
                try:
                    for work in futures:
                        result.pages.append(work.result() if pool is not None else _page_or_failure(*work))
                        if progress is not None:
                            progress()
                    published = publish_issue(settings, paper_id, day, run_id, planned=pages, conn=conn)
                    window.append((day, result, published))
                except PipelineError as exc:
                    window.append((day, exc, None))
            if started and sum(1 for *_, p in window if p is not None) < max(1, index_window):
                continue
            yield from flush(conn, last=not started)
