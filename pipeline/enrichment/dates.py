"""Dates normalised against the issue date: 6月1日, 2020年9月21日至25日, 今年1~5月, 5月下旬, 上月,
去年, 前三季度, 明年上半年, 2027年底, 19日, 11月以来.

Vague expressions (近年来, 近日, 日前, 去年同期) are not dates.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import date, timedelta

from pipeline.models import DateMention

_N = r"(?:\d{1,4}|[〇零一二三四五六七八九十]{1,4})"
_Y = r"(?:(?P<y>\d{4}|[〇零一二三四五六七八九]{4})年|(?P<ry>今年|去年|明年|前年|同年|当年))"
_J = r"(?:至|到|~|～|-|—)"
_PART = r"(?P<part>上旬|中旬|下旬|初|底|末)"
_CN = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_REL_YEAR = {"今年": 0, "去年": -1, "明年": 1, "前年": -2, "同年": 0, "当年": 0}
_VAGUE_AFTER = ("同期", "以前", "之前")


def _int(token: str) -> int:
    if token.isdigit():
        return int(token)
    if len(token) == 4 and all(c in _CN for c in token):
        return int("".join(str(_CN[c]) for c in token))
    if token == "十":
        return 10
    if token.startswith("十"):
        return 10 + _CN[token[1]]
    if "十" in token:
        tens, _, ones = token.partition("十")
        return _CN[tens] * 10 + (_CN[ones] if ones else 0)
    return _CN[token]


def _month_end(y: int, m: int) -> date:
    return date(y, m, calendar.monthrange(y, m)[1])


def _part(y: int, m: int, part: str | None) -> tuple[date, date]:
    if part in ("上旬", "初"):
        return date(y, m, 1), date(y, m, 10)
    if part == "中旬":
        return date(y, m, 11), date(y, m, 20)
    if part in ("下旬", "底", "末"):
        return date(y, m, 21), _month_end(y, m)
    return date(y, m, 1), _month_end(y, m)


def _year(m: re.Match[str], issue: date) -> int | None:
    if m.group("y"):
        return _int(m.group("y"))
    if m.group("ry"):
        return issue.year + _REL_YEAR[m.group("ry")]
    return None


def _guess_year(month: int, issue: date) -> int:
    """6月1日 in an issue of 2026-01-05 most likely means last year."""
    return issue.year - 1 if month > issue.month + 1 else issue.year


Span = tuple[date, date] | None
Resolver = Callable[[re.Match[str], date], Span]


def _full(m: re.Match[str], issue: date) -> Span:
    month = _int(m.group("m"))
    year = _year(m, issue) or _guess_year(month, issue)
    if m.group("d"):
        d_from = date(year, month, _int(m.group("d")))
        d_to = d_from
    else:
        d_from, d_to = _part(year, month, m.group("part"))
    if m.group("m2"):
        m2 = _int(m.group("m2"))
        d_to = date(year, m2, _int(m.group("d2"))) if m.group("d2") else _part(year, m2, m.group("part2"))[1]
    elif m.group("d3") or m.group("part3"):
        d_to = date(year, month, _int(m.group("d3"))) if m.group("d3") else _part(year, month, m.group("part3"))[1]
    if m.group("since"):
        d_to = issue
    return d_from, d_to


def _month_range(m: re.Match[str], issue: date) -> Span:
    m1, m2 = _int(m.group("m1")), _int(m.group("m2"))
    year = _year(m, issue) or (issue.year if m2 <= issue.month + 1 else issue.year - 1)
    if not 1 <= m1 <= m2 <= 12:
        return None
    return date(year, m1, 1), _month_end(year, m2)


def _quarters(m: re.Match[str], issue: date) -> Span:
    year = _year(m, issue) or issue.year
    q = m.group("q")
    halves = {"上半年": (1, 6), "下半年": (7, 12)}
    if q in halves:
        a, b = halves[q]
    elif q.startswith("前"):
        a, b = 1, 3 * _int(q[1])
    else:
        n = _int(q.strip("第"))
        a, b = 3 * n - 2, 3 * n
    return date(year, a, 1), _month_end(year, b)


def _year_only(m: re.Match[str], issue: date) -> Span:
    year = _year(m, issue)
    if year is None or (m.group("y") and not 1900 <= year <= 2100):
        return None
    edge = m.group("edge")
    if edge in ("底", "末"):
        return date(year, 12, 1), date(year, 12, 31)
    if edge == "初":
        return date(year, 1, 1), date(year, 1, 31)
    if m.group("since"):
        return date(year, 1, 1), min(issue, date(year, 12, 31))
    return date(year, 1, 1), date(year, 12, 31)


def _day_only(m: re.Match[str], issue: date) -> Span:
    day = _int(m.group("d"))
    if day <= issue.day:
        return date(issue.year, issue.month, day), date(issue.year, issue.month, day)
    prev = issue.replace(day=1) - timedelta(days=1)
    return date(prev.year, prev.month, day), date(prev.year, prev.month, day)


def _relative(m: re.Match[str], issue: date) -> Span:
    word = m.group(0)
    first = issue.replace(day=1)
    if word in ("上月", "上个月"):
        prev = first - timedelta(days=1)
        return prev.replace(day=1), prev
    if word in ("本月", "这个月"):
        return first, _month_end(issue.year, issue.month)
    if word in ("下月", "下个月"):
        nxt = _month_end(issue.year, issue.month) + timedelta(days=1)
        return nxt, _month_end(nxt.year, nxt.month)
    days = {"昨天": -1, "昨日": -1, "今天": 0, "今日": 0, "明天": 1, "明日": 1, "前天": -2}
    if word in days:
        d = issue + timedelta(days=days[word])
        return d, d
    monday = issue - timedelta(days=issue.weekday()) + timedelta(weeks={"上周": -1, "本周": 0, "下周": 1}[word])
    return monday, monday + timedelta(days=6)


_PATTERNS: list[tuple[re.Pattern[str], Resolver]] = [
    (re.compile(rf"{_Y}?(?P<m1>{_N}){_J}(?P<m2>{_N})月(?:份)?"), _month_range),
    (
        re.compile(
            rf"{_Y}?(?P<m>{_N})月(?:份)?(?:(?P<d>{_N})[日号]|{_PART})?"
            rf"(?:{_J}(?:(?P<m2>{_N})月(?:(?P<d2>{_N})[日号]|(?P<part2>上旬|中旬|下旬|初|底|末))?"
            rf"|(?P<d3>{_N})[日号]|(?P<part3>上旬|中旬|下旬|初|底|末)))?(?P<since>以来)?"
        ),
        _full,
    ),
    (re.compile(rf"{_Y}?(?P<q>前[两二三]季度|第?[一二三四]季度|上半年|下半年)"), _quarters),
    (re.compile(rf"{_Y}(?P<edge>底|末|初)?(?P<since>以来)?"), _year_only),
    (re.compile(r"(?<![\d月〇零一二三四五六七八九十])(?P<d>[12]?\d|3[01])日"), _day_only),
    (re.compile(r"上个?月|本月|这个月|下个?月|昨天|昨日|今天|今日|明天|明日|前天|上周|本周|下周"), _relative),
]


def extract_dates(text: str, issue: date) -> list[DateMention]:
    """Longest non-overlapping date expressions, earlier patterns winning ties."""
    found: list[tuple[int, int, date, date]] = []
    for pattern, resolve in _PATTERNS:
        for m in pattern.finditer(text):
            if not m.group(0) or text.startswith(_VAGUE_AFTER, m.end()):
                continue
            if any(s < m.end() and m.start() < e for s, e, _, _ in found):
                continue
            try:
                span = resolve(m, issue)
            except (ValueError, KeyError):
                continue
            if span is not None and span[0] <= span[1]:
                found.append((m.start(), m.end(), *span))
    found.sort()
    return [DateMention(text=text[s:e], start=s, end=e, date_from=a, date_to=b) for s, e, a, b in found]
