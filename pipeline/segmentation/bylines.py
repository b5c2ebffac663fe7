"""Byline, dateline, caption-credit and title-deck parsing (pure)."""

from __future__ import annotations

import re

from pipeline.models import Byline
from pipeline.segmentation.rules import SegmentationRules

_SPLIT_NAMES = re.compile(r"[\s、，,]+")


def _outlet_kind(outlet: str | None, first_role: str | None) -> str:
    if not outlet or outlet == "本报":
        if first_role and "通讯员" in first_role:
            return "本报通讯员"
        return "本报评论员" if first_role and "评论员" in first_role else "本报记者"
    return outlet


def parse_credits(text: str, rules: SegmentationRules) -> tuple[list[str], list[str], str | None, str | None]:
    """ "记者何远舟 通讯员孙岚" -> (reporters, correspondents, first outlet, first role)."""
    reporters: list[str] = []
    correspondents: list[str] = []
    pattern = re.compile(rf"(?P<outlet>{rules.outlet_pattern})?{rules.role_qualifier}(?P<role>{rules.roles_re})")
    matches = list(pattern.finditer(text))
    first_outlet = matches[0].group("outlet") if matches else None
    first_role = matches[0].group("role") if matches else None
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        credit = text[m.end() : end].strip(" ()（）")
        if rules.credit_suffix_re is not None:  # 张三 文/图, 张三 报道, 张三 发自北京: not names
            credit = rules.credit_suffix_re.sub("", credit)
        names = _names(credit)
        target = correspondents if m.group("role") in rules.correspondent_roles else reporters
        target.extend(names)
    return reporters, correspondents, first_outlet, first_role


def _names(text: str) -> list[str]:
    """The names of a credit, "张三 李四" / "张三、李四"; a two-character name padded to the width
    of three ("张 三") is one name."""
    parts = [n for n in _SPLIT_NAMES.split(text) if n]
    names: list[str] = []
    k = 0
    while k < len(parts):
        if len(parts[k]) == 1 and k + 1 < len(parts) and len(parts[k + 1]) == 1:
            names.append(parts[k] + parts[k + 1])
            k += 2
        else:
            names.append(parts[k])
            k += 1
    return names


def parse_dateline(text: str, rules: SegmentationRules) -> tuple[Byline, int] | None:
    """A paragraph opening with 本报讯 (记者X) / 新华社…电: the byline and where the body starts."""
    m = rules.dateline.match(text)
    if not m:
        return None
    head = m.group("head")
    if head.startswith("本报"):
        kind = "本报讯"
    else:
        outlet = re.match(rules.outlet_pattern, head)
        kind = outlet.group(0) if outlet else head
    reporters, correspondents, _, _ = parse_credits(m.group("credits") or m.group("said") or "", rules)
    return Byline(kind=kind, reporters=reporters, correspondents=correspondents), m.end()


def trailing_credit(text: str, rules: SegmentationRules) -> tuple[list[str], list[str], int] | None:
    """A brief credited at its end, 本报讯 ……。（韩雪） / （记者 韩雪 通讯员 田野）: (reporters,
    correspondents, where the credit starts); None unless the bracket after the last sentence holds
    only credits (roles and names, or one to three names)."""
    m = re.search(r"(?<=[。！？!?”])\s*[（(]\s*(?P<inner>[^（()）]{2,40}?)\s*[）)]$", text)
    if m is None:
        return None
    inner = m.group("inner")
    reporters, correspondents, _, _ = parse_credits(inner, rules)
    if not (reporters or correspondents):
        names = _names(inner)
        if not 1 <= len(names) <= 3 or not all(re.fullmatch(rules.name_pattern, n) and len(n) <= 4 for n in names):
            return None
        reporters = names
    elif not rules.standalone_byline.match(inner):
        return None
    return reporters, correspondents, m.start()


def parse_standalone_byline(text: str, rules: SegmentationRules) -> Byline | None:
    """ "本报记者 周青禾", "本报记者 甲乙 本报通讯员 丙丁", "东海日报记者 王某"."""
    if len(text) > rules.max_byline_chars:
        return None
    if rules.author_note_re is not None and rules.author_note_re.match(text):
        return Byline(kind="作者")  # (作者单位：…) closes an essay: an end credit naming no one new
    if not rules.standalone_byline.match(text):
        author = rules.author_re.match(text) if rules.author_re is not None else None
        return Byline(kind="作者", reporters=_names(author.group("names"))) if author else None
    reporters, correspondents, outlet, role = parse_credits(text.strip("()（）"), rules)
    if not reporters and not correspondents:
        unsigned = re.search("|".join(map(re.escape, rules.unsigned_roles)), text) if rules.unsigned_roles else None
        if unsigned is None:
            return None
        paper = re.search(rules.outlet_pattern, text)  # 本报评论员, 东海日报评论部: the paper speaks
        return Byline(kind=_outlet_kind(paper.group(0) if paper else None, unsigned.group(0)))
    return Byline(kind=_outlet_kind(outlet, role), reporters=reporters, correspondents=correspondents)


def parse_caption(text: str, rules: SegmentationRules) -> tuple[bool, str | None]:
    """(is a caption, photographer names joined by '、')."""
    m = rules.caption_credit_re.search(text)
    if m and len(text) > len(m.group(0)) + 4:
        names = [n for n in _SPLIT_NAMES.split(m.group("names")) if n]
        return True, "、".join(names)
    return any(p.search(text) for p in rules.caption_other_re), None


def split_decks(text: str, rules: SegmentationRules) -> list[str]:
    for sep in rules.deck_separators:
        if sep in text:
            parts = [p.strip() for p in text.split(sep)]
            return [p for p in parts if p]
    return [text.strip()]


def assign_decks(
    decks: list[str], rules: SegmentationRules, separate_lines: bool = False
) -> tuple[str | None, str | None, str | None]:
    """(kicker, headline, subheadline) from one to three decks, by evidence of their shapes.

    ``separate_lines``: the decks were printed as lines of their own; without a subtitle cue the
    upper line is the kicker (引题 sits above the main title)."""
    if not decks:
        return None, None, None
    if len(decks) == 1:
        return None, decks[0], None
    if len(decks) >= 3:
        return decks[0], decks[1], "".join(decks[2:])
    left, right = decks
    if right.startswith(rules.subheadline_prefixes) or right.endswith(rules.subheadline_suffixes):
        return None, left, right  # 副题 cue: ——记…, …见闻, …综述
    phrases = left.split()
    if len(phrases) >= 2 and max(map(len, phrases)) <= rules.slogan_max_phrase:
        return left, right, None  # a slogan kicker: 稳岗位 强技能 优服务
    if re.match(rules.actor_pattern, right) and not re.match(rules.actor_pattern, left):
        return left, right, None  # the news deck names its actor first: 南湖市提高…
    if len(right) > len(left) and not separate_lines:
        return None, left, right
    return left, right, None
