"""The article bank the page generator composes from: the project's own articles
(tests/golden/corpus/), split by article into fit and held-out text."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Literal

BANK_DIR = Path(__file__).resolve().parents[2] / "tests" / "golden" / "corpus"


TextSplit = Literal["fit", "heldout"]


@dataclass(frozen=True)
class BankArticle:
    id: str
    split: TextSplit
    genre: str  # brief | news | feature | interview | commentary | photo
    headline: str = ""
    kicker: str = ""
    subheadline: str = ""
    kind: str = ""  # 本报讯 / 本报记者 / 本报通讯员 / 本报评论员 / an outlet (新华社, 南湖日报)
    dateline: str = ""  # printed dateline when it differs from kind (新华社北京11月3日电)
    reporters: tuple[str, ...] = ()
    correspondents: tuple[str, ...] = ()
    guide: str = ""
    banner: tuple[str, ...] = ()  # series banner phrases printed above the article
    body: tuple[str, ...] = ()  # paragraphs; "## text" is an in-article section head
    caption: str = ""  # a photo printed with the article (photo news: the whole item)
    photographers: tuple[str, ...] = ()
    credit: str = ""  # how the credit is printed: "" (X摄), 本报记者, 通讯员, or "/agency"
    alt_headlines: tuple[str, ...] = ()  # other headline styles (headline_styles.toml)

    @property
    def paragraphs(self) -> list[str]:
        return [p for p in self.body if not p.startswith("## ")]

    @property
    def chars(self) -> int:
        parts = [self.kicker, self.headline, self.subheadline, self.guide, self.caption, *self.body]
        return sum(len(p.removeprefix("## ")) for p in parts)


@dataclass(frozen=True)
class Bank:
    articles: tuple[BankArticle, ...]
    columns: tuple[str, ...]  # column banners (栏目) of the pages: 基层传真, 一线故事 …
    editors: tuple[str, ...]

    def pool(self, split: TextSplit, *genres: str) -> list[BankArticle]:
        return [a for a in self.articles if a.split == split and (not genres or a.genre in genres)]


def _as_tuple(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,) if value else ()
    return tuple(str(v) for v in value or ())  # type: ignore[attr-defined]


@cache
def load_bank(directory: Path = BANK_DIR) -> Bank:
    articles: list[BankArticle] = []
    columns: list[str] = []
    editors: list[str] = []
    alts: dict[str, tuple[str, ...]] = {}
    for path in sorted(directory.glob("*.toml")):
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        columns.extend(data.get("columns", ()))
        editors.extend(data.get("editors", ()))
        alts.update({k: _as_tuple(v) for k, v in data.get("alt_headlines", {}).items()})
        for raw in data.get("article", ()):
            fields = {k: v for k, v in raw.items()}
            for key in ("reporters", "correspondents", "banner", "body", "photographers"):
                if key in fields:
                    fields[key] = _as_tuple(fields[key])
            articles.append(BankArticle(**fields))
    ids = [a.id for a in articles]
    if len(ids) != len(set(ids)):
        raise ValueError("article bank: duplicate ids")
    if unknown := set(alts) - set(ids):
        raise ValueError(f"article bank: headline styles for unknown articles {sorted(unknown)}")
    articles = [replace(a, alt_headlines=alts[a.id]) if a.id in alts else a for a in articles]
    for a in articles:
        if a.split not in ("fit", "heldout"):
            raise ValueError(f"{a.id}: split must be fit or heldout")
        if a.genre != "photo" and (not a.headline or not a.paragraphs):
            raise ValueError(f"{a.id}: an article needs a headline and paragraphs")
        if a.genre == "photo" and not (a.caption and a.photographers):
            raise ValueError(f"{a.id}: photo news needs a caption and a photographer")
        if any(
            c in p for p in (a.headline, a.kicker, a.subheadline, *a.body, a.caption, *a.alt_headlines) for c in "|{}«»"
        ):
            raise ValueError(f"{a.id}: markup characters in the text")
    return Bank(tuple(articles), tuple(dict.fromkeys(columns)), tuple(dict.fromkeys(editors)))


def bank_texts(split: TextSplit = "fit", bank: Bank | None = None) -> list[str]:
    """The running text of one split's articles (titles, guide, paragraphs, section heads, caption),
    e.g. to train a language model on the fit split without reading held-out text."""
    bank = bank or load_bank()
    out = []
    for a in bank.articles:
        if a.split == split:
            parts = [a.kicker, a.headline, a.subheadline, a.guide, *(p.removeprefix("## ") for p in a.body), a.caption]
            out.append("\n".join(p for p in parts if p))
    return out
