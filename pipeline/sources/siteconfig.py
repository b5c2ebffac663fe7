"""How a paper's e-paper website is read: ``[site]`` in ``papers/<id>.toml`` (``SiteConfig``) and the
deployment's access to it (``SiteAccess``: base URL and credentials from the environment or an
Airflow connection). Data only: ``pipeline.sources.http`` does the reading."""

from __future__ import annotations

import re
import string
from datetime import date, time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

_FIELDS = {"base", "date", "page", "article"}


class SiteAccess(BaseModel):
    """Where this deployment reaches the site: ``INKSTREAM_SITE__BASE_URL`` (and ``__USERNAME``,
    ``__PASSWORD``), or the Airflow connection ``inkstream_site`` (host, port, schema, login,
    password). A base URL set here wins over the one in the paper's configuration."""

    model_config = ConfigDict(frozen=True)

    base_url: str | None = None
    username: str | None = None
    password: SecretStr | None = None


class SiteSelectors(BaseModel):
    """CSS selectors (as data) for the parts of the site's pages."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: article page: the title decks, byline, body parts (in document order) and jump notes
    kicker: str = ".kicker"
    title: str = "h1"
    subtitle: str = ".subtitle"
    byline: str = ".byline"
    paragraphs: str = ".content p"
    subheads: str = ".content .subhead"
    jump: str = ".jump"
    #: page: the image map's areas (an article's position on the page) and the link to the page PDF
    areas: str = "map area[href]"
    pdf_link: str = "a[href$='.pdf']"


class SiteConfig(BaseModel):
    """``[site]``: URL templates, encoding, when the issue appears, politeness and selectors.

    Templates are ``str.format`` strings with ``{base}`` (the base URL), ``{date}`` (the issue day:
    ``{date:%Y-%m}``), ``{page}`` (``{page:02d}``) and ``{article}`` (the article's id in the URL).
    They build URLs and, read backwards, recognise links: the issue index's links that match
    ``page`` are the issue's pages, a page's links that match ``article`` are its articles."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str | None = None
    #: optional page listing the days the site has (links matching ``issue_index``); without it
    #: ``inkstream run`` with no ``--date`` asks for the issues of the last ``probe_days`` days
    archive: str | None = None
    probe_days: int = Field(default=14, ge=1, le=366)
    issue_index: str
    page: str
    page_pdf: str | None = None
    article: str
    #: "auto": the Content-Type header's charset, then the page's <meta charset>, then UTF-8/GB18030
    encoding: str = "auto"
    #: local time (the paper's time zone) before which the day's issue is not asked for
    appears_at: time | None = None
    #: who we are, in every request (a contact lets the site's operators reach us)
    user_agent: str = "inkstream/0.1 (e-paper ingest; +https://github.com/inkstream/inkstream)"
    connections: int = Field(default=1, ge=1, le=8, description="open connections per host at once")
    rate_per_s: float = Field(default=1.0, gt=0, description="requests per second per host, at most")
    timeout_s: float = Field(default=10.0, gt=0)
    retries: int = Field(default=3, ge=0, le=10, description="retries after a timeout, 429 or 5xx")
    backoff_s: float = Field(default=1.0, ge=0, description="first retry delay; doubles each retry")
    #: a download validated less than this long ago is used again without asking the site
    revalidate_after_s: float = Field(default=300.0, ge=0)
    robots: bool = True
    #: a page's section from its name in the issue index ("01版 要闻" -> "要闻")
    section_pattern: str = r"^\s*第?\s*\d+\s*版\s*[:：]?\s*(?P<section>\S.*?)\s*$"
    jump_to: str = r"下转第\s*(\d+)\s*版"
    jump_from: str = r"上接第\s*(\d+)\s*版"
    selectors: SiteSelectors = SiteSelectors()

    @field_validator("archive", "issue_index", "page", "page_pdf", "article")
    @classmethod
    def _known_fields(cls, value: str | None) -> str | None:
        if value is not None:
            unknown = {f for _, f, _, _ in string.Formatter().parse(value) if f is not None} - _FIELDS
            if unknown:
                raise ValueError(f"unknown template field(s) {sorted(unknown)} in {value!r}; known: {sorted(_FIELDS)}")
        return value

    def url(self, template: str, base: str, issue_date: date | None = None, **fields: Any) -> str:
        return template.format(base=base.rstrip("/"), date=issue_date, **fields)

    def pattern(self, template: str, base: str, issue_date: date | None) -> re.Pattern[str]:
        """The template as a regular expression over absolute URLs: ``page`` and ``article`` become
        named groups, ``date`` matches any day when ``issue_date`` is None."""
        out, seen = ["^"], set[str]()
        for literal, name, spec, _ in string.Formatter().parse(template):
            out.append(re.escape(literal))
            if name is None:
                continue
            if name == "base":
                out.append(re.escape(base.rstrip("/")))
            elif name == "date" and issue_date is not None:
                out.append(re.escape(format(issue_date, spec or "")))
            elif name == "date":
                out.append(_date_regex(spec or "%Y-%m-%d", seen))
            elif name == "page":
                out.append(r"(?P<page>\d+)")
            else:
                out.append(r"(?P<article>[^/?#]+?)")
        out.append("$")
        return re.compile("".join(out))

    @staticmethod
    def matched_date(m: re.Match[str]) -> date | None:
        """The day a ``pattern(..., issue_date=None)`` match names (None if it names no whole day)."""
        parts = m.groupdict()
        try:
            return date(int(parts["Y"]), int(parts["m"]), int(parts["d"]))
        except (KeyError, TypeError, ValueError):
            return None


_DATE_PARTS = {"%Y": r"(?P<Y>\d{4})", "%m": r"(?P<m>\d{2})", "%d": r"(?P<d>\d{2})"}


def _date_regex(spec: str, seen: set[str]) -> str:
    """``%Y-%m`` -> a regex with named groups; a second use of a part must equal the first."""
    out, i = [], 0
    while i < len(spec):
        part = spec[i : i + 2]
        if part in _DATE_PARTS:
            out.append(f"(?P={part[1]})" if part in seen else _DATE_PARTS[part])
            seen.add(part)
            i += 2
        else:
            out.append(re.escape(spec[i]))
            i += 1
    return "".join(out)
