"""Collection benchmark against the replay server (run in its own process).

1. Politeness: several hosts with their own request-rate limits, fetched together; reports the
   achieved request rate per host next to the allowed one, and overall pages/s.
2. Memory: peak RSS of a collecting process for a 1,000- and a 10,000-article synthetic replay,
   side by side (memory must not grow with the count).

Usage: python bench/collect.py [--quick]   (JSON to bench/results/collect.json, table on stdout)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_site(root: Path, hosts: int, pages_per_host: int, rps: float, concurrency: int) -> Path:
    """A synthetic replay corpus: ``hosts`` outlets, each with a feed of ``pages_per_host`` articles."""
    from sitekit import SiteKit, article_html, rss

    kit = SiteKit(root)
    outlets = []
    page = article_html("Article de référence", n=8)
    for h in range(hosts):
        host = f"outlet{h}.test"
        items = [(f"/article/{i}", f"Article {i}") for i in range(pages_per_host)]
        kit.add(f"http://{host}/rss.xml", rss(host, items), "application/rss+xml")
        kit.add(f"http://{host}/robots.txt", "User-agent: *\nAllow: /\n", "text/plain")
        for path, _ in items:
            kit.add(f"http://{host}{path}", page)
        outlets.append({"id": f"o{h}", "host": host, "rps": rps, "concurrency": concurrency})
    kit.write()
    return kit.sources(outlets)


def start_replay(root: Path) -> tuple[subprocess.Popen, int]:
    from pipeline.replay.server import wait_for_port

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "replay", str(root), "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    wait_for_port(port, timeout=60)
    return proc, port


CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
from pipeline.collect import collect
from pipeline.config import load_settings, load_sources
from pipeline.store import open_store
settings = load_settings(None, ["collect.proxy=http://127.0.0.1:{port}", "collect.max_in_flight=16"], environ={{}})
t0 = time.perf_counter()
with open_store({db!r}) as store:
    stats = collect(load_sources({sources!r}), settings.section("collect"), store, "bench", {archive!r})
elapsed = time.perf_counter() - t0
print(json.dumps({{"fetched": stats.fetched, "seconds": elapsed,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def run_collect(tmp: Path, sources: Path, port: int, name: str) -> dict:
    code = CHILD.format(root=str(ROOT), port=port, db=str(tmp / f"{name}.duckdb"), sources=str(sources),
                        archive=str(tmp / f"{name}-archive"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def politeness(tmp: Path, quick: bool) -> dict:
    """Server and collector in this process, so the server's request log gives per-host rates."""
    from pipeline.collect import collect
    from pipeline.config import load_settings, load_sources
    from pipeline.replay import ReplayServer
    from pipeline.store import open_store

    hosts, per_host, rps, conc = 4, (15 if quick else 40), 8.0, 2
    root = tmp / "polite"
    sources = build_site(root, hosts, per_host, rps, conc)
    with ReplayServer(root) as server:
        settings = load_settings(None, [f"collect.proxy={server.url}"], environ={})
        t0 = time.perf_counter()
        with open_store(tmp / "polite.duckdb") as store:
            stats = collect(load_sources(sources), settings.section("collect"), store, "bench", str(tmp / "pa"))
        seconds = time.perf_counter() - t0
        per_host = []
        for h in range(hosts):
            times = sorted(t for t, _, _, _ in server.log.for_host(f"outlet{h}.test"))
            per_host.append((len(times) - 1) / (times[-1] - times[0]))
    achieved = sum(per_host) / len(per_host)
    return {"hosts": hosts, "pages_per_host": len(times) - 2, "allowed_rps_per_host": rps,
            "concurrency_per_host": conc, "seconds": round(seconds, 2),
            "pages_per_s": round(stats.fetched / seconds, 1),
            "achieved_rps_per_host": round(achieved, 2), "max_rps_any_host": round(max(per_host), 2),
            "achieved_over_allowed": round(achieved / rps, 3),
            "serial_lower_bound_s": round(hosts * (len(times) - 1) / rps, 1)}


def memory(tmp: Path, quick: bool) -> list[dict]:
    rows = []
    for total in ((500, 2000) if quick else (1000, 10000)):
        root = tmp / f"mem{total}"
        sources = build_site(root, 10, total // 10, 1000.0, 4)
        proc, port = start_replay(root)
        try:
            res = run_collect(tmp, sources, port, f"mem{total}")
        finally:
            proc.terminate()
            proc.wait()
        rows.append({"articles": total, "fetched": res["fetched"], "seconds": round(res["seconds"], 1),
                     "pages_per_s": round(res["fetched"] / res["seconds"], 1), "peak_rss_mib": round(res["peak_rss_mib"], 1)})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (CI smoke run)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        result = {"politeness": politeness(tmp, args.quick), "memory": memory(tmp, args.quick),
                  "cores": os.cpu_count(), "quick": args.quick}
    mem = result["memory"]
    result["memory_growth_ratio"] = round(mem[-1]["peak_rss_mib"] / mem[0]["peak_rss_mib"], 3)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "collect.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    p = result["politeness"]
    print("\nPoliteness (all hosts fetched together)")
    print(f"  hosts={p['hosts']}  allowed={p['allowed_rps_per_host']} req/s/host  achieved={p['achieved_rps_per_host']} req/s/host "
          f"({p['achieved_over_allowed']:.0%} of allowed, max {p['max_rps_any_host']})  total {p['pages_per_s']} pages/s  "
          f"(serial would need >= {p['serial_lower_bound_s']} s, took {p['seconds']} s)")
    print("\nMemory vs corpus size")
    print(f"  {'articles':>8} {'seconds':>8} {'pages/s':>8} {'peak RSS MiB':>13}")
    for r in mem:
        print(f"  {r['articles']:>8} {r['seconds']:>8} {r['pages_per_s']:>8} {r['peak_rss_mib']:>13}")
    print(f"  growth ratio (largest/smallest): {result['memory_growth_ratio']}")


if __name__ == "__main__":
    main()
