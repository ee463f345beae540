"""The static HTML report: queries of the library, PNG charts, one Jinja2 template.

Everything is written into a fresh folder beside ``out_dir`` and swapped in at the end, so a
browser (or a web server) never sees a half-written report.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from . import charts
from .queries import run_query


@dataclass
class Report:
    """Where the report was written and how many charts it has."""

    index: Path
    charts: int


def _rows(con, name: str, params: dict[str, str] | None, query_dir: str) -> list[dict[str, Any]]:
    columns, rows = run_query(con, name, params or {}, query_dir)
    return [dict(zip(columns, r)) for r in rows]


def gather(con, query_dir: str = "", period: str = "week") -> dict[str, Any]:
    """Run the report's queries and return their rows by section."""
    coverage_query = "coverage_by_week" if period == "week" else "coverage_by_day"
    data = {
        "coverage": _rows(con, coverage_query, {}, query_dir),
        "daily": _rows(con, "coverage_by_day", {}, query_dir),
        "stance": _rows(con, "stance_share", {"period": period}, query_dir),
        "tone": _rows(con, "tone_by_actor", {"period": period}, query_dir),
        "speakers": _rows(con, "top_speakers", {"limit": "15"}, query_dir),
        "claims_by_actor": _rows(con, "claims_by_actor", {"min_claims": "2"}, query_dir),
        "health": _rows(con, "outlet_health", {}, query_dir),
        "clusters": _rows(con, "syndication_clusters", {"limit": "10"}, query_dir),
        "runs": _rows(con, "runs", {"limit": "10"}, query_dir),
        "failures": _rows(con, "failures_by_reason", {"last_runs": "3"}, query_dir),
    }
    totals = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE is_relevant), count(DISTINCT outlet_id), "
        "CAST(min(published_at) AS DATE), CAST(max(published_at) AS DATE) FROM articles").fetchone()
    data["totals"] = dict(zip(["articles", "on_topic", "outlets", "first_day", "last_day"], totals))
    return data


def build_report(con, out_dir: str | Path, query_dir: str = "", period: str = "week", run_id: str = "") -> Report:
    """Write index.html and charts/*.png for the database behind ``con``; return where."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    for stale in out.parent.glob(f".{out.name}.build-*"):  # left by a process killed while writing
        if not _alive(stale.name.rsplit("-", 1)[-1]):
            shutil.rmtree(stale, ignore_errors=True)
    build = out.parent / f".{out.name}.build-{os.getpid()}"
    (build / "charts").mkdir(parents=True)
    try:
        data = gather(con, query_dir, period)
        pngs = {
            "coverage": charts.coverage_chart(data["coverage"], build / "charts" / "coverage.png", period),
            "coverage_share": charts.share_heatmap(data["coverage"], build / "charts" / "coverage_share.png", period),
            "stance": charts.stance_chart(data["stance"], build / "charts" / "stance.png"),
            "tone": charts.tone_chart(data["tone"], build / "charts" / "tone.png"),
            "health": charts.health_chart(data["daily"], data["health"], build / "charts" / "health.png"),
        }
        env = Environment(loader=PackageLoader("pipeline.report", "templates"),
                          autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)
        html = env.get_template("report.html.j2").render(
            data=data, charts={k: f"charts/{v.name}" for k, v in pngs.items()}, period=period, run_id=run_id,
            generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
        (build / "index.html").write_text(html, "utf-8")
        _swap_in(build, out)
    finally:
        shutil.rmtree(build, ignore_errors=True)
    return Report(index=out / "index.html", charts=len(pngs))


def _swap_in(build: Path, out: Path) -> None:
    """Replace the charts then index.html, each with an atomic rename."""
    (out / "charts").mkdir(parents=True, exist_ok=True)
    for png in (build / "charts").iterdir():
        os.replace(png, out / "charts" / png.name)
    os.replace(build / "index.html", out / "index.html")


def _alive(pid: str) -> bool:
    """Whether a process with this id exists (another report may be building beside us)."""
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True
