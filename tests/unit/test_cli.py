"""CLI verbs that need no servers, run in-process with their real output."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from pipeline.cli import app
from tests.conftest import ROOT

runner = CliRunner()


def test_split_prints_the_stable_shape() -> None:
    page = ROOT / "samples" / "issues" / "grrb" / "2026-11-20" / "01.txt"
    res = runner.invoke(app, ["split", str(page)])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    art = data["articles"][0]
    assert set(art) >= {"kicker", "headline", "subheadline", "byline", "paragraphs", "subheads", "spans"}
    assert set(art["byline"]) == {"kind", "reporters", "correspondents"}
    assert {"kind", "text", "spans"} <= set(data["blocks"][0])
    text = page.read_text(encoding="utf-8")
    start, end = art["spans"][0]
    assert text[start:end].startswith(art["kicker"])


def test_split_of_a_binary_file_is_a_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.txt"
    bad.write_bytes(bytes(range(256)) * 4)
    res = runner.invoke(app, ["split", str(bad)])
    assert res.exit_code == 1 and "neither UTF-8 nor GB18030" in res.output


def test_extract_plain_and_jsonl_with_exact_offsets() -> None:
    text = "11月3日,江川市总工会发放帮扶资金460万元,惠及24万余名职工。"
    res = runner.invoke(app, ["extract", "--date", "2026-11-20"], input=text)
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert {(m["value"], m["unit"], m["qualifier"]) for m in data["metrics"]} == {
        (4_600_000, "元", None),
        (240_000, "名", "余"),
    }
    for kind in ("entities", "metrics", "dates"):
        for item in data[kind]:
            assert text[item["start"] : item["end"]] == item["text"]
    assert data["dates"][0]["date_from"] == "2026-11-03"
    lines = "\n".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) for i, t in [("a", text), ("b", "去年")])
    res = runner.invoke(app, ["extract", "--jsonl", "--date", "2026-11-20"], input=lines)
    out = [json.loads(line) for line in res.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", "b"] and out[1]["dates"][0]["date_from"] == "2025-01-01"


def test_every_verb_has_help() -> None:
    for verb in [
        "up",
        "down",
        "split",
        "extract",
        "run",
        "index",
        "search",
        "airflow",
        "demo",
        "samples",
        "schemas",
        "eval",
    ]:
        res = runner.invoke(app, [verb, "--help"])
        assert res.exit_code == 0 and "Usage" in res.output, verb


def test_operator_verbs_have_help() -> None:
    for verb in (
        ["deadletter", "list"],
        ["deadletter", "replay"],
        ["ledger"],
        ["report"],
        ["reindex"],
        ["kibana", "import"],
        ["kibana", "export"],
        ["eval", "enrichment"],
    ):
        res = runner.invoke(app, [*verb, "--help"])
        assert res.exit_code == 0 and "Usage" in res.output, verb
