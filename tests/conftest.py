"""Shared test setup: environment isolation (only INKSTREAM_TEST_* survives)."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from pipeline.config import Settings
from tests.servers import Endpoints, start_endpoints

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key in [k for k in os.environ if k.startswith("INKSTREAM_") and not k.startswith("INKSTREAM_TEST_")]:
        monkeypatch.delenv(key)
    yield


_TIERS = {"integration": "integration", "dags": "dags", "quality": "quality", "e2e": "e2e"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark tests by tier from their folder (tests/<tier>/...)."""
    for item in items:
        parts = Path(str(item.fspath)).relative_to(ROOT / "tests").parts
        marker = _TIERS.get(parts[0]) if len(parts) > 1 else None
        if marker:
            item.add_marker(getattr(pytest.mark, marker))


@pytest.fixture(scope="session")
def endpoints(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoints]:
    yield from start_endpoints(tmp_path_factory.mktemp("servers"))


@pytest.fixture
def settings(endpoints: Endpoints, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings with unique topics and index alias for this test; cleaned up afterwards."""
    tag = uuid.uuid4().hex[:8]
    monkeypatch.setenv("INKSTREAM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("INKSTREAM_KAFKA__BOOTSTRAP_SERVERS", json.dumps([endpoints.kafka]))
    monkeypatch.setenv("INKSTREAM_KAFKA__ARTICLES_TOPIC", f"t{tag}.articles")
    monkeypatch.setenv("INKSTREAM_KAFKA__ISSUES_TOPIC", f"t{tag}.issues")
    monkeypatch.setenv("INKSTREAM_KAFKA__DEADLETTER_TOPIC", f"t{tag}.deadletter")
    monkeypatch.setenv("INKSTREAM_KAFKA__CONSUMER_GROUP", f"g{tag}")
    monkeypatch.setenv("INKSTREAM_ES__URL", endpoints.es)
    monkeypatch.setenv("INKSTREAM_ES__ALIAS", f"test-{tag}-articles")
    s = Settings()
    yield s
    from elasticsearch import Elasticsearch

    es = Elasticsearch(endpoints.es)
    try:
        es.options(ignore_status=404).indices.delete(index=s.es.index_name)
        es.options(ignore_status=404).indices.delete(index=f"{s.es.alias}-issues")  # the issue registry
        es.options(ignore_status=404).indices.delete_index_template(name=s.es.alias)
    finally:
        es.close()
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=[endpoints.kafka])
    try:
        existing = set(admin.list_topics())
        mine = [t for t in (s.kafka.articles_topic, s.kafka.issues_topic, s.kafka.deadletter_topic) if t in existing]
        if mine:
            admin.delete_topics(mine)
    except Exception:
        pass
    finally:
        admin.close()


def copy_sample_issue(tmp_path: Path, day: date, paper: str = "grrb") -> Path:
    """A writable copy of one sample issue; returns the new source root."""
    root = tmp_path / "issues"
    shutil.copytree(ROOT / "samples" / "issues" / paper / day.isoformat(), root / paper / day.isoformat())
    return root


def cli_env(settings: Settings) -> dict[str, str]:
    """The environment of an ``inkstream`` subprocess that talks to the test's servers and topics."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INKSTREAM_")}
    env.update(
        {
            "INKSTREAM_DATA_DIR": str(settings.data_dir),
            "INKSTREAM_KAFKA__BOOTSTRAP_SERVERS": json.dumps(settings.kafka.bootstrap_servers),
            "INKSTREAM_KAFKA__ARTICLES_TOPIC": settings.kafka.articles_topic,
            "INKSTREAM_KAFKA__ISSUES_TOPIC": settings.kafka.issues_topic,
            "INKSTREAM_KAFKA__DEADLETTER_TOPIC": settings.kafka.deadletter_topic,
            "INKSTREAM_ES__URL": settings.es.url,
            "INKSTREAM_ES__ALIAS": settings.es.alias,
        }
    )
    return env
