"""The Celery stack from packages, on one machine: Debian's ``redis-server`` (the broker) and
PostgreSQL (Airflow's metadata and Celery's results), the project's S3 server (the staging area),
the local Kafka-protocol and Elasticsearch servers, and Airflow 3's api-server, scheduler and
dag-processor with two ``airflow celery worker`` processes. The workers share nothing but those
servers: each has its own Airflow home, data folder and host name (``workerhost.name``).

Started once per module (about a minute on two cores); every process is stopped at teardown by
its pid and process group."""

from __future__ import annotations

import glob
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from pipeline.config import Settings, StagingStore
from pipeline.devtools import servers
from tests.conftest import ROOT
from tests.servers import Endpoints

DAY = date(2026, 11, 18)
WORKERS = ("worker-a", "worker-b")
DAG_ID = "newspaper_ingest"
QUIET = (
    "kafka=WARNING elasticsearch=WARNING elastic_transport=WARNING urllib3=WARNING sqlalchemy=WARNING "
    "alembic=WARNING httpx=WARNING uvicorn.access=WARNING celery=WARNING kombu=WARNING"
)


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI=true: `make tools` installs it)")
    pytest.skip(reason)


def _binary(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if not found:
        _missing(f"{name} not installed (Debian: make tools)")
    assert found is not None
    return found


def _wait(what: str, ready: Any, proc: subprocess.Popen[bytes] | None, log: Path, timeout_s: float) -> Any:
    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"{what} exited {proc.returncode}:\n{_tail(log)}")
        try:
            got = ready()
            if got:
                return got
        except Exception as exc:  # not up yet
            last = exc
        time.sleep(0.5)
    raise AssertionError(f"{what} not ready after {timeout_s:.0f}s ({last}):\n{_tail(log)}")


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def kill_tree(proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
    """``sig`` to a process, its process group and every descendant (a lost machine)."""
    pids = [proc.pid, *_descendants(proc.pid)]
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
    for pid in pids:
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def stop(proc: subprocess.Popen[bytes], timeout_s: float = 20) -> None:
    if proc.poll() is not None:
        return
    kill_tree(proc, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        kill_tree(proc, signal.SIGKILL)
        proc.wait(timeout=10)
    else:
        kill_tree(proc, signal.SIGKILL)  # children that outlived their parent


@dataclass
class Stack:
    base: Path
    api: str
    env: dict[str, str]
    settings: Settings
    password: str
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    killed: set[str] = field(default_factory=set)
    _token: str | None = None

    def check_alive(self) -> None:
        """Fail now, with the logs, if a process of the stack died that no test killed."""
        dead = [name for name, proc in self.procs.items() if proc.poll() is not None and name not in self.killed]
        if dead:
            raise AssertionError(f"{', '.join(dead)} exited:\n{self.logs()}")

    def kill(self, name: str) -> None:
        """SIGKILL a process and everything it started (a lost machine)."""
        self.killed.add(name)
        kill_tree(self.procs[name])
        self.procs[name].wait(timeout=30)

    def log(self, name: str) -> Path:
        return self.base / "logs" / f"{name}.log"

    def start(
        self, name: str, cmd: list[str], env: dict[str, str] | None = None, user: str | None = None
    ) -> subprocess.Popen[bytes]:
        self.log(name).parent.mkdir(parents=True, exist_ok=True)
        with self.log(name).open("ab") as fh:
            proc = subprocess.Popen(
                cmd,
                env=env or self.env,
                stdout=fh,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                user=user,
                cwd=self.base,
            )
        self.procs[name] = proc
        return proc

    def call(self, method: str, path: str, body: Any = None) -> Any:
        if self._token is None:
            self._token = self._login()
        req = urllib.request.Request(
            self.api + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self._token}"},
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read() or b"null")

    def _login(self) -> str:
        req = urllib.request.Request(
            self.api + "/auth/token",
            method="POST",
            data=json.dumps({"username": "admin", "password": self.password}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            return str(json.loads(resp.read())["access_token"])

    def trigger(self, day: date) -> str:
        run = self.call("POST", f"/api/v2/dags/{DAG_ID}/dagRuns", {"logical_date": None, "conf": {"day": str(day)}})
        return str(run["dag_run_id"])

    def run_state(self, run_id: str) -> str:
        return str(self.call("GET", f"/api/v2/dags/{DAG_ID}/dagRuns/{urllib.request.quote(run_id)}")["state"])

    def wait_run(self, run_id: str, timeout_s: float = 240) -> str:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.check_alive()
            state = self.run_state(run_id)
            if state in ("success", "failed"):
                return state
            time.sleep(2)
        return self.run_state(run_id)

    def task_instances(self, run_id: str) -> list[dict[str, Any]]:
        got = self.call("GET", f"/api/v2/dags/{DAG_ID}/dagRuns/{urllib.request.quote(run_id)}/taskInstances?limit=100")
        return list(got["task_instances"])

    def tries(self, run_id: str, task_id: str, map_index: int) -> list[dict[str, Any]]:
        got = self.call(
            "GET",
            f"/api/v2/dags/{DAG_ID}/dagRuns/{urllib.request.quote(run_id)}/taskInstances/{task_id}/{map_index}/tries",
        )
        return list(got["task_instances"])

    def states(self, run_id: str) -> list[tuple[str, int, str, str, int]]:
        """(task, map index, state, host, try) of every task instance of a run: for failure messages."""
        return sorted(
            (ti["task_id"], ti["map_index"], str(ti["state"]), str(ti["hostname"]), ti["try_number"])
            for ti in self.task_instances(run_id)
        )

    def logs(self) -> str:
        return "\n".join(f"--- {name}\n{_tail(self.log(name), 25)}" for name in self.procs)


def _start_postgres(stack: Stack) -> str:
    """A throwaway cluster (initdb + postgres as the ``postgres`` user when we are root); returns
    the SQLAlchemy URL of database ``airflow``."""
    initdb, postgres = _binary("initdb"), _binary("postgres")
    user = None
    if os.geteuid() == 0:
        import pwd

        try:
            pwd.getpwnam("postgres")
        except KeyError:
            _missing("running as root and no 'postgres' user to run PostgreSQL as (Debian: make tools)")
        user = "postgres"
    data = stack.base / "pg"
    data.mkdir()
    if user:
        shutil.chown(data, user)
    log = stack.log("initdb")
    with log.open("wb") as fh:
        subprocess.run(
            [initdb, "-D", str(data), "-U", "airflow", "--auth=trust", "-E", "UTF8", "--no-sync"],
            user=user,
            check=True,
            stdout=fh,
            stderr=subprocess.STDOUT,
            cwd=stack.base,
            timeout=120,
        )
    port = servers.free_port()
    proc = stack.start(
        "postgres",
        [
            postgres,
            "-D",
            str(data),
            "-p",
            str(port),
            "-k",
            str(data),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "max_connections=200",
        ],
        user=user,
    )
    import psycopg2

    def ready() -> bool:
        conn = psycopg2.connect(host="127.0.0.1", port=port, user="airflow", dbname="postgres", connect_timeout=2)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = 'airflow'")
            if cur.fetchone() is None:
                cur.execute("CREATE DATABASE airflow")
        conn.close()
        return True

    _wait("PostgreSQL", ready, proc, stack.log("postgres"), 60)
    return f"postgresql+psycopg2://airflow@127.0.0.1:{port}/airflow"


def _start_redis(stack: Stack) -> str:
    port = servers.free_port()
    (stack.base / "redis").mkdir()
    proc = stack.start(
        "redis",
        [
            _binary("redis-server"),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(stack.base / "redis"),
        ],
    )

    def ready() -> bool:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")

    _wait("redis-server", ready, proc, stack.log("redis"), 30)
    return f"redis://127.0.0.1:{port}/0"


@pytest.fixture(scope="module")
def stack(endpoints: Endpoints) -> Iterator[Stack]:
    try:
        import airflow.providers.celery
        import psycopg2  # noqa: F401
    except ImportError as exc:
        _missing(f"{exc.name} not installed (pip install -c constraints.txt -e '.[dev]')")
    base = Path(tempfile.mkdtemp(prefix="inkstream-scale-"))
    base.chmod(0o755)  # PostgreSQL runs as its own user below it
    (base / "logs").mkdir()
    tag = uuid.uuid4().hex[:8]
    password = secrets.token_urlsafe(12)
    stack = Stack(base=base, api="", env={}, settings=Settings(), password=password)
    try:
        db = _start_postgres(stack)
        broker = _start_redis(stack)
        s3_proc, s3 = servers.start_objectstore(base / "s3", servers.free_port(), bucket="staging")
        stack.procs["s3"] = s3_proc
        source = base / "issues"
        shutil.copytree(ROOT / "samples" / "issues" / "grrb" / str(DAY), source / "grrb" / str(DAY))
        papers = base / "papers"
        papers.mkdir()
        toml = (ROOT / "papers" / "grrb.toml").read_text(encoding="utf-8")
        # no scheduled runs: the tests trigger the day by hand (param day, no logical date)
        (papers / "grrb.toml").write_text(toml.replace(f"start_date = {DAY}", "start_date = 2099-01-01"), "utf-8")
        # the DAG files as they are now: the workers and the dag-processor parse the same copy
        dags = base / "dags"
        shutil.copytree(ROOT / "dags", dags, ignore=shutil.ignore_patterns("__pycache__"))
        api_port = servers.free_port()
        stack.api = f"http://127.0.0.1:{api_port}"
        (base / "passwords.json").write_text(json.dumps({"admin": password}), encoding="utf-8")
        inkstream = {
            "INKSTREAM_DATA_DIR": str(base / "control"),
            "INKSTREAM_SOURCE_ROOT": str(source),
            "INKSTREAM_PAPERS_DIR": str(papers),
            "INKSTREAM_DEFAULT_PAPER": "grrb",
            "INKSTREAM_KAFKA__BOOTSTRAP_SERVERS": json.dumps([endpoints.kafka]),
            "INKSTREAM_KAFKA__ARTICLES_TOPIC": f"s{tag}.articles",
            "INKSTREAM_KAFKA__ISSUES_TOPIC": f"s{tag}.issues",
            "INKSTREAM_KAFKA__DEADLETTER_TOPIC": f"s{tag}.deadletter",
            "INKSTREAM_KAFKA__CONSUMER_GROUP": f"g{tag}",
            "INKSTREAM_ES__URL": endpoints.es,
            "INKSTREAM_ES__ALIAS": f"scale-{tag}-articles",
            "INKSTREAM_STAGING_URL": f"s3://staging/{tag}",
            "INKSTREAM_STAGING_STORE__ENDPOINT": s3,
            "INKSTREAM_STAGING_STORE__REGION": "us-east-1",
            "INKSTREAM_STAGING_STORE__ACCESS_KEY_ID": "inkstream",
            "INKSTREAM_STAGING_STORE__SECRET_ACCESS_KEY": "inkstream",
            "INKSTREAM_STAGING_STORE__ALLOW_HTTP": "true",
            "INKSTREAM_AIRFLOW_RETRY_DELAY_S": "1",
            "INKSTREAM_AIRFLOW_POKE_INTERVAL_S": "2",
        }
        env = {k: v for k, v in os.environ.items() if not k.startswith(("INKSTREAM_", "AIRFLOW"))}
        env.update(inkstream)
        env.update(
            AIRFLOW_HOME=str(base / "airflow"),
            AIRFLOW__CORE__DAGS_FOLDER=str(dags),
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            AIRFLOW__CORE__EXECUTOR="CeleryExecutor",
            AIRFLOW__CORE__PARALLELISM="8",
            AIRFLOW__CORE__HOSTNAME_CALLABLE="tests.scale.workerhost.name",
            AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"{stack.api}/execution/",
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="admin:admin",
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(base / "passwords.json"),
            AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=db,
            AIRFLOW__CELERY__BROKER_URL=broker,
            AIRFLOW__CELERY__RESULT_BACKEND="db+" + db,
            AIRFLOW__CELERY__WORKER_CONCURRENCY="1",
            AIRFLOW__CELERY__WORKER_PREFETCH_MULTIPLIER="1",
            AIRFLOW__API__HOST="127.0.0.1",
            AIRFLOW__API__PORT=str(api_port),
            AIRFLOW__API__BASE_URL=f"http://localhost:{api_port}",
            AIRFLOW__API__WORKERS="1",
            AIRFLOW__API_AUTH__JWT_SECRET=secrets.token_hex(16),
            AIRFLOW__API__SECRET_KEY=secrets.token_hex(16),
            # a worker that stops heart-beating (killed) has its task failed and retried within ~30 s
            AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT="20",
            AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL="5",
            # a message a killed worker had reserved but not started is queued again after 60 s
            AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT="60",
            AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="10",
            AIRFLOW__LOGGING__LOGGING_LEVEL="INFO",
            AIRFLOW__LOGGING__NAMESPACE_LEVELS=QUIET,
            AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(servers.free_port()),
            PYTHONPATH=os.pathsep.join([str(dags), str(ROOT)]),
            PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        )
        stack.env = env
        airflow = [sys.executable, "-m", "airflow"]
        with stack.log("migrate").open("wb") as fh:
            subprocess.run(
                [*airflow, "db", "migrate"],
                env=env,
                check=True,
                stdout=fh,
                stderr=subprocess.STDOUT,
                timeout=300,
                cwd=base,
            )
        stack.start("api-server", [*airflow, "api-server"])
        stack.start("scheduler", [*airflow, "scheduler"])
        stack.start("dag-processor", [*airflow, "dag-processor"])
        for name in WORKERS:
            home = base / name
            worker_env = {
                **env,
                "AIRFLOW_HOME": str(home / "airflow"),
                "INKSTREAM_DATA_DIR": str(home / "data"),
                "SCALE_TEST_WORKER_NAME": name,
                "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(servers.free_port()),
            }
            stack.start(
                name,
                [
                    *airflow,
                    "celery",
                    "worker",
                    "--celery-hostname",
                    f"{name}@%h",
                    "--queues",
                    f"default,{name}",
                    "--concurrency",
                    "1",
                    "--without-mingle",
                    "--without-gossip",
                ],
                env=worker_env,
            )
        _wait(
            "the API and the parsed DAG",
            lambda: stack.call("GET", f"/api/v2/dags/{DAG_ID}"),
            stack.procs["api-server"],
            stack.log("dag-processor"),
            240,
        )
        stack.call("PATCH", f"/api/v2/dags/{DAG_ID}", {"is_paused": False})
        stack.settings = Settings(
            data_dir=base / "control",
            source_root=source,
            papers_dir=papers,
            staging_url=inkstream["INKSTREAM_STAGING_URL"],
            staging_store=StagingStore(
                endpoint=s3,
                region="us-east-1",
                access_key_id="inkstream",
                secret_access_key="inkstream",
                allow_http=True,
            ),
        ).model_copy(
            update={
                "kafka": Settings().kafka.model_copy(
                    update={
                        "bootstrap_servers": [endpoints.kafka],
                        "articles_topic": f"s{tag}.articles",
                        "issues_topic": f"s{tag}.issues",
                        "deadletter_topic": f"s{tag}.deadletter",
                    }
                ),
                "es": Settings().es.model_copy(update={"url": endpoints.es, "alias": f"scale-{tag}-articles"}),
            }
        )
        yield stack
    finally:
        for name in reversed(list(stack.procs)):
            stop(stack.procs[name])
        if os.environ.get("INKSTREAM_TEST_KEEP_SCALE"):
            print(f"scale stack files kept in {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
