"""Load a page in a real headless Chromium (Debian's `chromium`): the DOM after scripts ran, the
console messages, and a screenshot."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-default-apps",
         "--enable-logging=stderr", "--v=0"]
# Chromium prints page console messages (console.log/error, uncaught exceptions) as
#   [pid:tid:time:INFO:CONSOLE:12] "Uncaught ReferenceError: x is not defined", source: file:///... (12)
_CONSOLE = re.compile(r":CONSOLE(?::\d+)?\]\s*(.*)")


def chromium() -> str | None:
    """The Chromium binary, if installed."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if path := shutil.which(name):
            return path
    return None


@dataclass
class Loaded:
    """What Chromium saw."""

    dom: str
    console: list[str]
    stderr: str


def load(url: str, screenshot: Path | None = None, budget_ms: int = 10000) -> Loaded:
    """Load ``url``; return the serialised DOM (after the load event) and the console messages."""
    binary = chromium()
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        base = [binary, *FLAGS, f"--user-data-dir={profile}", f"--virtual-time-budget={budget_ms}"]
        run = subprocess.run([*base, "--dump-dom", url], capture_output=True, text=True, timeout=120)
        if screenshot is not None:
            subprocess.run([*base, f"--screenshot={screenshot}", "--window-size=1280,3000", "--hide-scrollbars", url],
                           capture_output=True, text=True, timeout=120)
    console = [m.group(1) for line in run.stderr.splitlines() if (m := _CONSOLE.search(line))]
    return Loaded(dom=run.stdout, console=console, stderr=run.stderr)


def body_attributes(dom: str) -> dict[str, str]:
    """Attributes of <body> in a dumped DOM."""
    m = re.search(r"<body([^>]*)>", dom)
    return dict(re.findall(r'([\w-]+)="([^"]*)"', m.group(1))) if m else {}
