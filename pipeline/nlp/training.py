"""Train the bundled sentiment and stance models on ``corpus/annotations/{train,dev,test}.jsonl``.

Multinomial logistic regression over word features (negation-marked unigrams) and the unit-length
mean static vector of ``fr_core_news_md``; full-batch Adam in numpy, so training is deterministic,
needs no torch, and takes seconds on two cores. Dev and test scores go into each model card.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import ModelError
from .bundled import FORMAT, LinearModel, feature_key, load_model, save_model, token_features, unit_vector

log = logging.getLogger(__name__)

LABELS = {"sentiment": ["négatif", "neutre", "positif"], "stance": ["soutient", "conteste", "neutre"]}
# Chosen by 5-fold cross-validation on train+dev (docs/analysis.md): unigrams with negation marks plus
# vectors beat bigrams, character n-grams, tok2vec features and a hidden layer within noise, and are cheapest.
# unit_weight: weight of each training-article claim unit beside an isolated training sentence (1.0)
# in the stance model. Measured on the 400 training articles (cross-fitted claim head, 5-fold CV) and
# the dev sentences: weight 0 / 0.25 / 0.5 / 1 gave claim head 0.772 / 0.789 / 0.791 / 0.792 and dev
# stance 0.749 / 0.726 / 0.713 / 0.714 — 0.25 keeps the claims' gain without losing isolated sentences.
DEFAULTS = {"negation": True, "bigrams": False, "vectors": True, "l2": 3e-5, "epochs": 120, "lr": 0.05,
            "unit_weight": 0.25}
SPLITS = ("train", "dev", "test")


def read_split(folder: Path, split: str) -> list[dict]:
    """Rows of one annotations split; ModelError if missing or malformed."""
    path = folder / f"{split}.jsonl"
    if not path.exists():
        raise ModelError(f"Training data {path} is missing.",
                         hint="Build the corpus: python corpus/build.py", code="E520")
    rows = []
    for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            raise ModelError(f"{path}:{n} is not valid JSON.", code="E521") from None
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise ModelError(f"{path}:{n} has no text.", code="E521")
        rows.append(row)
    return rows


# What the models learn beyond the data (features, heads): bumped when it changes, so that models
# trained by an older trainer are retrained and get a new version. 2: claim head reads the context.
TRAINER = "2"
ARTICLES_FILE = "articles.jsonl"  # training articles for the heads (optional)


def data_sha256(folder: Path) -> str:
    """sha256 over the three split files and the training articles (what the models were trained on)."""
    h = hashlib.sha256()
    for split in SPLITS:
        h.update((folder / f"{split}.jsonl").read_bytes())
    if (folder / ARTICLES_FILE).exists():
        h.update((folder / ARTICLES_FILE).read_bytes())
    return h.hexdigest()


class Featurizer:
    """Tokens and vectors of fr_core_news_md without running its pipeline components."""

    def __init__(self, spacy_model: str):
        import spacy

        try:
            self.nlp = spacy.load(spacy_model, exclude=["tok2vec", "morphologizer", "parser", "senter",
                                                        "attribute_ruler", "lemmatizer", "ner"])
        except OSError as exc:
            raise ModelError(f"Cannot load spaCy model '{spacy_model}'.", code="E501") from exc
        self.meta = f"{self.nlp.meta['lang']}_{self.nlp.meta['name']}-{self.nlp.meta['version']}"

    def __call__(self, texts: list[str], cfg: dict) -> tuple[list[list[str]], np.ndarray]:
        feats, vecs = [], []
        for doc in self.nlp.pipe(texts, batch_size=256):
            feats.append(token_features(doc, cfg["negation"], cfg["bigrams"]))
            vecs.append(unit_vector(doc.vector))
        return feats, np.asarray(vecs, dtype=np.float32)


def _design(feats: list[list[str]], index: dict[int, int] | None):
    """CSR-like arrays (row of each entry, column, value) with 1/sqrt(n) row normalisation."""
    if index is None:
        index = {}
        for f in feats:
            for x in f:
                index.setdefault(feature_key(x), len(index))
    rows, cols, vals = [], [], []
    for i, f in enumerate(feats):
        keys = {feature_key(x) for x in f}
        known = sorted(index[k] for k in keys if k in index)
        if keys:
            rows += [i] * len(known)
            cols += known
            vals += [1.0 / np.sqrt(len(keys))] * len(known)
    return (np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64),
            np.asarray(vals, dtype=np.float32)), index


def fit(feats: list[list[str]], vecs: np.ndarray, y: np.ndarray, n_labels: int, cfg: dict,
        seed: int = 13, weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Full-batch Adam on the L2-regularised (weighted) cross-entropy; returns (keys, W, U, b)."""
    (r, c, v), index = _design(feats, None)
    n, d = len(feats), len(index)
    rng = np.random.default_rng(seed)
    W = np.zeros((d, n_labels), dtype=np.float64)
    U = (rng.standard_normal((vecs.shape[1], n_labels)) * 0.01) if cfg["vectors"] else np.zeros((0, n_labels))
    b = np.zeros(n_labels)
    Y = np.eye(n_labels)[y]
    V = vecs.astype(np.float64) if cfg["vectors"] else np.zeros((n, 0))
    params = [W, U, b]
    m = [np.zeros_like(p) for p in params]
    s = [np.zeros_like(p) for p in params]
    b1, b2, eps, lr, l2 = 0.9, 0.999, 1e-8, cfg["lr"], cfg["l2"]
    for step in range(1, cfg["epochs"] + 1):
        Z = np.zeros((n, n_labels))
        np.add.at(Z, r, W[c] * v[:, None])
        Z += V @ U + b
        Z -= Z.max(1, keepdims=True)
        P = np.exp(Z)
        P /= P.sum(1, keepdims=True)
        G = (P - Y) / n if weights is None else (P - Y) * (weights / weights.sum())[:, None]
        gW = np.zeros_like(W)
        np.add.at(gW, c, G[r] * v[:, None])
        grads = [gW + 2 * l2 * W, V.T @ G + 2 * l2 * U, G.sum(0)]
        for k, (p, g) in enumerate(zip(params, grads)):
            m[k] = b1 * m[k] + (1 - b1) * g
            s[k] = b2 * s[k] + (1 - b2) * g * g
            p -= lr * (m[k] / (1 - b1 ** step)) / (np.sqrt(s[k] / (1 - b2 ** step)) + eps)
    keys = np.fromiter(index.keys(), dtype=np.uint32, count=len(index))
    order = np.argsort(keys)
    return keys[order], W[np.fromiter(index.values(), dtype=np.int64, count=len(index))[order]], U, b


def scores(y_true: list[str], y_pred: list[str], labels: list[str]) -> dict:
    """Accuracy, macro-F1 and per-class precision/recall/F1."""
    per = {}
    for lab in labels:
        tp = sum(t == lab and p == lab for t, p in zip(y_true, y_pred))
        fp = sum(t != lab and p == lab for t, p in zip(y_true, y_pred))
        fn = sum(t == lab and p != lab for t, p in zip(y_true, y_pred))
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        per[lab] = {"precision": round(prec, 4), "recall": round(rec, 4),
                    "f1": round(2 * prec * rec / (prec + rec), 4) if prec + rec else 0.0,
                    "support": sum(t == lab for t in y_true)}
    acc = sum(t == p for t, p in zip(y_true, y_pred)) / len(y_true) if y_true else 0.0
    return {"accuracy": round(acc, 4), "macro_f1": round(float(np.mean([v["f1"] for v in per.values()])), 4),
            "n": len(y_true), "per_class": per}


def _version(data_hash: str, cfg: dict, seed: int) -> str:
    """Deterministic version: same data, settings, seed and trainer give the same version (and weights)."""
    key = json.dumps([data_hash, cfg, seed, FORMAT, TRAINER], sort_keys=True)
    return "1." + hashlib.sha256(key.encode()).hexdigest()[:10]


def _card(task: str, cfg: dict, metrics: dict, data_hash: str, n_train: int, spacy_meta: str, seconds: float,
          folder: Path, n_units: int = 0) -> str:
    lines = [f"# veille-bundled-{task}", "",
             f"Veille's offline French {task} classifier ({'/'.join(LABELS[task])}), trained by "
             "`veille models train`.", "",
             "- Architecture: multinomial logistic regression over lower-cased word unigrams (marked inside "
             "a negation's scope) and the unit-length mean static vector of "
             f"`{spacy_meta}`; numpy inference on the tokens of the analysed doc.",
             f"- Training data: `{folder / 'train.jsonl'}` ({n_train} sentences)"
             + (f" and {n_units} annotated claims of the training articles (`{folder / ARTICLES_FILE}`)" if n_units else "")
             + f"; sha256 of the training files: `{data_hash}`.",
             f"- Hyper-parameters: {json.dumps({k: cfg[k] for k in sorted(cfg)}, ensure_ascii=False)}.",
             f"- Training time: {seconds:.1f} s. Deterministic (fixed seed, full-batch updates).", "",
             "## Scores", "", "| split | n | accuracy | macro-F1 | " + " | ".join(f"F1 {lab}" for lab in LABELS[task]) + " |",
             "|---|---|---|---|" + "---|" * len(LABELS[task])]
    for split in ("dev", "test"):
        m = metrics[split]
        lines.append(f"| {split} | {m['n']} | {m['accuracy']:.3f} | {m['macro_f1']:.3f} | "
                     + " | ".join(f"{m['per_class'][lab]['f1']:.3f}" for lab in LABELS[task]) + " |")
    lines += ["", "Intended use: sentence and claim scoring inside the Veille pipeline; article tone and "
              "stance are aggregated from these scores. Not evaluated outside French news prose on this topic."]
    return "\n".join(lines) + "\n"


def train_bundled(annotations_dir: str | Path, out_dir: str | Path, spacy_model: str = "fr_core_news_md",
                  target: str = "accusation", seed: int = 13, cfg: dict | None = None,
                  progress: Callable[[str], None] | None = None, topic=None) -> dict[str, dict]:
    """Train both models and their heads, write them under ``out_dir/{sentiment,stance}``; return metrics.

    With training articles (``articles.jsonl``, see :mod:`.head_training`), the stance model also learns
    from their annotated claims, and the claim/article/tone heads are trained on them.
    """
    from .head_training import MIN_ARTICLES, prepare_articles, read_articles

    say = progress or log.info
    folder, out = Path(annotations_dir), Path(out_dir)
    cfg = dict(DEFAULTS, **(cfg or {}))
    data = {split: read_split(folder, split) for split in SPLITS}
    if len(data["train"]) < 20:
        raise ModelError(f"Only {len(data['train'])} training sentences in {folder}.", code="E522")
    data_hash = data_sha256(folder)
    featurize = Featurizer(spacy_model)
    cache = {split: featurize([r["text"] for r in rows], cfg) for split, rows in data.items()}
    articles, prepared = read_articles(folder / ARTICLES_FILE), None
    if len(articles) >= MIN_ARTICLES:
        topic = topic or _default_topic()
        t0 = time.perf_counter()
        prepared = prepare_articles(spacy_model, topic, articles)
        prepared["features"] = featurize([u[0] for u in prepared["units"]], cfg)
        prepared["doc_features"] = featurize([doc.text for doc in prepared["docs"]], cfg)
        say(f"read {len(articles)} training articles: {len(prepared['units'])} annotated claims found "
            f"({time.perf_counter() - t0:.1f} s)")
    else:
        say(f"{len(articles)} training articles in {folder / ARTICLES_FILE} (< {MIN_ARTICLES}): no heads, "
            "articles are aggregated by the a-priori rule")
    results, train_sets = {}, {}
    for task, labels in LABELS.items():
        t0 = time.perf_counter()
        rows = [(i, r) for i, r in enumerate(data["train"]) if r.get(task) in labels]
        feats = [cache["train"][0][i] for i, _ in rows]
        vecs = cache["train"][1][[i for i, _ in rows]]
        y = np.array([labels.index(r[task]) for _, r in rows])
        train_sets[task] = (feats, vecs, y)
        n_units, weights = 0, None
        if task == "stance" and prepared:
            units = prepared["units"]
            weights = _unit_weights(len(y), len(units), cfg)
            feats = feats + prepared["features"][0]
            vecs = np.vstack([vecs, prepared["features"][1]])
            y = np.concatenate([y, [labels.index(u[1]) for u in units]])
            n_units = len(units)
        config = {"name": f"veille-bundled-{task}", "task": task, "target": target if task == "stance" else "",
                  "version": _version(data_hash, cfg, seed), "features": cfg,
                  "spacy_model": featurize.meta, "training_data_sha256": data_hash, "seed": seed, "trainer": TRAINER,
                  "training_units": {"sentences": len(rows), "article_claims": n_units}}
        model = _fit_model(labels, feats, vecs, y, cfg, seed, config, weights)
        metrics = {}
        for split in ("dev", "test"):
            keep = [i for i, r in enumerate(data[split]) if r.get(task) in labels]
            probs = model.predict([cache[split][0][i] for i in keep], cache[split][1][keep])
            metrics[split] = scores([data[split][i][task] for i in keep], [labels[k] for k in probs.argmax(1)], labels)
        seconds = time.perf_counter() - t0
        model.config["metrics"] = metrics
        save_model(model, out / task, _card(task, cfg, metrics, data_hash, len(rows), featurize.meta, seconds, folder,
                                            n_units))
        say(f"trained {task}: dev macro-F1 {metrics['dev']['macro_f1']:.3f}, test {metrics['test']['macro_f1']:.3f} "
            f"({seconds:.1f} s) -> {out / task}")
        results[task] = metrics
    if prepared:
        results["heads"] = _train_heads(prepared, train_sets["stance"], out, cfg, seed, target, topic, say)
    return results


def _unit_weights(n_sentences: int, n_units: int, cfg: dict) -> np.ndarray | None:
    """Sample weights: 1 per isolated sentence, ``unit_weight`` per training-article claim (None = all 1)."""
    w = float(cfg.get("unit_weight", 1.0))
    return None if w == 1.0 else np.concatenate([np.ones(n_sentences), np.full(n_units, w)])


def _default_topic():
    from ..config import load_defaults, load_topic

    return load_topic(load_defaults()["topic"]["file"])


def _fit_model(labels: list[str], feats, vecs, y, cfg: dict, seed: int, config: dict,
               weights: np.ndarray | None = None) -> LinearModel:
    keys, W, U, b = fit(feats, vecs, y, len(labels), cfg, seed, weights)
    return LinearModel(labels=labels, keys=keys, W=W.astype(np.float32), U=U.astype(np.float32),
                       b=b.astype(np.float32), config=config)


def _train_heads(prepared: dict, stance_train, out: Path, cfg: dict, seed: int, target: str, topic, say) -> dict:
    """Cross-fitted analyses of the training articles, then the heads, added to the saved models."""
    import tempfile

    from .backends import SENTIMENT_LABELS, STANCE_LABELS, BundledScorer
    from .head_training import FOLDS, _folds, crossfit_analyses, train_heads

    t0 = time.perf_counter()
    feats, vecs, y = stance_train
    unit_feats, unit_vecs = prepared["features"]
    unit_y = np.array([LABELS["stance"].index(u[1]) for u in prepared["units"]], dtype=np.int64)
    unit_fold = _folds(np.arange(len(prepared["articles"])))[[u[2] for u in prepared["units"]]]
    sentiment = BundledScorer(out / "sentiment", SENTIMENT_LABELS, "sentiment")
    final_config = load_model(out / "stance").config
    with tempfile.TemporaryDirectory() as tmp:
        def stance_without(fold: int):
            keep = np.flatnonzero(unit_fold != fold)
            model = _fit_model(LABELS["stance"], feats + [unit_feats[i] for i in keep],
                               np.vstack([vecs, unit_vecs[keep]]), np.concatenate([y, unit_y[keep]]), cfg, seed,
                               dict(final_config, name=f"{final_config['name']}-fold{fold}"),
                               _unit_weights(len(y), len(keep), cfg))
            save_model(model, Path(tmp) / str(fold), "")
            return BundledScorer(Path(tmp) / str(fold), STANCE_LABELS, "stance")

        analysed = crossfit_analyses(prepared, topic, sentiment, stance_without, target)
    document, doc_oof, doc_report = _document_model(prepared, cfg, seed, final_config)
    for x, probs in zip(analysed, doc_oof):
        x["document"] = probs
    say(f"document stance model: {doc_report['n']} articles, CV macro-F1 {doc_report['cv_macro_f1']:.3f}")
    stance_heads, senti_heads, report = train_heads(analysed, list(topic.tone_actors), say)
    report["folds"], report["document"] = FOLDS, doc_report
    for task, heads in (("stance", stance_heads), ("sentiment", senti_heads)):
        model = load_model(out / task)
        model.heads = heads
        model.document = document if task == "stance" else None
        model.config["heads"] = {name: {"cv": report[name]} for name in heads}
        card = (out / task / "README.md").read_text("utf-8") + _heads_card(heads, report, len(prepared["articles"]),
                                                                           task == "stance")
        save_model(model, out / task, card)
    say(f"trained heads on {len(prepared['articles'])} training articles ({time.perf_counter() - t0:.1f} s)")
    return report


def _document_model(prepared: dict, cfg: dict, seed: int, stance_config: dict):
    """Whole-document stance classifier (same features as the sentence models) on the training articles;
    (final model, out-of-fold probabilities per article, CV report). Its probabilities feed the article head.
    """
    from .head_training import FOLDS, _folds, _macro_f1

    feats, vecs = prepared["doc_features"]
    labels = LABELS["stance"]
    y = np.array([labels.index(a["stance"]) for a in prepared["articles"]])
    folds = _folds(np.arange(len(y)))
    oof = np.zeros((len(y), len(labels)))
    for f in range(FOLDS):
        tr, te = np.flatnonzero(folds != f), np.flatnonzero(folds == f)
        model = _fit_model(labels, [feats[i] for i in tr], vecs[tr], y[tr], cfg, seed, {})
        oof[te] = model.predict([feats[i] for i in te], vecs[te])
    config = {"name": f"{stance_config['name']}-document", "task": "stance", "features": cfg, "seed": seed,
              "trained_on": "training articles: title, lead and text"}
    report = {"n": int(len(y)), "cv_macro_f1": round(_macro_f1(y, oof.argmax(1), len(labels)), 4)}
    final = _fit_model(labels, feats, vecs, y, cfg, seed, dict(config, cv=report))
    return final, oof, report


def _heads_card(heads: dict, report: dict, n_articles: int, document: bool = False) -> str:
    lines = ["", "## Heads (trained on the training articles)", "",
             f"Logistic regressions over this model's probabilities on {n_articles} training articles "
             "(`corpus/training`, analysed title + lead + body as in the nightly): see docs/analysis.md. "
             "L2 chosen by 5-fold cross-validation grouped by article.", "",
             "| head | examples | L2 | CV macro-F1 |", "|---|---|---|---|"]
    lines += [f"| {name} | {report[name]['n']} | {report[name]['l2']} | {report[name]['cv_macro_f1']:.3f} |"
              for name in heads]
    if document:
        lines.append(f"| document (whole-text classifier feeding the article head; same features and L2 as "
                     f"the sentence model) | {report['document']['n']} | — | {report['document']['cv_macro_f1']:.3f} |")
    return "\n".join(lines) + "\n"


def bundled_status(bundled_dir: str | Path, annotations_dir: str | Path) -> str:
    """"ok", "missing" or "stale" (trained on other data than the current annotation files, or by an
    older trainer)."""
    out = Path(bundled_dir)
    configs = [out / task / "config.json" for task in LABELS]
    if not all(p.exists() for p in configs):
        return "missing"
    folder = Path(annotations_dir)
    if not all((folder / f"{s}.jsonl").exists() for s in SPLITS):
        return "ok"  # nothing to compare with: keep the models we have
    current = data_sha256(folder)
    for p in configs:
        try:
            config = json.loads(p.read_text("utf-8"))
            if config.get("training_data_sha256") != current or config.get("trainer") != TRAINER:
                return "stale"
        except (OSError, ValueError):
            return "ok"  # a corrupt folder is reported by load_model, not silently retrained
    return "ok"


def ensure_bundled(bundled_dir: str | Path, annotations_dir: str | Path, spacy_model: str,
                   progress: Callable[[str], None] | None = None, topic=None) -> bool:
    """Train the bundled models when missing or trained on older data; True if it trained them."""
    status = bundled_status(bundled_dir, annotations_dir)
    if status == "ok":
        return False
    (progress or log.warning)(f"bundled models {status} in {bundled_dir}: training them from {annotations_dir}")
    train_bundled(annotations_dir, bundled_dir, spacy_model, progress=progress, topic=topic)
    return True


__all__ = ["train_bundled", "ensure_bundled", "scores", "load_model", "LABELS"]
