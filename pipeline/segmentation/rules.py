"""Segmentation rules loaded from ``rules.toml`` (data, not buried constants)."""

from __future__ import annotations

import functools
import re
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict

RULES_FILE = Path(__file__).with_name("rules.toml")


class SegmentationRules(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    max_headline_chars: int
    max_subhead_chars: int
    max_banner_chars: int
    wrap_ratio: float
    min_wrap_width: int
    max_byline_chars: int
    sentence_end: str
    closers: str
    continuation_starts: str
    decorations: str
    paragraph_openers: tuple[str, ...]
    guide_headers: tuple[str, ...]
    outlet_pattern: str
    reporter_roles: tuple[str, ...]
    correspondent_roles: tuple[str, ...]
    unsigned_roles: tuple[str, ...] = ()
    author_credit: str = ""
    author_note: str = ""
    name_pattern: str
    role_qualifier: str = ""
    credit_prefix: str = ""
    credit_suffix: str = ""
    caption_credit: str
    caption_other: tuple[str, ...]
    continuation_marker: str
    editor_note: str
    deck_separators: tuple[str, ...]
    subheadline_prefixes: tuple[str, ...]
    subheadline_suffixes: tuple[str, ...]
    slogan_max_phrase: int
    actor_pattern: str
    affinity_max_df: int
    max_open_articles: int
    scored_window: int = 4
    join_min_score: float
    join_sure_score: float
    join_lookahead_margin: float
    join_lookahead_units: int
    affinity_margin_contiguous: int
    affinity_margin_after_break: int
    banners: tuple[str, ...] = ()

    @classmethod
    def from_file(cls, path: Path = RULES_FILE, **overrides: object) -> SegmentationRules:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
        data.update(overrides)
        return cls.model_validate(data)

    def for_paper(self, banners: tuple[str, ...]) -> SegmentationRules:
        """These rules plus a paper's own section banners (``papers/<id>.toml``)."""
        return self.model_copy(update={"banners": tuple(banners)}) if banners else self

    # compiled patterns -------------------------------------------------------------------
    @functools.cached_property
    def roles_re(self) -> str:
        roles = sorted(self.reporter_roles + self.correspondent_roles, key=len, reverse=True)
        return "|".join(map(re.escape, roles))

    @functools.cached_property
    def dateline(self) -> re.Pattern[str]:
        # 本报讯 / 本报北京11月3日电 / 新华社北京6月1日电, optionally "(记者X 通讯员Y)"
        return re.compile(
            rf"^[{re.escape(self.decorations)}]?\s*据?(?P<head>本报讯|本报综合(?:报道|消息)|本报[^\s（(，,。]{{1,16}}?[讯电]|{self.outlet_pattern}[^\s（(，,。]{{0,16}}?电)"
            r"\s*(?:[（(](?P<credits>[^）)]{0,80})[）)]"
            # or the credit run into the text: 本报讯 记者张三报道：
            rf"|(?P<said>(?:{self.roles_re})[^：:，,。（(]{{1,30}}?报道)\s*[：:])?\s*"
        )

    @functools.cached_property
    def standalone_byline(self) -> re.Pattern[str]:
        name = self.name_pattern
        credit = (
            rf"(?:{self.outlet_pattern})?{self.role_qualifier}(?:{self.roles_re})\s*{name}(?:[\s、，,]+{name})*"
            rf"(?:{self.credit_suffix})?"
        )
        opening = rf"^[{re.escape(self.decorations)}]?\s*[（(]?\s*{self.credit_prefix}"
        credits = rf"{credit}(?:\s+{credit})*"
        if self.unsigned_roles:
            unsigned = "|".join(map(re.escape, sorted(self.unsigned_roles, key=len, reverse=True)))
            credits = rf"(?:{credits}|(?:{self.outlet_pattern}){self.role_qualifier}(?:{unsigned}))"
        return re.compile(rf"{opening}{credits}\s*[)）]?$")

    @functools.cached_property
    def author_re(self) -> re.Pattern[str] | None:
        """文/王某 (names in the group ``names``); None when the paper configures no such credit."""
        if not self.author_credit:
            return None
        name = self.name_pattern
        return re.compile(rf"{self.author_credit}(?P<names>{name}(?:[\s、，,]+{name})*)\s*[)）]?$")

    @functools.cached_property
    def author_note_re(self) -> re.Pattern[str] | None:
        return re.compile(self.author_note) if self.author_note else None

    @functools.cached_property
    def credit_suffix_re(self) -> re.Pattern[str] | None:
        return re.compile(rf"(?:{self.credit_suffix})\s*$") if self.credit_suffix else None

    @functools.cached_property
    def caption_credit_re(self) -> re.Pattern[str]:
        return re.compile(self.caption_credit)

    @functools.cached_property
    def caption_other_re(self) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p) for p in self.caption_other)

    @functools.cached_property
    def marker_re(self) -> re.Pattern[str]:
        return re.compile(self.continuation_marker)

    @functools.cached_property
    def editor_re(self) -> re.Pattern[str]:
        return re.compile(self.editor_note)


DEFAULT_RULES = SegmentationRules.from_file()
