#!/usr/bin/env python3
"""Render the Veille replay corpus.

Reads corpus/articles/<outlet>/<slug>.md (format: corpus/AUTHORING.md), corpus/outlets.toml,
corpus/templates/*.j2 and corpus/annotations/raw/*.jsonl; writes corpus/site/ (pages, feeds,
sitemaps, robots.txt, manifest.json), corpus/gold/articles.jsonl, corpus/sources.toml,
corpus/annotations/{train,dev,test}.jsonl + README.md, corpus/annotations/articles.jsonl (the training
articles of corpus/training/) and the generated part of corpus/README.md.

    .venv/bin/python corpus/build.py            # build whatever articles are present
    .venv/bin/python corpus/build.py --check    # non-zero if the output is stale or an article is invalid
    .venv/bin/python corpus/build.py --articles /tmp/samples --out /tmp/out   # try other input
Deterministic: the same input gives byte-identical output.
"""
from __future__ import annotations

import argparse
import hashlib
import html
import json
import re
import shutil
import sys
import tomllib
import unicodedata
from datetime import datetime, timezone
from email.utils import format_datetime
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

ROOT = Path(__file__).resolve().parent
GENRES = {"news", "wire", "interview", "opinion", "analysis", "liveblog", "explainer", "blog"}
STANCES = {"soutient", "conteste", "neutre"}
TONES = {"négatif", "neutre", "positif"}
FLAGS = {"updated", "date_url_only", "date_text_only", "paywall", "wrong_charset", "truncated",
         "empty_body", "missing_404", "english"}
CLAIM_KINDS = {"direct", "indirect", "selon"}
ACTORS = set("""openai deepseek microsoft nvidia anthropic google meta mistral_ai high_flyer alibaba
white_house us_congress house_china_committee european_commission cnil garante financial_times
bloomberg new_york_times david_sacks donald_trump sam_altman liang_wenfeng satya_nadella jensen_huang
john_moolenaar arthur_mensch chatgpt deepseek_r1 deepseek_v3 le_chat qwen""".split())
REQUIRED = {"id": str, "outlet": str, "path": str, "title": str, "authors": list, "published": str,
            "modified": str, "section": str, "genre": str, "language": str, "on_topic": bool,
            "stance": str, "tone_openai": str, "tone_deepseek": str, "actors": list, "special": list,
            "syndicated_from": str}
LABELS = ("on_topic", "stance", "tone_openai", "tone_deepseek", "actors", "claims")
# Archive articles (archive/<outlet>/*.md) are served for backfills only: no labels, no messy cases.
ARCHIVE_REQUIRED = {k: t for k, t in REQUIRED.items() if k not in LABELS + ("special", "syndicated_from")}
CLAIM_KEYS = {"speaker": str, "speaker_id": str, "cue": str, "kind": str, "content": str, "stance": str}
ANNOT_VALUES = {"sentiment": TONES, "stance": STANCES, "kind": {"sentence", "claim"}, "topic": {"on", "off"}}
CUT = "<!--VEILLE-TRUNCATE-->"
GEN_BEGIN, GEN_END = "<!-- BEGIN GENERATED (corpus/build.py) -->", "<!-- END GENERATED -->"
MONTHS = "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split()
MONTHS_SHORT = "janv. févr. mars avr. mai juin juil. août sept. oct. nov. déc.".split()
DAYS = "lundi mardi mercredi jeudi vendredi samedi dimanche".split()
CTYPES = {"rss": "application/rss+xml", "wp-rss": "application/rss+xml", "atom": "application/atom+xml"}


def sha(s: str | bytes) -> str:
    return hashlib.sha1(s.encode() if isinstance(s, str) else s).hexdigest()


def norm_ws(s: str) -> str:
    return " ".join(s.split())


# ----------------------------------------------------------------------------- loading
def body_blocks(body: str) -> list[tuple[str, str]]:
    """Paragraphs ("p") and "## " subheadings ("h") of an article body, whitespace-normalised."""
    blocks = []
    for chunk in re.split(r"\n\s*\n", body.strip()):
        lines = [ln.strip() for ln in chunk.strip().splitlines() if ln.strip()]
        while lines and lines[0].startswith("## "):
            blocks.append(("h", lines.pop(0)[3:].strip()))
        if lines:
            blocks.append(("p", " ".join(lines)))
    return blocks


def parse_article(path: Path, outlets: dict, archive: bool = False) -> tuple[dict | None, list[str], list[str]]:
    errs, warns = [], []
    raw = path.read_text(encoding="utf-8")
    m = re.match(r"\A\+\+\+[ \t]*\n(.*?)\n\+\+\+[ \t]*\n(.*)\Z", raw, re.S)
    if not m:
        return None, ["no TOML front matter between two '+++' lines"], []
    try:
        a = tomllib.loads(m.group(1))
    except tomllib.TOMLDecodeError as e:
        return None, [f"TOML error: {e}"], []
    a.setdefault("lead", "")
    if archive:
        labelled = sorted(set(a) & set(LABELS + ("special", "syndicated_from")))
        if labelled:
            return None, [f"archive articles carry no labels or flags: remove {', '.join(labelled)}"], []
        # Never written out (archive articles are in no gold): only so the checks below apply unchanged.
        a.update(on_topic=False, stance="neutre", tone_openai="neutre", tone_deepseek="neutre", actors=[],
                 special=[], syndicated_from="", archive=True)
    a.setdefault("claims", [])
    for k, t in REQUIRED.items():
        if k not in a:
            errs.append(f"missing key '{k}'")
        elif not isinstance(a[k], t):
            errs.append(f"'{k}' must be {t.__name__}")
    if errs:
        return None, errs, warns
    a["file"] = str(path)
    a["blocks"] = body_blocks(m.group(2))
    a["text"] = "\n\n".join(t for _, t in a["blocks"])
    special = set(a["special"])
    for key, allowed in (("genre", GENRES), ("stance", STANCES), ("tone_openai", TONES),
                         ("tone_deepseek", TONES), ("language", {"fr", "en"})):
        if a[key] not in allowed:
            errs.append(f"{key} = {a[key]!r} not in {sorted(allowed)}")
    errs += [f"unknown special flag {f!r}" for f in sorted(special - FLAGS)]
    if a["outlet"] not in outlets:
        errs.append(f"unknown outlet {a['outlet']!r}")
    elif path.parent.name != a["outlet"]:
        errs.append(f"file is under {path.parent.name}/ but outlet = {a['outlet']!r}")
    if ("english" in special) != (a["language"] == "en"):
        errs.append("flag 'english' and language = 'en' must go together")
    if not re.fullmatch(r"/[A-Za-z0-9._~/-]*", a["path"]) or "//" in a["path"] or "/../" in a["path"] + "/":
        errs.append(f"path {a['path']!r} is not a plain absolute URL path")
    if not a["title"].strip():
        errs.append("empty title")
    try:
        a["pub_dt"] = datetime.fromisoformat(a["published"])
        a["mod_dt"] = datetime.fromisoformat(a["modified"]) if a["modified"] else None
        if a["pub_dt"].tzinfo is None or (a["mod_dt"] and a["mod_dt"].tzinfo is None):
            errs.append("published/modified need a UTC offset")
        elif a["mod_dt"] and a["mod_dt"] <= a["pub_dt"]:
            errs.append("modified must be later than published")
    except ValueError as e:
        errs.append(f"bad date: {e}")
    if "updated" in special and not a["modified"]:
        errs.append("flag 'updated' needs a 'modified' timestamp")
    if "empty_body" not in special and not any(k == "p" for k, _ in a["blocks"]):
        errs.append("empty body")
    if special & {"paywall", "truncated"} and sum(k == "p" for k, _ in a["blocks"]) < 3:
        errs.append("paywall/truncated need at least 3 paragraphs")
    if "date_url_only" in special and not re.search(r"20\d\d[/-]?\d\d", a["path"]):
        errs.append("flag 'date_url_only' but the path has no date")
    warns += [f"actor {x!r} is not a canonical id" for x in a["actors"]
              if x not in ACTORS and not x.startswith("person:")]
    for i, c in enumerate(a["claims"], 1):
        missing = [k for k, t in CLAIM_KEYS.items() if not isinstance(c.get(k), t)]
        if missing:
            errs.append(f"claim {i}: missing or non-string {', '.join(missing)}")
            continue
        if c["kind"] not in CLAIM_KINDS:
            errs.append(f"claim {i}: kind {c['kind']!r} not in {sorted(CLAIM_KINDS)}")
        if c["stance"] not in STANCES:
            errs.append(f"claim {i}: stance {c['stance']!r} not in {sorted(STANCES)}")
        if not c["content"].strip() or c["content"] not in a["text"]:
            errs.append(f"claim {i}: content is not an exact substring of the body: {c['content'][:70]!r}")
        sid = c["speaker_id"]
        if sid not in ACTORS and not sid.startswith("person:"):
            warns.append(f"claim {i}: speaker_id {sid!r} is not a canonical id")
    if a["on_topic"] and len(a["claims"]) < 2:
        warns.append("on-topic article with fewer than 2 claims")
    return (None if errs else a), errs, warns


def load_articles(adir: Path, outlets: dict, archive: bool = False) -> tuple[list[dict], dict, dict]:
    arts, errors, warnings = [], {}, {}
    for path in sorted(adir.glob("*/*.md")):
        a, errs, warns = parse_article(path, outlets, archive)
        name = str(path.relative_to(adir.parent)) if adir.parent in path.parents else str(path)
        if errs:
            errors[name] = errs
        if warns:
            warnings[name] = warns
        if a:
            a["name"] = name
            arts.append(a)
    seen_id, seen_url, files = {}, {}, {}
    ok = []
    for a in sorted(arts, key=lambda a: (a["id"], a["name"])):
        host = outlets[a["outlet"]]["host"]
        f = file_for(host, a["path"])
        clash = (seen_id.get(a["id"]) and f"id {a['id']!r} already used by {seen_id[a['id']]}") or \
                (seen_url.get((host, a["path"])) and f"path already used by {seen_url[(host, a['path'])]}") or \
                next((f"path clashes with {n} (file vs folder)" for g, n in files.items()
                      if g.startswith(f + "/") or f.startswith(g + "/")), None)
        if clash:
            errors.setdefault(a["name"], []).append(clash)
            continue
        seen_id[a["id"]] = seen_url[(host, a["path"])] = files[f] = a["name"]
        ok.append(a)
    for a in ok:
        if a["syndicated_from"] and a["syndicated_from"] not in seen_id:
            warnings.setdefault(a["name"], []).append(f"syndicated_from {a['syndicated_from']!r} not found")
    return ok, errors, warnings


def file_for(host: str, path: str) -> str:
    return f"{host}{path}index.html" if path.endswith("/") else f"{host}{path}"


# ----------------------------------------------------------------------------- dates
def fmt_date(dt: datetime, style: str) -> str:
    d = "1er" if dt.day == 1 else str(dt.day)
    long = f"{d} {MONTHS[dt.month - 1]} {dt.year}"
    return {"weekday_long": f"{DAYS[dt.weekday()]} {long} à {dt:%Hh%M}", "long": f"{long} à {dt:%Hh%M}",
            "day": long, "slash": f"{dt:%d/%m/%Y %H:%M}", "slash_h": f"{dt:%d/%m/%Y} à {dt:%Hh%M}",
            "slash_a": f"{dt:%d/%m/%Y} à {dt:%H:%M}", "swiss": f"{dt:%d.%m.%Y}, {dt:%Hh%M}",
            "short_month": f"{dt.day} {MONTHS_SHORT[dt.month - 1]} {dt.year} à {dt:%H:%M}",
            "quebec": f"{long} | {dt.hour} h {dt:%M}", "text": f"{long} à {dt.hour} h {dt:%M}"}[style]


def http_date(dt: datetime) -> str:
    return format_datetime(dt.astimezone(timezone.utc), usegmt=True)


def latest(a: dict) -> datetime:
    return a["mod_dt"] or a["pub_dt"]


# ----------------------------------------------------------------------------- served part
def served(a: dict) -> tuple[list[tuple[str, str]], str | None, str]:
    """(blocks on the page, truncated-paragraph rest or None, gold text = prefix of a['text'])."""
    blocks, special = a["blocks"], set(a["special"])
    if "paywall" in special:
        idx = [i for i, (k, _) in enumerate(blocks) if k == "p"][1]
        blocks = blocks[: idx + 1]
    elif "truncated" in special:
        idx = [i for i, (k, _) in enumerate(blocks) if k == "p"]
        i = idx[max(2, len(idx) * 2 // 3) - 1]
        words = blocks[i][1].split(" ")
        head = " ".join(words[: max(3, len(words) // 2)])
        blocks = blocks[:i] + [("p", head)]
        return blocks, a["blocks"][i][1][len(head):], blocks_text(blocks)
    return blocks, None, blocks_text(blocks)


def blocks_text(blocks) -> str:
    return "\n\n".join(t for _, t in blocks)


# ----------------------------------------------------------------------------- rendering
def make_env(tdir: Path) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(tdir)), undefined=jinja2.StrictUndefined,
                             autoescape=lambda name: not name.endswith(".txt.j2"), trim_blocks=True,
                             lstrip_blocks=True, keep_trailing_newline=True)
    env.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "sort_keys": False}
    env.filters["fdate"] = fmt_date
    env.filters["rfc822"] = format_datetime
    env.filters["slug"] = lambda s: re.sub(r"[^a-z0-9]+", "-", unicodedata.normalize("NFKD", s).encode(
        "ascii", "ignore").decode().lower()).strip("-")
    return env


def ranked_others(a: dict, pool: list[dict]) -> list[dict]:
    return sorted((o for o in pool if o["id"] != a["id"]), key=lambda o: sha(a["id"] + "|" + o["id"]))


def article_context(a: dict, o: dict, pool: list[dict], by_id: dict) -> dict:
    special = set(a["special"])
    blocks, rest, text = served(a)
    others = ranked_others(a, pool)
    n_p = sum(k == "p" for k, _ in blocks)
    positions = [t for t in o["teaser_after"] if t < n_p] or ([1] if n_p >= 2 else [])
    k = o["teaser_count"]
    teasers = [others[i * k:(i + 1) * k] for i in range(len(positions))]
    used = sum(len(t) for t in teasers)
    related = others[used:used + 3]
    body, p_no = [], 0
    for i, (kind, t) in enumerate([] if "empty_body" in special else blocks):
        if kind == "h":
            body.append({"kind": "h", "text": t})
            continue
        p_no += 1
        html_ = escape(t) + Markup(CUT) + escape(rest) if rest is not None and i == len(blocks) - 1 else escape(t)
        body.append({"kind": "p", "html": html_, "n": p_no})
        if p_no in positions and teasers[positions.index(p_no)]:
            body.append({"kind": "teaser", "links": [teaser(x, o) for x in teasers[positions.index(p_no)]]})
    h = int(sha(a["id"])[:8], 16)
    comments = []
    if o["comments"]:
        ranked = sorted(o["comments"], key=lambda c: sha(a["id"] + c[0]))
        comments = [{"author": c[0], "text": c[1]} for c in ranked[: 2 + h % 3]]
    box = o["author_box"]
    author_box = box.format(name=a["authors"][0] if a["authors"] else "", section=a["section"]) \
        if a["authors"] or "{name}" not in box else None
    show = not special & {"date_url_only", "date_text_only"}
    syn = by_id.get(a["syndicated_from"])
    return {
        "o": o, "base": f"http://{o['host']}",
        "a": {**{k: a[k] for k in ("id", "title", "lead", "authors", "section", "genre", "language", "path")},
              "url": f"http://{o['host']}{a['path']}", "authors_fr": " et ".join(a["authors"]),
              "section_slug": a["path"].strip("/").split("/")[0], "flags": sorted(special),
              "syndicated_name": syn and OUTLETS[syn["outlet"]]["name"], "num": h % 9000000 + 1000000},
        "d": {"show": show, "meta": show, "pub": a["pub_dt"], "mod": a["mod_dt"] if show else None,
              "pub_iso": a["pub_dt"].isoformat(), "mod_iso": a["mod_dt"].isoformat() if a["mod_dt"] else "",
              "text_line": ("Publié le " + fmt_date(a["pub_dt"], "text")) if "date_text_only" in special else ""},
        "body": body, "related": [teaser(x, o) for x in related], "comments": comments,
        "author_box": author_box, "truncated": rest is not None,
        "paywall": ({"pct": round(100 * (1 - len(text) / max(1, len(a["text"]))))}
                    if "paywall" in special else None),
        "video": ({"caption": a["text"], "id": sha(a["id"])[:11]} if "empty_body" in special else None),
        "_text": text, "_paras": [t for k, t in blocks if k == "p"],
        "_teasers": [x["title"] for t in teasers for x in t], "_related": [x["title"] for x in related],
    }


def teaser(x: dict, o: dict) -> dict:
    return {"title": x["title"], "url": f"http://{o['host']}{x['path']}", "section": x["section"]}


def encode_page(page: str, wrong_charset: bool) -> bytes:
    if not wrong_charset:
        return page.encode("utf-8")
    page = page.translate({0x202F: 0xA0, 0x2009: 0x20, 0x2011: 0x2D})
    return page.encode("cp1252", errors="replace")


def visible_text(page: str) -> str:
    page = re.sub(r"(?is)<(head|script|style)\b.*?(</\1>|\Z)|<!--.*?(-->|\Z)", " ", page)
    return norm_ws(html.unescape(re.sub(r"<[^>]*>?", " ", page)))


def feed_entry(a: dict, o: dict) -> dict:
    dated = "date_url_only" not in a["special"]
    desc = a["lead"] or (a["blocks"][0][1][:240].rsplit(" ", 1)[0] + "…" if a["blocks"] else a["title"])
    return {"title": a["title"], "link": f"http://{o['host']}{a['path']}", "guid": f"http://{o['host']}{a['path']}",
            "authors": a["authors"], "description": desc, "section": a["section"], "id": a["id"],
            "num": int(sha(a["id"])[:8], 16) % 9000000 + 1000000, "language": a["language"],
            "pub": a["pub_dt"] if dated else None, "mod": (a["mod_dt"] or a["pub_dt"]) if dated else None,
            "pub_822": format_datetime(a["pub_dt"]) if dated else "", "pub_iso": a["pub_dt"].isoformat() if dated else "",
            "upd_iso": latest(a).isoformat() if dated else "", "lastmod": latest(a).isoformat() if dated else ""}


def render_outlet(env, o: dict, arts: list[dict], by_id: dict, epoch: datetime):
    """Yield (url path, file, bytes, content-type, last-modified, gold-or-None) for one outlet."""
    arts = sorted(arts, key=lambda a: (a["pub_dt"], a["id"]), reverse=True)
    live = [a for a in arts if "missing_404" not in a["special"]]
    newest = max((latest(a) for a in arts), default=epoch)
    base = f"http://{o['host']}"
    for a in live:
        ctx = article_context(a, o, live, by_id)
        page = env.get_template(f"{o['id']}.html.j2").render(**ctx)
        if ctx["truncated"]:
            page = page[: page.index(CUT)]
        data = encode_page(page, "wrong_charset" in a["special"])
        dated = not set(a["special"]) & {"date_url_only", "date_text_only"}
        yield a["path"], data, "text/html; charset=utf-8", latest(a) if dated else epoch, (a, ctx)
    home = [dict(feed_entry(a, o), dated=not set(a["special"]) & {"date_url_only", "date_text_only"},
                 lead=a["lead"]) for a in live[:40]]
    yield "/", env.get_template("home.html.j2").render(o=o, base=base, items=home).encode(), \
        "text/html; charset=utf-8", newest, None
    entries = [feed_entry(a, o) for a in arts]
    if o.get("feed_quirk") == "missing_link" and entries:
        entries[-1] = dict(entries[-1], link=None, guid=f"{o['id']}-{sha(entries[-1]['id'])[:10]}")
    if o.get("feed_quirk") == "duplicate" and entries:
        entries.insert(2 if len(entries) > 1 else 1, entries[0])
    feed = env.get_template(f"feed_{o['feed_format']}.xml.j2").render(o=o, base=base, entries=entries, newest=newest)
    yield o["feed_path"], feed.encode(), CTYPES[o["feed_format"]], newest, None
    if o["sitemap_format"]:
        sm = env.get_template(f"sitemap_{o['sitemap_format']}.xml.j2").render(
            o=o, base=base, entries=[feed_entry(a, o) for a in live], newest=newest)
        yield o["sitemap_path"], sm.encode(), "application/xml", newest, None
    yield "/robots.txt", env.get_template("robots.txt.j2").render(o=o, base=base).encode(), \
        "text/plain; charset=utf-8", epoch, None


ARCHIVE_SITEMAP = "/sitemap-archives.xml"


def render_archive(env, o: dict, archive: list[dict], live: list[dict], by_id: dict, epoch: datetime):
    """Yield the pages of the outlet's archive articles and their sitemap (``ARCHIVE_SITEMAP``): a
    backfill source. Teasers may point at any of the outlet's articles; the served gold pages are
    unchanged (archive articles are never their teasers)."""
    archive = sorted(archive, key=lambda a: (a["pub_dt"], a["id"]), reverse=True)
    for a in archive:
        ctx = article_context(a, o, live + archive, by_id)
        yield a["path"], env.get_template(f"{o['id']}.html.j2").render(**ctx).encode("utf-8"), \
            "text/html; charset=utf-8", latest(a)
    newest = max((latest(a) for a in archive), default=epoch)
    sm = env.get_template("sitemap_plain.xml.j2").render(o=o, base=f"http://{o['host']}",
                                                        entries=[feed_entry(a, o) for a in archive], newest=newest)
    yield ARCHIVE_SITEMAP, sm.encode(), "application/xml", newest


# ----------------------------------------------------------------------------- gold
def gold_record(a: dict, o: dict, ctx: dict | None, page_text: str | None) -> tuple[dict, list[str]]:
    errs = []
    text = ctx["_text"] if ctx else a["text"]
    claims = []
    for c in a["claims"]:
        start = a["text"].find(c["content"])
        end = start + len(c["content"])
        if end <= len(text):
            assert text[start:end] == c["content"]
            claims.append({k: c[k] for k in CLAIM_KEYS} | {"start": start, "end": end})
    must, must_not = [], []
    if ctx:
        must = [] if ctx["video"] else pick_body_snippets(ctx, page_text)
        if len(must) < 3 and not ctx["video"]:
            errs.append(f"only {len(must)} must_contain snippets found on the page")
        ntext = norm_ws(text)
        cands = ctx["_teasers"][:1] + [o["newsletter_text"]] + [c["text"] for c in ctx["comments"][:1]] + \
            [o["cookie_text"], ctx["author_box"] or ""] + ctx["_teasers"][1:] + ctx["_related"] + [o["slogan"]]
        for c in cands:
            c = norm_ws(c)
            if c and c not in must_not and c in page_text and c not in ntext and len(must_not) < 5:
                must_not.append(c)
        if len(must_not) < 3:
            errs.append(f"only {len(must_not)} must_not_contain snippets found on the page")
    for s in must + must_not:   # final independent verification against the served bytes
        if s not in page_text:
            errs.append(f"snippet not on the page: {s!r}")
    rec = {"id": a["id"], "outlet": a["outlet"], "url": f"http://{o['host']}{a['path']}",
           "served": ctx is not None, "title": a["title"], "lead": a["lead"], "authors": a["authors"],
           "published": a["published"], "published_date": a["pub_dt"].date().isoformat(),
           "modified": a["modified"] or None, "language": a["language"], "genre": a["genre"],
           "section": a["section"], "on_topic": a["on_topic"], "stance": a["stance"],
           "tone_openai": a["tone_openai"], "tone_deepseek": a["tone_deepseek"], "actors": a["actors"],
           "special": sorted(a["special"]), "syndicated_from": a["syndicated_from"], "text": text,
           "must_contain": must, "must_not_contain": must_not, "claims": claims}
    return rec, errs


def pick_body_snippets(ctx: dict, page_text: str) -> list[str]:
    paras = ctx["_paras"]
    per = [[] for _ in paras]
    for i, p in enumerate(paras):
        w = p.split()
        if len(w) < 5:
            continue
        n = min(8, len(w))
        starts = sorted({max(0, min(len(w) - n, s)) for s in (len(w) // 5, len(w) * 3 // 5)})
        per[i] = [" ".join(w[s:s + n]) for s in starts]
    m = len(per)   # spread over the article: 5 evenly spaced paragraphs first, then the others
    idx = list(dict.fromkeys([round(j * (m - 1) / 4) for j in range(5)] + list(range(m)))) if m else []
    order = [per[i][rnd] for rnd in range(2) for i in idx if len(per[i]) > rnd]
    picked = []
    for c in order:
        if page_text.count(c) == 1 and c not in picked and len(picked) < 5:
            picked.append(c)
    return picked


# ----------------------------------------------------------------------------- annotations
def build_annotations(raw_dir: Path) -> tuple[dict[str, list], list[str], int]:
    splits = {"train": [], "dev": [], "test": []}
    problems, seen, dups = [], set(), 0
    for f in sorted(raw_dir.glob("*.jsonl")):
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            where = f"{f.name}:{n}"
            try:
                r = json.loads(line)
            except json.JSONDecodeError as e:
                problems.append(f"{where}: invalid JSON ({e.msg})")
                continue
            if not isinstance(r, dict) or set(r) != {"text"} | set(ANNOT_VALUES):
                problems.append(f"{where}: keys must be text/sentiment/stance/kind/topic")
                continue
            bad = [k for k, v in ANNOT_VALUES.items() if r[k] not in v]
            if bad or not isinstance(r["text"], str) or not r["text"].strip():
                problems.append(f"{where}: bad value for {', '.join(bad) or 'text'}")
                continue
            if r["topic"] == "off" and r["stance"] != "neutre":
                problems.append(f"{where}: off-topic sentence with stance {r['stance']!r}")
                continue
            key = norm_ws(unicodedata.normalize("NFC", r["text"])).lower()
            if key in seen:
                dups += 1
                continue
            seen.add(key)
            h = sha(key)
            split = "train" if int(h[:8], 16) % 10 < 8 else ("dev" if int(h[:8], 16) % 10 == 8 else "test")
            splits[split].append({"id": h[:12], "text": norm_ws(r["text"]), **{k: r[k] for k in ANNOT_VALUES},
                                  "source": f.stem})
    for rows in splits.values():
        rows.sort(key=lambda r: r["id"])
    return splits, problems, dups


def training_articles(tdir: Path) -> tuple[list[dict], dict]:
    """The article-level training set (``training/``): never served, never in the gold."""
    arts, errors, _ = load_articles(tdir, OUTLETS) if tdir.exists() else ([], {}, {})
    rows = []
    for a in sorted(arts, key=lambda a: a["id"]):
        claims = []
        for c in a["claims"]:
            start = a["text"].find(c["content"])
            claims.append({k: c[k] for k in CLAIM_KEYS} | {"start": start, "end": start + len(c["content"])})
        rows.append({"id": a["id"], "outlet": a["outlet"], "genre": a["genre"], "published": a["published"],
                     "title": a["title"], "lead": a["lead"], "text": a["text"], "on_topic": a["on_topic"],
                     "stance": a["stance"], "tone_openai": a["tone_openai"], "tone_deepseek": a["tone_deepseek"],
                     "actors": a["actors"], "claims": claims})
    return rows, errors


def annotations_readme(splits: dict, problems: list[str], dups: int) -> str:
    out = ["# Training sentences (generated by corpus/build.py — do not edit)", "",
           "Source: `annotations/raw/*.jsonl`. Split by a stable hash of the normalised text "
           "(sha1 of NFC, whitespace-collapsed, lower-cased text: bucket 0–7 train, 8 dev, 9 test); "
           "`id` = first 12 hex digits of that hash. Label definitions: `corpus/GUIDELINES.md`.", "",
           f"- sentences kept: {sum(len(v) for v in splits.values())} "
           f"(train {len(splits['train'])}, dev {len(splits['dev'])}, test {len(splits['test'])})",
           f"- duplicate texts dropped: {dups}", f"- invalid lines dropped: {len(problems)}", ""]
    for field, values in ANNOT_VALUES.items():
        out += [f"## {field}", "", "| split | " + " | ".join(sorted(values)) + " | total |",
                "|---" * (len(values) + 2) + "|"]
        for s, rows in splits.items():
            out.append(f"| {s} | " + " | ".join(str(sum(r[field] == v for r in rows)) for v in sorted(values))
                       + f" | {len(rows)} |")
        out.append("")
    if problems:
        out += ["## Dropped lines", ""] + [f"- {p}" for p in problems] + [""]
    return "\n".join(out)


def training_readme(rows: list[dict]) -> str:
    on = [r for r in rows if r["on_topic"]]
    count = lambda key, rs: ", ".join(f"{v} {sum(r[key] == v for r in rs)}" for v in sorted({r[key] for r in rs}))
    return "\n".join([
        "", "# Training articles (`articles.jsonl`)", "",
        "Source: `training/<outlet>/*.md` (same format as `articles/`, never served, never in the gold). "
        "Used to train the article stance and tone heads and the claim stance head of the bundled models "
        "(docs/analysis.md); the corpus gold stays the evaluation set.", "",
        f"- articles: {len(rows)} ({len(on)} on topic), claims: {sum(len(r['claims']) for r in rows)}",
        f"- stance (on topic): {count('stance', on)}",
        f"- tone toward OpenAI: {count('tone_openai', rows)}; toward DeepSeek: {count('tone_deepseek', rows)}", ""])


# ----------------------------------------------------------------------------- reports
def sources_toml(outlets: dict, with_archive: set[str] = frozenset()) -> str:
    out = ["# Outlets collected by the Veille pipeline (replay corpus).",
           "# Generated by corpus/build.py from corpus/outlets.toml — do not edit by hand.", ""]
    for o in outlets.values():
        base = f"http://{o['host']}"
        sitemaps = ([f"{base}{o['sitemap_path']}"] if o["sitemap_path"] else []) + \
            ([f"{base}{ARCHIVE_SITEMAP}"] if o["id"] in with_archive else [])
        out += ["[[outlets]]", f'id = "{o["id"]}"', f"name = {json.dumps(o['name'], ensure_ascii=False)}",
                f'kind = "{o["kind"]}"', f'country = "{o["country"]}"', 'language = "fr"',
                f'homepage = "{base}/"', f'feeds = ["{base}{o["feed_path"]}"]',
                "sitemaps = " + json.dumps(sitemaps),
                f"requests_per_second = {float(o['requests_per_second'])}", f"concurrency = {o['concurrency']}", ""]
    return "\n".join(out)


def readme_section(outlets: dict, gold: list[dict], splits: dict, dups: int, rejected: dict) -> str:
    out = [GEN_BEGIN, "", "### Counts (generated)", "",
           "| outlet | articles | served | on topic | soutient | conteste | neutre (on topic) |",
           "|---|---|---|---|---|---|---|"]
    tot = [0] * 6
    for oid in outlets:
        g = [r for r in gold if r["outlet"] == oid]
        on = [r for r in g if r["on_topic"]]
        row = [len(g), sum(r["served"] for r in g), len(on)] + [sum(r["stance"] == s for r in on)
                                                               for s in ("soutient", "conteste", "neutre")]
        tot = [x + y for x, y in zip(tot, row)]
        out.append(f"| {oid} | " + " | ".join(map(str, row)) + " |")
    out += ["| **total** | " + " | ".join(f"**{x}**" for x in tot) + " |", "",
            "Genres: " + ", ".join(f"{g} {sum(r['genre'] == g for r in gold)}" for g in sorted(GENRES)), "",
            "Claims: " + str(sum(len(r["claims"]) for r in gold)) + " (in gold, after paywall/truncation cuts)", "",
            "### Messy cases (generated)", "", "| flag | articles |", "|---|---|"]
    for f in sorted(FLAGS):
        out.append(f"| `{f}` | " + (", ".join(f"`{r['id']}`" for r in gold if f in r["special"]) or "—") + " |")
    quirks = [f"`{o['id']}`: {o['feed_quirk']}" for o in outlets.values() if o.get("feed_quirk")]
    out += ["", "Feed quirks: " + "; ".join(quirks) + " (missing_link: the oldest entry has no link; "
            "duplicate: the newest entry appears twice).", "", "### Training sentences (generated)", "",
            f"train {len(splits['train'])}, dev {len(splits['dev'])}, test {len(splits['test'])}; "
            f"{dups} duplicate texts dropped. Details: `annotations/README.md`.", ""]
    if rejected:
        out += ["### Rejected article files (generated)", ""] + \
               [f"- `{n}`: {'; '.join(e)}" for n, e in sorted(rejected.items())] + [""]
    return "\n".join(out + [GEN_END])


# ----------------------------------------------------------------------------- main
OUTLETS: dict = {}


def build(articles_dir: Path):
    global OUTLETS
    cfg = tomllib.loads((ROOT / "outlets.toml").read_text(encoding="utf-8"))
    OUTLETS = {o["id"]: o for o in cfg["outlet"]}
    epoch = datetime.fromisoformat(cfg["site_epoch"])
    arts, errors, warnings = load_articles(articles_dir, OUTLETS)
    archive, archive_errors, _ = load_articles(articles_dir.parent / "archive", OUTLETS, archive=True)
    taken = {(a["outlet"], a["path"]) for a in arts} | {a["id"] for a in arts}
    for a in archive:
        if (a["outlet"], a["path"]) in taken or a["id"] in taken:
            archive_errors.setdefault(a["name"], []).append("id or path already used by an article of articles/")
    archive = [a for a in archive if a["name"] not in archive_errors]
    errors.update(archive_errors)
    by_id = {a["id"]: a for a in arts}
    env = make_env(ROOT / "templates")
    files, entries, gold, fatal = {}, [], [], []   # files: path relative to the output root -> bytes
    for oid, o in OUTLETS.items():
        mine = [a for a in arts if a["outlet"] == oid]
        for path, data, ctype, lastmod, art in render_outlet(env, o, mine, by_id, epoch):
            rel = file_for(o["host"], path)
            files["site/" + rel] = data
            entries.append({"url": f"http://{o['host']}{path}", "file": rel, "status": 200, "headers": {
                "Content-Type": ctype, "Last-Modified": http_date(lastmod), "ETag": f'"{sha(data)[:16]}"'}})
            if art:
                a, ctx = art
                page = data.decode("cp1252" if "wrong_charset" in a["special"] else "utf-8")
                rec, errs = gold_record(a, o, ctx, visible_text(page))
                gold.append(rec)
                fatal += [f"{a['name']}: {e}" for e in errs]
        for a in mine:
            if "missing_404" in a["special"]:
                gold.append(gold_record(a, o, None, None)[0])
        backfill = [a for a in archive if a["outlet"] == oid]
        live = [a for a in mine if "missing_404" not in a["special"]]
        for path, data, ctype, lastmod in (render_archive(env, o, backfill, live, by_id, epoch) if backfill else []):
            rel = file_for(o["host"], path)
            files["site/" + rel] = data
            entries.append({"url": f"http://{o['host']}{path}", "file": rel, "status": 200, "headers": {
                "Content-Type": ctype, "Last-Modified": http_date(lastmod), "ETag": f'"{sha(data)[:16]}"'}})
    entries.sort(key=lambda e: e["url"])
    gold.sort(key=lambda r: r["id"])
    files["site/manifest.json"] = dump_json({"generated_by": "corpus/build.py", "entries": entries})
    files["gold/articles.jsonl"] = jsonl(gold)
    files["sources.toml"] = sources_toml(OUTLETS, {a["outlet"] for a in archive}).encode()
    splits, problems, dups = build_annotations(ROOT / "annotations" / "raw")
    for s, rows in splits.items():
        files[f"annotations/{s}.jsonl"] = jsonl(rows)
    training, training_errors = training_articles(ROOT / "training")
    files["annotations/articles.jsonl"] = jsonl(training)
    files["annotations/README.md"] = (annotations_readme(splits, problems, dups) + training_readme(training)).encode()
    errors.update({f"training: {k}": v for k, v in training_errors.items()})
    readme = (ROOT / "README.md").read_text(encoding="utf-8") if (ROOT / "README.md").exists() else "# Corpus\n"
    section = readme_section(OUTLETS, gold, splits, dups, errors)
    if GEN_BEGIN in readme and GEN_END in readme:
        readme = readme[: readme.index(GEN_BEGIN)] + section + readme[readme.index(GEN_END) + len(GEN_END):]
    else:
        readme = readme.rstrip("\n") + "\n\n" + section + "\n"
    files["README.md"] = readme.encode()
    report = {"articles": len(arts), "archive": len(archive), "gold": gold, "errors": errors, "warnings": warnings, "fatal": fatal,
              "annotations": {k: len(v) for k, v in splits.items()}, "dups": dups, "problems": problems}
    return files, report


def dump_json(obj) -> bytes:
    return (json.dumps(obj, ensure_ascii=False, indent=2) + "\n").encode()


def jsonl(rows) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()


def stale_files(files: dict, out: Path) -> list[str]:
    stale = [p for p, data in files.items() if not (out / p).is_file() or (out / p).read_bytes() != data]
    for d in ("site", "gold"):
        if (out / d).exists():
            stale += [f"{p.relative_to(out)} (extra)" for p in sorted((out / d).rglob("*"))
                      if p.is_file() and str(p.relative_to(out)) not in files]
    return stale


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="verify that the committed output is up to date")
    ap.add_argument("--articles", type=Path, default=ROOT / "articles", help="article source folder")
    ap.add_argument("--out", type=Path, default=ROOT, help="output root (default: corpus/)")
    ap.add_argument("-v", "--verbose", action="store_true", help="also print warnings")
    args = ap.parse_args()
    files, rep = build(args.articles)
    for label, items in (("REJECTED", rep["errors"]), ("warning", rep["warnings"] if args.verbose else {})):
        for name, msgs in sorted(items.items()):
            print(f"{label} {name}:\n" + "\n".join(f"    - {m}" for m in msgs), file=sys.stderr)
    if rep["fatal"]:
        print("BUILD FAILED (snippet verification):\n" + "\n".join("  " + e for e in rep["fatal"]), file=sys.stderr)
        return 2
    g = rep["gold"]
    print(f"{rep['articles']} articles ({sum(r['served'] for r in g)} served, "
          f"{sum(r['on_topic'] for r in g)} on topic), {rep['archive']} archive articles (unlabelled, "
          f"served for backfills), {len(rep['errors'])} rejected, "
          f"{sum(len(w) for w in rep['warnings'].values())} warnings; annotations {rep['annotations']}, "
          f"{rep['dups']} duplicates and {len(rep['problems'])} invalid lines dropped")
    if args.check:
        stale = stale_files(files, args.out)
        for p in stale[:30]:
            print(f"STALE {p}", file=sys.stderr)
        if stale or rep["errors"]:
            print(f"check failed: {len(stale)} stale files, {len(rep['errors'])} invalid articles", file=sys.stderr)
            return 1
        print("check ok: output is up to date")
        return 0
    for d in ("site", "gold"):
        shutil.rmtree(args.out / d, ignore_errors=True)
    for p, data in files.items():
        (args.out / p).parent.mkdir(parents=True, exist_ok=True)
        (args.out / p).write_bytes(data)
    print(f"wrote {len(files)} files under {args.out}")
    return 1 if rep["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
