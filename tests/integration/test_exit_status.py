"""An exit status that tells the truth: `inkstream run` with a bad page exits 3 after indexing every
good page; a dead broker fails a publish within its configured time, with no stray traceback."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

from pipeline.cli.errors import INCOMPLETE
from pipeline.config import Settings
from pipeline.indexing import client
from tests.conftest import ROOT, cli_env, copy_sample_issue

DAY = date(2026, 11, 19)


def test_run_with_a_bad_page_exits_3_and_indexes_every_good_page(settings: Settings, tmp_path: Path) -> None:
    root = copy_sample_issue(tmp_path, DAY)
    (root / "grrb" / DAY.isoformat() / "04.txt").write_bytes(bytes(range(256)) * 64)  # neither UTF-8 nor GB18030
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", "--date", DAY.isoformat(), "--source", str(root), "--workers", "1"],
        env=cli_env(settings),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == INCOMPLETE, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    assert "page 4 failed" in proc.stderr and "deadletter list" in proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["pages_failed"] == [4] and summary["pages_ok"] == 3
    assert summary["articles"] > 0 and summary["in_index"] == summary["articles"]
    es = client.make_client(settings.es)
    try:
        client.refresh(es, settings.es)
        assert es.count(index=settings.es.alias)["count"] == summary["articles"]
    finally:
        es.close()
    # the same day with the page mended exits 0
    (root / "grrb" / DAY.isoformat() / "04.txt").write_bytes(
        (ROOT / "samples" / "issues" / "grrb" / DAY.isoformat() / "04.txt").read_bytes()
    )
    again = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline",
            "run",
            "--date",
            DAY.isoformat(),
            "--source",
            str(root),
            "--workers",
            "1",
            "--quiet",
        ],
        env=cli_env(settings),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0, again.stderr[-3000:]


PUBLISH_WHILE_KILLED = textwrap.dedent("""
    import json, os, signal, sys, threading, time
    from pathlib import Path
    from pipeline.devtools import servers
    from pipeline.config import KafkaSettings
    from pipeline.errors import PublishUnavailable
    from pipeline.publishing import ensure_topics, publish
    from pipeline.publishing.records import Record

    proc, address = servers.start_kafka(Path(sys.argv[1]), servers.free_port())
    servers.wait_kafka(address)
    kafka = KafkaSettings(bootstrap_servers=[address], delivery_timeout_s=float(sys.argv[2]))
    ensure_topics(kafka)
    records = [Record(kafka.articles_topic, b"k%d" % i, b"x" * 2000, []) for i in range(300)]
    outcome = {}

    def loop():
        try:
            for _ in range(10_000):
                publish(kafka, records)
                outcome["acknowledged"] = outcome.get("acknowledged", 0) + 1
        except Exception as exc:
            outcome["error"] = type(exc).__name__
            outcome["failed_at"] = time.monotonic()

    worker = threading.Thread(target=loop)
    worker.start()
    while "acknowledged" not in outcome and worker.is_alive():
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = time.monotonic()
    worker.join(300)
    outcome["waited_s"] = outcome.pop("failed_at", killed_at) - killed_at
    print(json.dumps(outcome))
""")


def test_a_dead_broker_fails_a_publish_within_its_timeout_without_stray_tracebacks(
    tmp_path: Path, endpoints: object
) -> None:
    timeout_s = 4.0
    proc = subprocess.run(
        [sys.executable, "-c", PUBLISH_WHILE_KILLED, str(tmp_path), str(timeout_s)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    outcome = json.loads(proc.stdout.strip().splitlines()[-1])
    assert outcome["acknowledged"] >= 1 and outcome["error"] == "PublishUnavailable"
    # bounded by the setting: one delivery timeout (a publish in flight), or a bootstrap wait of the
    # same length (the next publish), plus the half second a failed producer gets to close
    assert outcome["waited_s"] < 2 * timeout_s + 3, outcome
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr, proc.stderr[-3000:]
