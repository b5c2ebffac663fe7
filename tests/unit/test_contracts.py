"""Models, generated schemas, Kafka records, Elasticsearch documents and template stay in step."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import jsonschema
import pytest

from pipeline.enrichment import enrich_article
from pipeline.errors import IndexRejected, InvalidPage
from pipeline.evaluation.samples import build_samples
from pipeline.indexing.actions import index_action, to_document
from pipeline.indexing.client import TEMPLATE_FILE
from pipeline.models import ArticleEvent, PageText, article_id
from pipeline.publishing.records import article_record, tombstone
from pipeline.schemas import render_all
from pipeline.segmentation import segment_page
from tests.conftest import ROOT

PAGE = (ROOT / "samples" / "issues" / "grrb" / "2026-11-20" / "01.txt").read_text(encoding="utf-8")


def _event() -> ArticleEvent:
    page = PageText(paper="grrb", issue_date=date(2026, 11, 20), page=1, text=PAGE, source="01.txt")
    art = enrich_article(segment_page(PAGE).articles[0], page, 0, "工人日报")
    return ArticleEvent(
        article_id=art.article_id,
        issue_id=art.issue_id,
        run_id="r1",
        produced_at=datetime(2026, 11, 20, tzinfo=UTC),
        data=art,
    )


def test_generated_schemas_match_the_models() -> None:
    for path, text in render_all().items():
        assert path.is_file(), f"{path.name} missing: run `inkstream schemas`"
        assert path.read_text(encoding="utf-8") == text, f"{path.name} drifted: run `inkstream schemas`"


def test_sample_issues_are_rendered_from_their_markup() -> None:
    assert build_samples(check=True) == [], "run `inkstream samples`"


def test_article_event_validates_against_its_published_schema_and_round_trips() -> None:
    event = _event()
    schema = json.loads((ROOT / "schemas" / "inkstream.article.v1.schema.json").read_text(encoding="utf-8"))
    payload = json.loads(event.model_dump_json())
    jsonschema.validate(payload, schema)
    assert ArticleEvent.model_validate_json(event.model_dump_json()) == event


def test_record_key_value_and_cloudevents_headers() -> None:
    event = _event()
    rec = article_record("inkstream.articles", event)
    headers = dict(rec.headers)
    assert rec.key == event.article_id.encode()
    assert headers["ce_type"] == b"inkstream.article.v1" and headers["content-type"].startswith(b"application/json")
    assert {"ce_id", "ce_source", "ce_time", "ce_specversion", "schema_name", "run_id"} <= set(headers)
    assert tombstone("t", "k", "r").value is None


def test_article_ids_are_deterministic() -> None:
    art = segment_page(PAGE).articles[0]
    assert article_id("grrb", date(2026, 11, 20), 1, art) == article_id("grrb", date(2026, 11, 20), 1, art)
    other = segment_page(PAGE).articles[1]
    assert article_id("grrb", date(2026, 11, 20), 1, art) != article_id("grrb", date(2026, 11, 20), 1, other)


def test_every_document_field_is_mapped_with_a_fitting_type() -> None:
    props = json.loads(TEMPLATE_FILE.read_text(encoding="utf-8"))["template"]["mappings"]["properties"]
    doc = to_document(_event())
    assert set(doc) <= set(props), set(doc) - set(props)
    assert props["metrics"]["type"] == "nested" and props["issue_date"]["type"] == "date"
    for key in ("persons", "organisations", "places", "reporters", "paper", "section"):
        assert props[key]["type"] == "keyword"
    assert props["tokens"]["analyzer"] == "jieba_tokens" and props["body"]["analyzer"] == "cjk"
    action = index_action("inkstream-articles-v1", _event())
    assert action["_id"] == action["_source"]["article_id"]


def test_documents_leave_out_absent_values_and_keep_zeros() -> None:
    event = _event()
    data = event.data.model_copy(update={"metrics": [], "dates": [], "entities": []})
    doc = to_document(event.model_copy(update={"data": data}))
    assert None not in doc.values() and [] not in doc.values()
    for key in ("metrics", "dates", "persons", "organisations", "places", "place_points", "provinces"):
        assert key not in doc
    assert doc["money_total"] == 0 and doc["headcount_total"] == 0  # a zero is a value
    assert doc["article_id"] == event.article_id and doc["body"]
    full = to_document(event)
    assert full["metrics"] and all(None not in m.values() for m in full["metrics"])


def test_errors_survive_pickling() -> None:
    import pickle

    err = pickle.loads(pickle.dumps(InvalidPage("grrb/2026-11-20/02", "empty")))
    assert str(err) == "page grrb/2026-11-20/02: empty"
    rej = pickle.loads(pickle.dumps(IndexRejected("idx", [{"_id": "a"}])))
    assert rej.failures == [{"_id": "a"}]


@pytest.mark.parametrize("name", ["inkstream.issue", "inkstream.deadletter", "inkstream.split"])
def test_every_schema_is_valid_json_schema(name: str) -> None:
    schema = json.loads((ROOT / "schemas" / f"{name}.v1.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
