"""Relevance and filters of Chinese search on the Elasticsearch-compatible server, plus reindex."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date

import pytest
from elasticsearch import Elasticsearch

from pipeline.config import Settings
from pipeline.indexing import client
from pipeline.indexing import search as index_search
from pipeline.indexing.search import SearchFilters
from pipeline.runner.backfill import run_issue


@pytest.fixture
def indexed(settings: Settings) -> Iterator[Settings]:
    for day in (date(2026, 11, 18), date(2026, 11, 19), date(2026, 11, 20)):
        run_issue(settings, "grrb", day, f"run-{day}")
    yield settings


def _headlines(settings: Settings, text: str, **filters: str) -> list[str]:
    es = client.make_client(settings.es)
    try:
        return [h["headline"] for h in index_search.search(es, settings.es, text, 10, SearchFilters(**filters))]
    finally:
        es.close()


def test_relevance(indexed: Settings) -> None:
    s = indexed
    # an exact person name
    assert _headlines(s, "吴长河")[0] == "“钢轨医生”的平凡坚守"
    # an organisation by its full name and by the short form used in the text
    by_full = _headlines(s, "江川市总工会")
    assert "“有事找工会,真管用”" in by_full and all("临江" not in h for h in by_full)
    assert _headlines(s, "江川市总")[0] == "“有事找工会,真管用”"  # only that article uses the short form
    # a two-word phrase: the headline hit ranks first
    assert _headlines(s, "职工暖屋")[0] == "小巷暖屋里的工会温度"
    # a word that plain bigrams would split wrongly: 和服 must not match 和服务
    assert _headlines(s, "和服") == []
    # a date-filtered query
    filtered = _headlines(s, "工会", date_from="2026-11-20", date_to="2026-11-20")
    assert filtered and "小巷暖屋里的工会温度" not in filtered
    # facet filters
    assert _headlines(s, "", person="陈立峰", date_from="2026-11-20") == ["“有事找工会,真管用”"]


def test_highlighted_snippets(indexed: Settings) -> None:
    es = client.make_client(indexed.es)
    try:
        [hit, *_] = index_search.search(es, indexed.es, "暖屋")
    finally:
        es.close()
    assert "【暖屋】" in hit["snippet"]


def test_reindex_moves_the_alias_without_losing_documents(indexed: Settings) -> None:
    es = client.make_client(indexed.es)
    try:
        client.refresh(es, indexed.es)
        before = es.count(index=indexed.es.alias)["count"]
        result = client.reindex(es, indexed.es, version=2, drop_old=True)
        assert result["to"] == f"{indexed.es.alias}-v2" and result["copied"] == before
        assert client.alias_target(es, indexed.es) == f"{indexed.es.alias}-v2"
        assert es.count(index=indexed.es.alias)["count"] == before
        assert _headlines(indexed, "吴长河")[0] == "“钢轨医生”的平凡坚守"
        # writes keep going through the alias, to the new index
        run_issue(indexed, "grrb", date(2026, 11, 18), "run-after-reindex")
        client.refresh(es, indexed.es)
        assert es.count(index=f"{indexed.es.alias}-v2")["count"] == before
    finally:
        Elasticsearch(indexed.es.url).options(ignore_status=404).indices.delete(index=f"{indexed.es.alias}-v2")
        es.close()


def test_an_organisation_filter_matches_any_of_its_names(indexed: Settings) -> None:
    """`inkstream search 工会 --org 全国总工会` finds the articles that name 中华全国总工会 (the
    facet holds the canonical; the filter value is normalised through lexicon/aliases.toml)."""
    s = indexed
    full = _headlines(s, "工会", organisation="中华全国总工会")
    every = _headlines(s, "", organisation="中华全国总工会")
    assert full and len(every) >= 3  # three sample articles name it
    for alias in ("全国总工会", "全总"):
        assert sorted(_headlines(s, "工会", organisation=alias)) == sorted(full)
        assert sorted(_headlines(s, "", organisation=alias)) == sorted(every)
    # one canonical per body: 人社部 and 人力资源和社会保障部 filter the same articles
    assert _headlines(s, "", organisation="人社部") == _headlines(s, "", organisation="人力资源和社会保障部") != []
    # the command line, as a user types it
    env = {k: v for k, v in os.environ.items() if not k.startswith("INKSTREAM_")}
    env.update({"INKSTREAM_ES__URL": s.es.url, "INKSTREAM_ES__ALIAS": s.es.alias, "COLUMNS": "250"})
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "search", "工会", "--org", "全国总工会"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert f"{len(full)} hit(s)" in proc.stdout and all(h in proc.stdout for h in full)
    # every alias is indexed in entity_names, for Kibana filters that cannot normalise a value
    es = client.make_client(s.es)
    try:
        client.refresh(es, s.es)
        for name in ("全国总工会", "全总", "中华全国总工会"):
            hits = es.search(index=s.es.alias, query={"term": {"entity_names": name}}, size=20)["hits"]["hits"]
            assert sorted(h["_source"]["headline"] for h in hits) == sorted(_headlines(s, "", organisation=name))
    finally:
        es.close()
