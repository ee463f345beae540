"""PNG charts of the report (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any, Sequence

STANCE_COLOURS = {"soutient": "#c0392b", "neutre": "#95a5a6", "conteste": "#2471a3"}
DPI = 100


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)  # never a GUI backend, even if one is configured
    import matplotlib.pyplot as plt

    return plt


def _empty(path: Path, title: str, message: str) -> Path:
    """A small chart that says there is nothing to show yet (the page layout stays the same)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(8, 2.2), dpi=DPI)
    ax.set_axis_off()
    ax.set_title(title, loc="left", fontsize=11)
    ax.text(0.5, 0.45, message, ha="center", va="center", fontsize=11, color="#666")
    fig.savefig(path)
    plt.close(fig)
    return path


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path)
    _plt().close(fig)
    return path


def _segments(periods: list, max_gap_days: int) -> list[list]:
    """Split sorted dates where they jump by more than ``max_gap_days`` (a broken time axis)."""
    segments = [[periods[0]]]
    for p in periods[1:]:
        if (p - segments[-1][-1]).days > max_gap_days:
            segments.append([p])
        else:
            segments[-1].append(p)
    return segments


def coverage_chart(rows: Sequence[dict[str, Any]], path: Path, period: str) -> Path:
    """Stacked bars: on-topic articles per period, one colour per outlet; long empty stretches are cut out."""
    title = f"Articles sur le sujet par {'semaine' if period == 'week' else 'jour'} et par média"
    rows = [r for r in rows if r["on_topic"]]
    if not rows:
        return _empty(path, title, "Aucun article sur le sujet pour l'instant.")
    plt = _plt()
    key = "week" if period == "week" else "day"
    step = 7 if period == "week" else 1
    outlets = sorted({r["outlet_id"] for r in rows})
    periods = sorted({r[key] for r in rows})
    counts = {(r[key], r["outlet_id"]): r["on_topic"] for r in rows}
    segments = _segments(periods, 8 * step)
    widths = [max(6 * step, (seg[-1] - seg[0]).days + step) for seg in segments]
    fig, axes = plt.subplots(1, len(segments), sharey=True, figsize=(10, 4.2), dpi=DPI, squeeze=False,
                             gridspec_kw={"width_ratios": widths, "wspace": 0.06})
    cmap = plt.get_cmap("tab20")
    for ax, seg in zip(axes[0], segments):
        bottom = [0] * len(seg)
        for i, outlet in enumerate(outlets):
            values = [counts.get((p, outlet), 0) for p in seg]
            ax.bar(seg, values, width=0.8 * step, bottom=bottom, label=outlet, color=cmap(i % 20))
            bottom = [b + v for b, v in zip(bottom, values)]
        ax.set_xlim(seg[0] - timedelta(days=step), seg[-1] + timedelta(days=step))
        ax.tick_params(axis="x", labelsize=7)
        for label in ax.get_xticklabels():
            label.set_rotation(40)
            label.set_horizontalalignment("right")
    for left, right in zip(axes[0][:-1], axes[0][1:]):  # mark the cuts of the time axis
        left.spines["right"].set_linestyle((0, (2, 2)))
        right.spines["left"].set_linestyle((0, (2, 2)))
    axes[0][0].set_ylabel("articles")
    axes[0][0].set_title(title + (" (périodes sans article omises)" if len(segments) > 1 else ""), loc="left", fontsize=11)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=7, frameon=False, loc="center right")
    fig.subplots_adjust(left=0.07, right=0.83, bottom=0.2, top=0.9, wspace=0.06)  # tight_layout ignores fig.legend
    fig.savefig(path)
    plt.close(fig)
    return path


def share_heatmap(rows: Sequence[dict[str, Any]], path: Path, period: str) -> Path:
    """Heat map: each outlet's on-topic share of its own output, per period (normalised coverage)."""
    title = "Part du sujet dans la production de chaque média (normalisée par son volume)"
    key = "week" if period == "week" else "day"
    rows = [r for r in rows if r["articles"]]
    if not rows:
        return _empty(path, title, "Aucun article pour l'instant.")
    plt = _plt()
    outlets = sorted({r["outlet_id"] for r in rows})
    periods = sorted({r[key] for r in rows})
    grid = [[float("nan")] * len(periods) for _ in outlets]
    for r in rows:
        grid[outlets.index(r["outlet_id"])][periods.index(r[key])] = float(r["on_topic_share"])
    fig, ax = plt.subplots(figsize=(10, 0.9 + 0.32 * len(outlets)), dpi=DPI)
    image = ax.imshow(grid, aspect="auto", cmap="viridis", vmin=0, vmax=1, interpolation="nearest")
    ax.set_yticks(range(len(outlets)), outlets, fontsize=8)
    step = max(1, len(periods) // 12)
    ax.set_xticks(range(0, len(periods), step), [str(p) for p in periods[::step]], fontsize=7, rotation=45, ha="right")
    ax.set_title(title, loc="left", fontsize=11)
    fig.colorbar(image, ax=ax, fraction=0.03, pad=0.01)
    return _save(fig, path)


def stance_chart(rows: Sequence[dict[str, Any]], path: Path) -> Path:
    """Stacked shares of stance labels per period."""
    title = "Position des articles envers l'accusation (part des articles annotés)"
    if not rows:
        return _empty(path, title, "Pas encore d'annotations de position.")
    plt = _plt()
    periods = [r["period_start"] for r in rows]
    x = range(len(periods))
    fig, ax = plt.subplots(figsize=(10, 3.8), dpi=DPI)
    bottom = [0.0] * len(rows)
    for label in ("soutient", "neutre", "conteste"):
        values = [float(r[f"share_{label}"] or 0) for r in rows]
        ax.bar(x, values, bottom=bottom, label=label, color=STANCE_COLOURS[label], width=0.85)
        bottom = [b + v for b, v in zip(bottom, values)]
    for i, r in enumerate(rows):
        ax.text(i, 1.01, str(r["articles"]), ha="center", va="bottom", fontsize=6, color="#555")
    ax.set_ylim(0, 1.08)
    step = max(1, len(periods) // 14)
    ax.set_xticks(list(x)[::step], [str(p) for p in periods[::step]], fontsize=7, rotation=45, ha="right")
    ax.set_ylabel("part")
    ax.set_title(title, loc="left", fontsize=11)
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _save(fig, path)


def tone_chart(rows: Sequence[dict[str, Any]], path: Path, max_actors: int = 6) -> Path:
    """Net tone toward the most annotated actors, per period (from -1 to 1)."""
    title = "Ton envers les acteurs (net : positif − négatif, part des annotations)"
    if not rows:
        return _empty(path, title, "Pas encore d'annotations de ton.")
    plt = _plt()
    totals: dict[str, int] = defaultdict(int)
    for r in rows:
        totals[r["actor_id"]] += r["labels"]
    actors = sorted(totals, key=lambda a: (-totals[a], a))[:max_actors]
    periods = sorted({r["period_start"] for r in rows})
    index = {p: i for i, p in enumerate(periods)}
    fig, ax = plt.subplots(figsize=(10, 3.8), dpi=DPI)
    for actor in actors:
        pts = sorted((index[r["period_start"]], float(r["net_tone"])) for r in rows if r["actor_id"] == actor)
        ax.plot([p for p, _ in pts], [v for _, v in pts], marker="o", markersize=3, label=actor)
    ax.axhline(0, color="#999", linewidth=0.8)
    ax.set_ylim(-1.05, 1.05)
    step = max(1, len(periods) // 14)
    ax.set_xticks(range(0, len(periods), step), [str(p) for p in periods[::step]], fontsize=7, rotation=45, ha="right")
    ax.set_ylabel("ton net")
    ax.set_title(title, loc="left", fontsize=11)
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _save(fig, path)


def health_chart(daily: Sequence[dict[str, Any]], health: Sequence[dict[str, Any]], path: Path, days: int = 56) -> Path:
    """Articles per day and outlet (every topic) over the last ``days`` days; flagged outlets in red."""
    title = f"Volume quotidien par média, tous sujets ({days} derniers jours) : santé de la collecte"
    if not daily:
        return _empty(path, title, "Aucun article pour l'instant.")
    plt = _plt()
    end = max(r["day"] for r in daily)
    start = end - timedelta(days=days - 1)
    outlets = sorted({h["outlet_id"] for h in health} | {r["outlet_id"] for r in daily})
    grid = [[0] * days for _ in outlets]
    for r in daily:
        if r["day"] >= start:
            grid[outlets.index(r["outlet_id"])][(r["day"] - start).days] += r["articles"]
    fig, ax = plt.subplots(figsize=(10, 0.9 + 0.32 * len(outlets)), dpi=DPI)
    image = ax.imshow(grid, aspect="auto", cmap="Greens", interpolation="nearest")
    flagged = {h["outlet_id"] for h in health if h["status"] != "ok"}
    ax.set_yticks(range(len(outlets)), outlets, fontsize=8)
    for tick in ax.get_yticklabels():
        if tick.get_text() in flagged:
            tick.set_color("#c0392b")
            tick.set_fontweight("bold")
    marks = list(range(0, days, 7))
    ax.set_xticks(marks, [str(start + timedelta(days=m)) for m in marks], fontsize=7, rotation=45, ha="right")
    ax.set_title(title, loc="left", fontsize=11)
    fig.colorbar(image, ax=ax, fraction=0.03, pad=0.01)
    return _save(fig, path)
