"""docker-compose.yml is valid (Debian's docker-compose parses it) and keeps secrets out."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.conftest import ROOT


def test_compose_file_validates() -> None:
    exe = shutil.which("docker-compose")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("docker-compose missing: `make tools` installs it")
        pytest.skip("docker-compose not installed (make tools)")
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    proc = subprocess.run(
        [exe, "-f", "docker-compose.yml", "--env-file", ".env.example", "config", "--services"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    services = set(proc.stdout.split())
    assert {
        "kafka",
        "elasticsearch",
        "kibana",
        "postgres",
        "airflow-apiserver",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-triggerer",
        "indexer",
        "kibana-setup",
    } <= services


def _config(*args: str, env_file: str = ".env.example", extra_env: dict[str, str] | None = None) -> str:
    exe = shutil.which("docker-compose")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("docker-compose missing: `make tools` installs it")
        pytest.skip("docker-compose not installed (make tools)")
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **(extra_env or {})}
    proc = subprocess.run(
        [exe, "-f", "docker-compose.yml", "--env-file", env_file, *args, "config"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_scale_profile_celery_workers_own_disks_minio_partitions_two_indexers() -> None:
    """Profile scale: CeleryExecutor on Redis + PostgreSQL, two workers that share no volume but
    the read-only samples, MinIO as the staging area, the article topic with partitions, and two
    indexers in one consumer group."""
    import yaml

    cfg = yaml.safe_load(
        _config(
            "--profile",
            "scale",
            extra_env={"AIRFLOW_EXECUTOR": "CeleryExecutor", "INKSTREAM_STAGING_URL": "s3://inkstream-staging/runs"},
        )
    )
    services = cfg["services"]
    assert {
        "redis",
        "minio",
        "minio-setup",
        "kafka-topics",
        "airflow-worker-1",
        "airflow-worker-2",
        "indexer",
        "indexer-2",
        "postgres",
    } <= set(services)
    for name in ("redis", "minio", "minio-setup", "kafka-topics", "airflow-worker-1", "airflow-worker-2", "indexer-2"):
        assert services[name].get("profiles") == ["scale"], name  # not started without the profile
    for name in ("airflow-scheduler", "airflow-apiserver", "airflow-worker-1", "airflow-worker-2"):
        env = services[name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:"), name
        assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql://"), name
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql"), name
        assert env["INKSTREAM_STAGING_URL"] == "s3://inkstream-staging/runs", name
        assert env["INKSTREAM_STAGING_STORE__ENDPOINT"] == "http://minio:9000", name

    def volumes(name: str) -> set[str]:
        return {
            v["source"] if isinstance(v, dict) else v.split(":")[0]
            for v in services[name]["volumes"]
            if (v["type"] == "volume" if isinstance(v, dict) else not v.startswith((".", "/")))
        }

    one, two = volumes("airflow-worker-1"), volumes("airflow-worker-2")
    assert one - {"certs"} and two - {"certs"} and not (one & two) - {"certs"}  # no shared writable disk
    assert "celery" in services["airflow-worker-1"]["command"] and "worker" in services["airflow-worker-2"]["command"]
    assert "inkstream.articles:12" in " ".join(services["kafka-topics"]["command"])
    assert services["indexer"]["environment"]["INKSTREAM_KAFKA__PARTITIONS"] == "12"  # same count either way
    groups = {services[n]["environment"]["INKSTREAM_KAFKA__CONSUMER_GROUP"] for n in ("indexer", "indexer-2")}
    assert groups == {"inkstream-indexer"}
    assert "inkstream-staging" in " ".join(services["minio-setup"]["command"])


def test_without_the_profile_the_stack_stays_on_one_machine() -> None:
    import yaml

    cfg = yaml.safe_load(_config())
    env = cfg["services"]["airflow-scheduler"]["environment"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor" and not env["INKSTREAM_STAGING_URL"]


def test_compose_has_no_inline_secrets() -> None:
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    for needle in ("PASSWORD=", "PASSWORD: ", "password: "):
        for line in text.splitlines():
            if needle in line:
                assert "${" in line, line
