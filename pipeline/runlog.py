"""Structured log of a run: one JSON object per line in ``<log_dir>/<run_id>.jsonl`` (stdlib logging).

Every line has ``ts`` (UTC ISO time), ``level``, ``run_id`` and ``event``; events are
``run_start``, ``stage_start``, ``progress``, ``stage_end``, ``stage_error``, ``snapshot``,
``finish_error`` (the run row could not be updated after a failure), ``run_end``. Read it with ``jq`` or DuckDB's ``read_json``.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

LOGGER = "veille.run"


class JsonLines(logging.Formatter):
    """Format a record as one JSON object; structured fields come from ``extra={"fields": {...}}``."""

    def __init__(self, run_id: str):
        super().__init__()
        self.run_id = run_id

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(), "run_id": self.run_id, "event": record.getMessage(),
        }
        data.update(getattr(record, "fields", {}))
        if record.exc_info:
            data["traceback"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


class RunLog:
    """The JSON-lines log of one run; ``event(name, **fields)`` writes and flushes one line."""

    def __init__(self, log_dir: str | Path, run_id: str):
        self.path = Path(log_dir) / f"{run_id}.jsonl"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One logger per run (tests run several in one process); no propagation to the root logger.
        self.logger = logging.getLogger(f"{LOGGER}.{run_id}")
        self.logger.setLevel(logging.INFO)
        self.logger.propagate = False
        self.handler = logging.FileHandler(self.path, encoding="utf-8")  # flushes after each line
        self.handler.setFormatter(JsonLines(run_id))
        self.logger.addHandler(self.handler)

    def event(self, name: str, level: int = logging.INFO, exc_info: bool = False, **fields: Any) -> None:
        """Write one event line."""
        self.logger.log(level, name, extra={"fields": fields}, exc_info=exc_info)

    def close(self) -> None:
        """Detach and close the file."""
        self.logger.removeHandler(self.handler)
        self.handler.close()

    def progress(self, stage: str, user: Callable[[int, int], None] | None,
                 every_seconds: float = 1.0) -> Callable[[int, int], None]:
        """Wrap a progress callback so that it also logs (at most once per ``every_seconds``)."""
        last = [0.0]

        def update(done: int, total: int) -> None:
            if user:
                user(done, total)
            now = time.monotonic()
            if done == total or now - last[0] >= every_seconds:
                last[0] = now
                self.event("progress", stage=stage, done=done, total=total)

        return update
