"""A page's units (its non-blank lines as the extraction gives them) and what their shape says:
the kind of each unit, sentence ends, words across a cut, page numbers in jump markers."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pipeline.models import Byline
from pipeline.segmentation import bylines
from pipeline.segmentation.rules import DEFAULT_RULES, SegmentationRules

UnitKind = Literal["guide_header", "marker", "caption", "editor", "byline", "title", "para"]
_HAN = re.compile(r"[\u4e00-\u9fff]")
_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


@dataclass
class Unit:
    idx: int
    text: str
    start: int
    end: int
    kind: UnitKind = "para"
    byline: Byline | None = None
    photographer: str | None = None


def page_number(token: str) -> int | None:
    if token.isdigit():
        return int(token)
    if token in _CN_DIGITS:
        return _CN_DIGITS[token]
    if token.startswith("十") and len(token) == 2:
        return 10 + _CN_DIGITS.get(token[1], 0)
    if len(token) >= 2 and token[1] == "十":
        return _CN_DIGITS.get(token[0], 0) * 10 + (_CN_DIGITS.get(token[2], 0) if len(token) == 3 else 0)
    return None


#: what a headline may end with for its tone, not as a sentence's end (这个冬天不太冷！, 为何这样火？)
TONE_MARKS = "!?！？"

_TRAILING_NOTE = re.compile(r"[（(][^（()）]{1,40}[）)]\s*$")


def ends_sentence(text: str, rules: SegmentationRules) -> bool:
    """Does the text end a sentence (a closing quote or bracket may follow the stop)? A bracketed
    note after the stop, ……。（完）/ ……。（据新华社）, is no sentence of its own: the stop before it counts."""
    stripped = text.rstrip(rules.closers + " ")
    if stripped and stripped[-1] in rules.sentence_end:
        return True
    if text.endswith(("）", ")")) and (note := _TRAILING_NOTE.search(text)) is not None:
        before = text[: note.start()].rstrip(rules.closers + " ")
        return bool(before) and before[-1] in rules.sentence_end
    return False


def split_units(text: str, rules: SegmentationRules = DEFAULT_RULES) -> list[Unit]:
    """Units with [start, end) offsets of their content: one per block line, except that lines
    hard-wrapped by the extraction are joined back. A new unit starts at an indented line (when
    the block indents its paragraphs: 　　正文), else after a line that ends a sentence or is
    clearly shorter than the block's lines."""
    blocks: list[list[tuple[str, int, int, bool]]] = [[]]
    pos = 0
    for line in text.splitlines(keepends=True):
        content = line.rstrip("\r\n")
        stripped = content.strip()
        if stripped:
            lead = content[: len(content) - len(content.lstrip())]
            indented = "\u3000" in lead or len(lead) >= 2
            blocks[-1].append((stripped, pos + len(lead), pos + len(lead) + len(stripped), indented))
        elif blocks[-1]:
            blocks.append([])
        pos += len(line)
    units: list[Unit] = []
    for block in blocks:
        if not block:
            continue
        indent_style = any(indented for _, _, _, indented in block[1:])
        width = max(len(t) for t, _, _, _ in block)
        group = [block[0]]
        for entry in block[1:]:
            prev = group[-1][0]
            full = len(prev) >= rules.wrap_ratio * width
            if indent_style:  # paragraphs start indented; wrapped lines are full width
                join = (
                    not entry[3]
                    and full
                    and (group[0][3] or len(group) > 1 or not is_title_like(group[0][0], rules))
                    and not (ends_sentence(prev, rules) and is_title_like(entry[0], rules))
                )
            else:
                join = width >= rules.min_wrap_width and full and not ends_sentence(prev, rules)
            if join:
                group.append(entry)
            else:
                units.append(Unit(len(units), "".join(t for t, _, _, _ in group), group[0][1], group[-1][2]))
                group = [entry]
        units.append(Unit(len(units), "".join(t for t, _, _, _ in group), group[0][1], group[-1][2]))
    return units


def classify(unit: Unit, rules: SegmentationRules) -> UnitKind:
    text = unit.text
    compact = re.sub(r"\s+", "", text).strip(":：")
    # a box header as papers print it: 阅读提示, ■阅读提示, 【导读】, 编者按：
    if compact.strip(rules.decorations + "【】[]〖〗「」:：") in rules.guide_headers:
        return "guide_header"
    if rules.marker_re.fullmatch(text):
        return "marker"
    if len(text) <= 40 and rules.editor_re.match(text):
        return "editor"
    byline = bylines.parse_standalone_byline(text, rules)
    if byline:
        unit.byline = byline
        return "byline"
    is_caption, photographer = bylines.parse_caption(text, rules)
    if is_caption:
        unit.photographer = photographer
        return "caption"
    if is_title_like(text, rules):
        return "title"
    return "para"


def is_title_like(text: str, rules: SegmentationRules) -> bool:
    if len(text) > rules.max_headline_chars or "。" in text:
        return False
    if text[0] in rules.continuation_starts:
        return False
    outside_quotes = re.sub(r"“[^”]*”|\"[^\"]*\"", "", text)
    if sum(outside_quotes.count(c) for c in ",，;；") >= 2:
        return False  # a clause list: a cut paragraph, not a headline
    stripped = text.rstrip(rules.closers + " ")
    return bool(stripped) and stripped[-1] not in rules.sentence_end + ",，:：、"


def titles_before_a_story(units: Sequence[Unit], rules: SegmentationRules) -> None:
    """A line the shape test reads as text but that sits right above a story's opening (its byline,
    or a 本报讯 dateline) is its title when it is short and no sentence: headlines that exclaim or
    ask (这个冬天不太冷！, 职工书屋为何这样火？) or list clauses (稳就业，促发展，工会在行动). A cut
    paragraph's fragment above another story's byline ends in a comma, or runs longer, or holds a 。."""
    for unit, after in itertools.pairwise(units):
        if unit.kind != "para" or len(unit.text) > rules.max_subhead_chars + 6 or "。" in unit.text:
            continue
        if not (
            (after.kind == "byline" and after.text[0] not in "(（") or rules.dateline.match(after.text) is not None
        ):
            continue
        stripped = unit.text.rstrip(rules.closers + " ")
        if stripped and (stripped[-1] in TONE_MARKS or "\u4e00" <= stripped[-1] <= "\u9fff"):
            unit.kind = "title"


def join_byline_lines(units: list[Unit]) -> list[Unit]:
    """A credit printed on two lines (本报记者 甲 / 本报通讯员 乙) is one byline: adjacent byline
    units, neither an end credit, become one unit (its text the two joined by a space)."""
    if not any(a.kind == b.kind == "byline" for a, b in itertools.pairwise(units)):
        return units
    out: list[Unit] = []
    for unit in units:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.kind == unit.kind == "byline"
            and prev.byline is not None
            and unit.byline is not None
            and prev.text[0] not in "(（"
            and unit.text[0] not in "(（"
        ):
            merged = Byline(
                kind=prev.byline.kind,
                reporters=prev.byline.reporters + unit.byline.reporters,
                correspondents=prev.byline.correspondents + unit.byline.correspondents,
            )
            out[-1] = Unit(prev.idx, f"{prev.text} {unit.text}", prev.start, unit.end, "byline", merged)
            continue
        out.append(Unit(len(out), unit.text, unit.start, unit.end, unit.kind, unit.byline, unit.photographer))
    return out


def _trigrams(text: str) -> list[str]:
    """Character trigrams of the Han text (names and terms repeat within an article)."""
    han = "".join(_HAN.findall(text))
    return [han[i : i + 3] for i in range(len(han) - 2)]


def word_crosses_cut(left: str, right: str) -> bool:
    """Does a jieba word run across the cut? (…帮扶资 ‖ 金460万元 -> 资金)."""
    if not (left and right and _HAN.match(left[-1]) and _HAN.match(right[0])):
        return False
    from pipeline.text.tokenizer import plain_tokenizer

    tail, head = left[-3:], right[:3]
    pos = 0
    for word in plain_tokenizer().cut(tail + head, HMM=False):
        if pos < len(tail) < pos + len(word) and len(word) >= 2:
            return True
        pos += len(word)
    return False


def merge_spans(units: list[Unit]) -> list[tuple[int, int]]:
    """Reading-order units -> spans; units adjacent on the page and in reading order merge."""
    spans: list[tuple[int, int]] = []
    prev: Unit | None = None
    for unit in units:
        if prev is not None and unit.idx == prev.idx + 1:
            spans[-1] = (spans[-1][0], unit.end)
        else:
            spans.append((unit.start, unit.end))
        prev = unit
    return spans
