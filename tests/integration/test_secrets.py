"""Secrets set through settings never reach logs, summaries, staging files or dead letters."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import pytest
from pydantic import SecretStr

from pipeline.config import Settings
from pipeline.runner.backfill import run_issue

SECRET = "s3cr3t-Do-Not-Print-42"


def test_secrets_are_masked_in_settings(settings: Settings) -> None:
    s = settings.model_copy(update={"es": settings.es.model_copy(update={"api_key": SecretStr(SECRET)})})
    assert SECRET not in repr(s) and SECRET not in str(s.masked())


def test_a_run_with_credentials_set_never_prints_them(
    settings: Settings, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    s = settings.model_copy(
        update={
            "es": settings.es.model_copy(update={"username": "elastic", "password": SecretStr(SECRET)}),
            "kafka": settings.kafka.model_copy(update={"sasl_password": SecretStr(SECRET)}),
        }
    )
    caplog.set_level(logging.DEBUG)
    result = run_issue(s, "grrb", date(2026, 11, 20), "run-secret")
    assert result.summary["in_index"] > 0
    captured = capsys.readouterr()
    assert SECRET not in caplog.text and SECRET not in captured.out + captured.err
    for path in s.data_dir.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
