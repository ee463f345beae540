"""Polite HTTP fetching: timeouts, bounded redirects and size, retries honouring Retry-After,
charset from headers, meta or detection."""

from __future__ import annotations

import hashlib
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import charset_normalizer
import httpx

from ..errors import CollectError, Reason

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.I)
RETRY_STATUSES = {429, 500, 502, 503, 504}
WESTERN = ["utf_8", "cp1252", "iso8859_15", "iso8859_1"]


@dataclass
class Response:
    """A complete HTTP response as fetched (body bytes kept for the archive)."""

    url: str
    final_url: str
    status: int
    headers: dict[str, str]
    body: bytes
    fetched_at: datetime
    http_version: str = "HTTP/1.1"
    redirects: list[str] = field(default_factory=list)

    @property
    def sha256(self) -> str:
        """Hash of the raw body."""
        return hashlib.sha256(self.body).hexdigest()

    @property
    def content_type(self) -> str:
        """Media type without parameters."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


class HostLimiter:
    """Per-host concurrency and request spacing (requests per second), shared across threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._next: dict[str, float] = {}
        self._policy: dict[str, tuple[float, int]] = {}

    def configure(self, host: str, requests_per_second: float, concurrency: int) -> None:
        """Set the politeness policy of one host (before fetching from it)."""
        with self._lock:
            self._policy[host] = (max(requests_per_second, 0.01), max(concurrency, 1))
            self._slots[host] = threading.BoundedSemaphore(max(concurrency, 1))

    def slow_down(self, host: str, seconds: float) -> None:
        """Respect a Crawl-delay or Retry-After by pushing the host's next slot back."""
        with self._lock:
            self._next[host] = max(self._next.get(host, 0.0), time.monotonic() + seconds)

    def acquire(self, host: str) -> None:
        """Block until a request to ``host`` is allowed."""
        with self._lock:
            if host not in self._slots:
                self._policy[host] = (1.0, 1)
                self._slots[host] = threading.BoundedSemaphore(1)
            slot = self._slots[host]
        slot.acquire()
        with self._lock:
            rps = self._policy[host][0]
            now = time.monotonic()
            start = max(now, self._next.get(host, 0.0))
            self._next[host] = start + 1.0 / rps
        if start > now:
            time.sleep(start - now)

    def release(self, host: str) -> None:
        """Free the host's concurrency slot."""
        self._slots[host].release()


class Fetcher:
    """An httpx client wrapped with Veille's politeness and safety rules."""

    def __init__(self, *, user_agent: str, proxy: str = "", connect_timeout: float = 5.0,
                 read_timeout: float = 20.0, max_body_bytes: int = 5_000_000, max_redirects: int = 5,
                 retries: int = 2, backoff_seconds: float = 0.5, max_wait_seconds: float = 30.0,
                 limiter: HostLimiter | None = None, pool_size: int = 16):
        self.max_body_bytes = max_body_bytes
        self.max_redirects = max_redirects
        self.retries = retries
        self.backoff_seconds = backoff_seconds
        self.max_wait_seconds = max_wait_seconds
        self.limiter = limiter or HostLimiter()
        self.client = httpx.Client(
            headers={"User-Agent": user_agent, "Accept-Language": "fr,fr-FR;q=0.9,en;q=0.5"},
            proxy=proxy or None,
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
            follow_redirects=False,
            limits=httpx.Limits(max_connections=pool_size, max_keepalive_connections=pool_size),
            trust_env=False,
        )

    def close(self) -> None:
        """Close the connection pool."""
        self.client.close()

    def get(self, url: str, headers: dict[str, str] | None = None) -> Response:
        """GET with bounded redirects and retries; raise CollectError with a reason code."""
        redirects: list[str] = []
        current = url
        while True:
            resp = self._get_with_retries(current, headers or {})
            if resp.status in (301, 302, 303, 307, 308) and "location" in resp.headers:
                if len(redirects) >= self.max_redirects:
                    raise CollectError(f"more than {self.max_redirects} redirects", reason=Reason.TOO_MANY_REDIRECTS)
                redirects.append(current)
                current = urljoin(current, resp.headers["location"])
                continue
            resp.url, resp.redirects = url, redirects
            return resp

    def _get_with_retries(self, url: str, headers: dict[str, str]) -> Response:
        scheme = urlsplit(url).scheme.lower()
        if scheme not in ("http", "https"):
            raise CollectError(f"scheme {scheme!r} is not fetched", reason=Reason.BAD_SCHEME)
        host = urlsplit(url).netloc.lower()
        attempt = 0
        while True:
            self.limiter.acquire(host)
            try:
                resp = self._get_once(url, headers)
            except (httpx.TimeoutException,) as exc:
                error: CollectError | None = CollectError(f"timeout: {exc.__class__.__name__}", reason=Reason.TIMEOUT)
                resp = None
            except httpx.TransportError as exc:
                error = CollectError(f"connection failed: {exc}".strip(), reason=Reason.CONNECTION_ERROR)
                resp = None
            else:
                error = None
            finally:
                self.limiter.release(host)
            retryable = error is not None or (resp is not None and resp.status in RETRY_STATUSES)
            if not retryable or attempt >= self.retries:
                if error:
                    raise error
                return resp
            wait = self.backoff_seconds * (2 ** attempt)
            if resp is not None and "retry-after" in resp.headers:
                wait = _retry_after_seconds(resp.headers["retry-after"], wait)
            wait = min(wait, self.max_wait_seconds)
            self.limiter.slow_down(host, wait)
            attempt += 1

    def _get_once(self, url: str, headers: dict[str, str]) -> Response:
        with self.client.stream("GET", url, headers=headers) as r:
            declared = r.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > self.max_body_bytes:
                raise CollectError(f"Content-Length {declared} exceeds {self.max_body_bytes}", reason=Reason.TOO_LARGE)
            chunks, size = [], 0
            # iter_bytes decodes gzip/deflate: counting here bounds the *decompressed* size (gzip bombs).
            for chunk in r.iter_bytes():
                size += len(chunk)
                if size > self.max_body_bytes:
                    raise CollectError(f"body exceeds {self.max_body_bytes} bytes", reason=Reason.TOO_LARGE)
                chunks.append(chunk)
            return Response(
                url=url, final_url=str(r.url), status=r.status_code,
                headers={k.lower(): v for k, v in r.headers.items()}, body=b"".join(chunks),
                fetched_at=datetime.now(timezone.utc), http_version=r.http_version,
            )


def _retry_after_seconds(value: str, default: float) -> float:
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(timezone.utc)).total_seconds())
    except (TypeError, ValueError):
        return default


def decode_html(body: bytes, content_type_header: str) -> tuple[str, str]:
    """Decode a page: charset from the header, else <meta>, else detection; verify it decodes.

    A declared charset that fails to decode the bytes (a common misconfiguration) falls back to
    detection; raises CollectError(bad_charset) when nothing gives a clean decode.
    """
    candidates = []
    m = re.search(r"charset=([\w\-:.]+)", content_type_header or "", re.I)
    if m:
        candidates.append(m.group(1).strip().lower())
    m = _META_CHARSET.search(body[:4096])
    if m:
        candidates.append(m.group(1).decode("ascii", "ignore").lower())
    for enc in candidates:
        try:
            return body.decode(enc), enc
        except (LookupError, UnicodeDecodeError):
            continue
    # French-language sites that mislabel their charset are almost always windows-1252/latin-9:
    # prefer those among the detector's candidates before letting it pick any code page.
    best = charset_normalizer.from_bytes(body, cp_isolation=WESTERN).best() or charset_normalizer.from_bytes(body).best()
    if best is None or best.encoding is None:
        raise CollectError("cannot determine the character set", reason=Reason.BAD_CHARSET)
    return str(best), best.encoding.lower()
