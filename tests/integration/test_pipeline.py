"""The pipeline stages end to end against real Kafka-protocol and Elasticsearch-compatible servers."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from pipeline.config import Settings
from pipeline.indexing import client
from pipeline.indexing import search as index_search
from pipeline.models import DeadLetter
from pipeline.publishing.consumer import iter_topic
from pipeline.runner.backfill import run_issue
from pipeline.runner.steps import load_issue
from tests.conftest import copy_sample_issue
from tests.faultmatrix import audit

DAY = date(2026, 11, 18)


def _with_source(settings: Settings, root: Path) -> Settings:
    return settings.model_copy(update={"source_root": root})


def _ids(settings: Settings) -> set[str]:
    es = client.make_client(settings.es)
    try:
        client.refresh(es, settings.es)
        res = es.search(index=settings.es.alias, query={"term": {"issue_id": f"grrb-{DAY}"}}, size=100)
        return {h["_id"] for h in res["hits"]["hits"]}
    finally:
        es.close()


def test_run_issue_publishes_indexes_and_makes_articles_searchable(settings: Settings) -> None:
    result = run_issue(settings, "grrb", DAY, "run-1")
    summary = result.summary
    assert summary["pages_ok"] == 4 and summary["pages_failed"] == []
    assert summary["articles"] == summary["in_index"] == summary["indexed"] > 0
    assert summary["entities"] > 0 and summary["metrics"] > 0
    es = client.make_client(settings.es)
    try:
        hits = list(index_search.search(es, settings.es, "快递员"))
        assert any("快递" in (h["headline"] or "") for h in hits)
        doc = es.get(index=settings.es.alias, id=hits[0]["article_id"])["_source"]
        assert doc["paper_name"] == "工人日报" and doc["issue_date"] == DAY.isoformat()
        assert doc["tokens"] and doc["body"]
    finally:
        es.close()


def test_rerun_is_idempotent_and_removes_stale_articles(settings: Settings, tmp_path: Path) -> None:
    root = copy_sample_issue(tmp_path, DAY)
    s = _with_source(settings, root)
    first = run_issue(s, "grrb", DAY, "run-1").summary
    before = _ids(s)
    again = run_issue(s, "grrb", DAY, "run-2").summary
    assert _ids(s) == before and again["in_index"] == first["in_index"]
    # a newer segmentation of the same issue: page 4 no longer yields its articles
    (root / "grrb" / DAY.isoformat() / "04.txt").write_text(
        "临江区举办职工篮球联赛\n\n本报讯 近日,比赛开幕。\n", encoding="utf-8"
    )
    third = run_issue(s, "grrb", DAY, "run-3").summary
    after = _ids(s)
    assert third["stale_removed"] > 0
    assert len(after) == third["articles"] == third["in_index"]
    assert not any(i.startswith(f"grrb-{DAY}-p04") for i in before - after) or third["stale_removed"] >= 1
    audit(
        s,
        "re-run of a day after its segmentation changed",
        [f"grrb-{DAY}"],
        _published(s, "run-3"),
        handling="the issue registry names the earlier run's ids; the stale ones are deleted by id",
    )


def _published(s: Settings, run_id: str) -> list[str]:
    return [a.article_id for a in load_issue(s, "grrb", DAY, run_id)[0]]


def test_an_article_jumping_pages_is_one_document_with_both_pages(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """让快递小哥住得安心 starts on page 1 (下转第3版) and ends on page 3 (上接第1版)."""
    import pipeline.continuations as continuations
    from pipeline.models import ArticleEvent

    headline = "让快递小哥住得安心"
    es = client.make_client(settings.es)
    try:
        # an index created before the template had ``pages`` (strict mapping): the field is added
        old = client.load_template(settings.es)["template"]
        del old["mappings"]["properties"]["pages"]
        es.indices.create(index=settings.es.index_name, settings=old["settings"], mappings=old["mappings"])
        es.indices.put_alias(index=settings.es.index_name, name=settings.es.alias, is_write_index=True)
        # an earlier run that did not join the parts indexed the page-3 part on its own
        with monkeypatch.context() as m:
            m.setattr(continuations, "join_issue", lambda arts, _: (list(arts), continuations.JoinReport()))
            split = run_issue(settings, "grrb", DAY, "run-split").summary
        client.refresh(es, settings.es)
        hits = [h for h in index_search.search(es, settings.es, "快递小哥") if h["headline"] == headline]
        assert sorted(h["page"] for h in hits) == [1, 3]
        second = next(h["article_id"] for h in hits if h["page"] == 3)

        joined = run_issue(settings, "grrb", DAY, "run-joined").summary
        assert joined["jumps_joined"] == 1 and joined["jumps_unpaired"] == 0
        assert joined["articles"] == joined["in_index"] == split["articles"] - 1  # the ledger counts it once
        assert joined["stale_removed"] == 1  # the page-3 part's id, named by the issue registry
        client.refresh(es, settings.es)
        [hit] = [h for h in index_search.search(es, settings.es, "快递员") if h["headline"] == headline]
        assert hit["page"] == 1 and hit["pages"] == [1, 3]
        for query in ("快递小哥", "赵德明"):  # the title of both parts; a name printed on page 3 only
            found = index_search.search(es, settings.es, query)
            assert [h["article_id"] for h in found if h["headline"] == headline] == [hit["article_id"]]
        assert not es.options(ignore_status=404).exists(index=settings.es.alias, id=second)
        doc = es.get(index=settings.es.alias, id=hit["article_id"])["_source"]
        assert "赵德明" in doc["persons"] and "王春生" in doc["persons"]  # one on each page
        assert "continued_to" not in doc and "continued_from" not in doc  # the jump is resolved
        # facets on either page find it
        on3 = es.search(index=settings.es.alias, query={"term": {"pages": 3}}, size=50)["hits"]["hits"]
        assert hit["article_id"] in {h["_id"] for h in on3}

        # the Kafka event carries the spans on both pages, and offsets into the joined text
        events = [
            ArticleEvent.model_validate_json(r.value)
            for r in iter_topic(settings.kafka, settings.kafka.articles_topic)
            if r.value is not None
        ]
        [event] = [e for e in events if e.run_id == "run-joined" and e.article_id == hit["article_id"]]
        assert [p.page for p in event.data.parts] == [1, 3] and all(p.spans for p in event.data.parts)
        assert all(event.data.text[e.start : e.end] == e.text for e in event.data.entities)
        assert not any(e.article_id == second for e in events if e.run_id == "run-joined")

        again = run_issue(settings, "grrb", DAY, "run-again").summary  # idempotent
        assert again["articles"] == again["in_index"] == joined["articles"] and again["stale_removed"] == 0
        assert len(_ids(settings)) == joined["articles"]
    finally:
        es.close()


def _truncated(page: bytes) -> bytes:
    body = page.rstrip()
    return body[:-1]  # the last character (3 bytes in UTF-8) loses its last byte


@pytest.mark.parametrize(
    ("make", "why", "label"),
    [
        (lambda page: b"", "empty", "empty page"),
        (lambda page: bytes(range(1, 32)) * 200, "control characters", "binary page"),
        (lambda page: bytes(range(256)) * 40, "neither UTF-8 nor GB18030", "undecodable bytes"),
        (lambda page: "标题\n\n正文".encode("utf-16"), "neither UTF-8 nor GB18030", "wrong encoding (UTF-16)"),
        (_truncated, "neither UTF-8 nor GB18030", "truncated UTF-8"),
        (lambda page: page * (50 * 1024 * 1024 // len(page) + 1), "above the limit", "a 50 MB page"),
    ],
)
def test_a_broken_page_is_dead_lettered_and_the_rest_of_the_issue_is_published(
    settings: Settings, tmp_path: Path, make: Callable[[bytes], bytes], why: str, label: str
) -> None:
    root = copy_sample_issue(tmp_path, DAY)
    page = root / "grrb" / DAY.isoformat() / "02.txt"
    page.write_bytes(make(page.read_bytes()))
    s = _with_source(settings, root)
    result = run_issue(s, "grrb", DAY, "run-bad")
    failed = [p for p in result.pages if not p.ok]
    assert [p.page for p in failed] == [2]
    assert why in (failed[0].error or "")
    assert result.summary["pages_failed"] == [2] and result.summary["pages_ok"] == 3
    assert result.summary["in_index"] == result.summary["articles"] > 0
    letters = [DeadLetter.model_validate_json(r.value) for r in iter_topic(s.kafka, s.kafka.deadletter_topic)]
    assert [(d.page, d.stage) for d in letters] == [(2, "source")]
    assert why in letters[0].reason and letters[0].run_id == "run-bad"
    size = page.stat().st_size
    assert letters[0].original_bytes == size and letters[0].original_truncated == (size > 512 * 1024)
    audit(
        s,
        f"bad input: {label}",
        [f"grrb-{DAY}"],
        _published(s, "run-bad"),
        pages_dead_lettered=1,
        handling=f"that page fails ({why}) and is dead-lettered; the other pages are published",
    )


def test_a_manifest_file_name_leaving_the_issue_folder_fails_that_page_only(settings: Settings, tmp_path: Path) -> None:
    root = copy_sample_issue(tmp_path, DAY)
    folder = root / "grrb" / DAY.isoformat()
    (tmp_path / "secret.txt").write_text("不该被读取的文件\n", encoding="utf-8")
    pages = [{"page": n, "file": f"{n:02d}.txt"} for n in (1, 3, 4)] + [{"page": 2, "file": "../../../secret.txt"}]
    (folder / "issue.json").write_text(json.dumps({"pages": pages}), encoding="utf-8")
    s = _with_source(settings, root)
    result = run_issue(s, "grrb", DAY, "run-path")
    assert [p.page for p in result.pages if not p.ok] == [2]
    letters = [DeadLetter.model_validate_json(r.value) for r in iter_topic(s.kafka, s.kafka.deadletter_topic)]
    assert len(letters) == 1 and "leaves the issue folder" in letters[0].reason and letters[0].original is None
    audit(
        s,
        "bad input: manifest file name with ../",
        [f"grrb-{DAY}"],
        _published(s, "run-path"),
        pages_dead_lettered=1,
        handling="that page fails before any read outside the issue folder",
    )


def test_a_page_that_makes_segmentation_throw_fails_that_page_only(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pipeline.segmentation as segmentation

    real = segmentation.segment_page

    def segment_or_throw(text: str, *args: object, **kwargs: object) -> object:
        if "触发分割错误" in text:
            raise RecursionError("maximum recursion depth exceeded (a page the segmenter cannot handle)")
        return real(text, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(segmentation, "segment_page", segment_or_throw)
    root = copy_sample_issue(tmp_path, DAY)
    page = root / "grrb" / DAY.isoformat() / "03.txt"
    page.write_text(page.read_text(encoding="utf-8") + "\n触发分割错误\n", encoding="utf-8")
    s = _with_source(settings, root)
    result = run_issue(s, "grrb", DAY, "run-throw")
    failed = [p for p in result.pages if not p.ok]
    assert [p.page for p in failed] == [3] and "RecursionError" in (failed[0].error or "")
    letters = [DeadLetter.model_validate_json(r.value) for r in iter_topic(s.kafka, s.kafka.deadletter_topic)]
    assert [(d.page, d.stage) for d in letters] == [(3, "segmentation")]
    assert "触发分割错误" in (letters[0].original or "")
    audit(
        s,
        "a page that makes segmentation throw",
        [f"grrb-{DAY}"],
        _published(s, "run-throw"),
        pages_dead_lettered=1,
        handling="that page fails with the exception in the task log and a dead letter",
    )


def test_gb18030_and_bom_pages_are_read(settings: Settings, tmp_path: Path) -> None:
    root = copy_sample_issue(tmp_path, DAY)
    folder = root / "grrb" / DAY.isoformat()
    text1 = (folder / "01.txt").read_text(encoding="utf-8")
    (folder / "01.txt").write_bytes(text1.encode("gb18030"))
    text3 = (folder / "03.txt").read_text(encoding="utf-8")
    (folder / "03.txt").write_bytes(b"\xef\xbb\xbf" + text3.encode("utf-8"))
    summary = run_issue(_with_source(settings, root), "grrb", DAY, "run-enc").summary
    assert summary["pages_ok"] == 4


def test_elasticsearch_rejection_goes_to_the_dead_letter_topic(settings: Settings) -> None:
    es = Elasticsearch(settings.es.url)
    try:  # a conflicting mapping: paper as integer makes every document fail
        es.indices.create(index=settings.es.index_name, mappings={"properties": {"paper": {"type": "integer"}}})
        es.indices.put_alias(index=settings.es.index_name, name=settings.es.alias)
    finally:
        es.close()
    from pipeline.runner.steps import index_issue, process_page, publish_issue, verify_issue

    process_page(settings, "grrb", DAY, 4, "run-dlq")
    published = publish_issue(settings, "grrb", DAY, "run-dlq", planned=[4])
    indexed = index_issue(settings, published)
    assert indexed.dead_lettered == published.articles > 0 and indexed.indexed == 0
    letters = [
        DeadLetter.model_validate_json(r.value) for r in iter_topic(settings.kafka, settings.kafka.deadletter_topic)
    ]
    assert len(letters) == published.articles
    assert {d.stage for d in letters} == {"index"} and all(d.original and d.source_offset is not None for d in letters)
    summary = verify_issue(settings, published, indexed)
    assert summary["dead_letters"] == published.articles and summary["in_index"] == 0
    audit(
        settings,
        "Elasticsearch rejects documents (mapping conflict)",
        [f"grrb-{DAY}"],
        published.article_ids,
        dead_lettered=[d.key for d in letters if d.key],
        events=published.articles,
        handling="each rejected event goes to the dead-letter topic whole; `deadletter replay` after the fix",
    )


def test_dead_letters_can_be_listed_and_replayed_after_the_fix(settings: Settings) -> None:
    from pipeline.ops.ledger import read_ledger
    from pipeline.publishing.deadletters import read_dead_letters
    from pipeline.runner.replay import replay_dead_letters
    from pipeline.runner.steps import index_issue, process_page, publish_issue

    es = Elasticsearch(settings.es.url)
    try:  # a mapping conflict rejects every document of the page
        es.indices.create(index=settings.es.index_name, mappings={"properties": {"paper": {"type": "integer"}}})
        es.indices.put_alias(index=settings.es.index_name, name=settings.es.alias, is_write_index=True)
    finally:
        es.close()
    process_page(settings, "grrb", DAY, 4, "run-dlq")
    published = publish_issue(settings, "grrb", DAY, "run-dlq", planned=[4])
    assert index_issue(settings, published).dead_lettered == published.articles
    assert len(read_dead_letters(settings.kafka)) == published.articles
    # the fix: a new index version with the right template behind the alias
    es = client.make_client(settings.es)
    try:
        client.reindex(es, settings.es, version=2, drop_old=True)
    finally:
        es.close()
    result = replay_dead_letters(settings, stage="index")
    assert result["reindexed"] == published.articles and result["failed_again"] == 0
    assert len(_ids(settings)) == published.articles
    Elasticsearch(settings.es.url).options(ignore_status=404).indices.delete(index=f"{settings.es.alias}-v2")
    assert read_ledger(settings) == []  # no run completed its verify step in this test


def test_ledger_lists_every_run_of_an_issue(settings: Settings) -> None:
    from pipeline.ops.ledger import read_ledger

    run_issue(settings, "grrb", DAY, "run-a")
    run_issue(settings, "grrb", DAY, "run-b")
    rows = read_ledger(settings, "grrb", DAY.isoformat())
    assert [r["run_id"] for r in rows] == ["run-a", "run-b"]
    assert all(r["pages_ok"] == 4 and r["in_index"] == r["articles"] for r in rows)
