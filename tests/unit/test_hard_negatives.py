"""Precision where users look: fragments never become entities, whatever the default backend is."""

from __future__ import annotations

import tomllib
from collections import Counter
from datetime import date

import pytest

from pipeline.enrichment import enrich_article, extract
from pipeline.enrichment.fragments import _has_org_shape, drop_fragments
from pipeline.models import Entity, EntityType, PageText
from pipeline.segmentation import segment_page
from tests.conftest import ROOT

DATA = tomllib.loads((ROOT / "tests" / "golden" / "hard_negatives.toml").read_text(encoding="utf-8"))
CASES = DATA["case"]
ISSUE = date(2026, 11, 20)


def _candidate(text: str, name: str, kind: str) -> Entity:
    start = text.find(name) if name in text else 0
    context = text if name in text else name
    return Entity(
        text=context[start : start + len(name)],
        type=EntityType(kind),
        start=start,
        end=start + len(name),
        canonical=name,
    )


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:8] for c in CASES])
def test_the_filter_drops_every_hard_negative(case: dict) -> None:
    text = case["text"]
    for name, kind in case["negatives"]:
        kept = drop_fragments(text, [_candidate(text, name, kind)])
        assert all(e.text != name for e in kept), (name, kind, kept)
        assert all(text[e.start : e.end] == e.text for e in kept)


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:8] for c in CASES])
def test_the_default_backend_outputs_no_hard_negative(case: dict) -> None:
    got = extract(case["text"], ISSUE).entities
    negatives = {name for name, _ in case["negatives"]}
    assert not [e for e in got if e.text in negatives or e.canonical in negatives], got


def test_names_survive_the_filter() -> None:
    for name, kind in DATA["positives"]:
        kept = drop_fragments(name, [_candidate(name, name, kind)])
        assert [e.text for e in kept] == [name], (name, kind)


def test_trimming_keeps_the_organisation_behind_a_predicate() -> None:
    text = "张伟代表深圳市腾讯计算机系统有限公司发言。"
    [org] = drop_fragments(text, [_candidate(text, "代表深圳市腾讯计算机系统有限公司", "ORG")])
    assert (org.text, org.start) == ("深圳市腾讯计算机系统有限公司", 4)
    text = "青山县人社局联合县总工会开展招聘。"
    parts = drop_fragments(text, [_candidate(text, "青山县人社局联合县总工会", "ORG")])
    assert [p.text for p in parts] == ["青山县人社局", "县总工会"]


def test_top_entities_of_the_sample_issues_are_names() -> None:
    """The top-10 persons / organisations / places over the sample issues (what the demo report
    and Kibana bars show) hold no hard negative, and each is still kept when proposed alone."""
    counts: dict[EntityType, Counter[str]] = {t: Counter() for t in EntityType}
    for path in sorted((ROOT / "samples" / "issues").glob("*/*/*.txt")):
        page_text = path.read_text(encoding="utf-8")
        page = PageText(
            paper=path.parts[-3],
            issue_date=date.fromisoformat(path.parts[-2]),
            page=int(path.stem),
            text=page_text,
            source=str(path),
        )
        for n, art in enumerate(segment_page(page_text).articles):
            enriched = enrich_article(art, page, n, "sample")
            for kind in EntityType:
                counts[kind].update({e.canonical for e in enriched.entities if e.type is kind})
    negatives = {name for case in CASES for name, _ in case["negatives"]} | {"成长", "法律咨询"}
    assert sum(counts[EntityType.PER].values()) >= 20 and sum(counts[EntityType.ORG].values()) >= 20
    for kind, counter in counts.items():
        for name, _ in counter.most_common(10):
            assert name not in negatives, (kind, name)
            assert [e.text for e in drop_fragments(name, [_candidate(name, name, kind.value)])] == [name], (kind, name)
            if kind is EntityType.PER:  # a name, not a phrase: 2-4 characters or a foreign name
                assert 2 <= len(name) <= 4 or "·" in name, name
            if kind is EntityType.ORG:  # ends like an organisation (suffix, short form) or is a known one
                assert _has_org_shape(name), name
