"""A local e-paper website serving the project's own sample issues (``samples/src``), in the shape
such sites have: an archive of days, a per-day issue index linking the pages (版), a page with its
PDF and an image map linking one HTML page per article. Real HTTP (stdlib ThreadingHTTPServer,
HTTP/1.1 keep-alive), ETag and Last-Modified with 304 answers, robots.txt.

Faults for tests and the demo (keyword arguments of ``start_site``; ``day`` is ``YYYY-MM-DD``, a page
``YYYY-MM-DD/NN``):

* ``fail={"2026-11-19/03": 404}``: that page's HTML answers with the status (404, 500, …)
* ``late={"2026-11-20": 2}``: that day's issue index answers 404 to its first 2 requests (and the
  archive leaves the day out until then); ``late_s={"2026-11-20": 5.0}``: for 5 s after the start
* ``gb18030={"2026-11-18/02"}``: that page and its articles are GB18030 (the page declares it only in
  ``<meta charset>``, its articles in the Content-Type header)
* ``slow={"2026-11-18/01": (3.0, 1)}``: the first request(s) for that page's HTML wait 3 s first
* ``unavailable={"2026-11-18/04": 2}``: the first 2 requests for that page's HTML answer 503
* ``pdf_only={"2026-11-19/04"}``: that page links no article pages, only its PDF
* ``crawl_delay=0.5``, ``disallow=["/epaper/private/"]``: robots.txt lines
* ``etags=False``: no ETag, only Last-Modified (conditional requests by If-Modified-Since)

``python -m pipeline.devtools.epaper_site [--port 8765]`` serves it in the foreground.
"""

from __future__ import annotations

import argparse
import email.utils
import hashlib
import importlib.util
import re
import signal
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from pipeline.devtools.epaper_pages import (
    PAPER_NAME,
    SAMPLES,
    SitePage,
    load_pages,
    render_archive,
    render_article,
    render_index,
    render_page,
)

#: the page image the image maps refer to, in pixels


# ------------------------------------------------------------------------------ HTML


# ------------------------------------------------------------------------------ server


@dataclass
class Faults:
    fail: dict[str, int] = field(default_factory=dict)
    late: dict[str, int] = field(default_factory=dict)
    late_s: dict[str, float] = field(default_factory=dict)
    gb18030: set[str] = field(default_factory=set)
    slow: dict[str, tuple[float, int]] = field(default_factory=dict)
    unavailable: dict[str, int] = field(default_factory=dict)
    pdf_only: set[str] = field(default_factory=set)
    crawl_delay: float | None = None
    etags: bool = True
    disallow: list[str] = field(default_factory=list)


@dataclass
class Hit:
    at: float
    path: str
    status: int
    bytes: int
    conditional: bool
    user_agent: str


class Site:
    """The site's content and state (request counts for the faults, the request log)."""

    def __init__(self, pages: dict[date, dict[int, SitePage]], faults: Faults) -> None:
        self.pages = pages
        self.faults = faults
        self.started = time.time()
        self.lock = threading.Lock()
        self.hits: list[Hit] = []
        self.counts: dict[str, int] = {}
        self._pdfs: dict[tuple[date, int], bytes | None] = {}
        self._pdf_lock = threading.Lock()
        # when each day's issue appeared (Last-Modified of its files)
        self.published = {d: datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp() - 3 * 3600 for d in pages}

    def count(self, key: str) -> int:
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + 1
            return self.counts[key]

    def appeared(self, day: date, asking: bool) -> bool:
        key = day.isoformat()
        if key in self.faults.late_s and time.time() - self.started < self.faults.late_s[key]:
            return False
        if key in self.faults.late:
            seen = self.count(f"late:{key}") if asking else self.counts.get(f"late:{key}", 0)
            return seen > self.faults.late[key]
        return True

    def days(self) -> list[date]:
        return [d for d in sorted(self.pages) if self.appeared(d, asking=False)]

    @staticmethod
    def can_render_pdf() -> bool:
        return importlib.util.find_spec("pipeline.evaluation.pdfgen") is not None

    def pdf(self, day: date, page: int) -> bytes | None:
        """The page's PDF, rendered when first asked for (a second or more per page)."""
        with self._pdf_lock:
            if (day, page) in self._pdfs:
                return self._pdfs[(day, page)]
            try:
                from pipeline.evaluation.pdfgen import render_text_pdf
            except ImportError:
                self._pdfs[(day, page)] = None
            else:
                p = self.pages[day][page]
                self._pdfs[(day, page)] = render_text_pdf(p.text, title=f"{PAPER_NAME} {day} {p.name}")
        return self._pdfs[(day, page)]

    def robots(self) -> str:
        lines = ["User-agent: *"] + [f"Disallow: {p}" for p in self.faults.disallow]
        if not self.faults.disallow:
            lines.append("Disallow:")
        if self.faults.crawl_delay is not None:
            lines.append(f"Crawl-delay: {self.faults.crawl_delay:g}")
        return "\n".join(lines) + "\n"

    def resolve(self, path: str) -> tuple[int, bytes, str, date | None, float]:
        """(status, body, content type, day, delay before answering)."""
        html_type = "text/html; charset=utf-8"
        if path == "/robots.txt":
            return 200, self.robots().encode(), "text/plain; charset=utf-8", None, 0.0
        if path in ("/", "/epaper/", "/epaper/archive.html"):
            return 200, render_archive(self.days()).encode(), html_type, None, 0.0
        m = re.fullmatch(r"/epaper/(\d{4})-(\d{2})/(\d{2})/(.+)", path)
        if not m:
            return 404, b"not found\n", "text/plain", None, 0.0
        try:
            day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return 404, b"not found\n", "text/plain", None, 0.0
        pages = self.pages.get(day)
        rest = m.group(4)
        if pages is None:
            return 404, b"no issue\n", "text/plain", None, 0.0
        if rest == "index.html":
            if not self.appeared(day, asking=True):
                return 404, b"not yet\n", "text/plain", None, 0.0
            return 200, render_index(day, pages).encode(), html_type, day, 0.0
        if not self.appeared(day, asking=False):
            return 404, b"not yet\n", "text/plain", None, 0.0
        node = re.fullmatch(r"node_(\d+)\.html", rest)
        pdf = re.fullmatch(r"page_(\d+)\.pdf", rest)
        content = re.fullmatch(r"content_(\d+)_([0-9a-f]+)\.html", rest)
        which = node or pdf or content
        num = int(which.group(1)) if which else 0
        page = pages.get(num)
        if page is None:
            return 404, b"not found\n", "text/plain", None, 0.0
        tag = f"{day}/{num:02d}"
        gb = tag in self.faults.gb18030
        if node:
            delay = 0.0
            if tag in self.faults.slow:
                seconds, times = self.faults.slow[tag]
                if self.count(f"slow:{tag}") <= times:
                    delay = seconds
            if tag in self.faults.fail:
                return self.faults.fail[tag], b"page unavailable\n", "text/plain", None, delay
            if tag in self.faults.unavailable and self.count(f"503:{tag}") <= self.faults.unavailable[tag]:
                return 503, b"busy, try again\n", "text/plain", None, delay
            has_pdf = self.can_render_pdf()
            doc = render_page(page, "gb18030" if gb else "utf-8", tag not in self.faults.pdf_only, has_pdf)
            if gb:
                return 200, doc.encode("gb18030"), "text/html", day, delay  # declared in <meta> only
            return 200, doc.encode(), html_type, day, delay
        if pdf:
            data = self.pdf(day, num)
            if data is None:
                return 404, b"no pdf\n", "text/plain", None, 0.0
            return 200, data, "application/pdf", day, 0.0
        assert content is not None
        art = next((a for a in page.articles if a.key == content.group(2)), None)
        if art is None or tag in self.faults.pdf_only:
            return 404, b"not found\n", "text/plain", None, 0.0
        doc = render_article(page, art)
        if gb:
            return (
                200,
                doc.replace('charset="utf-8"', 'charset="gb18030"').encode("gb18030"),
                "text/html; charset=GB18030",
                day,
                0.0,
            )
        return 200, doc.encode(), html_type, day, 0.0


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "inkstream-epaper/1"
    # headers and body leave in one write (two small writes meet the client's delayed ACK: ~40 ms each)
    wbufsize = 1 << 16
    disable_nagle_algorithm = True
    site: Site

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def do_GET(self) -> None:
        self._answer(head=False)

    def _answer(self, head: bool) -> None:
        site = self.site
        path = self.path.split("?", 1)[0]
        arrived = time.time()
        status, body, ctype, day, delay = site.resolve(path)
        headers = {"Content-Type": ctype}
        conditional = bool(self.headers.get("If-None-Match") or self.headers.get("If-Modified-Since"))
        if status == 200:
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            modified = site.published.get(day, site.started) if day else site.started
            if site.faults.etags:
                headers["ETag"] = etag
            headers["Last-Modified"] = email.utils.formatdate(modified, usegmt=True)
            headers["Cache-Control"] = "no-cache"
            inm = self.headers.get("If-None-Match") if site.faults.etags else None
            if _not_modified(inm, self.headers.get("If-Modified-Since"), etag, modified):
                status, body = 304, b""
        if status >= 500 and status != 503:
            headers["Connection"] = "close"
        if status == 503:
            headers["Retry-After"] = "0"
        with site.lock:  # logged as it arrived, with the answer it gets
            site.hits.append(Hit(arrived, path, status, len(body), conditional, self.headers.get("User-Agent") or ""))
        if delay:
            time.sleep(delay)
        try:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head and body:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


def _not_modified(inm: str | None, ims: str | None, etag: str, modified: float) -> bool:
    if inm:
        return any(t.strip() in (etag, "*", f"W/{etag}") for t in inm.split(","))
    if ims:
        try:
            return email.utils.parsedate_to_datetime(ims).timestamp() >= int(modified)
        except (TypeError, ValueError):
            return False
    return False


@dataclass
class SiteHandle:
    url: str
    site: Site
    server: ThreadingHTTPServer
    thread: threading.Thread

    @property
    def requests(self) -> list[Hit]:
        with self.site.lock:
            return list(self.site.hits)

    def clear_requests(self) -> None:
        with self.site.lock:
            self.site.hits.clear()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def start_site(
    root_or_samples: Path | None = None, host: str = "127.0.0.1", port: int = 0, **faults: Any
) -> SiteHandle:
    """Serve the sample issues under ``root_or_samples`` (default ``samples/src``) in a thread;
    ``faults``: see the module's docstring. The base URL of the paper is ``handle.url + "/epaper"``."""
    site = Site(load_pages(root_or_samples or SAMPLES), Faults(**faults))
    handler = type("Handler", (_Handler,), {"site": site})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="epaper-site", daemon=True)
    thread.start()
    return SiteHandle(f"http://{host}:{server.server_address[1]}", site, server, thread)


def site_command(port: int, host: str = "127.0.0.1") -> list[str]:
    """The command that serves the site in its own process (for ``inkstream up`` / the demo);
    SIGTERM or SIGINT stops it. Its paper base URL is ``http://HOST:PORT/epaper``."""
    return [sys.executable, "-m", "pipeline.devtools.epaper_site", "--host", host, "--port", str(port)]


def wait_site(url: str, timeout_s: float = 10.0) -> None:
    """Return once the site at ``url`` (``http://host:port``) answers a request (its robots.txt)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url + "/robots.txt", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"the e-paper site at {url} did not answer within {timeout_s:g} s")
        time.sleep(0.05)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="serve the sample issues as an e-paper website")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--root", type=Path, default=SAMPLES)
    args = parser.parse_args(argv)
    handle = start_site(args.root, args.host, args.port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"e-paper site at {handle.url}/epaper/archive.html (base URL {handle.url}/epaper; Ctrl-C stops)", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    handle.stop()


if __name__ == "__main__":
    main()
