"""Rows of the mentions, claims and annotations tables from an analysed doc."""

from __future__ import annotations

from .syntax import doc_length

def mention_rows(doc) -> list[dict]:
    """Entities (linked by alias or left to the model) and resolved pronoun/description speakers."""
    rows, taken = [], set()
    for e in doc.ents:
        actor = e.ent_id_ or None
        rows.append({"start_char": e.start_char, "end_char": e.end_char, "text": e.text, "label": e.label_,
                     "actor_id": actor, "link_method": "alias" if actor else "model"})
        taken.add((e.start_char, e.end_char))
    for sp in doc.spans.get("veille_actors", []) if "veille_actors" in doc.spans else []:
        # An actor named inside a longer entity or name (mentions may overlap; ents may not).
        if (sp.start_char, sp.end_char) not in taken:
            taken.add((sp.start_char, sp.end_char))
            rows.append({"start_char": sp.start_char, "end_char": sp.end_char, "text": sp.text, "label": sp.label_,
                         "actor_id": sp.id_, "link_method": "alias"})
    for c in doc._.claims or []:
        if c["speaker_resolution"] in ("pronoun", "description") and c["speaker_start"] is not None:
            key = (c["speaker_start"], c["speaker_end"])
            if key in taken:
                continue
            taken.add(key)
            sid = c["speaker_id"]
            is_actor = not sid.startswith(("person:", "org:"))
            rows.append({"start_char": key[0], "end_char": key[1], "text": c["speaker_text"],
                         "label": c.get("speaker_label") or ("PER" if sid.startswith("person:") else "ORG"),
                         "actor_id": sid if is_actor else None, "link_method": "coref"})
    return rows


def claim_rows(doc) -> list[dict]:
    """One row per claim (the claims table)."""
    return [{"content_start": c["content_start"], "content_end": c["content_end"], "content": c["content"],
             "kind": c["kind"], "cue": c["cue"], "speaker_text": c["speaker_text"], "speaker_id": c["speaker_id"],
             "speaker_resolution": c["speaker_resolution"], "speaker_start": c["speaker_start"],
             "speaker_end": c["speaker_end"]} for c in doc._.claims or []]


def _model(models: dict, task: str) -> dict:
    m = models.get(task) or {}
    return {"model_name": m.get("name", ""), "model_version": m.get("version"), "model_hash": m.get("hash"),
            "backend": m.get("backend")}


def annotation_rows(doc) -> list[dict]:
    """Sentence and claim sentiment/stance, article tone per actor and stance per target."""
    models = doc._.models or {}
    if not models:
        return []
    senti, stance = _model(models, "sentiment"), _model(models, "stance")
    rows = []
    for s in doc._.sentences or []:
        rows.append({"task": "sentiment", "scope": "sentence", "target": "", "span_start": s["start"],
                     "span_end": s["end"], "label": s["sentiment"]["label"], "probs": s["sentiment"]["probs"], **senti})
        for tid, st in s["stance"].items():
            rows.append({"task": "stance", "scope": "sentence", "target": tid, "span_start": s["start"],
                         "span_end": s["end"], "label": st["label"], "probs": st["probs"], **stance})
    for c in doc._.claims or []:
        if "sentiment" not in c:
            continue
        rows.append({"task": "sentiment", "scope": "claim", "target": "", "span_start": c["content_start"],
                     "span_end": c["content_end"], "label": c["sentiment"]["label"], "probs": c["sentiment"]["probs"], **senti})
        for tid, st in c["stance"].items():
            rows.append({"task": "stance", "scope": "claim", "target": tid, "span_start": c["content_start"],
                         "span_end": c["content_end"], "label": st["label"], "probs": st["probs"], **stance})
    article = doc._.article or {}
    length = doc_length(doc)
    for actor, t in (article.get("tone") or {}).items():
        if t["mentioned"]:
            rows.append({"task": "tone", "scope": "article", "target": actor, "span_start": 0,
                         "span_end": length, "label": t["label"], "probs": t["probs"], **senti})
    for tid, st in (article.get("stance") or {}).items():
        rows.append({"task": "stance", "scope": "article", "target": tid, "span_start": 0,
                     "span_end": length, "label": st["label"], "probs": st["probs"], **stance})
    return rows
