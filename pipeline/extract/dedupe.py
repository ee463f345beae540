"""Near-duplicate clusters: syndicated copies of one wire dispatch grouped with MinHash/LSH (datasketch).

``articles.cluster_id`` is the article_id of the cluster's earliest member (by publication time),
``is_syndicated_copy`` is true for every other member. Incremental: signatures live in
``article_minhash``; a run signs only the articles that are new or whose text changed (*dirty*), and
re-clusters just the part of the similarity graph they touch (their old clusters, their neighbours,
transitively), so the result equals a full recomputation.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta, timezone

import numpy as np

SHINGLE_WORDS = 5
# datasketch 2's default: 32-bit values, half the storage of the legacy scheme and unbiased on long texts.
SCHEME = "affine32"
_WORD = re.compile(r"\w+")


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[bytes]:
    """Word n-grams of the normalised text (case, accents' composition and apostrophe style ignored)."""
    text = unicodedata.normalize("NFKC", text or "").casefold().replace("’", "'")
    words = _WORD.findall(text)
    if len(words) <= size:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i:i + size]).encode() for i in range(len(words) - size + 1)}


def signature(text: str, num_perm: int):
    """MinHash of the text's shingles."""
    from datasketch import MinHash

    mh = MinHash(num_perm=num_perm, seed=1, scheme=SCHEME)
    mh.update_batch(list(shingles(text)))
    return mh


def _from_blob(blob: bytes, num_perm: int):
    from datasketch import MinHash

    return MinHash(num_perm=num_perm, seed=1, scheme=SCHEME, hashvalues=np.frombuffer(blob, dtype="<u4").copy())


class _Union:
    def __init__(self):
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        self.parent[self.find(a)] = self.find(b)


def cluster_articles(store, run_id: str, threshold: float = 0.5, num_perm: int = 128,
                     window_days: int = 30) -> dict[str, int]:
    """Sign dirty articles, re-cluster what they touch, write cluster_id / is_syndicated_copy."""
    from datasketch import MinHashLSH

    dirty = store.query(
        "SELECT a.article_id, a.text, a.content_sha256, coalesce(a.published_at, a.extracted_at) AS t "
        "FROM articles a LEFT JOIN article_minhash m USING (article_id) "
        "WHERE m.article_id IS NULL OR m.content_sha256 IS DISTINCT FROM a.content_sha256 OR m.num_perm <> ? "
        "   OR m.scheme <> ? OR a.cluster_id IS NULL", [num_perm, SCHEME])
    stats = {"signed": 0, "dirty": len(dirty), "affected": 0, "clusters_changed": 0, "copies": 0}
    if not dirty:
        return stats
    now = datetime.now(timezone.utc)
    sigs: dict[str, object] = {}
    new_rows = []
    for row in dirty:
        mh = signature(row["text"] or "", num_perm)
        if not mh.is_empty():  # a text with no words must not look identical to every other empty text
            sigs[row["article_id"]] = mh
        new_rows.append({"article_id": row["article_id"], "content_sha256": row["content_sha256"] or "",
                         "num_perm": num_perm, "shingle_size": SHINGLE_WORDS,
                         "scheme": SCHEME, "signature": mh.hashvalues.astype("<u4").tobytes(), "run_id": run_id,
                         "computed_at": now})
    stats["signed"] = len(new_rows)
    # Candidates: signed articles dated within the window around the dirty ones (copies follow within days).
    times = [r["t"] for r in dirty if r["t"] is not None]
    lo = (min(times) - timedelta(days=window_days)) if times else now - timedelta(days=window_days)
    hi = (max(times) + timedelta(days=window_days)) if times else now
    pool = store.query(
        "SELECT m.article_id, m.signature FROM article_minhash m JOIN articles a USING (article_id) "
        "WHERE m.num_perm = ? AND m.scheme = ? AND coalesce(a.published_at, a.extracted_at) BETWEEN ? AND ? "
        "AND m.article_id NOT IN (SELECT unnest(?))", [num_perm, SCHEME, lo, hi, list(sigs)])
    for row in pool:
        sigs[row["article_id"]] = _from_blob(row["signature"], num_perm)
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    for aid, mh in sigs.items():
        lsh.insert(aid, mh)

    def load(ids: set[str]) -> None:
        """Signatures of cluster mates dated outside the window (their links must be re-found too)."""
        missing = [a for a in ids if a not in sigs]
        if not missing:
            return
        for row in store.query("SELECT article_id, signature FROM article_minhash WHERE num_perm = ? AND scheme = ? "
                               "AND article_id IN (SELECT unnest(?))", [num_perm, SCHEME, missing]):
            sigs[row["article_id"]] = _from_blob(row["signature"], num_perm)
            lsh.insert(row["article_id"], sigs[row["article_id"]])

    old = {r["article_id"]: r["cluster_id"] for r in store.query(
        "SELECT article_id, cluster_id FROM articles WHERE cluster_id IN "
        "(SELECT cluster_id FROM articles WHERE article_id IN (SELECT unnest(?)))", [list(sigs)])}
    members: dict[str, set[str]] = {}
    for aid, cid in old.items():
        members.setdefault(cid, set()).add(aid)

    # Closure: dirty articles, their former cluster mates, their LSH neighbours, and so on.
    union = _Union()
    affected: set[str] = set()
    queue = [r["article_id"] for r in dirty]
    while queue:
        aid = queue.pop()
        if aid in affected:
            continue
        affected.add(aid)
        union.find(aid)
        mates = set(members.get(old.get(aid, aid), set()))
        load(mates)
        for other in mates - affected:
            queue.append(other)
        mh = sigs.get(aid)
        if mh is None:
            continue
        for other in lsh.query(mh):
            if other != aid and mh.jaccard(sigs[other]) >= threshold:  # LSH gives candidates; verify
                union.union(aid, other)
                if other not in affected:
                    queue.append(other)
    stats["affected"] = len(affected)
    info = {r["article_id"]: r for r in store.query(
        "SELECT article_id, published_at, extracted_at, cluster_id, is_syndicated_copy FROM articles "
        "WHERE article_id IN (SELECT unnest(?))", [list(affected)])}
    groups: dict[str, list[str]] = {}
    for aid in affected:
        if aid in info:
            groups.setdefault(union.find(aid), []).append(aid)
    far = datetime.max.replace(tzinfo=timezone.utc)
    updates = []
    for group in groups.values():
        # The earliest publication is the original; undated copies never outrank dated ones.
        first = min(group, key=lambda a: (info[a]["published_at"] or far, info[a]["extracted_at"] or far, a))
        for aid in group:
            row = {"article_id": aid, "cluster_id": first, "is_syndicated_copy": aid != first}
            if (info[aid]["cluster_id"], info[aid]["is_syndicated_copy"]) != (first, aid != first):
                updates.append(row)
            stats["copies"] += aid != first
    stats["clusters_changed"] = len({u["cluster_id"] for u in updates})
    with store.transaction():
        store.upsert("article_minhash", new_rows)
        if updates:
            store.con.execute(
                "UPDATE articles SET cluster_id = u.c, is_syndicated_copy = u.s FROM "
                "(SELECT unnest(?) AS k, unnest(?) AS c, unnest(?) AS s) u WHERE articles.article_id = u.k",
                [[u["article_id"] for u in updates], [u["cluster_id"] for u in updates],
                 [u["is_syndicated_copy"] for u in updates]])
    return stats
