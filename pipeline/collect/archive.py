"""WARC archive of every fetched response (warcio): one file per run, re-readable offline."""

from __future__ import annotations

import io
import threading
from pathlib import Path
from typing import Iterator

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from .http import Response


class RunArchive:
    """Append-only WARC writer for one run; thread-safe; returns each record's offset."""

    def __init__(self, folder: str | Path, run_id: str):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.name = f"{run_id}.warc.gz"
        self.path = self.folder / self.name
        self._fh = open(self.path, "ab")
        self._writer = WARCWriter(self._fh, gzip=True)
        self._lock = threading.Lock()

    def write(self, resp: Response) -> int:
        """Write a response record; return its byte offset in the file."""
        status_line = f"{resp.status} {'OK' if resp.status == 200 else 'Status'}"
        headers = [(k, v) for k, v in resp.headers.items()
                   if k not in ("content-encoding", "transfer-encoding", "content-length")]
        http_headers = StatusAndHeaders(status_line, headers, protocol="HTTP/1.1")
        record = self._writer.create_warc_record(
            resp.final_url, "response", payload=io.BytesIO(resp.body), http_headers=http_headers,
            warc_headers_dict={"WARC-Date": resp.fetched_at.strftime("%Y-%m-%dT%H:%M:%SZ")},
        )
        with self._lock:
            offset = self._fh.tell()
            self._writer.write_record(record)
            self._fh.flush()
        return offset

    def close(self) -> None:
        """Flush and close the file."""
        self._fh.close()


def read_record(path: str | Path, offset: int) -> tuple[str, dict[str, str], bytes]:
    """Read one response back: (target URL, lower-cased headers, body bytes)."""
    with open(path, "rb") as fh:
        fh.seek(offset)
        for record in ArchiveIterator(fh):
            headers = {k.lower(): v for k, v in record.http_headers.headers} if record.http_headers else {}
            return record.rec_headers.get_header("WARC-Target-URI"), headers, record.content_stream().read()
    raise FileNotFoundError(f"no WARC record at {path}:{offset}")


def iter_records(path: str | Path) -> Iterator[tuple[str, dict[str, str], bytes, int]]:
    """Every response record of a WARC file with its offset."""
    with open(path, "rb") as fh:
        it = ArchiveIterator(fh)
        for record in it:
            if record.rec_type != "response":
                continue
            headers = {k.lower(): v for k, v in record.http_headers.headers} if record.http_headers else {}
            yield record.rec_headers.get_header("WARC-Target-URI"), headers, record.content_stream().read(), it.get_record_offset()
