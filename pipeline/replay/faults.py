"""Fault injection for the replay server: make chosen URLs misbehave like the real web does."""

from __future__ import annotations

import gzip
import time
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..errors import ConfigError

KINDS = {"flaky", "status", "timeout", "slow_body", "reset", "gzip_bomb", "huge", "redirect_loop", "body",
         "delay", "billion_laughs", "malformed_xml", "wrong_charset", "robots_disallow"}

# XML entity expansion ("billion laughs"): 10 levels of 10 references, about 3 GB if expanded.
BILLION_LAUGHS = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title>
<item><title>&lol9;</title><link>http://{host}/lol</link><description>&lol9;</description></item>
</channel></rss>
"""


@dataclass(frozen=True)
class Fault:
    """What to do instead of serving the URL normally."""

    kind: str
    status: int = 500
    seconds: float = 0.0
    size: int = 0
    body: str = ""
    content_type: str = "text/html; charset=utf-8"
    retry_after: str = ""
    times: int = 1  # flaky: how many requests fail before the URL is served normally
    disallow: tuple[str, ...] = ()  # robots_disallow: path prefixes added as Disallow lines


def load_faults(path: Path) -> dict[str, Fault]:
    """Read a faults file: ``[[faults]]`` tables with url, kind and parameters."""
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"Cannot read faults file {path}: {exc}", code="E131") from None
    out = {}
    for raw in data.get("faults", []):
        raw = dict(raw)
        url, kind = raw.pop("url", None), raw.get("kind")
        if not url or kind not in KINDS:
            raise ConfigError(f"Fault {raw} in {path} needs a url and a kind in {sorted(KINDS)}.", code="E132")
        if "disallow" in raw:
            raw["disallow"] = tuple(raw["disallow"])
        try:
            out[url] = Fault(**raw)
        except TypeError as exc:
            raise ConfigError(f"Fault for {url} in {path}: {exc}.", code="E132") from None
        if kind == "gzip_bomb":
            # Compressed here, once: compressing at request time took long enough on a loaded machine
            # for the client's read timeout to fire before the bomb was even sent.
            gzip_bomb(out[url].size or 200_000_000)
    return out


@lru_cache(maxsize=4)
def gzip_bomb(size: int) -> bytes:
    """``size`` zero bytes, gzip-compressed (about a thousandth of the size on the wire)."""
    return gzip.compress(b"\0" * size, compresslevel=9)


def apply_fault(handler, fault: Fault, head: bool) -> bool:
    """Answer the request according to ``fault``; return False to serve normally."""
    kind = fault.kind
    if kind == "flaky":
        host, path = handler._target()
        seen = handler.server.bump(f"http://{host}{path}")
        if seen > fault.times:
            return False
        headers = {"Content-Type": "text/html"}
        if fault.retry_after:
            headers["Retry-After"] = fault.retry_after
        handler._send(fault.status, headers, b"<html><body>busy</body></html>", head)
    elif kind == "status":
        body = f"<html><body>Error {fault.status}</body></html>".encode()
        headers = {"Content-Type": "text/html"}
        if fault.retry_after:
            headers["Retry-After"] = fault.retry_after
        handler._send(fault.status, headers, body, head)
    elif kind == "timeout":
        time.sleep(fault.seconds or 30)
        handler.close_connection = True
    elif kind == "slow_body":
        body = (fault.body or "<html><body>" + "lent " * 2000 + "</body></html>").encode()
        handler.send_response(200)
        handler.send_header("Content-Type", fault.content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        step = max(1, len(body) // 20)
        for i in range(0, len(body), step):
            try:
                handler.wfile.write(body[i:i + step])
                handler.wfile.flush()
            except OSError:
                break
            time.sleep((fault.seconds or 10) / 20)
    elif kind == "reset":
        import socket
        import struct

        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.close_connection = True
        handler.connection.close()
    elif kind == "gzip_bomb":
        body = gzip_bomb(fault.size or 200_000_000)
        handler._send(200, {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"}, body, head)
    elif kind == "huge":
        size = fault.size or 20_000_000
        body = b"<html><body>" + b"<p>" + b"x" * (size - 40) + b"</p></body></html>"
        handler._send(200, {"Content-Type": "text/html; charset=utf-8"}, body, head)
    elif kind == "redirect_loop":
        host, path = handler._target()
        target = f"http://{host}{path}{'&' if '?' in path else '?'}r=1"
        handler._send(302, {"Location": target}, b"", head)
    elif kind == "body":
        handler._send(fault.status or 200, {"Content-Type": fault.content_type}, fault.body.encode(), head)
    elif kind == "delay":
        time.sleep(fault.seconds or 5)  # a slow server: then the real answer (holds a run mid-stage)
        return False
    elif kind == "billion_laughs":
        host, _ = handler._target()
        handler._send(200, {"Content-Type": "application/rss+xml"}, BILLION_LAUGHS.replace("{host}", host).encode(), head)
    elif kind == "malformed_xml":
        # What a broken CMS serves as a feed: an HTML error page cut short, with a 200 status.
        body = fault.body or ('<?xml version="1.0"?><rss version="2.0"><channel><title>Fil</title>'
                              "<item><title>Erreur <b>PHP</b> &nbsp; Warning: mysql_connect()</title><link>")
        handler._send(200, {"Content-Type": "application/rss+xml"}, body.encode("utf-8"), head)
    elif kind == "wrong_charset":
        # The real page re-encoded as windows-1252 while the header still declares UTF-8.
        entry = _entry(handler)
        if entry is None or entry.file is None:
            return False
        text = entry.file.read_bytes().decode("utf-8")
        body = text.encode("cp1252", errors="xmlcharrefreplace")
        handler._send(200, {"Content-Type": "text/html; charset=utf-8"}, body, head)
    elif kind == "robots_disallow":
        entry = _entry(handler)
        real = entry.file.read_text("utf-8") if entry is not None and entry.file is not None else ""
        rules = "".join(f"Disallow: {p}\n" for p in fault.disallow)
        # Our rules go into a "User-agent: *" group placed first, so every crawler gets them.
        body = f"User-agent: *\n{rules}\n{real}"
        handler._send(200, {"Content-Type": "text/plain; charset=utf-8"}, body.encode(), head)
    else:
        return False
    return True


def _entry(handler):
    """The manifest entry the faulty URL would have served (None for URLs outside the corpus)."""
    host, path = handler._target()
    url = f"http://{host}{path}"
    return handler.server.entries.get(url) or handler.server.entries.get(url.split("?", 1)[0])
