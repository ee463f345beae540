"""robots.txt rules per host (protego), fetched once per run and cached."""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

from protego import Protego

from ..errors import CollectError
from .http import Fetcher


class RobotsCache:
    """Fetch and cache each host's robots.txt; a missing or broken file allows everything."""

    def __init__(self, fetcher: Fetcher, user_agent: str, enabled: bool = True):
        self.fetcher = fetcher
        self.agent = user_agent.split("/")[0]
        self.enabled = enabled
        self._rules: dict[str, Protego | None] = {}
        self._lock = threading.Lock()

    def _rules_for(self, url: str) -> Protego | None:
        parts = urlsplit(url)
        base = f"{parts.scheme}://{parts.netloc.lower()}"
        with self._lock:
            if base in self._rules:
                return self._rules[base]
        try:
            resp = self.fetcher.get(base + "/robots.txt")
            text = resp.body.decode("utf-8", "replace") if resp.status == 200 else ""
        except CollectError:
            text = ""
        rules = Protego.parse(text) if text else None
        with self._lock:
            self._rules[base] = rules
        return rules

    def allowed(self, url: str) -> bool:
        """Whether our user agent may fetch ``url``."""
        if not self.enabled:
            return True
        rules = self._rules_for(url)
        return True if rules is None else rules.can_fetch(url, self.agent)

    def crawl_delay(self, url: str) -> float | None:
        """The host's Crawl-delay for our agent, if any."""
        rules = self._rules_for(url)
        if rules is None:
            return None
        delay = rules.crawl_delay(self.agent)
        return float(delay) if delay else None
