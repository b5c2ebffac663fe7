"""Metrics, dates, entities and numerals on hand-written sentences."""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.enrichment import extract
from pipeline.enrichment.dates import extract_dates
from pipeline.enrichment.metrics import extract_metrics
from pipeline.enrichment.numbers import parse_chinese, parse_number

ISSUE = date(2026, 11, 20)


@pytest.mark.parametrize(
    ("text", "value", "unit", "qualifier"),
    [
        ("发放帮扶资金620万元", 6_200_000, "元", None),
        ("惠及24万余名职工", 240_000, "名", "余"),
        ("覆盖两千名职工", 2000, "名", None),
        ("吸纳三万余人", 30_000, "人", "余"),
        ("投入1.5亿元", 150_000_000, "元", None),
        ("建成十多个站点", 10, "个", "多"),
        ("入会率80%以上", 80, "%", "以上"),
        ("不低于15%", 15, "%", "不低于"),
        ("提高3个百分点", 3, "个百分点", None),
        ("参与职工近600人次", 600, "人次", "近"),
        ("完成率超过90%", 90, "%", "超过"),
        ("累计为3,800余名困难职工", 3800, "名", "余"),
    ],
)
def test_metric_values_are_normalised(text: str, value: float, unit: str, qualifier: str | None) -> None:
    [m] = extract_metrics(text)
    assert (m.value, m.unit, m.qualifier) == (value, unit, qualifier)
    assert text[m.start : m.end] == m.text


def test_ranges_and_non_metrics() -> None:
    [m] = extract_metrics("每家驿站配备3至5个导师")
    assert (m.value, m.value_to, m.unit) == (3, 5, "个")
    assert extract_metrics("“十四五”时期召开第一次代表大会,打造15分钟服务圈,一个窗口办好") == []


def test_subjects_say_what_is_counted() -> None:
    ex = extract("发放帮扶资金460万元,首批200名职工报名参加。", ISSUE)
    assert [(m.value, m.subject) for m in ex.metrics] == [(4_600_000, "帮扶资金"), (200, "职工")]


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("6月1日", "2026-06-01", "2026-06-01"),
        ("2020年9月21日至25日", "2020-09-21", "2020-09-25"),
        ("今年1~5月", "2026-01-01", "2026-05-31"),
        ("5月下旬", "2026-05-21", "2026-05-31"),
        ("上月", "2026-10-01", "2026-10-31"),
        ("去年", "2025-01-01", "2025-12-31"),
        ("今年以来", "2026-01-01", "2026-11-20"),
    ],
)
def test_dates_resolve_against_the_issue_date(text: str, start: str, end: str) -> None:
    [d] = extract_dates(text, ISSUE)
    assert (d.date_from.isoformat(), d.date_to.isoformat()) == (start, end)


def test_vague_time_is_not_a_date() -> None:
    assert extract_dates("近年来,近日,日前,3个月", ISSUE) == []


def test_entities_with_aliases_resolved_in_the_article() -> None:
    text = "贵州省总工会近日召开会议。省总有关负责人表示,江川市总工会副主席陈立峰介绍了经验。贵阳市职工参加。"
    ex = extract(text, ISSUE)
    found = {(e.text, e.type.value, e.canonical) for e in ex.entities}
    assert ("贵州省总工会", "ORG", "贵州省总工会") in found
    assert ("省总", "ORG", "贵州省总工会") in found
    assert ("江川市总工会", "ORG", "江川市总工会") in found
    assert ("陈立峰", "PER", "陈立峰") in found
    loc = next(e for e in ex.entities if e.text == "贵阳市")
    assert loc.type.value == "LOC" and loc.place is not None and loc.place.province == "贵州省"
    assert loc.place.lat is not None and loc.place.lon is not None
    for e in ex.entities:
        assert text[e.start : e.end] == e.text


def test_chinese_numerals() -> None:
    assert parse_chinese("两千三百") == 2300
    assert parse_chinese("十五") == 15
    assert parse_chinese("三万四千") == 34000
    assert parse_number("1.5亿") == 150_000_000


def test_lac_backend_finds_entities_with_exact_offsets() -> None:
    text = "贵州省总工会副主席刘建平说,省总将与中国石油大庆油田合作。"
    ex = extract(text, ISSUE, backend="lac")
    found = {(e.text, e.type.value, e.canonical) for e in ex.entities}
    assert ("贵州省总工会", "ORG", "贵州省总工会") in found and ("刘建平", "PER", "刘建平") in found
    assert ("中国石油大庆油田", "ORG", "中国石油大庆油田") in found
    assert ("省总", "ORG", "贵州省总工会") in found
    assert all(text[e.start : e.end] == e.text for e in ex.entities)
