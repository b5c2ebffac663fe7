"""The report's pure parts: shaping aggregation answers and the embedded font (no servers)."""

from __future__ import annotations

import base64
import io
import re

from fontTools.ttLib import TTFont

from pipeline.indexing.search import report_metric_key
from pipeline.ops import report


def test_pairs_are_unordered_without_self_pairs() -> None:
    buckets = [
        {
            "key": "林一",
            "doc_count": 4,
            "persons": {"buckets": [{"key": "林一", "doc_count": 4}, {"key": "陈二", "doc_count": 2}]},
            "organisations": {"buckets": [{"key": "甲市总工会", "doc_count": 3}]},
        },
        {"key": "陈二", "doc_count": 2, "persons": {"buckets": [{"key": "林一", "doc_count": 2}]}},
        {"key": "甲市总工会", "doc_count": 3, "organisations": {"buckets": [{"key": "甲市总工会", "doc_count": 3}]}},
    ]
    pairs = report.cooccurring_pairs(buckets)
    assert pairs == [("林一", "甲市总工会", 3), ("林一", "陈二", 2)]


def test_metrics_are_grouped_by_unit_and_subject_never_summed() -> None:
    units = [
        {
            "key": "人",
            "doc_count": 3,
            "subjects": {
                "buckets": [
                    {"key": "职工", "doc_count": 2, "low": {"value": 200.0}, "high": {"value": 5000.0}},
                    {"key": "", "doc_count": 1, "low": {"value": 7.0}, "high": {"value": 7.0}},
                ]
            },
        }
    ]
    articles = {
        report_metric_key("人", None): {"doc_count": 2},
        report_metric_key("人", "职工"): {"doc_count": 2},
        report_metric_key("人", ""): {"doc_count": 1},
    }
    assert report.metric_keys(units) == [("人", None), ("人", "职工"), ("人", "")]
    (group,) = report.metric_groups(units, articles)
    assert group["unit"] == "人" and group["articles"] == 2 and group["mentions"] == 3
    assert group["subjects"][0] == {"subject": "职工", "mentions": 2, "articles": 2, "low": 200.0, "high": 5000.0}
    page = report._metrics([group])
    assert "(no subject)" in page and "5,000" in page and "5,207" not in page  # 200 + 5000 + 7 appears nowhere


def test_place_points_take_division_coordinates_and_skip_unknown_names() -> None:
    points = report.place_points([("北京市", 3), ("不存在的地方", 9), ("深圳市", 1)])
    assert [p["name"] for p in points] == ["北京市", "深圳市"]
    beijing = points[0]
    assert 39 < beijing["lat"] < 41 and 115 < beijing["lon"] < 118 and beijing["articles"] == 3


def _data() -> dict:
    return {
        "total": 3,
        "per_day": [("2026-11-18", 1), ("2026-11-19", 2)],
        "persons": [("林一", 2)],
        "organisations": [("甲市总工会", 1)],
        "places": [("北京市", 1)],
        "trends": {
            "days": ["2026-11-18", "2026-11-19"],
            "series": {"persons": {"林一": [1, 1]}, "organisations": {}, "places": {"北京市": [0, 1]}},
        },
        "points": report.place_points([("北京市", 1)]),
        "pairs": [("林一", "甲市总工会", 1)],
        "metrics": [],
        "latest": [{"issue_date": "2026-11-19", "page": 1, "headline": "职工书屋开放", "persons": ["林一"]}],
    }


def test_the_embedded_font_maps_every_character_of_the_page() -> None:
    page = report.render(_data())
    found = re.search(r"base64,([A-Za-z0-9+/=]+)\)", page)
    assert found and "<script" not in page
    font = TTFont(io.BytesIO(base64.b64decode(found.group(1))))
    cmap = font.getBestCmap()
    body = page[page.index("<body>") :]
    cjk = {c for c in body if "\u3000" <= c <= "\u9fff"}
    assert cjk >= set("林一甲市总工会北京职工书屋开放")
    assert not [c for c in cjk if ord(c) not in cmap]
    assert len(cmap) < 400  # a subset, not the 65k-glyph face


def test_render_without_font_has_no_font_face() -> None:
    assert "@font-face" not in report.render(_data(), embed_font=False)
