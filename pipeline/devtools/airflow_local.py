"""Run the project's DAGs locally: ``inkstream demo`` (dag.test per sample day) and
``inkstream airflow`` (standalone UI). Airflow reads its config from the environment at import
time, so Airflow itself runs in a child process with the environment prepared here."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from pipeline.config import Settings, load_paper
from pipeline.errors import PipelineError
from pipeline.resources import data_dir

DAGS_FOLDER = data_dir("dags")
QUIET_LOGGERS = (
    "kafka=WARNING elasticsearch=WARNING elastic_transport=WARNING urllib3=WARNING "
    "sqlalchemy=WARNING alembic=WARNING httpx=WARNING uvicorn.access=WARNING"
)


def airflow_env(settings: Settings, home: Path | None = None) -> dict[str, str]:
    home = home or settings.data_dir / "airflow"
    home.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(DAGS_FOLDER),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home / 'airflow.db'}",
        AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="True",
        # INFO: each task's log says what it did (day, folder, counts); the chatty clients stay at WARNING
        AIRFLOW__LOGGING__LOGGING_LEVEL=env.get("AIRFLOW__LOGGING__LOGGING_LEVEL", "INFO"),
        AIRFLOW__LOGGING__NAMESPACE_LEVELS=env.get("AIRFLOW__LOGGING__NAMESPACE_LEVELS", QUIET_LOGGERS),
        INKSTREAM_DATA_DIR=str(settings.data_dir),
        INKSTREAM_SOURCE_ROOT=str(settings.source_root),
        INKSTREAM_PAPERS_DIR=str(settings.papers_dir),
        INKSTREAM_DEFAULT_PAPER=settings.default_paper,
        INKSTREAM_KAFKA__BOOTSTRAP_SERVERS=json.dumps(settings.kafka.bootstrap_servers),
        INKSTREAM_ES__URL=settings.es.url,
    )
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(DAGS_FOLDER), env.get("PYTHONPATH", "")) if p)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def migrate(env: dict[str, str]) -> None:
    marker = Path(env["AIRFLOW_HOME"]) / ".migrated"
    if marker.is_file():
        return
    subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)
    marker.write_text("ok")


def dag_test(
    env: dict[str, str], dag_id: str, days: Sequence[date | str], check: bool = True, output: list[str] | None = None
) -> list[dict[str, Any]]:
    """Run ``dag.test()`` for each day in a child process; returns one result per day (run state
    and task states). A day given as ``"manual:YYYY-MM-DD"`` runs as a manual run with no logical
    date and the day as its param. ``check``: raise unless every run succeeded; ``output``
    collects the child's output (the task logs)."""
    migrate(env)
    cmd = [sys.executable, "-m", "pipeline.devtools.airflow_local", dag_id, *[str(d) for d in days]]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if output is not None:
        output.append(proc.stdout + proc.stderr)
    results = [json.loads(line[7:]) for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode not in (0, 1) or len(results) != len(days) or (check and proc.returncode != 0):
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-40:])
        raise PipelineError(f"dag.test of {dag_id} failed (exit {proc.returncode}):\n{tail}")
    return results


def _child(dag_id: str, days: list[str]) -> int:  # pragma: no cover - runs under Airflow
    import pendulum
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    if bag.import_errors:
        print(f"import errors: {bag.import_errors}", file=sys.stderr)
        return 2
    dag = bag.get_dag(dag_id)
    code = 0
    for day in days:
        if day.startswith("manual:"):  # a manual run of a day: no logical date, the day as the param
            day = day.split(":", 1)[1]
            run = dag.test(logical_date=None, run_conf={"day": day})
        else:
            d = date.fromisoformat(day)
            run = dag.test(logical_date=pendulum.datetime(d.year, d.month, d.day, 7, tz="Asia/Shanghai"))
        tis = {
            ti.task_id + (f"[{ti.map_index}]" if ti.map_index >= 0 else ""): str(ti.state)
            for ti in run.get_task_instances()
        }
        print("RESULT " + json.dumps({"day": day, "run_id": run.run_id, "state": str(run.state), "tasks": tis}))
        if str(run.state) != "success":
            code = 1
    return code


#: the sample paper read from the local e-paper site
SITE_PAPER = "grrb-site"


def run_demo(settings: Settings, keep_running: bool, console: Any, site: bool = False) -> None:
    """Local servers + the newspaper_ingest DAG for every sample day + a search. ``site``: read the
    sample issues from the local e-paper site (``papers/grrb-site.toml``, article HTML and page
    PDFs over HTTP) instead of the sample folder."""
    from pipeline.devtools import servers
    from pipeline.indexing import client
    from pipeline.indexing import search as index_search
    from pipeline.runner.staging import run_staging, staging
    from pipeline.sources import source_for

    started = time.monotonic()
    state = servers.read_state(settings.data_dir)
    if set(state) != set(servers.SERVICES):  # none running, or one died: up (re)starts what is missing
        recorded = servers.recorded_state(settings.data_dir)
        kafka_port = None if "kafka" in recorded or not servers.port_in_use(9092) else servers.free_port()
        es_port = None if "elasticsearch" in recorded or not servers.port_in_use(9200) else servers.free_port()
        state = servers.up(settings.data_dir, kafka_port, es_port)
    else:
        servers.wait_kafka(state["kafka"].address)
        servers.wait_elasticsearch(state["elasticsearch"].address)
    console.print(f"Kafka (protocol)       {state['kafka'].address}")
    console.print(f"Elasticsearch (REST)   {state['elasticsearch'].address}")
    settings = settings.model_copy(
        update={
            "kafka": settings.kafka.model_copy(update={"bootstrap_servers": [state["kafka"].address]}),
            "es": settings.es.model_copy(update={"url": state["elasticsearch"].address}),
        }
    )
    handle = None
    if site:
        from pipeline.devtools.epaper_site import start_site

        handle = start_site()
        settings = settings.model_copy(
            update={"site": settings.site.model_copy(update={"base_url": handle.url + "/epaper"})}
        )
        console.print(f"e-paper site           {handle.url}/epaper")
    paper = load_paper(settings, SITE_PAPER if site else settings.default_paper)
    dag_id = "newspaper_ingest" if paper.id == settings.default_paper else f"newspaper_ingest__{paper.id}"
    try:
        days = source_for(settings, paper).available_dates(paper.id)
        env = airflow_env(settings)
        if handle is not None:
            env["INKSTREAM_SITE__BASE_URL"] = handle.url + "/epaper"
        console.print(
            f"Airflow: dag.test() of {dag_id} for {len(days)} sample day(s): {', '.join(d.isoformat() for d in days)}"
        )
        results = dag_test(env, dag_id, days)
    finally:
        if handle is not None:
            handle.stop()
    for res in results:
        summary = run_staging(settings, paper.id, date.fromisoformat(res["day"]), res["run_id"]).summary() or {}
        console.print(
            f"  {res['day']}  run {res['state']:8}  pages {summary.get('pages_ok')}  "
            f"articles {summary.get('articles')}  entities {summary.get('entities')}  "
            f"metrics {summary.get('metrics')}  indexed {summary.get('in_index')}  "
            f"dead letters {summary.get('dead_letters')}"
        )
    es = client.make_client(settings.es)
    try:
        client.refresh(es, settings.es)
        query = "工会"
        hits = list(index_search.search(es, settings.es, query, size=5))
    finally:
        es.close()
    console.print(f"\nSearch {query!r} → {len(hits)} hit(s):")
    for hit in hits:
        console.print(f"  {hit['issue_date']}  第{hit['page']}版  {hit['headline']}")
    exe = Path(sys.argv[0]) if Path(sys.argv[0]).name == "inkstream" else Path("inkstream")
    try:
        exe = exe.resolve().relative_to(Path.cwd())
    except ValueError:
        pass
    console.print(
        f"\nDone in {time.monotonic() - started:.0f}s. Where to look:\n"
        f"  {exe} search 快递员        search the index (headline, date, page)\n"
        f"  {settings.es.url}/{settings.es.alias}/_search   the Elasticsearch index\n"
        f"  {staging(settings)}   per-run staging files and summary.json\n"
        f"  {settings.data_dir / 'airflow'}   Airflow home (logs); `{exe} airflow` starts the UI\n"
        f"  {exe} down                  stop the local servers"
    )
    if not hits:
        raise PipelineError("the demo search found nothing")
    if not keep_running:
        servers.down(settings.data_dir)


def standalone_env(settings: Settings, host: str, port: int) -> dict[str, str]:
    env = airflow_env(settings)
    url_host = f"[{host}]" if ":" in host else ("localhost" if host in ("0.0.0.0", "127.0.0.1") else host)
    env.update(
        AIRFLOW__API__HOST=host,
        AIRFLOW__API__PORT=str(port),
        AIRFLOW__API__BASE_URL=f"http://{url_host}:{port}",
        AIRFLOW__CORE__PARALLELISM="4",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS="False",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="admin:admin",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(password_file(env)),
    )
    return env


def password_file(env: dict[str, str]) -> Path:
    return Path(env["AIRFLOW_HOME"]) / "simple_auth_manager_passwords.json.generated"


def ensure_password(path: Path, user: str = "admin") -> None:
    """Generate the UI user's password into ``path`` (mode 0600) before Airflow starts, so Airflow
    finds it there and does not print it."""
    passwords: dict[str, str] = {}
    if path.is_file() and path.read_text(encoding="utf-8").strip():
        passwords = json.loads(path.read_text(encoding="utf-8"))
    if user in passwords:
        return
    passwords[user] = secrets.token_urlsafe(16)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(passwords) + "\n")


def standalone(settings: Settings, host: str, port: int, stop_timeout_s: float = 20.0) -> int:
    """``airflow standalone`` with the project's DAGs (SQLite; examples off), the API server on
    ``host:port`` (127.0.0.1 unless told otherwise). Airflow runs in its own process group: Ctrl-C
    or SIGTERM stops the whole group (scheduler, dag-processor, api-server, triggerer), SIGKILL
    after ``stop_timeout_s``. Returns Airflow's exit status."""
    env = standalone_env(settings, host, port)
    migrate(env)
    pw = password_file(env)
    ensure_password(pw)
    print(f"Airflow UI: {env['AIRFLOW__API__BASE_URL']}  (user 'admin'; password in {pw})", flush=True)
    proc = subprocess.Popen([sys.executable, "-m", "airflow", "standalone"], env=env, start_new_session=True)
    stopping: list[int] = []

    def stop(signum: int, _frame: Any) -> None:
        stopping.append(signum)
        _signal_group(proc.pid, signal.SIGTERM)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        while True:
            try:
                code = proc.wait(timeout=0.5)
                break
            except subprocess.TimeoutExpired:
                continue
        if stopping:
            print("Airflow stopping ...", flush=True)
    finally:
        stop_group(proc.pid, stop_timeout_s)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 130 if stopping else code


def _signal_group(pgid: int, sig: int) -> bool:
    try:
        os.killpg(pgid, sig)
        return True
    except ProcessLookupError:
        return False


def stop_group(pgid: int, timeout_s: float) -> None:
    """SIGTERM every process of the group, SIGKILL what is left after ``timeout_s``."""
    if not _signal_group(pgid, signal.SIGTERM):
        return
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not _group_alive(pgid):
            return
        time.sleep(0.2)
    _signal_group(pgid, signal.SIGKILL)


def _group_alive(pgid: int) -> bool:
    """A process of the group is alive and not a zombie (Linux /proc; else: killpg succeeds)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return _signal_group(pgid, 0)
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(_child(sys.argv[1], sys.argv[2:]))
