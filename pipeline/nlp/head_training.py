"""Learn from the training articles (``annotations/articles.jsonl``, built from ``corpus/training``).

1. The pipeline reads every training article as the nightly would (title, lead, body); the claims it
   finds that match an annotated claim become extra stance units for the sentence stance model (real
   article claims, with their attribution, next to the isolated training sentences).
2. Cross-fitting: each of 5 folds of articles is scored by a stance model trained without that fold's
   claims, so the heads learn from probabilities like those they will get on unseen articles.
3. The heads (:mod:`.heads`) learn from those outputs: matched claims for the claim head, whole
   articles for the article stance and tone heads. The claim head's probabilities fed to the article
   head are out-of-fold too. Regularisation is picked by 5-fold cross-validation grouped by article
   (macro-F1); the scores go into the model cards. The corpus gold is never read here.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Callable

import numpy as np

from .heads import Head, article_stance_features, claim_features, tone_features

log = logging.getLogger(__name__)

STANCE = ["soutient", "conteste", "neutre"]
SENTIMENT = ["négatif", "neutre", "positif"]
L2_GRID = (0.001, 0.01, 0.1, 1.0)
FOLDS = 5
MIN_ARTICLES = 30
MIN_VOCAB = 5  # a speaker or cue needs this many training claims to get its own feature


def read_articles(path: Path) -> list[dict]:
    """Training articles (JSON lines); [] when the file does not exist."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def fit_dense(X: np.ndarray, y: np.ndarray, n_labels: int, l2: float, labels: list[str],
              vocab: dict | None = None, steps: int = 400) -> Head:
    """Class-balanced multinomial logistic regression, full-batch Adam on standardised features."""
    mean, std = X.mean(0), X.std(0)
    std = np.where(std > 1e-9, std, 1.0)
    Z0 = (X - mean) / std
    n, d = Z0.shape
    Y = np.eye(n_labels)[y]
    counts = np.bincount(y, minlength=n_labels).astype(float)
    w = (n / (n_labels * np.maximum(counts, 1)))[y]  # balanced: macro-F1 is what is measured
    W, b = np.zeros((d, n_labels)), np.zeros(n_labels)
    m = [np.zeros_like(W), np.zeros_like(b)]
    v = [np.zeros_like(W), np.zeros_like(b)]
    for t in range(1, steps + 1):
        z = Z0 @ W + b
        z -= z.max(1, keepdims=True)
        P = np.exp(z)
        P /= P.sum(1, keepdims=True)
        G = (P - Y) * w[:, None] / n
        grads = [Z0.T @ G + l2 * W, G.sum(0)]
        for k, (p, g) in enumerate(zip((W, b), grads)):
            m[k] = 0.9 * m[k] + 0.1 * g
            v[k] = 0.999 * v[k] + 0.001 * g * g
            p -= 0.05 * (m[k] / (1 - 0.9 ** t)) / (np.sqrt(v[k] / (1 - 0.999 ** t)) + 1e-8)
    return Head(labels=labels, W=W, b=b, mean=mean, std=std, vocab=vocab or {})


def _macro_f1(y: np.ndarray, pred: np.ndarray, n_labels: int) -> float:
    f1 = []
    for k in range(n_labels):
        tp, fp, fn = np.sum((pred == k) & (y == k)), np.sum((pred == k) & (y != k)), np.sum((pred != k) & (y == k))
        f1.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(f1))


def _folds(groups: np.ndarray) -> np.ndarray:
    """Fold of each row: articles dealt round-robin in a fixed order (deterministic, grouped)."""
    order = {g: i % FOLDS for i, g in enumerate(sorted(set(groups.tolist())))}
    return np.array([order[g] for g in groups])


def select_and_fit(X: np.ndarray, y: np.ndarray, groups: np.ndarray, labels: list[str],
                   vocab: dict | None = None) -> tuple[Head, dict]:
    """Pick L2 by grouped cross-validation (macro-F1), refit on everything; (head, cv report)."""
    folds, n_labels = _folds(groups), len(labels)
    cv = {}
    for l2 in L2_GRID:
        pred = np.zeros(len(y), dtype=int)
        for k in range(FOLDS):
            test = folds == k
            if test.any() and (~test).any():
                pred[test] = fit_dense(X[~test], y[~test], n_labels, l2, labels).predict(X[test]).argmax(1)
        cv[l2] = _macro_f1(y, pred, n_labels)
    best = max(L2_GRID, key=lambda l2: (round(cv[l2], 4), l2))  # ties: the stronger prior
    return fit_dense(X, y, n_labels, best, labels, vocab), {"l2": best, "cv_macro_f1": round(cv[best], 4),
                                                            "n": int(len(y)), "cv_by_l2": {str(k): round(v, 4) for k, v in cv.items()}}


def _vocab(values: list[str]) -> list[str]:
    counts: dict[str, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return sorted(v for v, n in counts.items() if v and n >= MIN_VOCAB)


def _probs(unit: dict, labels: list[str]) -> list[float]:
    return [unit["probs"][lab] for lab in labels]


def prepare_articles(spacy_model: str, topic, articles: list[dict]) -> dict:
    """Entities and claims of every training article (title + lead + body, as the nightly reads them),
    and the claims found that match an annotated one, as extra stance units (text, label, article).
    """
    from . import build_nlp
    from .evaluation import match_claims
    from .fields import compose

    nlp = build_nlp(spacy_model, topic, with_models=False)
    composed = [compose(a["title"], a.get("lead"), a["text"]) for a in articles]
    docs = list(nlp.pipe([t for t, _ in composed], batch_size=8))
    bases, units = [], []
    for k, (a, doc, (_, bounds)) in enumerate(zip(articles, docs, composed)):
        base = next(s for name, s, _ in bounds if name == "text")
        claims = doc._.claims or []
        local = [{**c, "content_start": c["content_start"] - base, "content_end": c["content_end"] - base}
                 for c in claims]
        for i, j in match_claims(local, a["claims"]):
            if claims[i]["content_start"] >= base:
                # The claim as the classifier sees it at run time: its sentence(s) with the attribution.
                units.append((doc.text[claims[i]["context_start"]:claims[i]["context_end"]], a["claims"][j]["stance"], k))
        bases.append(base)
    return {"articles": articles, "docs": docs, "bases": bases, "units": units}


def crossfit_analyses(prepared: dict, topic, sentiment_scorer, stance_scorer_without: Callable, target: str) -> list[dict]:
    """Score each fold's articles with a stance model that never saw that fold's claims; per-article outputs.

    ``stance_scorer_without(fold)`` returns a stance scorer trained without the units of that fold's articles.
    """
    from .evaluation import match_claims
    from .scoring import Classifier, actor_sentences, sentence_layout

    articles, docs = prepared["articles"], prepared["docs"]
    folds = _folds(np.arange(len(articles)))
    for f in range(FOLDS):
        clf = Classifier(topic, {"sentiment": sentiment_scorer, "stance": stance_scorer_without(f)})
        list(clf.pipe([docs[k] for k in np.flatnonzero(folds == f)]))
    out = []
    for a, doc, base in zip(articles, docs, prepared["bases"]):
        rows, claims = doc._.sentences or [], doc._.claims or []
        local = [{**c, "content_start": c["content_start"] - base, "content_end": c["content_end"] - base}
                 for c in claims]
        matched = {i: a["claims"][j]["stance"] for i, j in match_claims(local, a["claims"])
                   if claims[i]["content_start"] >= base}
        out.append({"article": a, "claims": claims, "matched": matched, "layout": sentence_layout(doc, rows, claims),
                    "mentions": {actor: actor_sentences(rows, claims, actor) for actor in topic.tone_actors},
                    "sent_stance": np.array([_probs(r["stance"][target], STANCE) for r in rows]).reshape(-1, 3),
                    "sent_senti": np.array([_probs(r["sentiment"], SENTIMENT) for r in rows]).reshape(-1, 3),
                    "claim_stance": np.array([_probs(c["stance"][target], STANCE) for c in claims]).reshape(-1, 3),
                    "claim_senti": np.array([_probs(c["sentiment"], SENTIMENT) for c in claims]).reshape(-1, 3)})
    return out


def train_heads(analysed: list[dict], tone_actors: list[str],
                say: Callable[[str], None] | None = None) -> tuple[dict[str, Head], dict[str, Head], dict]:
    """(stance heads, sentiment heads, report) from :func:`crossfit_analyses`."""
    say = say or log.info
    report: dict = {"articles": len(analysed)}
    # -- claim stance: the claims the pipeline found that match an annotated one
    vocab = {"speakers": _vocab([c["speaker_id"] or "" for x in analysed for c in x["claims"]
                                 if not (c["speaker_id"] or "").startswith("person:")]),
             "cues": _vocab([c["cue"] or "" for x in analysed for c in x["claims"]]),
             # Context features, chosen by grouped CV on the training articles (docs/analysis.md).
             "context": ["speaker", "document"] if all("document" in x for x in analysed) else ["speaker"]}
    Xc, yc, gc = [], [], []
    for k, x in enumerate(analysed):
        if not x["matched"]:
            continue
        feats = claim_features(x["claim_stance"], x["claims"], vocab, x.get("document"))
        for i, label in x["matched"].items():
            Xc.append(feats[i])
            yc.append(STANCE.index(label))
            gc.append(k)
    Xc, yc, gc = np.array(Xc), np.array(yc), np.array(gc)
    claim_head, report["claim"] = select_and_fit(Xc, yc, gc, STANCE, vocab)
    say(f"claim stance head: {report['claim']['n']} claims, CV macro-F1 {report['claim']['cv_macro_f1']:.3f}")
    # Out-of-fold claim probabilities for the article head.
    folds = _folds(np.arange(len(analysed)))
    oof = [None] * len(analysed)
    for f in range(FOLDS):
        train = np.isin(gc, np.flatnonzero(folds != f))
        head = fit_dense(Xc[train], yc[train], 3, report["claim"]["l2"], STANCE, vocab)
        for k in np.flatnonzero(folds == f):
            x = analysed[k]
            oof[k] = head.predict(claim_features(x["claim_stance"], x["claims"], vocab, x.get("document")))
    # -- article stance
    Xa = np.vstack([article_stance_features(x["sent_stance"], x["layout"]["in_claim"], x["layout"]["first"],
                                            x["layout"]["last"], oof[k], STANCE, x.get("document"))
                    for k, x in enumerate(analysed)])
    ya = np.array([STANCE.index(x["article"]["stance"]) for x in analysed])
    article_head, report["article"] = select_and_fit(Xa, ya, np.arange(len(analysed)), STANCE)
    say(f"article stance head: {len(ya)} articles, CV macro-F1 {report['article']['cv_macro_f1']:.3f}")
    # -- tone toward each tracked actor the article mentions (labels exist for tone_<actor> fields)
    Xt, yt, gt = [], [], []
    for k, x in enumerate(analysed):
        for actor in tone_actors:
            label = x["article"].get(f"tone_{actor}")
            idx = x["mentions"].get(actor, [])
            if label not in SENTIMENT or not idx:
                continue
            spoken = x["claim_senti"][[j for j, c in enumerate(x["claims"]) if c["speaker_id"] == actor]]
            Xt.append(tone_features(x["sent_senti"][idx], idx[0] == 0, bool(x["layout"]["first"][idx].any()),
                                    spoken, SENTIMENT)[0])
            yt.append(SENTIMENT.index(label))
            gt.append(k)
    senti_heads = {}
    if len(set(yt)) == 3:
        tone_head, report["tone"] = select_and_fit(np.array(Xt), np.array(yt), np.array(gt), SENTIMENT)
        senti_heads["tone"] = tone_head
        say(f"tone head: {len(yt)} (article, actor) pairs, CV macro-F1 {report['tone']['cv_macro_f1']:.3f}")
    return {"claim": claim_head, "article": article_head}, senti_heads, report
