"""Dates normalised against the issue date: 6月1日, 2020年9月21日至25日, 今年1~5月, 5月下旬, 上月, 去年.

Vague expressions (近年来, 近日, 日前) are not dates.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from pipeline.models import DateMention

_N = r"(\d{1,4}|[〇零一二三四五六七八九十]{1,4})"
_YEAR = r"(?P<y>\d{4}|[〇零一二三四五六七八九]{4})年|(?P<ry>今年|去年|明年|前年|同年|当年)"
_PATTERN = re.compile(
    rf"(?:(?:{_YEAR}))?(?P<mr1>{_N[1:-1]})(?:至|到|~|～|-|—)(?P<mr2>{_N[1:-1]})月(?:份)?"
    rf"|(?:(?:{_YEAR.replace('?P<y>', '?P<y_>').replace('?P<ry>', '?P<ry_>')})(?:以来)?)?"
    rf"(?:(?P<m>{_N[1:-1]})月(?:份)?"
    rf"(?:(?P<d>{_N[1:-1]})日|(?P<part>上旬|中旬|下旬|初|底|末))?"
    rf"(?:(?P<j>至|到|~|～|-|—)(?:(?P<m2>{_N[1:-1]})月)?(?:(?P<d2>{_N[1:-1]})日|(?P<part2>上旬|中旬|下旬|初|底|末))?(?:份)?)?)?"
    r"|(?P<rel>上月|本月|下月|上个月|这个月|下个月|昨天|昨日|今天|今日|明天|明日|前天|上周|本周|下周|上半年|下半年)"
)
_CN = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def _int(token: str) -> int:
    if token.isdigit():
        return int(token)
    if all(c in _CN for c in token) and len(token) == 4:
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
    end = _month_end(y, m)
    if part in ("上旬", "初"):
        return date(y, m, 1), date(y, m, 10)
    if part == "中旬":
        return date(y, m, 11), date(y, m, 20)
    if part in ("下旬", "底", "末"):
        return date(y, m, 21), end
    return date(y, m, 1), end


def _relative(word: str, issue: date) -> tuple[date, date]:
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
    weeks = {"上周": -1, "本周": 0, "下周": 1}
    if word in weeks:
        monday = issue - timedelta(days=issue.weekday()) + timedelta(weeks=weeks[word])
        return monday, monday + timedelta(days=6)
    if word == "上半年":
        return date(issue.year, 1, 1), date(issue.year, 6, 30)
    return date(issue.year, 7, 1), date(issue.year, 12, 31)  # 下半年


def extract_dates(text: str, issue: date) -> list[DateMention]:
    out: list[DateMention] = []
    for m in _PATTERN.finditer(text):
        if not m.group(0):
            continue
        try:
            span = _resolve(m, issue, text)
        except (ValueError, KeyError):
            continue
        if span is None:
            continue
        start, end, d_from, d_to = span
        out.append(DateMention(text=text[start:end], start=start, end=end, date_from=d_from, date_to=d_to))
    return out


def _resolve(m: re.Match[str], issue: date, text: str) -> tuple[int, int, date, date] | None:
    start, end = m.start(), m.end()
    if m.group("rel"):
        d_from, d_to = _relative(m.group("rel"), issue)
        return start, end, d_from, d_to
    ry = m.group("ry") or m.group("ry_")
    y = m.group("y") or m.group("y_")
    if y:
        year = _int(y)
    elif ry:
        year = issue.year + {"今年": 0, "去年": -1, "明年": 1, "前年": -2, "同年": 0, "当年": 0}[ry]
    else:
        year = None
    if m.group("mr1"):
        m1, m2 = _int(m.group("mr1")), _int(m.group("mr2"))
        if year is None:
            year = issue.year if m2 <= issue.month + 1 else issue.year - 1
        if not 1 <= m1 <= m2 <= 12:
            return None
        return start, end, date(year, m1, 1), _month_end(year, m2)
    month = _int(m.group("m")) if m.group("m") else None
    if month is None:
        if year is None:
            return None
        if text[m.end() : m.end() + 1] == "代" or (y and not 1900 <= year <= 2100):
            return None
        d_from, d_to = date(year, 1, 1), date(year, 12, 31)
        if "以来" in m.group(0):
            d_to = min(issue, d_to) if year <= issue.year else d_to
        return start, end, d_from, d_to
    if not 1 <= month <= 12:
        return None
    if year is None:  # 6月1日 in an issue of 2026-01-05 most likely means last year
        year = issue.year - 1 if month > issue.month + 1 else issue.year
    day = _int(m.group("d")) if m.group("d") else None
    if day is not None:
        d_from = date(year, month, day)
        d_to = d_from
    else:
        d_from, d_to = _part(year, month, m.group("part"))
    if m.group("j"):
        if not (m.group("m2") or m.group("d2") or m.group("part2")):
            end = m.start("j")
        else:
            m2 = _int(m.group("m2")) if m.group("m2") else month
            if m.group("d2"):
                d_to = date(year, m2, _int(m.group("d2")))
            else:
                d_to = _part(year, m2, m.group("part2"))[1]
    if d_to < d_from:
        return None
    return start, end, d_from, d_to
