"""The staging area: what a run's page tasks hand to its publish task, and each run's summary.

The one owner of the staging format. Per run: ``<root>/<paper>/<YYYY-MM-DD>/<run id>/`` holding
``page-NN.jsonl`` (one enriched article per line), ``page-NN.error.json`` (a failed page: stage and
reason) and ``summary.json`` (the run's ledger row).

The root is a local folder (default ``<data_dir>/staging``) or an object-store prefix
(``Settings.staging_url = "s3://bucket/prefix"``), so that page tasks and the publish task of one
issue may run on different machines (Celery or Kubernetes workers) that share nothing but the
object store. Every write is whole or absent to a reader: a file is written under a temporary
name and renamed; an object PUT is atomic by itself. A page task retried on another worker
writes the same name, overwriting the earlier attempt's result. S3 goes through the MinIO client
(pure Python on urllib3: no botocore, whose python-dateutil pin Airflow's conflicts with, and safe
in forked page workers).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from pipeline.errors import ConfigError
from pipeline.models import EnrichedArticle

if TYPE_CHECKING:
    from pipeline.config import Settings, StagingStore

_PAGE = re.compile(r"^page-(\d+)\.jsonl$")
_ERROR = re.compile(r"^page-(\d+)\.error\.json$")
_SUMMARY = "summary.json"


def _safe(run_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", run_id)


class _Store(Protocol):
    """Objects by key (``a/b/c``, ``/``-separated, relative to the staging root)."""

    def put(self, key: str, data: bytes) -> None: ...
    def get(self, key: str) -> bytes | None: ...
    def delete(self, keys: Sequence[str]) -> None: ...
    def list(self, prefix: str) -> list[tuple[str, float]]: ...  # (key, modified as a POSIX time), key order
    def where(self, key: str) -> str: ...


class _Folder:
    """A local folder: an object is a file, written to a temporary name and renamed."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def where(self, key: str) -> str:
        return str(self.root / key) if key else str(self.root)

    def put(self, key: str, data: bytes) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)

    def get(self, key: str) -> bytes | None:
        try:
            return (self.root / key).read_bytes()
        except OSError:
            return None

    def delete(self, keys: Sequence[str]) -> None:
        for key in keys:
            (self.root / key).unlink(missing_ok=True)

    def list(self, prefix: str) -> list[tuple[str, float]]:
        folder = self.root / prefix.rstrip("/") if prefix else self.root
        if not folder.is_dir():
            return []
        found = []
        for path in folder.rglob("*"):
            if path.is_file() and not path.name.endswith(".tmp"):
                try:
                    found.append((path.relative_to(self.root).as_posix(), path.stat().st_mtime))
                except OSError:  # removed while listing
                    continue
        return sorted(found)

    def clear(self, prefix: str) -> None:
        shutil.rmtree(self.root / prefix, ignore_errors=True)


class _Bucket:
    """An S3 bucket and prefix (``s3://bucket/prefix``) through the MinIO client (any S3 API).

    One client per process: a client made before a fork (``inkstream run``'s page workers, Celery's
    prefork pool) is not used by the child, whose sockets would be shared with the parent."""

    def __init__(self, url: str, store: StagingStore | None = None) -> None:
        from urllib.parse import urlsplit

        self.url = url.rstrip("/")
        parts = urlsplit(self.url)
        self.bucket, self.base = parts.netloc, parts.path.strip("/")
        if not self.bucket:
            raise ConfigError(f"staging URL {url}: no bucket (s3://bucket/prefix)")
        store = store or _default_store()
        endpoint = urlsplit(store.endpoint or "https://s3.amazonaws.com")
        if endpoint.scheme not in ("http", "https") or not endpoint.netloc:
            raise ConfigError(f"staging store endpoint {store.endpoint}: expected http(s)://host[:port]")
        if endpoint.scheme == "http" and not store.allow_http:
            raise ConfigError(f"staging store endpoint {store.endpoint} is plain HTTP: set allow_http")
        self._options: dict[str, Any] = {
            "endpoint": endpoint.netloc,
            "secure": endpoint.scheme == "https",
            "region": store.region or "us-east-1",  # given, so the client never asks the bucket's location
        }
        if store.access_key_id:
            secret = store.secret_access_key.get_secret_value() if store.secret_access_key else ""
            self._options |= {"access_key": store.access_key_id, "secret_key": secret}
        self._client: Any = None
        self._pid = -1

    def client(self) -> Any:
        import os

        if self._client is None or self._pid != os.getpid():
            from minio import Minio
            from minio.credentials.providers import ChainedProvider, EnvAWSProvider, IamAwsProvider

            options = dict(self._options)
            if "access_key" not in options:  # the worker's AWS_* environment or its instance role
                options["credentials"] = ChainedProvider([EnvAWSProvider(), IamAwsProvider()])
            self._client, self._pid = Minio(**options), os.getpid()
        return self._client

    def _name(self, key: str) -> str:
        return f"{self.base}/{key}" if self.base else key

    def where(self, key: str) -> str:
        return f"{self.url}/{key}" if key else self.url

    def put(self, key: str, data: bytes) -> None:
        import io

        self.client().put_object(self.bucket, self._name(key), io.BytesIO(data), len(data))

    def get(self, key: str) -> bytes | None:
        from minio.error import S3Error

        try:
            response = self.client().get_object(self.bucket, self._name(key))
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject"):
                return None
            raise
        try:
            return bytes(response.read())
        finally:
            response.close()
            response.release_conn()

    def delete(self, keys: Sequence[str]) -> None:
        from minio.deleteobjects import DeleteObject

        if len(keys) == 1:
            self.client().remove_object(self.bucket, self._name(keys[0]))
        elif keys:
            errors = list(self.client().remove_objects(self.bucket, [DeleteObject(self._name(k)) for k in keys]))
            if errors:
                raise OSError(f"deleting from {self.url}: {errors[0]}")

    def list(self, prefix: str) -> list[tuple[str, float]]:
        start = len(self.base) + 1 if self.base else 0
        found = [
            (obj.object_name[start:], obj.last_modified.timestamp() if obj.last_modified else 0.0)
            for obj in self.client().list_objects(self.bucket, prefix=self._name(prefix), recursive=True)
            if not obj.is_dir
        ]
        return sorted(found)

    def clear(self, prefix: str) -> None:
        self.delete([key for key, _ in self.list(prefix)])


def _default_store() -> StagingStore:
    from pipeline.config import StagingStore

    return StagingStore()


def _open(root: Path | str, store: StagingStore | None = None) -> _Folder | _Bucket:
    text = str(root)
    if text.startswith("s3://"):
        return _Bucket(text, store)
    if "://" in text and not text.startswith("file://"):
        raise ConfigError(f"staging URL {text}: only a folder, file:// or s3:// is supported")
    return _Folder(Path(text.removeprefix("file://")))


class RunStaging:
    """One run of one issue in the staging area."""

    def __init__(self, store: _Folder | _Bucket, prefix: str) -> None:
        self.store, self.prefix = store, prefix

    def __str__(self) -> str:
        return self.store.where(self.prefix)

    def _key(self, name: str) -> str:
        return f"{self.prefix}/{name}"

    def clear(self) -> None:
        """Forget what an earlier attempt of this run staged (a re-run starts clean)."""
        self.store.clear(self.prefix)

    def _write(self, name: str, lines: Iterable[str]) -> str:
        key = self._key(name)
        self.store.put(key, "".join(lines).encode("utf-8"))
        return self.store.where(key)

    def _read_json(self, name: str) -> dict[str, Any] | None:
        data = self.store.get(self._key(name))
        try:
            return None if data is None else dict(json.loads(data))
        except ValueError:
            return None

    def write_page(self, page: int, articles: Sequence[EnrichedArticle]) -> str:
        """Stage a page's articles; a failure recorded earlier for the page is dropped."""
        where = self._write(f"page-{page:02d}.jsonl", (a.model_dump_json() + "\n" for a in articles))
        self.store.delete([self._key(f"page-{page:02d}.error.json")])
        return where

    def write_page_error(self, page: int, stage: str, error: str) -> None:
        self._write(
            f"page-{page:02d}.error.json",
            [json.dumps({"page": page, "stage": stage, "error": error}, ensure_ascii=False)],
        )

    def page_error(self, page: int) -> dict[str, Any] | None:
        """The failure recorded for a page (``stage``, ``error``), or None."""
        return self._read_json(f"page-{page:02d}.error.json")

    def _numbers(self, pattern: re.Pattern[str]) -> list[int]:
        names = (key.rsplit("/", 1)[-1] for key, _ in self.store.list(self.prefix + "/"))
        return sorted(int(m.group(1)) for name in names if (m := pattern.match(name)))

    def pages_ok(self) -> list[int]:
        return self._numbers(_PAGE)

    def pages_failed(self) -> list[int]:
        return self._numbers(_ERROR)

    def articles(self) -> Iterator[EnrichedArticle]:
        """The staged articles, page by page."""
        for page in self.pages_ok():
            data = self.store.get(self._key(f"page-{page:02d}.jsonl"))
            if data is None:  # cleared while reading
                continue
            yield from (
                EnrichedArticle.model_validate_json(line) for line in data.decode("utf-8").splitlines() if line.strip()
            )

    def write_summary(self, summary: dict[str, Any]) -> None:
        self._write(_SUMMARY, [json.dumps(summary, ensure_ascii=False, indent=1)])

    def summary(self) -> dict[str, Any] | None:
        return self._read_json(_SUMMARY)


class Staging:
    """The staging area under ``root``: a folder (``Settings.staging_dir``) or an ``s3://`` URL."""

    def __init__(self, root: Path | str, store: StagingStore | None = None) -> None:
        self.root = root
        self.store = _open(root, store)

    def __str__(self) -> str:
        return self.store.where("")

    def run(self, paper: str, issue_date: date, run_id: str) -> RunStaging:
        return RunStaging(self.store, f"{paper}/{issue_date.isoformat()}/{_safe(run_id)}")

    def summaries(self, paper: str | None = None, issue_date: str | None = None) -> list[dict[str, Any]]:
        """Every run's summary (``_mtime``: when it was written), oldest issue first, then oldest run."""
        prefix = f"{paper}/" + (f"{issue_date}/" if issue_date else "") if paper else ""
        rows = []
        for key, mtime in self.store.list(prefix):
            parts = key.split("/")
            # <paper>/<date>/<run>/summary.json; "_..." folders are caches kept beside the runs (HTTP downloads)
            if len(parts) != 4 or parts[3] != _SUMMARY or parts[2].startswith("_"):
                continue
            if issue_date and parts[1] != issue_date:
                continue
            data = self.store.get(key)
            if data is None:
                continue
            row = json.loads(data)
            row["_mtime"] = mtime
            rows.append(row)
        rows.sort(key=lambda r: (r["issue_id"], r["_mtime"]))
        return rows


def staging(settings: Settings) -> Staging:
    """The configured staging area: ``settings.staging_url`` (a folder or ``s3://bucket/prefix``),
    else the folder ``<data_dir>/staging``."""
    return Staging(settings.staging_url or settings.staging_dir, settings.staging_store)


def run_staging(settings: Settings, paper: str, issue_date: date, run_id: str) -> RunStaging:
    """The staging of one run under the configured staging area."""
    return staging(settings).run(paper, issue_date, run_id)


def with_staging_connection(settings: Settings, conn: Mapping[str, Any] | None) -> Settings:
    """Settings whose object store comes from a connection record (Airflow's ``inkstream_staging``,
    type ``aws``: login/password are the access key id and secret; ``extra`` may set
    ``endpoint_url``, ``region_name``, ``staging_url``): the credentials then live in Airflow."""
    if not conn:
        return settings
    from pydantic import SecretStr

    extra = conn.get("extra") or {}
    if isinstance(extra, str):
        extra = json.loads(extra) if extra.strip() else {}
    update: dict[str, Any] = {}
    if conn.get("login"):
        update["access_key_id"] = conn["login"]
        update["secret_access_key"] = SecretStr(str(conn.get("password") or ""))
    if extra.get("endpoint_url"):
        update["endpoint"] = extra["endpoint_url"]
        update["allow_http"] = str(extra["endpoint_url"]).startswith("http://")
    if extra.get("region_name"):
        update["region"] = extra["region_name"]
    top: dict[str, Any] = {"staging_store": settings.staging_store.model_copy(update=update)}
    if extra.get("staging_url"):
        top["staging_url"] = str(extra["staging_url"])
    return settings.model_copy(update=top)
