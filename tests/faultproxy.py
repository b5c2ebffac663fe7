"""A fault-injecting HTTP proxy in front of the real Elasticsearch-compatible server (the idea of
toxiproxy, in a few lines): requests are forwarded unchanged, except that the first ``n`` requests
matching a path suffix get an Elasticsearch-shaped error (429 ``es_rejected_execution_exception``
by default) and never reach the server. Everything else is the real server's answer."""

from __future__ import annotations

import http.client
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class FaultProxy:
    def __init__(self, upstream: str, path_suffix: str = "/_bulk", failures: int = 0, status: int = 429) -> None:
        self.upstream = urlsplit(upstream)
        self.path_suffix, self.failures, self.status = path_suffix, failures, status
        self.injected = 0
        self.forwarded = 0
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if proxy._should_fail(self.path):
                    payload = json.dumps(
                        {
                            "error": {
                                "type": "es_rejected_execution_exception",
                                "reason": "injected by the test proxy",
                            },
                            "status": proxy.status,
                        }
                    ).encode()
                    self._reply(proxy.status, {"Content-Type": "application/json"}, payload)
                    return
                conn = http.client.HTTPConnection(proxy.upstream.hostname, proxy.upstream.port, timeout=60)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                    conn.request(self.command, self.path, body=body or None, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                    keep = {
                        k: v
                        for k, v in resp.getheaders()
                        if k.lower() not in ("transfer-encoding", "connection", "content-length")
                    }
                    with proxy._lock:
                        proxy.forwarded += 1
                    self._reply(resp.status, keep, data)
                finally:
                    conn.close()

            def _reply(self, status: int, headers: dict[str, str], data: bytes) -> None:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _should_fail(self, path: str) -> bool:
        with self._lock:
            if self.injected < self.failures and path.split("?")[0].endswith(self.path_suffix):
                self.injected += 1
                return True
        return False

    def heal(self) -> None:
        with self._lock:
            self.failures = self.injected

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
