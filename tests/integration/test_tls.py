"""Kafka and Elasticsearch over TLS, verified against a CA file (settings `ssl_cafile`, `ca_certs`).

The local servers speak plaintext, so a TLS-terminating proxy sits in front of each (tansu
advertises the proxy's port); the clients do a real handshake and check the certificate."""

from __future__ import annotations

import gc
import socket
import time
from datetime import date
from pathlib import Path

import pytest

from pipeline.config import Settings
from pipeline.devtools import servers
from pipeline.errors import IndexUnavailable
from pipeline.indexing import client
from pipeline.runner.backfill import run_issue
from tests.servers import Endpoints
from tests.tlsproxy import TLSProxy, make_ca_and_cert

DAY = date(2026, 11, 20)


def _listening(port: int, timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listening on {port}")


# kafka-python 3.0.12 leaves the socket of a failed TLS handshake to the garbage collector
# (``KafkaConnectionManager._build_transport`` raises without closing the transport it built; a
# handshake cut short, e.g. by a client closing while it connects, is enough). The collector
# finds it in some later test, which then fails on an "unclosed <ssl.SSLSocket>" that is not its
# own (a CI run did). This test collects at its end so such a socket is reported here, and
# ignores only that report; everywhere else an unclosed socket stays an error.
@pytest.mark.filterwarnings("ignore:Exception ignored in. <ssl.SSLSocket:pytest.PytestUnraisableExceptionWarning")
def test_pipeline_runs_over_tls_and_refuses_an_untrusted_server(
    settings: Settings, tmp_path: Path, endpoints: Endpoints
) -> None:
    ca, cert, key = make_ca_and_cert(tmp_path / "tls")
    broker_port, tls_port = servers.free_port(), servers.free_port()
    proc, _ = servers.start_kafka(tmp_path / "kafka", broker_port, advertised_port=tls_port)
    try:
        _listening(broker_port)
        es_port = int(endpoints.es.rsplit(":", 1)[1])
        with TLSProxy(broker_port, cert, key, port=tls_port) as kafka_tls, TLSProxy(es_port, cert, key) as es_tls:
            kafka = settings.kafka.model_copy(
                update={
                    "bootstrap_servers": [f"127.0.0.1:{tls_port}"],
                    "security_protocol": "SSL",
                    "ssl_cafile": str(ca),
                }
            )
            es = settings.es.model_copy(update={"url": f"https://127.0.0.1:{es_tls.port}", "ca_certs": str(ca)})
            s = settings.model_copy(update={"kafka": kafka, "es": es})
            summary = run_issue(s, "grrb", DAY, "run-tls").summary
            assert summary["in_index"] == summary["articles"] > 0
            assert kafka_tls.handshakes > 0 and es_tls.handshakes > 0
            untrusted = es.model_copy(update={"ca_certs": None})  # the system store does not know our CA
            es_client = client.make_client(untrusted)
            try:
                with pytest.raises(IndexUnavailable, match=r"(?i)certificate|ssl|tls"):
                    client.ensure_index(es_client, untrusted)
            finally:
                es_client.close()
    finally:
        servers.stop_pid(proc.pid)
        proc.wait(timeout=20)
        gc.collect()  # the clients are closed: what is left unreachable is collected (and reported) now
