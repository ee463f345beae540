"""``veille eval nlp``: the analysis measured on the corpus gold (``corpus/gold/articles.jsonl``,
never trained on) and on the held-out test split of the training sentences.

Claims are matched one-to-one, greedily by overlap, when their content spans overlap by at least half
of the longer one. Speaker attribution and cue are then scored like detection: a predicted claim is
right when it matches a gold claim *and* has the same speaker id (cue). Actor linking compares, per
article, the set of topic actor ids found in the title and text with the gold ``actors``.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import ModelError
from ..records import Topic
from .backends import SENTIMENT_LABELS, STANCE_LABELS
from .fields import compose
from .training import read_split, scores

MIN_OVERLAP = 0.5


def load_gold(path: str | Path) -> list[dict]:
    """Gold article records; ModelError when the file is missing or malformed."""
    path = Path(path)
    if not path.exists():
        raise ModelError(f"No gold file at {path}.", hint="Build the corpus: python corpus/build.py", code="E540")
    rows = []
    for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except ValueError:
                raise ModelError(f"{path}:{n} is not valid JSON.", code="E541") from None
    return rows


def _prf(tp: int, n_pred: int, n_gold: int) -> dict:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
            "tp": tp, "predicted": n_pred, "gold": n_gold}


def match_claims(pred: list[dict], gold: list[dict]) -> list[tuple[int, int]]:
    """(pred index, gold index) pairs: greedy by overlap / longer span length >= MIN_OVERLAP."""
    cands = []
    for i, c in enumerate(pred):
        for j, g in enumerate(gold):
            inter = min(c["content_end"], g["end"]) - max(c["content_start"], g["start"])
            if inter > 0:
                o = inter / max(c["content_end"] - c["content_start"], g["end"] - g["start"])
                if o >= MIN_OVERLAP:
                    cands.append((o, i, j))
    pairs, used_p, used_g = [], set(), set()
    for o, i, j in sorted(cands, reverse=True):
        if i not in used_p and j not in used_g:
            used_p.add(i)
            used_g.add(j)
            pairs.append((i, j))
    return pairs


def _stance_of_span(nlp, doc, start: int, end: int, target: str) -> str | None:
    """Stance the pipeline's scorer gives to the sentence(s) around a gold claim span."""
    clf = nlp.get_pipe("veille_classifier")
    first = doc.char_span(start, end, alignment_mode="expand")
    if first is None or not len(first):
        return None
    span = doc[first[0].sent.start:first[-1].sent.end]
    scorer = clf.scorers["stance"]
    t = next((x for x in clf.targets if x.id == target), None)
    if t is None:
        return None
    probs = scorer([span], t) if scorer.info.backend == "transformers" else scorer([span])
    return STANCE_LABELS[int(np.argmax(probs[0]))]


def evaluate_nlp(nlp, topic: Topic, gold_path: str | Path, annotations_dir: str | Path | None = None,
                 progress: Callable[[int, int], None] | None = None) -> dict:
    """All NLP metrics on the gold articles (and the test sentences when ``annotations_dir`` is given)."""
    gold = load_gold(gold_path)
    actor_ids = {a.id for a in topic.actors}
    target = topic.stance_targets[0].id if topic.stance_targets else None
    has_models = "veille_classifier" in nlp.pipe_names
    c = Counter()
    by_kind: dict[str, Counter] = {}
    resolution = Counter()
    claim_true, claim_pred, span_true, span_pred = [], [], [], []
    art_true, art_pred, topic_true, topic_pred = [], [], [], []
    tone_true: dict[str, list] = {"openai": [], "deepseek": []}
    tone_pred: dict[str, list] = {"openai": [], "deepseek": []}
    errors = {"actors": [], "speakers": []}
    # The document the nightly analyses: title, lead and body (gold claims are in the body).
    composed = [compose(g.get("title"), g.get("lead"), g["text"]) for g in gold]
    docs = nlp.pipe([text for text, _ in composed], batch_size=8)
    for k, (g, doc, (_, bounds)) in enumerate(zip(gold, docs, composed)):
        base = next(s for name, s, _ in bounds if name == "text")
        # actors
        pred = {e.ent_id_ for e in (*doc.ents, *doc.spans.get("veille_actors", [])) if e.ent_id_ in actor_ids}
        pred |= {cl["speaker_id"] for cl in doc._.claims or [] if cl["speaker_id"] in actor_ids}
        want = {a for a in g.get("actors", []) if a in actor_ids}
        c["actor_tp"] += len(pred & want)
        c["actor_pred"] += len(pred)
        c["actor_gold"] += len(want)
        if pred != want:
            errors["actors"].append({"id": g["id"], "missed": sorted(want - pred), "extra": sorted(pred - want)})
        # claims
        pc = [{**cl, "content_start": cl["content_start"] - base, "content_end": cl["content_end"] - base}
              for cl in doc._.claims or [] if cl["content_start"] >= base]
        gc = g.get("claims", [])
        pairs = match_claims(pc, gc)
        c["claim_pred"] += len(pc)
        c["claim_gold"] += len(gc)
        c["claim_tp"] += len(pairs)
        for kind in {x["kind"] for x in pc} | {x["kind"] for x in gc}:
            kc = by_kind.setdefault(kind, Counter())
            kc["pred"] += sum(x["kind"] == kind for x in pc)
            kc["gold"] += sum(x["kind"] == kind for x in gc)
            kc["tp"] += sum(gc[j]["kind"] == kind for _, j in pairs)
        for i, j in pairs:
            ok = pc[i]["speaker_id"] == gc[j]["speaker_id"]
            c["speaker_tp"] += ok
            c["cue_tp"] += pc[i]["cue"] == gc[j]["cue"]
            resolution[(pc[i]["speaker_resolution"], ok)] += 1
            if not ok:
                errors["speakers"].append({"id": g["id"], "speaker": pc[i]["speaker_text"], "predicted": pc[i]["speaker_id"],
                                           "gold": gc[j]["speaker_id"], "gold_speaker": gc[j]["speaker"]})
            if has_models and target and "stance" in pc[i]:
                claim_true.append(gc[j]["stance"])
                claim_pred.append(pc[i]["stance"][target]["label"])
        if has_models and target:
            for gcl in gc:
                label = _stance_of_span(nlp, doc, gcl["start"] + base, gcl["end"] + base, target)
                if label:
                    span_true.append(gcl["stance"])
                    span_pred.append(label)
            art = doc._.article or {}
            label = art.get("stance", {}).get(target, {}).get("label", "neutre")
            art_true.append(g["stance"])
            art_pred.append(label)
            if g.get("on_topic"):
                topic_true.append(g["stance"])
                topic_pred.append(label)
            for actor in tone_true:
                if f"tone_{actor}" in g:
                    tone_true[actor].append(g[f"tone_{actor}"])
                    tone_pred[actor].append((art.get("tone", {}).get(actor) or {}).get("label", "neutre"))
        if progress:
            progress(k + 1, len(gold))
    result = {
        "gold": str(gold_path), "articles": len(gold),
        "actors": _prf(c["actor_tp"], c["actor_pred"], c["actor_gold"]),
        "claims": _prf(c["claim_tp"], c["claim_pred"], c["claim_gold"]),
        "claims_by_kind": {k: _prf(v["tp"], v["pred"], v["gold"]) for k, v in sorted(by_kind.items())},
        "speaker_attribution": _prf(c["speaker_tp"], c["claim_pred"], c["claim_gold"]),
        "cue": _prf(c["cue_tp"], c["claim_pred"], c["claim_gold"]),
        "speaker_resolution": {f"{kind}_{'ok' if ok else 'wrong'}": n for (kind, ok), n in sorted(resolution.items())},
        "errors": errors,
    }
    if has_models and target:
        result["stance_claims_matched"] = scores(claim_true, claim_pred, list(STANCE_LABELS))
        result["stance_claims_gold_spans"] = scores(span_true, span_pred, list(STANCE_LABELS))
        result["stance_articles"] = scores(art_true, art_pred, list(STANCE_LABELS))
        result["stance_articles_on_topic"] = scores(topic_true, topic_pred, list(STANCE_LABELS))
        result["tone"] = {a: scores(tone_true[a], tone_pred[a], list(SENTIMENT_LABELS)) for a in tone_true if tone_true[a]}
        result["models"] = {t: dict(vars(s.info)) for t, s in nlp.get_pipe("veille_classifier").scorers.items()}
    if has_models and annotations_dir and Path(annotations_dir, "test.jsonl").exists():
        result["sentences_test"] = _sentence_scores(nlp, Path(annotations_dir))
    return result


def _sentence_scores(nlp, folder: Path) -> dict:
    """Sentiment and stance of the held-out test sentences, scored by the pipeline's own models."""
    rows = read_split(folder, "test")
    clf = nlp.get_pipe("veille_classifier")
    docs = [nlp.make_doc(r["text"]) for r in rows]
    spans = [d[:] for d in docs]
    out = {}
    senti = clf.scorers["sentiment"](spans)
    out["sentiment"] = scores([r["sentiment"] for r in rows], [SENTIMENT_LABELS[i] for i in senti.argmax(1)],
                              list(SENTIMENT_LABELS))
    if clf.targets:
        stance_scorer = clf.scorers["stance"]
        st = stance_scorer(spans, clf.targets[0]) if stance_scorer.info.backend == "transformers" else stance_scorer(spans)
        out["stance"] = scores([r["stance"] for r in rows], [STANCE_LABELS[i] for i in st.argmax(1)], list(STANCE_LABELS))
    return out


def summary_rows(result: dict) -> list[tuple]:
    """(metric, precision/accuracy, recall/macro-F1, F1, n) rows for a table."""
    rows = []
    for key in ("actors", "claims", "speaker_attribution", "cue"):
        m = result[key]
        rows.append((key, m["precision"], m["recall"], m["f1"], f"{m['tp']}/{m['gold']}"))
    for kind, m in result["claims_by_kind"].items():
        rows.append((f"claims[{kind}]", m["precision"], m["recall"], m["f1"], f"{m['tp']}/{m['gold']}"))
    for key in ("stance_claims_gold_spans", "stance_claims_matched", "stance_articles", "stance_articles_on_topic"):
        if key in result:
            m = result[key]
            rows.append((key, f"acc {m['accuracy']}", f"macro-F1 {m['macro_f1']}",
                         " ".join(f"{k}:{v['f1']}" for k, v in m["per_class"].items()), m["n"]))
    for actor, m in result.get("tone", {}).items():
        rows.append((f"tone[{actor}]", f"acc {m['accuracy']}", f"macro-F1 {m['macro_f1']}",
                     " ".join(f"{k}:{v['f1']}" for k, v in m["per_class"].items()), m["n"]))
    for task, m in result.get("sentences_test", {}).items():
        rows.append((f"test sentences {task}", f"acc {m['accuracy']}", f"macro-F1 {m['macro_f1']}",
                     " ".join(f"{k}:{v['f1']}" for k, v in m["per_class"].items()), m["n"]))
    return rows
