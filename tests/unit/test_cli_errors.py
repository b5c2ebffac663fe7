"""Every verb fails cleanly: generated bad arguments (dates, paths, queries, JSON, ports) and
servers that do not answer give one error line and exit 1 (runtime) or 2 (usage), never a traceback."""

from __future__ import annotations

import json
import socket
import string
from datetime import date
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.cli.errors import FAILURE, USAGE, explain

runner = CliRunner()


def _dead_port() -> int:
    with socket.socket() as s:  # bound, then closed: nothing listens there
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


DEAD_KAFKA = f"127.0.0.1:{_dead_port()}"
DEAD_ES = f"http://127.0.0.1:{_dead_port()}"
MISSING = Path("/nonexistent-inkstream-test")


def _invoke(args: list[str], data_dir: Path, stdin: str | None = None) -> Any:
    env = {
        "INKSTREAM_KAFKA__BOOTSTRAP_SERVERS": json.dumps([DEAD_KAFKA]),
        "INKSTREAM_ES__URL": DEAD_ES,
        "INKSTREAM_DATA_DIR": str(data_dir),
        "INKSTREAM_SOURCE_ROOT": None,
    }
    return runner.invoke(app, args, input=stdin, env=env)


def _assert_clean(res: Any, expected: set[int]) -> None:
    text = res.output + (res.stderr if res.stderr_bytes is not None else "")
    assert res.exception is None or isinstance(res.exception, SystemExit), (res.exception, text)
    assert "Traceback" not in text, text
    assert res.exit_code in expected, (res.exit_code, text)
    assert text.strip(), "a failure says what is wrong"


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def _iso_like(parts: tuple[int, int, int]) -> str:
    return "{:04d}-{:02d}-{:02d}".format(*parts)


bad_dates = st.one_of(
    st.text(max_size=20),
    st.dates().map(lambda d: d.strftime("%Y/%m/%d")),
    st.dates().map(lambda d: d.strftime("%d.%m.%Y")),
    st.tuples(st.integers(0, 9999), st.integers(13, 99), st.integers(1, 28)).map(_iso_like),  # month 13+
    st.tuples(st.integers(1, 9999), st.integers(1, 12), st.integers(32, 99)).map(_iso_like),  # day 32+
    st.just("2026-13-01"),
    st.just("2026/11/19"),
    st.just("notadate"),
).filter(lambda s: not _is_date(s))
queries = st.text(max_size=30)
bad_ports = st.one_of(st.integers(max_value=0), st.integers(min_value=65536))
names = st.text(string.ascii_letters + string.digits + "-_.", min_size=1, max_size=12)

SLOW = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SLOW
@given(
    verb=st.sampled_from([["search", "工会"], ["run"], ["extract"], ["ledger"]]),
    value=bad_dates,
    option=st.sampled_from(["--from", "--to", "--date"]),
)
def test_bad_dates_are_usage_errors(tmp_path: Path, verb: list[str], value: str, option: str) -> None:
    if verb[0] != "search":
        option = "--date"
    elif option == "--date":
        option = "--from"
    res = _invoke([*verb, option, value], tmp_path, stdin="")
    _assert_clean(res, {USAGE})


@SLOW
@given(query=queries, size=st.integers(0, 10_000))
def test_search_with_elasticsearch_down_says_inkstream_up(tmp_path: Path, query: str, size: int) -> None:
    res = _invoke(["search", "--size", str(size), "--", query], tmp_path)  # '--': a query may start with '-'
    _assert_clean(res, {FAILURE})
    assert "inkstream up" in res.output


@SLOW
@given(
    size=st.one_of(st.integers(max_value=-1), st.integers(min_value=10_001), st.text(string.ascii_letters, min_size=1))
)
def test_search_sizes_out_of_range_are_usage_errors(tmp_path: Path, size: object) -> None:
    _assert_clean(_invoke(["search", "工会", "--size", str(size)], tmp_path), {USAGE})


@SLOW
@given(case=st.sampled_from(["source", "paper", "workers", "window"]), name=names, n=st.integers(max_value=-1))
def test_run_with_bad_options_is_a_usage_error(tmp_path: Path, case: str, name: str, n: int) -> None:
    args = {
        "source": ["--source", str(MISSING / name)],
        "paper": ["--paper", f"no-such-{name}"],
        "workers": ["--workers", str(n)],
        "window": ["--index-window", str(n)],
    }[case]
    _assert_clean(_invoke(["run", *args], tmp_path), {USAGE})


@SLOW
@given(day=st.dates(date(2000, 1, 1), date(2030, 12, 31)))
def test_run_with_servers_down_is_a_runtime_failure(tmp_path: Path, day: date) -> None:
    res = _invoke(["run", "--date", day.isoformat()], tmp_path)
    _assert_clean(res, {FAILURE})
    assert "inkstream up" in res.output


def _not_an_item(line: str) -> bool:
    try:
        item = json.loads(line)
        return not isinstance(item, dict) or not isinstance(item.get("text"), str)
    except ValueError:
        return True


json_junk = st.one_of(
    st.text(min_size=1, max_size=40).filter(lambda s: "\n" not in s and "\r" not in s and s.strip()),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
        max_leaves=6,
    ).map(lambda v: json.dumps(v, ensure_ascii=False)),
).filter(_not_an_item)


@SLOW
@given(line=json_junk)
def test_extract_jsonl_with_bad_lines_is_a_usage_error(tmp_path: Path, line: str) -> None:
    res = _invoke(["extract", "--jsonl", "--date", "2026-11-20"], tmp_path, stdin=line + "\n")
    _assert_clean(res, {USAGE})
    assert "line 1" in res.output


@SLOW
@given(name=names, kind=st.sampled_from(["missing", "folder", "binary"]))
def test_split_of_a_bad_path(tmp_path: Path, name: str, kind: str) -> None:
    path = {"missing": MISSING / name, "folder": tmp_path, "binary": tmp_path / f"{name}.bin"}[kind]
    if kind == "binary":
        path.write_bytes(bytes(range(128, 256)) * 8)
    _assert_clean(_invoke(["split", str(path)], tmp_path), {USAGE} if kind != "binary" else {FAILURE})


@SLOW
@given(stage=st.one_of(st.none(), names), version=st.integers(1, 99))
def test_operator_verbs_with_servers_down_say_what_to_do(tmp_path: Path, stage: str | None, version: int) -> None:
    for args in (
        ["deadletter", "list"],
        ["deadletter", "replay", *(["--stage", stage] if stage else [])],
        ["index", "--follow"],
        ["reindex", "--to-version", str(version)],
        ["report", "-o", str(tmp_path / "r.html")],
    ):
        res = _invoke(args, tmp_path)
        _assert_clean(res, {FAILURE})
        assert "inkstream up" in res.output, args


@SLOW
@given(kafka=bad_ports, es=bad_ports)
def test_up_with_ports_out_of_range_is_a_usage_error(tmp_path: Path, kafka: int, es: int) -> None:
    _assert_clean(_invoke(["up", "--kafka-port", str(kafka)], tmp_path), {USAGE})
    _assert_clean(_invoke(["up", "--es-port", str(es)], tmp_path), {USAGE})


VERBS = [
    ["up"],
    ["down"],
    ["split"],
    ["extract"],
    ["run"],
    ["index"],
    ["search"],
    ["reindex"],
    ["ledger"],
    ["report"],
    ["samples"],
    ["schemas"],
    ["airflow"],
    ["demo"],
    ["deadletter", "list"],
    ["deadletter", "replay"],
    ["eval", "segmentation"],
    ["eval", "enrichment"],
    ["kibana", "export"],
    ["kibana", "import"],
]


@SLOW
@given(verb=st.sampled_from(VERBS), option=names)
def test_every_verb_refuses_an_unknown_option(tmp_path: Path, verb: list[str], option: str) -> None:
    _assert_clean(_invoke([*verb, f"--no-such-{option}"], tmp_path), {USAGE})


def test_index_without_follow_and_kibana_unreachable() -> None:
    res = runner.invoke(app, ["index"])
    _assert_clean(res, {USAGE})
    res = runner.invoke(app, ["kibana", "import", "--url", f"http://127.0.0.1:{_dead_port()}"])
    _assert_clean(res, {FAILURE})


def test_explain_maps_exceptions_to_one_line_and_a_code() -> None:
    from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
    from elasticsearch import BadRequestError

    from pipeline.errors import ConfigError, PublishUnavailable

    meta = ApiResponseMeta(
        status=400, http_version="1.1", headers=HttpHeaders(), duration=0.0, node=NodeConfig("http", "127.0.0.1", 9200)
    )
    bad = BadRequestError(
        "search_phase_execution_exception",
        meta,
        {"error": {"root_cause": [{"type": "parse_exception", "reason": "failed to parse date"}]}},
    )
    from pipeline.indexing.client import translate

    message, code = explain(translate(bad, "search", "articles"))
    assert code == USAGE and "failed to parse date" in message and "\n" not in message
    assert explain(PublishUnavailable("x"))[1] == FAILURE and "inkstream up" in explain(PublishUnavailable("x"))[0]
    assert explain(ConfigError("no paper"))[1] == FAILURE
    missing = FileNotFoundError(2, "No such file or directory", "/no/such/page.txt")
    assert explain(missing, ["split", "/no/such/page.txt"])[1] == USAGE  # a path the user named
    assert explain(missing, ["extract"])[1] == FAILURE  # a file of the installation
    assert (
        explain(RuntimeError("boom\nsecond line"))[0] == "unexpected RuntimeError: boom second line "
        "(run with --debug for the traceback)"
    )


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    res = _invoke(["--debug", "deadletter", "list"], tmp_path)
    assert res.exit_code != 0 and res.exception is not None and not isinstance(res.exception, SystemExit)
