"""Build small throw-away sites for the replay server (collection and fault tests)."""

from __future__ import annotations

import hashlib
import json
from email.utils import format_datetime
from datetime import datetime, timezone
from pathlib import Path

ARTICLE = """<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>{title}</title>
<meta property="article:published_time" content="{date}"></head><body><nav>Accueil | Monde</nav>
<article><h1>{title}</h1><p class="byline">Par Jeanne Test</p>{paras}</article><footer>Mentions légales</footer></body></html>"""


def article_html(title: str, n: int = 6, date: str = "2025-01-29T08:00:00+01:00") -> str:
    """A plausible French article page."""
    paras = "".join(
        f"<p>Paragraphe {i} de l'article « {title} » : OpenAI accuse DeepSeek d'avoir distillé ses modèles, "
        f"une affaire qui agite la Silicon Valley et les chancelleries européennes depuis des semaines.</p>"
        for i in range(n))
    return ARTICLE.format(title=title, paras=paras, date=date)


def rss(host: str, items: list[tuple[str, str]]) -> str:
    """An RSS 2.0 feed with (path, title) items."""
    body = "".join(f"<item><title>{t}</title><link>http://{host}{p}</link>"
                   f"<pubDate>Wed, 29 Jan 2025 08:00:00 +0100</pubDate></item>" for p, t in items)
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{host}</title>{body}</channel></rss>'


class SiteKit:
    """Accumulates files, then writes site/ and manifest.json under ``root``."""

    def __init__(self, root: Path):
        self.root = root
        self.entries: list[dict] = []

    def add(self, url: str, body: str | bytes, content_type: str = "text/html; charset=utf-8", status: int = 200) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        rel = url.split("://", 1)[1]
        rel = rel + "index.html" if rel.endswith("/") else rel
        path = self.root / "site" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.entries.append({"url": url, "file": rel, "status": status, "headers": {
            "Content-Type": content_type, "ETag": '"' + hashlib.sha1(data).hexdigest()[:12] + '"',
            "Last-Modified": format_datetime(datetime(2025, 1, 29, tzinfo=timezone.utc), usegmt=True)}})

    def write(self) -> Path:
        (self.root / "site").mkdir(parents=True, exist_ok=True)
        (self.root / "site" / "manifest.json").write_text(json.dumps({"entries": self.entries}))
        return self.root

    def sources(self, outlets: list[dict]) -> Path:
        """Write a sources.toml for the given outlets (id, host, rps, concurrency)."""
        lines = []
        for o in outlets:
            lines += ["[[outlets]]", f'id = "{o["id"]}"', f'name = "{o["id"]}"',
                      f'homepage = "http://{o["host"]}/"', f'feeds = ["http://{o["host"]}/rss.xml"]',
                      f'requests_per_second = {float(o.get("rps", 50.0))}', f'concurrency = {o.get("concurrency", 2)}', ""]
        path = self.root / "sources.toml"
        self.root.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines))
        return path
