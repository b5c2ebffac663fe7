"""Polite HTTP downloads for the e-paper source: one shared gate per host (at most ``connections``
requests at once and at most ``rate_per_s`` request starts per second, across every thread and
process on the machine), robots.txt honoured (its Crawl-delay too), retries with exponential backoff
on timeouts, connection errors, 429 and 5xx, and a download cache with validators: a body kept on
disk is asked for again with If-None-Match / If-Modified-Since, so a re-run downloads nothing that
did not change (304), and not asked for at all while it is younger than ``revalidate_after_s``.

httpx (BSD-3-Clause, already installed with Airflow) is the client: timeouts per phase, HTTP/1.1
keep-alive with a bounded pool, basic auth; no retries of its own (ours count and back off).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import time
import urllib.robotparser
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from pipeline.sources.siteconfig import SiteConfig

log = logging.getLogger(__name__)

#: statuses worth asking again (the site is busy or broken for now)
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
MAX_RETRY_AFTER_S = 60.0


class FetchError(Exception):
    """A URL that could not be downloaded: ``status`` (None: no answer) and why."""

    def __init__(self, url: str, reason: str, status: int | None = None) -> None:
        self.url, self.reason, self.status = url, reason, status
        super().__init__(url, reason, status)

    def __str__(self) -> str:
        return f"{self.url}: {self.reason}"


class NotFound(FetchError):
    """404 / 410: not there (yet)."""


class Disallowed(FetchError):
    """robots.txt forbids it."""


class TooLarge(FetchError):
    """The body is above the size limit (``Limits.max_page_bytes``): not downloaded further."""


@dataclass
class Fetched:
    url: str
    body: bytes
    content_type: str | None
    #: "downloaded" (200), "revalidated" (304: the kept copy is current), "cached" (no request)
    how: str


@dataclass
class _Answer:
    status_code: int
    headers: httpx.Headers
    content: bytes
    url: str
    num_bytes_downloaded: int  # as sent (compressed), not as decoded


@dataclass
class FetchStats:
    requests: int = 0
    downloaded: int = 0
    not_modified: int = 0
    cached: int = 0
    retries: int = 0
    failed: int = 0
    bytes: int = 0
    seconds: float = 0.0
    statuses: dict[int, int] = field(default_factory=dict)


def _key(url: str) -> str:
    return hashlib.sha1(url.encode("utf-8")).hexdigest()[:20]


class HostGate:
    """At most ``connections`` requests in flight and one request start per ``interval`` seconds
    for one host, across threads and processes: slot files locked with ``flock`` while a request
    runs, and a file holding the earliest time the next request may start."""

    def __init__(self, folder: Path, host: str, connections: int, interval: float) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        safe = "".join(ch if ch.isalnum() or ch in "-." else "_" for ch in host)
        self.slots = [folder / f"{safe}.slot{n}" for n in range(connections)]
        self.next_file = folder / f"{safe}.next"
        self.interval = interval

    @contextmanager
    def slot(self) -> Iterator[None]:
        fd = None
        for path in self.slots:
            cand = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(cand, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(cand)
                continue
            fd = cand
            break
        if fd is None:  # every slot busy: queue on one
            fd = os.open(self.slots[os.getpid() % len(self.slots)], os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            self._wait_turn()
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _wait_turn(self) -> None:
        fd = os.open(self.next_file, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            raw = os.pread(fd, 64, 0)
            try:
                earliest = float(raw.decode() or 0)
            except ValueError:
                earliest = 0.0
            now = time.time()
            start = max(now, earliest)
            if start > now:
                time.sleep(start - now)
            stamp = f"{start + self.interval:.6f}".encode()
            os.ftruncate(fd, 0)
            os.pwrite(fd, stamp, 0)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


class Fetcher:
    """Downloads for one site; ``get(url, cache_dir)`` keeps bodies and validators in ``cache_dir``."""

    def __init__(
        self,
        site: SiteConfig,
        gate_dir: Path,
        robots_dir: Path,
        auth: tuple[str, str] | None = None,
        max_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        self.site = site
        self.max_bytes = max_bytes
        self.gate_dir = gate_dir
        self.robots_dir = robots_dir
        self.stats = FetchStats()
        self._gates: dict[str, HostGate] = {}
        self._robots: dict[str, urllib.robotparser.RobotFileParser] = {}
        self._client = httpx.Client(
            timeout=httpx.Timeout(site.timeout_s),
            headers={"User-Agent": site.user_agent, "Accept-Encoding": "gzip, deflate"},
            limits=httpx.Limits(max_connections=site.connections, max_keepalive_connections=site.connections),
            follow_redirects=True,
            auth=auth,
        )
        # sources are built per step and dropped without a close: the pool closes with its owner
        self._closer = weakref.finalize(self, self._client.close)

    def close(self) -> None:
        self._closer()

    # ------------------------------------------------------------------ politeness

    def _gate(self, url: str) -> HostGate:
        host = urlsplit(url).netloc
        if host not in self._gates:
            delay = self._crawl_delay(url) if self.site.robots else None
            interval = max(1.0 / self.site.rate_per_s, delay or 0.0)
            self._gates[host] = HostGate(self.gate_dir, host, self.site.connections, interval)
        return self._gates[host]

    def _robot(self, url: str) -> urllib.robotparser.RobotFileParser:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._robots:
            parser = urllib.robotparser.RobotFileParser(origin + "/robots.txt")
            # RFC 9309: a robots.txt that is not there (4xx) allows everything; one that cannot be
            # read (5xx, no answer) forbids everything for now
            try:
                got = self._get(
                    origin + "/robots.txt",
                    self.robots_dir,
                    HostGate(self.gate_dir, parts.netloc, self.site.connections, 1.0 / self.site.rate_per_s),
                    fresh_s=max(self.site.revalidate_after_s, 3600.0),
                )
                parser.parse(got.body.decode("utf-8", "replace").splitlines())
            except NotFound:
                parser.parse([])  # no rules: everything allowed
            except FetchError as exc:
                if exc.status is not None and 400 <= exc.status < 500:
                    parser.parse([])
                else:
                    raise FetchError(
                        url, f"robots.txt unreadable ({exc.reason}): not fetching for now", exc.status
                    ) from exc
            self._robots[origin] = parser
        return self._robots[origin]

    def _agent(self) -> str:
        return self.site.user_agent.split("/", 1)[0].strip() or "*"

    def _crawl_delay(self, url: str) -> float | None:
        delay = self._robot(url).crawl_delay(self._agent())
        return float(delay) if delay is not None else None

    # ------------------------------------------------------------------ downloads

    def get(self, url: str, cache_dir: Path, fresh_s: float | None = None) -> Fetched:
        if self.site.robots and not self._robot(url).can_fetch(self._agent(), url):
            raise Disallowed(url, "robots.txt disallows it")
        return self._get(url, cache_dir, self._gate(url), self.site.revalidate_after_s if fresh_s is None else fresh_s)

    def cached(self, url: str, cache_dir: Path) -> bytes | None:
        """The kept body of ``url``, without a request (None if never downloaded)."""
        path = cache_dir / f"{_key(url)}.body"
        return path.read_bytes() if path.is_file() else None

    def _get(self, url: str, cache_dir: Path, gate: HostGate, fresh_s: float) -> Fetched:
        body_path = cache_dir / f"{_key(url)}.body"
        meta_path = cache_dir / f"{_key(url)}.json"
        meta: dict[str, Any] | None = None
        if body_path.is_file() and meta_path.is_file():
            try:
                meta = json.loads(meta_path.read_text(encoding="utf-8"))
            except ValueError:
                meta = None
        if meta is not None and time.time() - float(meta.get("validated_at", 0)) < fresh_s:
            self.stats.cached += 1
            return Fetched(url, body_path.read_bytes(), meta.get("content_type"), "cached")
        headers = {}
        if meta is not None:
            if meta.get("etag"):
                headers["If-None-Match"] = meta["etag"]
            if meta.get("last_modified"):
                headers["If-Modified-Since"] = meta["last_modified"]
        resp = self._request(url, headers, gate, cache_dir)
        if resp.status_code == 304 and meta is not None:
            self.stats.not_modified += 1
            meta["validated_at"] = time.time()
            _write(meta_path, json.dumps(meta, ensure_ascii=False).encode("utf-8"))
            return Fetched(url, body_path.read_bytes(), meta.get("content_type"), "revalidated")
        if resp.status_code in (404, 410):
            raise NotFound(url, f"HTTP {resp.status_code}", resp.status_code)
        if resp.status_code != 200:
            raise FetchError(url, f"HTTP {resp.status_code}", resp.status_code)
        body = resp.content
        self.stats.downloaded += 1
        new_meta = {
            "url": url,
            "final_url": resp.url,
            "etag": resp.headers.get("etag"),
            "last_modified": resp.headers.get("last-modified"),
            "content_type": resp.headers.get("content-type"),
            "bytes": len(body),
            "sha256": hashlib.sha256(body).hexdigest(),
            "fetched_at": time.time(),
            "validated_at": time.time(),
        }
        cache_dir.mkdir(parents=True, exist_ok=True)
        _write(body_path, body)
        _write(meta_path, json.dumps(new_meta, ensure_ascii=False).encode("utf-8"))
        return Fetched(url, body, new_meta["content_type"], "downloaded")

    def _request(self, url: str, headers: dict[str, str], gate: HostGate, cache_dir: Path) -> _Answer:
        attempt = 0
        while True:
            started = time.time()
            error: str
            status: int | None = None
            retry_after: float | None = None
            try:
                with gate.slot():
                    t0 = time.time()
                    resp = self._read(url, headers)
                wire = resp.num_bytes_downloaded  # as sent (compressed), not as decoded
                self._count(resp.status_code, wire, time.time() - t0)
                self._journal(cache_dir, url, resp.status_code, wire, t0, attempt)
                if resp.status_code not in RETRY_STATUSES:
                    return resp
                status, error = resp.status_code, f"HTTP {resp.status_code}"
                retry_after = _retry_after(resp.headers.get("retry-after"))
            except httpx.TimeoutException as exc:
                self._count(None, 0, time.time() - started)
                self._journal(cache_dir, url, None, 0, started, attempt)
                error = f"timed out after {self.site.timeout_s:g} s ({type(exc).__name__})"
            except httpx.TransportError as exc:
                self._count(None, 0, time.time() - started)
                self._journal(cache_dir, url, None, 0, started, attempt)
                error = f"{type(exc).__name__}: {exc}"
            if attempt >= self.site.retries:
                self.stats.failed += 1
                tries = attempt + 1
                raise FetchError(url, f"{error} ({tries} attempt{'s' if tries > 1 else ''})", status)
            delay = self.site.backoff_s * (2**attempt)
            if retry_after is not None:
                delay = max(delay, min(retry_after, MAX_RETRY_AFTER_S))
            log.warning("GET %s: %s; retry %d of %d in %.1f s", url, error, attempt + 1, self.site.retries, delay)
            self.stats.retries += 1
            attempt += 1
            time.sleep(delay)

    def _read(self, url: str, headers: dict[str, str]) -> _Answer:
        """GET ``url``, reading no more than ``max_bytes`` of its body (a larger one is refused)."""
        with self._client.stream("GET", url, headers=headers) as resp:
            declared = resp.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > self.max_bytes:
                raise TooLarge(url, f"{declared} bytes, above the limit of {self.max_bytes}", resp.status_code)
            chunks, size = [], 0
            for chunk in resp.iter_bytes():
                size += len(chunk)
                if size > self.max_bytes:
                    raise TooLarge(url, f"more than {self.max_bytes} bytes, above the limit", resp.status_code)
                chunks.append(chunk)
            return _Answer(resp.status_code, resp.headers, b"".join(chunks), str(resp.url), resp.num_bytes_downloaded)

    def _count(self, status: int | None, size: int, seconds: float) -> None:
        self.stats.requests += 1
        self.stats.bytes += size
        self.stats.seconds += seconds
        if status is not None:
            self.stats.statuses[status] = self.stats.statuses.get(status, 0) + 1

    def _journal(self, cache_dir: Path, url: str, status: int | None, size: int, at: float, attempt: int) -> None:
        """One line per request in ``<cache_dir>/requests.jsonl``: what was asked of the site, when."""
        cache_dir.mkdir(parents=True, exist_ok=True)
        line = (
            json.dumps(
                {
                    "at": round(at, 4),
                    "url": url,
                    "status": status,
                    "bytes": size,
                    "attempt": attempt,
                    "pid": os.getpid(),
                }
            )
            + "\n"
        )
        fd = os.open(cache_dir / "requests.jsonl", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, line.encode("utf-8"))
        finally:
            os.close(fd)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
