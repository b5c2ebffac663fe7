"""`inkstream up`'s servers as an operator meets them: a broker that keeps what it acknowledged
across SIGKILL and `down`/`up`, and an `up` that sees a dead (even zombie) server and restarts it."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.config import Settings
from pipeline.devtools import servers
from pipeline.publishing import ensure_topics, publish
from pipeline.publishing.consumer import iter_topic
from pipeline.publishing.records import Record


@pytest.fixture
def data_dir(tmp_path: Path, endpoints: object) -> Iterator[Path]:
    if os.environ.get("INKSTREAM_TEST_KAFKA_BOOTSTRAP"):
        pytest.skip("needs the local servers")
    data = tmp_path / "data"
    yield data
    servers.down(data)


def _settings(address: str, data: Path) -> Settings:
    s = Settings(data_dir=data)
    kafka = s.kafka.model_copy(
        update={
            "bootstrap_servers": [address],
            "articles_topic": "durable.articles",
            "deadletter_topic": "durable.deadletter",
            "delivery_timeout_s": 10.0,
            "request_timeout_ms": 5000,
        }
    )
    return s.model_copy(update={"kafka": kafka})


def _values(s: Settings, topic: str) -> list[bytes]:
    return sorted(rec.value for rec in iter_topic(s.kafka, topic))


def _wait_zombie(pid: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        stat = servers._proc_stat(pid)
        if stat is None or stat[0] == "Z":
            return
        time.sleep(0.05)


def test_broker_keeps_acknowledged_records_across_sigkill_and_down_up(data_dir: Path) -> None:
    kafka_port, es_port = servers.free_port(), servers.free_port()
    first = servers.up(data_dir, kafka_port, es_port)
    s = _settings(first["kafka"].address, data_dir)
    ensure_topics(s.kafka)
    articles = [Record(s.kafka.articles_topic, f"a{i}".encode(), f"article {i}".encode(), []) for i in range(40)]
    letters = [Record(s.kafka.deadletter_topic, b"d0", b'{"dead": "letter"}', [])]
    offsets = publish(s.kafka, articles + letters)  # acknowledged (acks=all)
    assert sum(last - first_ + 1 for first_, last in offsets[s.kafka.articles_topic].values()) == 40
    expected = sorted(r.value for r in articles if r.value is not None)

    # SIGKILL the broker: it is this process's child, so it lingers as a zombie, which
    # os.kill(pid, 0) would call alive; up must see it dead and start it again on its port
    broker = first["kafka"].pid
    os.killpg(broker, signal.SIGKILL)
    _wait_zombie(broker)
    second = servers.up(data_dir)
    assert second["kafka"].pid != broker and second["kafka"].address == first["kafka"].address
    assert second["kafka-store"].pid == first["kafka-store"].pid  # the storage kept running
    assert second["elasticsearch"].pid == first["elasticsearch"].pid
    assert _values(s, s.kafka.articles_topic) == expected
    assert _values(s, s.kafka.deadletter_topic) == [b'{"dead": "letter"}']

    # SIGKILL the storage server: up restarts it and the broker over the same folder
    os.killpg(second["kafka-store"].pid, signal.SIGKILL)
    _wait_zombie(second["kafka-store"].pid)
    third = servers.up(data_dir)
    assert third["kafka-store"].pid != second["kafka-store"].pid
    assert _values(s, s.kafka.articles_topic) == expected

    # a clean down and up: topics, records and dead letters are still there, appends continue
    assert set(servers.down(data_dir)) == {"kafka", "kafka-store", "elasticsearch"}
    assert not servers.read_state(data_dir)
    fourth = servers.up(data_dir)
    assert fourth["kafka"].address == first["kafka"].address
    assert _values(s, s.kafka.deadletter_topic) == [b'{"dead": "letter"}']
    more = publish(s.kafka, [Record(s.kafka.articles_topic, b"a40", b"article 40", [])])
    ((part, (offset, _)),) = more[s.kafka.articles_topic].items()
    assert offset == offsets[s.kafka.articles_topic][part][1] + 1 if part in offsets[s.kafka.articles_topic] else 0
    assert _values(s, s.kafka.articles_topic) == sorted([*expected, b"article 40"])
    assert (data_dir / "kafka" / "tansu").is_dir()


def test_a_reused_pid_or_a_torn_state_file_is_not_a_running_server(tmp_path: Path) -> None:
    me = os.getpid()
    assert servers.alive(me) and servers.alive(me, servers.process_started(me))
    assert not servers.alive(me, servers.process_started(me) + 1)  # same pid, another process
    (tmp_path / "servers.json").write_text('{"kafka": {"pid": ', encoding="utf-8")
    assert servers.read_state(tmp_path) == {}


def test_cli_down_up_keeps_the_dead_letters_of_before(data_dir: Path, tmp_path: Path) -> None:
    """The issue's check, as an operator types it: a day with a bad page, `down`, `up`,
    `deadletter list` shows the letter of before."""
    import json
    import subprocess
    import sys
    from datetime import date

    from tests.conftest import copy_sample_issue

    day = date(2026, 11, 19)
    root = copy_sample_issue(tmp_path, day)
    (root / "grrb" / day.isoformat() / "02.txt").write_bytes(b"\xff\xfe\x00" * 5000)
    env = {k: v for k, v in os.environ.items() if not k.startswith("INKSTREAM_")}
    ports = ["--kafka-port", str(servers.free_port()), "--es-port", str(servers.free_port())]

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pipeline", "--data-dir", str(data_dir), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    started = cli("up", *ports)
    assert started.returncode == 0, started.stderr
    exports = dict(
        line.removeprefix("export ").split("=", 1) for line in started.stdout.splitlines() if line.startswith("export ")
    )
    env["INKSTREAM_KAFKA__BOOTSTRAP_SERVERS"] = exports["INKSTREAM_KAFKA__BOOTSTRAP_SERVERS"].strip("'")
    env["INKSTREAM_ES__URL"] = exports["INKSTREAM_ES__URL"]
    ran = cli("run", "--date", day.isoformat(), "--source", str(root), "--workers", "1", "--quiet")
    assert ran.returncode == 3, ran.stderr[-2000:]
    before = cli("deadletter", "list", "--jsonl")
    assert before.returncode == 0, before.stderr
    letters = [json.loads(line) for line in before.stdout.splitlines()]
    assert [(d["issue_date"], d["page"]) for d in letters] == [(day.isoformat(), 2)]
    assert cli("down").returncode == 0
    assert cli("up").returncode == 0  # no ports given: the ones it had
    after = cli("deadletter", "list", "--jsonl")
    assert after.returncode == 0, after.stderr
    assert [json.loads(line) for line in after.stdout.splitlines()] == letters
