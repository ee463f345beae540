"""Nightly run on the full corpus: wall time, time per stage and peak memory.

Starts the replay server, then runs `veille nightly` twice in fresh processes against a new
database: the first run collects everything (the corpus' own politeness settings, unless
--fast), the second finds nothing new (what most cron nights look like). For each run: wall
time, peak RSS of the process, seconds per stage (from the runs table), snapshot size and the
full-text index build time.

Usage: python bench/nightly.py [--fast]   (JSON to bench/results/nightly.json, table on stdout)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Runs the CLI in this child process and reports its own peak RSS when it exits.
CHILD = """
import json, resource, sys
sys.argv = ["veille", *json.loads(sys.argv[1])]
try:
    from pipeline.cli import main
    main()
finally:
    with open(%r, "w") as fh:
        json.dump({"maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}, fh)
"""


def run_once(args: list[str], rss_file: Path) -> dict:
    """Run ``veille ARGS`` in a fresh interpreter; wall time, peak RSS and exit code."""
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", CHILD % str(rss_file), json.dumps(args)], cwd=ROOT,
                          capture_output=True, text=True)
    wall = time.perf_counter() - started
    rss = json.loads(rss_file.read_text())["maxrss_kb"] if rss_file.exists() else None
    return {"rc": proc.returncode, "wall_s": round(wall, 2), "peak_rss_mb": round(rss / 1024, 1) if rss else None,
            "summary": proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr[-500:]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="raise every outlet's request rate (measures the work, not politeness)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "nightly.json")
    args = parser.parse_args()

    import duckdb

    from pipeline.replay import ReplayServer

    runs = []
    with tempfile.TemporaryDirectory(prefix="veille-bench-nightly-") as tmp_name, \
            ReplayServer(ROOT / "corpus") as server:
        tmp = Path(tmp_name)
        sources = ROOT / "corpus" / "sources.toml"
        if args.fast:
            text = re.sub(r"requests_per_second = [0-9.]+", "requests_per_second = 40.0", sources.read_text("utf-8"))
            sources = tmp / "sources.toml"
            sources.write_text(re.sub(r"concurrency = [0-9]+", "concurrency = 4", text), "utf-8")
        db = tmp / "veille.duckdb"
        settings = [f"store.path={db}", f"store.archive_dir={tmp / 'archive'}",
                    f"store.snapshot_path={tmp / 'snapshot.duckdb'}", f"nightly.log_dir={tmp / 'logs'}",
                    f"report.out_dir={tmp / 'report'}", f"sources.file={sources}", f"collect.proxy={server.url}"]
        cli = [a for s in settings for a in ("--set", s)] + ["nightly", "--quiet"]
        for label in ("first run (whole corpus)", "second run (nothing new)"):
            print(f"{label} ...", flush=True)
            result = run_once(cli, tmp / f"rss-{len(runs)}.json")
            con = duckdb.connect(str(db), read_only=True)
            row = con.execute("SELECT run_id, status, stage_seconds, counts FROM runs ORDER BY started_at DESC LIMIT 1").fetchone()
            articles = con.execute("SELECT count(*) FROM articles").fetchone()[0]
            index = con.execute("SELECT documents, build_seconds FROM search_index").fetchone()
            con.close()
            result.update(label=label, run_id=row[0], status=row[1], stage_seconds=dict(row[2] or {}),
                          counts=dict(row[3] or {}), articles=articles, db_bytes=db.stat().st_size,
                          snapshot_bytes=(tmp / "snapshot.duckdb").stat().st_size,
                          index_documents=index[0] if index else None, index_build_s=index[1] if index else None)
            runs.append(result)
    report = {"runs": runs, "fast": args.fast,
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load_avg": os.getloadavg()}}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str), "utf-8")

    stages = sorted({s for r in runs for s in r["stage_seconds"]}, key=lambda s: min(
        list(r["stage_seconds"]).index(s) if s in r["stage_seconds"] else 99 for r in runs))
    print()
    print(f"{'run':<26} {'rc':>3} {'wall s':>8} {'peak MB':>8} " + " ".join(f"{s[:9]:>9}" for s in stages))
    for r in runs:
        print(f"{r['label']:<26} {r['rc']:>3} {r['wall_s']:>8.1f} {r['peak_rss_mb'] or 0:>8.0f} "
              + " ".join(f"{r['stage_seconds'].get(s, 0):>9.1f}" for s in stages))
    first = runs[0]
    print(f"\n{first['articles']} articles; database {first['db_bytes'] / 1e6:.1f} MB, snapshot "
          f"{first['snapshot_bytes'] / 1e6:.1f} MB; search index over {first['index_documents']} articles built in "
          f"{first['index_build_s']:.2f} s. Load average during the bench: {report['machine']['load_avg']}.")
    print(f"Written {args.out}")


if __name__ == "__main__":
    main()
