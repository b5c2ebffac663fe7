"""The steps of one issue, written once: plan → process each page → publish → index → verify.

The CLI's ``run`` (through ``runner.backfill``), each Airflow task (through ``runner.tasks``), the
dead-letter replay and the demo call these. Each reads its input (the source, the staging area,
the published offsets), calls the pure core (segmentation, enrichment, continuations) and returns
a small receipt (page numbers, offsets, counts) that crosses process and task boundaries."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from pipeline.clock import now
from pipeline.config import Settings, load_paper
from pipeline.errors import CountMismatch, InvalidPage, PipelineError, SourceNotReady
from pipeline.indexing import client
from pipeline.indexing.registry import IssueJob, index_replacing
from pipeline.models import (
    Article,
    ArticleEvent,
    DeadLetter,
    EnrichedArticle,
    Issue,
    IssueEvent,
    PageRef,
    PageText,
    issue_id,
)
from pipeline.publishing.deadletters import kafka_sink
from pipeline.publishing.producer import send_all
from pipeline.publishing.records import article_record, issue_record
from pipeline.runner.connections import Connections, connections
from pipeline.runner.staging import run_staging
from pipeline.sources import ArticleSource, Source, source_for

if TYPE_CHECKING:
    from pipeline.continuations import JoinReport

log = logging.getLogger(__name__)


# ------------------------------------------------------------------------------ plan


def issue_ready(settings: Settings, paper_id: str, issue_date: date) -> bool:
    paper = load_paper(settings, paper_id)
    return source_for(settings, paper).is_ready(paper.id, issue_date)


def plan_issue(settings: Settings, paper_id: str, issue_date: date) -> Issue:
    """The issue's pages as the source lists them; ``SourceNotReady`` while it is not out."""
    paper = load_paper(settings, paper_id)
    src = source_for(settings, paper)
    if not src.is_ready(paper.id, issue_date):
        raise SourceNotReady(f"{paper.id} {issue_date}: no pages in {src.where(paper.id, issue_date)}")
    return src.get_issue(paper.id, issue_date)


def plan_pages(settings: Settings, paper_id: str, issue_date: date) -> list[int]:
    """The page numbers of ``plan_issue`` (what the DAG maps its page tasks over)."""
    return [p.page for p in plan_issue(settings, paper_id, issue_date).pages]


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


def process_page(
    settings: Settings, paper_id: str, issue_date: date, page: int, run_id: str, issue: Issue | None = None
) -> PageResult:
    """Decode, segment and enrich one page into the run's staging (``page-NN.jsonl``).

    ``issue``: the planned issue when the caller has it (a backfill plans each issue once; a DAG
    page task, a process of its own, lists it again). A bad page is dead-lettered (whole input +
    reason) and raised as ``InvalidPage``: the caller fails that page only.
    """
    from pipeline.enrichment import enrich_article
    from pipeline.enrichment.resolve import caption_credits
    from pipeline.segmentation import DEFAULT_RULES, segment_page

    paper = load_paper(settings, paper_id)
    src = source_for(settings, paper)
    issue = issue if issue is not None else src.get_issue(paper.id, issue_date)
    ref = next((p for p in issue.pages if p.page == page), None) or PageRef(page=page, file=f"{page:02d}.txt")
    staged = run_staging(settings, paper.id, issue_date, run_id)
    label = f"{paper.id}/{issue_date}/{page:02d}"
    stage = "source"
    try:
        text = src.read_page(issue, ref)
        stage = "segmentation"
        given = src.read_split(issue, ref, text) if isinstance(src, ArticleSource) else None
        if given is None:  # segmented here, from the page's text
            split = segment_page(text.text, DEFAULT_RULES.for_paper(paper.banners))
            split = split.model_copy(
                update={"articles": [a.model_copy(update={"source_kind": text.kind}) for a in split.articles]}
            )
        else:
            split = given
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
    kafka_sink(settings.kafka)([letter])


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
        page = PageText(
            paper=first.paper,
            issue_date=first.issue_date,
            page=first.page,
            name=first.page_name,
            section=first.section,
            text="",
            source="(joined across pages)",
        )
        # photo credits found on each page stay credited on the joined article
        photographers = [e.text for p in parts for e in p.entities if getattr(e, "role", None) == "photographer"]
        extra: dict[str, Any] = {"photographers": photographers} if photographers else {}
        return enrich_article(merged, page, first.position, first.paper_name, settings.enrichment_backend, **extra)

    articles, report = join_issue(load_staged(settings, paper_id, issue_date, run_id), reenrich)
    if report.unpaired:
        log.warning(
            "%s/%s: %d jump marker(s) without their other part: %s",
            paper_id,
            issue_date,
            report.unpaired,
            ", ".join(report.unpaired_ids),
        )
    return articles, report


def publish_issue(
    settings: Settings,
    paper_id: str,
    issue_date: date,
    run_id: str,
    planned: list[int] | None = None,
    conn: Connections | None = None,
) -> PublishResult:
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
    issue indexed and this one no longer has (``indexing.registry``)."""
    return index_issues(settings, [published], conn)[0]


def index_issues(
    settings: Settings, published: list[PublishResult], conn: Connections | None = None
) -> list[IndexResult]:
    """``index_issue`` for several issues with one replay pass (a backfill window)."""
    jobs = [IssueJob(p.issue_id, tuple(p.article_ids), p.offsets, p.run_id) for p in published]
    with connections(settings, conn) as c:
        done = index_replacing(settings, jobs, c)
    return [
        IndexResult(p.issue_id, r.consumed, r.indexed, r.dead_lettered, removed)
        for p, (r, removed) in zip(published, done, strict=True)
    ]


def verify_issue(
    settings: Settings,
    published: PublishResult,
    indexed: IndexResult,
    conn: Connections | None = None,
    refresh: bool = True,
) -> dict[str, Any]:
    """Every published article not dead-lettered is in the index (real-time ``mget`` by id); the
    run summary goes to the log and ``summary.json``. ``refresh``: make them searchable now."""
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
        summary
    )
    return summary
