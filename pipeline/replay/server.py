"""An HTTP forward proxy on 127.0.0.1 that answers for the corpus' fictional hosts.

The collector talks to it exactly as to the web through a proxy (``collect.proxy``): requests use
absolute URLs (``GET http://www.lhorizon.test/... HTTP/1.1``), so per-host politeness, robots.txt,
redirects, conditional GET and stored URLs are the same as in production. Pages come byte-for-byte
from ``corpus/site/`` as listed in ``corpus/site/manifest.json``.
"""

from __future__ import annotations

import email.utils
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import ConfigError
from .faults import Fault, apply_fault, load_faults


@dataclass
class Entry:
    """One URL the replay server answers for."""

    file: Path | None
    status: int
    headers: dict[str, str]


@dataclass
class RequestLog:
    """Requests seen by the server (tests use it to check politeness and conditional GET)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    items: list[tuple[float, str, str, int]] = field(default_factory=list)  # (time, host, path, status)

    def add(self, host: str, path: str, status: int) -> None:
        with self.lock:
            self.items.append((time.monotonic(), host, path, status))

    def for_host(self, host: str) -> list[tuple[float, str, str, int]]:
        """Requests to one host, in arrival order."""
        with self.lock:
            return [i for i in self.items if i[1] == host]


def load_manifest(corpus_dir: Path) -> dict[str, Entry]:
    """Read corpus/site/manifest.json into a url -> Entry map."""
    site = corpus_dir / "site"
    manifest = site / "manifest.json"
    if not manifest.exists():
        raise ConfigError(f"No {manifest}.", hint="Build the corpus: python corpus/build.py", code="E130")
    data = json.loads(manifest.read_text("utf-8"))
    entries = {}
    for item in data["entries"]:
        file = site / item["file"] if item.get("file") else None
        entries[item["url"]] = Entry(file=file, status=int(item.get("status", 200)), headers=dict(item.get("headers", {})))
    return entries


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        if self.server.verbose:
            super().log_message(format, *args)

    def _target(self) -> tuple[str, str]:
        if self.path.startswith(("http://", "https://")):
            parts = urlsplit(self.path)
            path = parts.path or "/"
            return parts.netloc.lower(), path + (f"?{parts.query}" if parts.query else "")
        return (self.headers.get("Host") or "").lower(), self.path

    def _send(self, status: int, headers: dict[str, str], body: bytes, head: bool) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _answer(self, head: bool = False) -> None:
        host, path = self._target()
        url = f"http://{host}{path}"
        fault = self.server.faults.get(url) or self.server.faults.get(url.split("?", 1)[0])
        if fault is not None and apply_fault(self, fault, head):
            self.server.log.add(host, path, fault.status if fault.kind in ("status", "flaky") else 0)
            return
        entry = self.server.entries.get(url) or self.server.entries.get(url.split("?", 1)[0])
        if entry is None:
            body = b"<html><body><h1>404 Not Found</h1></body></html>"
            self._send(404, {"Content-Type": "text/html; charset=utf-8"}, body, head)
            self.server.log.add(host, path, 404)
            return
        headers = dict(entry.headers)
        etag, last_mod = headers.get("ETag"), headers.get("Last-Modified")
        inm, ims = self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
        not_modified = bool(etag and inm and inm == etag)
        if not not_modified and last_mod and ims and not inm:
            try:
                not_modified = email.utils.parsedate_to_datetime(ims) >= email.utils.parsedate_to_datetime(last_mod)
            except (TypeError, ValueError):
                not_modified = False
        if not_modified and entry.status == 200:
            self._send(304, {k: v for k, v in headers.items() if k in ("ETag", "Last-Modified")}, b"", True)
            self.server.log.add(host, path, 304)
            return
        body = entry.file.read_bytes() if entry.file else b""
        self._send(entry.status, headers, body, head)
        self.server.log.add(host, path, entry.status)

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._answer()

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(head=True)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, entries: dict[str, Entry], faults: dict[str, Fault], verbose: bool):
        super().__init__(addr, _Handler)
        self.entries = entries
        self.faults = faults
        self.verbose = verbose
        self.log = RequestLog()
        self._hits: dict[str, int] = {}
        self._hits_lock = threading.Lock()

    def bump(self, url: str) -> int:
        """Count requests to a URL (for faults that change behaviour over time)."""
        with self._hits_lock:
            self._hits[url] = self._hits.get(url, 0) + 1
            return self._hits[url]


class ReplayServer:
    """Serve a corpus folder on 127.0.0.1 in a background thread; ``with ReplayServer(...) as s``."""

    def __init__(self, corpus_dir: str | Path, *, host: str = "127.0.0.1", port: int = 0,
                 faults_file: str | Path | None = None, verbose: bool = False):
        corpus_dir = Path(corpus_dir)
        entries = load_manifest(corpus_dir)
        faults = load_faults(Path(faults_file)) if faults_file else {}
        self._server = _Server((host, port), entries, faults, verbose)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Proxy URL to give the collector (``collect.proxy``)."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def log(self) -> RequestLog:
        """Requests served so far."""
        return self._server.log

    @property
    def urls(self) -> list[str]:
        """Every URL the server answers for."""
        return sorted(self._server.entries)

    def start(self) -> "ReplayServer":
        """Start serving in a daemon thread."""
        self._thread = threading.Thread(target=self._server.serve_forever, name="replay", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> "ReplayServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_corpus(corpus_dir: str | Path, host: str = "127.0.0.1", port: int = 8765,
                 faults_file: str | Path | None = None, verbose: bool = False) -> None:
    """Serve in the foreground until interrupted (the `veille replay` command)."""
    server = ReplayServer(corpus_dir, host=host, port=port, faults_file=faults_file, verbose=verbose)
    try:
        server._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server._server.server_close()


def wait_for_port(port: int, host: str = "127.0.0.1", timeout: float = 20.0) -> None:
    """Block until something listens on host:port (used by `make run` after starting the server)."""
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex((host, port)) == 0:
                return
        time.sleep(0.1)
    raise ConfigError(f"Nothing listens on {host}:{port} after {timeout:.0f} s.",
                      hint="See data/replay.log; is the port already taken?", code="E133")
