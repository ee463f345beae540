"""Extraction throughput: pages per second per core for newspaper3k alone, trafilatura alone and the
pipeline's combination (both libraries + Veille's field choices), on the same pages, side by side.

Pages: the rendered corpus (corpus/site, every served HTML article page) and the real pages of
../shared/eval/extraction when present. One process, one thread: pages/s per core = pages / CPU
seconds of this process (wall-clock rate shown too). Each variant runs once untimed first (imports,
caches), then ``--repeat`` timed passes; the best pass is kept.
Also times the near-duplicate clustering: signing a text (MinHash, 128 permutations) and loading a
stored signature, to compare "persist signatures" with "recompute from stored texts".

Usage: python bench/extract.py [--repeat 2] [--limit 0]   (JSON to bench/results/extract.json)
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "eval" / "extraction"


def load_pages(limit: int = 0) -> dict[str, list[tuple[str, str]]]:
    """(url, html) per page set."""
    from pipeline.collect.http import decode_html

    sets: dict[str, list[tuple[str, str]]] = {}
    manifest = ROOT / "corpus" / "site" / "manifest.json"
    if manifest.is_file():
        pages = []
        for e in json.loads(manifest.read_text("utf-8"))["entries"]:
            ctype = e.get("headers", {}).get("Content-Type", "")
            if "html" not in ctype or e["url"].endswith("/") and e["url"].count("/") == 3 or e.get("status", 200) != 200:
                continue  # feeds, sitemaps, robots.txt and home pages are not articles
            html, _ = decode_html((ROOT / "corpus" / "site" / e["file"]).read_bytes(), ctype)
            pages.append((e["url"], html))
        sets["corpus"] = pages[:limit] if limit else pages
    if (SHARED / "gold.jsonl").is_file():
        pages = []
        for line in (SHARED / "gold.jsonl").read_text("utf-8").splitlines():
            rec = json.loads(line)
            html, _ = decode_html((SHARED / "pages" / rec["file"]).read_bytes(), "")
            pages.append((rec["url"], html))
        sets["shared"] = pages[:limit] if limit else pages
    return sets


def variants():
    """name -> function(html, url) doing that variant's whole per-page work."""
    from pipeline.extract.article import extract_html
    from pipeline.extract.engines import run_newspaper, run_trafilatura

    now = datetime.now(timezone.utc)

    def combined(html, url):
        try:
            extract_html(html, url, "", now)
        except Exception:  # a page that fails extraction still cost its time
            pass

    return {"newspaper3k": lambda html, url: run_newspaper(html, url),
            "trafilatura": lambda html, url: run_trafilatura(html, url),
            "combined": combined}


def time_variant(fn, pages, repeat: int) -> dict:
    for url, html in pages[: min(5, len(pages))]:
        fn(html, url)  # warm-up: imports, lazy models, regex caches
    best = None
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        for url, html in pages:
            fn(html, url)
        cpu, wall = time.process_time() - c0, time.perf_counter() - w0
        if best is None or cpu < best[0]:
            best = (cpu, wall)
    cpu, wall = best
    return {"pages": len(pages), "cpu_s": round(cpu, 3), "wall_s": round(wall, 3),
            "pages_per_s_per_core": round(len(pages) / cpu, 2) if cpu else None,
            "ms_per_page": round(1000 * cpu / len(pages), 2) if pages else None,
            "wall_pages_per_s": round(len(pages) / wall, 2) if wall else None}


def time_minhash(pages, num_perm: int = 128) -> dict:
    """Cost of signing one text vs reading a stored signature back (per article)."""
    import numpy as np

    from pipeline.extract.dedupe import _from_blob, signature
    from pipeline.extract.engines import run_trafilatura

    texts = [run_trafilatura(html, url)["text"] for url, html in pages[:100]]
    c0 = time.process_time()
    sigs = [signature(t, num_perm) for t in texts]
    sign = (time.process_time() - c0) / len(texts)
    blobs = [s.hashvalues.astype("<u4").tobytes() for s in sigs]
    c0 = time.process_time()
    for _ in range(10):
        for b in blobs:
            _from_blob(b, num_perm)
    load = (time.process_time() - c0) / (10 * len(blobs))
    return {"texts": len(texts), "num_perm": num_perm, "sign_ms_per_article": round(1000 * sign, 3),
            "load_signature_ms_per_article": round(1000 * load, 4), "signature_bytes": num_perm * 4,
            "mean_text_chars": int(np.mean([len(t) for t in texts])) if texts else 0}


def time_clustering(pages, n: int = 2000, new: int = 50) -> dict:
    """cluster_articles on a synthetic store: a first run over ``n`` articles, then an incremental run
    after ``new`` more arrive (all signatures already stored)."""
    import random
    import tempfile
    from datetime import timedelta

    from pipeline.extract.dedupe import cluster_articles
    from pipeline.extract.engines import run_trafilatura
    from pipeline.records import url_key
    from pipeline.store import open_store

    rng = random.Random(7)
    paras = [p for url, html in pages[:150] for p in run_trafilatura(html, url, metadata=False)["text"].split("\n")
             if len(p) > 80]
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)

    def rows(lo, hi):
        out = []
        for i in range(lo, hi):
            text = "\n\n".join(rng.sample(paras, 8))
            out.append({"article_id": url_key(f"http://bench.test/{i}"), "canonical_url": f"http://bench.test/{i}",
                        "url": f"http://bench.test/{i}", "outlet_id": "bench", "text": text,
                        "content_sha256": str(hash(text)), "published_at": start + timedelta(hours=i % 1440),
                        "run_id": "bench", "extracted_at": start})
        return out

    with tempfile.TemporaryDirectory() as tmp, open_store(Path(tmp) / "bench.duckdb") as store:
        store.upsert("articles", rows(0, n))
        t0 = time.perf_counter()
        first = cluster_articles(store, "b1")
        t1 = time.perf_counter()
        store.upsert("articles", rows(n, n + new))
        t2 = time.perf_counter()
        second = cluster_articles(store, "b2")
        t3 = time.perf_counter()
    return {"articles": n, "first_run_s": round(t1 - t0, 2), "first_run_signed": first["signed"],
            "new_articles": new, "incremental_run_s": round(t3 - t2, 2), "incremental_signed": second["signed"],
            "incremental_compared_with": second["affected"]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=2, help="timed passes per variant (best kept)")
    ap.add_argument("--limit", type=int, default=0, help="pages per set (0 = all)")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    sets = load_pages(args.limit)
    if not sets:
        print("no pages: render the corpus (corpus/build.py) or provide ../shared/eval/extraction", file=sys.stderr)
        return 1
    results = {"machine": {"python": platform.python_version(), "cpu": platform.processor() or platform.machine()},
               "when": datetime.now(timezone.utc).isoformat(timespec="seconds"), "sets": {}}
    for set_name, pages in sets.items():
        results["sets"][set_name] = {name: time_variant(fn, pages, args.repeat) for name, fn in variants().items()}
    all_pages = [p for pages in sets.values() for p in pages]
    results["minhash"] = time_minhash(all_pages)
    results["clustering"] = time_clustering(all_pages)
    out = ROOT / "bench" / "results" / "extract.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1) + "\n", "utf-8")
    print(f"{'set':8} {'variant':12} {'pages':>6} {'pages/s/core':>13} {'ms/page':>8} {'wall pages/s':>13}")
    for set_name, res in results["sets"].items():
        for name, r in res.items():
            print(f"{set_name:8} {name:12} {r['pages']:>6} {r['pages_per_s_per_core']:>13} {r['ms_per_page']:>8} "
                  f"{r['wall_pages_per_s']:>13}")
    m = results["minhash"]
    print(f"MinHash ({m['num_perm']} perms): sign {m['sign_ms_per_article']} ms/article, load stored signature "
          f"{m['load_signature_ms_per_article']} ms/article ({m['signature_bytes']} bytes each)")
    c = results["clustering"]
    print(f"Clustering: first run over {c['articles']} articles {c['first_run_s']} s; {c['new_articles']} new "
          f"articles next run {c['incremental_run_s']} s (signed {c['incremental_signed']})")
    print(f"written: {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
