"""pydantic v2 models: the single source of truth for the JSON Schemas in ``schemas/``."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from enum import StrEnum
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION: Final = "1"

Span = tuple[int, int]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- input


class PageText(_Model):
    """One page of one issue as the source delivers it (already decoded)."""

    paper: str
    issue_date: date
    page: int = Field(ge=1)
    name: str | None = None
    section: str | None = None
    text: str
    source: str = Field(description="where the page came from (path or URL)")
    encoding: str = "utf-8"
    #: what the text was read from: page text as delivered, or a page PDF's extracted text (the
    #: articles segmented from it record this as their ``source_kind``)
    kind: Literal["text", "pdf"] = "text"

    @classmethod
    def of(
        cls,
        issue: Issue,
        ref: PageRef,
        text: str,
        source: str,
        encoding: str = "utf-8",
        kind: Literal["text", "pdf"] = "text",
    ) -> PageText:
        """The page ``ref`` of ``issue`` with the text a source read from ``source``."""
        return cls(
            paper=issue.paper,
            issue_date=issue.issue_date,
            page=ref.page,
            name=ref.name,
            section=ref.section,
            text=text,
            source=source,
            encoding=encoding,
            kind=kind,
        )


class PageRef(_Model):
    page: int = Field(ge=1)
    file: str
    name: str | None = None
    section: str | None = None


class Issue(_Model):
    paper: str
    issue_date: date
    pages: list[PageRef]

    @property
    def issue_id(self) -> str:
        return issue_id(self.paper, self.issue_date)


# --------------------------------------------------------------------------- segmentation


class Byline(_Model):
    kind: str | None = None
    reporters: list[str] = []
    correspondents: list[str] = []


class Subhead(_Model):
    text: str
    before_paragraph: int = Field(ge=0)


class Article(_Model):
    kicker: str | None = None
    headline: str | None = None
    subheadline: str | None = None
    byline: Byline = Byline()
    paragraphs: list[str] = []
    subheads: list[Subhead] = []
    spans: list[Span] = Field(default=[], description="[start, end) offsets into the page, reading order")
    continued_from: int | None = Field(default=None, description="上接第N版: the page this continues from")
    continued_to: int | None = Field(default=None, description="下转第N版: the page it continues on")
    source_kind: Literal["text", "html", "pdf"] | None = Field(
        default=None,
        description="where the article came from: segmented page text, the site's article page (html), "
        "or the segmented text of the page PDF; absent in events from before this field: text",
    )
    box: tuple[float, float, float, float] | None = Field(
        default=None, description="[x0, y0, x1, y1] of the article on the page image (the site's image map)"
    )


class ArticlePart(_Model):
    """Where one part of an article is printed: its page and [start, end) offsets into that page."""

    page: int = Field(ge=1)
    spans: list[Span] = []


class BlockKind(StrEnum):
    CAPTION = "caption"
    BANNER = "banner"
    READING_GUIDE = "reading_guide"
    EDITOR_NOTE = "editor_note"
    OTHER = "other"


class Block(_Model):
    kind: BlockKind
    text: str
    spans: list[Span] = []
    photographer: str | None = None
    article: int | None = Field(default=None, description="index of the article a reading guide belongs to")


class PageSplit(_Model):
    """What ``inkstream split`` prints."""

    articles: list[Article] = []
    blocks: list[Block] = []
    warnings: list[str] = []


# --------------------------------------------------------------------------- enrichment


class EntityType(StrEnum):
    PER = "PER"
    ORG = "ORG"
    LOC = "LOC"


class Place(_Model):
    adcode: str
    name: str
    province: str | None = None
    city: str | None = None
    county: str | None = None
    lat: float | None = None
    lon: float | None = None


class Entity(_Model):
    text: str
    type: EntityType
    start: int
    end: int
    canonical: str
    place: Place | None = None
    role: Literal["reporter", "correspondent", "photographer"] | None = Field(
        default=None,
        description="a credited person (byline, photo credit); offsets then point into the credits line "
        "at the end of the article text",
    )


class Metric(_Model):
    text: str
    value: int | float
    unit: str
    qualifier: str | None = None
    subject: str | None = None
    start: int
    end: int
    value_to: int | float | None = Field(default=None, description="upper bound of a range (3至5个)")


class DateMention(_Model):
    text: str
    start: int
    end: int
    date_from: date
    date_to: date


class Extraction(_Model):
    """What ``inkstream extract`` prints for one text."""

    entities: list[Entity] = []
    metrics: list[Metric] = []
    dates: list[DateMention] = []


class EntityCount(_Model):
    name: str
    type: EntityType
    count: int


class EnrichedArticle(_Model):
    article_id: str
    issue_id: str
    paper: str
    paper_name: str
    issue_date: date
    page: int
    page_name: str | None = None
    section: str | None = None
    position: int = Field(ge=0, description="order of the article on its page")
    pages: list[int] = Field(
        default=[],
        description="every page the article is printed on, in reading order (下转/上接 jumps joined); "
        "``page`` is the first. Empty in events published before this field: read it as [page]",
    )
    parts: list[ArticlePart] = Field(
        default=[],
        description="the article's spans on each of its pages, in reading order; ``article.spans`` are "
        "the first part's. Empty in events published before this field",
    )
    article: Article
    entities: list[Entity] = []
    entity_counts: list[EntityCount] = []
    metrics: list[Metric] = []
    dates: list[DateMention] = []
    tokens: list[str] = []
    text: str = Field(
        description="the text enrichment offsets point into: headline decks + paragraphs, then a credits "
        "line (记者 … 通讯员 … 摄影 …) when the article has credits"
    )


# --------------------------------------------------------------------------- Kafka events


class ArticleEvent(_Model):
    """Value of ``inkstream.articles``; key = article_id."""

    schema_name: Literal["inkstream.article"] = "inkstream.article"
    schema_version: Literal["1"] = SCHEMA_VERSION
    article_id: str
    issue_id: str
    run_id: str
    produced_at: datetime
    data: EnrichedArticle


class IssueEvent(_Model):
    """Value of ``inkstream.issues``; key = issue_id. Supersedes earlier events for the issue:
    ``article_ids`` is the complete current set, anything else of the issue is stale."""

    schema_name: Literal["inkstream.issue"] = "inkstream.issue"
    schema_version: Literal["1"] = SCHEMA_VERSION
    issue_id: str
    paper: str
    issue_date: date
    run_id: str
    produced_at: datetime
    pages_expected: int
    pages_ok: list[int]
    pages_failed: list[int]
    article_ids: list[str]
    entities: int
    metrics: int


class DeadLetter(_Model):
    """Value of ``inkstream.deadletter``: the whole input, the reason, where it failed."""

    schema_name: Literal["inkstream.deadletter"] = "inkstream.deadletter"
    schema_version: Literal["1"] = SCHEMA_VERSION
    run_id: str
    produced_at: datetime
    stage: Literal["source", "segmentation", "enrichment", "publish", "index"]
    error_type: str
    reason: str
    paper: str | None = None
    issue_date: date | None = None
    page: int | None = None
    key: str | None = None
    original: str | None = Field(default=None, description="the failed input: text, JSON, or base64 bytes")
    original_encoding: Literal["text", "json", "base64"] = "text"
    original_bytes: int | None = Field(default=None, description="size of the whole failed input, in bytes")
    original_truncated: bool = Field(
        default=False, description="``original`` holds only the first bytes (a page above the message size limit)"
    )
    source_topic: str | None = None
    source_partition: int | None = None
    source_offset: int | None = None


# --------------------------------------------------------------------------- ids


def issue_id(paper: str, issue_date: date) -> str:
    return f"{paper}-{issue_date.isoformat()}"


def article_id(paper: str, issue_date: date, page: int, article: Article) -> str:
    """Deterministic: the same article on a re-run gets the same id (Kafka key and ES _id).

    Identity = page + where the article starts on the page + its headline; a re-run with the
    same segmentation overwrites, a changed segmentation yields new ids and the stale ones are
    removed by the issue's superseding event.
    """
    first = min((s for s, _ in article.spans), default=0)
    ident = f"{first}|{article.headline or ''}|{article.paragraphs[0][:20] if article.paragraphs else ''}"
    digest = hashlib.sha1(ident.encode("utf-8")).hexdigest()[:8]
    return f"{issue_id(paper, issue_date)}-p{page:02d}-{digest}"


EVENT_MODELS: dict[str, type[BaseModel]] = {
    "article": ArticleEvent,
    "issue": IssueEvent,
    "deadletter": DeadLetter,
    "split": PageSplit,
    "extraction": Extraction,
}
