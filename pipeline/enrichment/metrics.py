"""Numbers with units: 620万元 -> 6200000 元; 24万余名 -> 240000 名 (余); 80%以上 -> 80 % (以上)."""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Sequence
from decimal import Decimal

from pipeline.enrichment.numbers import as_json_number, parse_number
from pipeline.enrichment.rules import load_rules
from pipeline.models import Metric

_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[零〇一二两三四五六七八九十百千]+"
_SUBJECT_POS = ("n", "nz", "vn", "nt", "an", "ng", "j", "l")
_AFTER_POS = ("n", "nz", "nt", "ng", "j")


@functools.cache
def _pattern() -> re.Pattern[str]:
    r = load_rules("metrics")
    units = list(r["money_units"]) + r["counters"] + r["percent_units"]
    unit_alt = "|".join(re.escape(u) for u in sorted(units, key=len, reverse=True))
    pre = "|".join(re.escape(q) for q in sorted(r["prefix_qualifiers"], key=len, reverse=True))
    suf = "|".join(re.escape(q) for q in sorted(r["suffix_qualifiers"], key=len, reverse=True))
    joiners = "|".join(re.escape(j) for j in r["range_joiners"])
    return re.compile(
        rf"(?P<pre>{pre})?(?<!\d)(?<!\d[.,])(?P<num>{_NUM})(?P<suf0>余|多)?(?P<scale>千万|百万|万|亿)?(?P<suf1>余|多)?"
        rf"(?:(?P<joiner>{joiners})(?P<num2>{_NUM})(?P<scale2>千万|百万|万|亿)?)?"
        rf"(?P<unit>{unit_alt})(?P<suf2>{suf})?"
    )


def _value(num: str, scale: str | None) -> Decimal:
    return parse_number(num + (scale or ""))


def extract_metrics(text: str, tokens: Sequence[tuple[str, str, int]] | None = None) -> list[Metric]:
    """Find metrics in ``text``; ``tokens`` = (word, pos, start) for subject phrases."""
    r = load_rules("metrics")
    out: list[Metric] = []
    starts = [t[2] for t in tokens] if tokens is not None else []
    for m in _pattern().finditer(text):
        num, unit = m.group("num"), m.group("unit")
        start = m.start("num")
        before = text[max(0, start - 1) : start]
        if before in r["exclude_before"] or text[m.end() : m.end() + 2] in r["exclude_after"]:
            continue
        chinese = not any(c.isdigit() for c in num)
        try:
            value = _value(num, m.group("scale"))
        except (ValueError, ArithmeticError):
            continue
        if chinese and value < 10 and not m.group("scale"):
            continue  # 一个窗口, 两名职工: not a reported figure (docs/entities.md)
        qualifier: str | None = None
        if m.group("pre"):
            qualifier = r["prefix_qualifiers"][m.group("pre")] or None
            if qualifier:
                start = m.start("pre")
        if unit == "年" and (value >= 1000 or text[m.end() : m.end() + 1] in "月度代底初末"):
            continue  # a year (2026年), not a duration
        for suffix in (m.group("suf0"), m.group("suf1"), m.group("suf2")):
            if suffix:
                qualifier = r["suffix_qualifiers"][suffix]
        value_to = None
        if m.group("num2"):
            try:
                value_to = _value(m.group("num2"), m.group("scale2") or m.group("scale"))
            except (ValueError, ArithmeticError):
                continue
        if unit in r["money_units"]:
            factor = Decimal(r["money_units"][unit])
            value *= factor
            value_to = value_to * factor if value_to is not None else None
            unit = "元"
        elif unit == "％":
            unit = "%"
        end = m.end()
        out.append(
            Metric(
                text=text[start:end],
                value=as_json_number(value),
                value_to=as_json_number(value_to) if value_to is not None else None,
                unit=unit,
                qualifier=qualifier,
                subject=_subject(text, start, end, unit, tokens, starts) if tokens is not None else None,
                start=start,
                end=end,
            )
        )
    return _merge_ranges(text, out, tuple(r["range_joiners"]))


def _merge_ranges(text: str, metrics: list[Metric], joiners: tuple[str, ...]) -> list[Metric]:
    """200元至500元: two metrics of one unit joined by 至/到/~ are one range."""
    out: list[Metric] = []
    for m in metrics:
        prev = out[-1] if out else None
        if prev is not None and prev.unit == m.unit and prev.value_to is None and text[prev.end : m.start] in joiners:
            out[-1] = prev.model_copy(update={"value_to": m.value, "end": m.end, "text": text[prev.start : m.end]})
            continue
        out.append(m)
    return out


def _subject(
    text: str, start: int, end: int, unit: str, tokens: Sequence[tuple[str, str, int]], starts: list[int]
) -> str | None:
    """What is counted: the nouns right after the figure (24万余名职工), else up to two before it."""
    after = tokens[bisect.bisect_left(starts, end) :]
    run: list[str] = []
    pos = end
    for word, flag, t_start in after[:4]:
        if t_start != pos or flag == "vn" or (not flag.startswith(_AFTER_POS) and flag != "a"):
            break
        run.append(word)
        pos += len(word)
    if run and unit not in ("元", "%", "个百分点") and (run[-1] or "").strip():
        return "".join(run)
    first_after = bisect.bisect_right(starts, start)  # tokens before that may still end past ``start``
    window = tokens[max(0, first_after - 8) : first_after]  # tokens are contiguous: 8 cover the 6 needed
    before = [t for t in window if t[2] + len(t[0]) <= start][::-1]
    run = []
    for word, flag, _ in before[:6]:
        if flag.startswith(_SUBJECT_POS):
            run.insert(0, word)
        elif run or not flag.startswith(("v", "d", "p", "m", "q", "c")):
            break
        if len(run) == 2:
            break
    return "".join(run) or None
