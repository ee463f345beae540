"""Veille's own offline classifiers: a linear model over word features and the static vectors of
``fr_core_news_md``, trained by :mod:`.training` and run with numpy only.

A model folder holds ``config.json`` (labels, features, provenance), ``weights.safetensors``
(feature keys, weights) and ``README.md`` (the model card). Inference reuses the tokens and vectors
of the spaCy doc being analysed, so it adds little to the pipeline's cost.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from ..errors import ModelError

FORMAT = "veille-linear-1"
_NEGATORS = {"ne", "n'", "aucun", "aucune", "rien", "jamais", "sans", "ni", "personne", "nullement"}
_KEEP_PUNCT = {"?", "!", "«", "»"}


def token_triples(tokens: Iterable) -> list[tuple[str, bool, bool]]:
    """(lower-cased text, is punctuation, is space) of each token: what the features read."""
    if type(tokens).__name__ == "Doc":  # one array per doc: creating a Token object per token costs more
        from spacy.attrs import IS_PUNCT, IS_SPACE, LOWER

        strings = tokens.vocab.strings
        arr = tokens.to_array([LOWER, IS_PUNCT, IS_SPACE]) if len(tokens) else np.zeros((0, 3), dtype=np.uint64)
        return [(strings[int(low)], bool(punct), bool(space)) for low, punct, space in arr.tolist()]
    return [(t.lower_, t.is_punct, t.is_space) for t in tokens]


def token_features(tokens: Iterable, negation: bool = True, bigrams: bool = False,
                   triples: Sequence[tuple[str, bool, bool]] | None = None) -> list[str]:
    """Feature strings of a token sequence: lower-cased words, marked (~) within a negation's scope."""
    words, scope = [], 0
    for low, punct, space in (triples if triples is not None else token_triples(tokens)):
        if low in _NEGATORS:
            scope = 4
        elif punct:
            scope = 0
        if (punct and low not in _KEEP_PUNCT) or space:
            continue
        words.append(("~" + low) if (negation and scope and low not in _NEGATORS) else low)
        if scope and low not in _NEGATORS:
            scope -= 1
    feats = ["w" + w for w in words]
    if bigrams:
        feats += ["b" + a + " " + b for a, b in zip(words, words[1:])]
    return feats


@lru_cache(maxsize=500_000)
def feature_key(feature: str) -> int:
    """Stable 32-bit key of a feature string (the same in every process)."""
    return zlib.crc32(feature.encode("utf-8"))


def hashed(features: Sequence[str]) -> np.ndarray:
    """The distinct keys of a text's feature strings (what a model looks up), sorted."""
    return np.unique(np.fromiter((feature_key(f) for f in features), dtype=np.uint32, count=len(features)))


def span_vectors(spans: Sequence) -> np.ndarray:
    """Mean static vector of each span (= ``span.vector``), one table lookup per doc, not per token."""
    out, by_doc = None, {}
    for k, span in enumerate(spans):
        by_doc.setdefault(id(span.doc), (span.doc, []))[1].append(k)
    for doc, ks in by_doc.values():
        vectors = doc.vocab.vectors
        if out is None:
            out = np.zeros((len(spans), vectors.shape[1]), dtype=np.float32)
        rows = vectors.find(keys=doc.to_array(vectors.attr).astype(np.uint64)) if len(doc) else np.zeros(0, dtype=np.int64)
        mat = np.zeros((len(doc), vectors.shape[1]), dtype=np.float32)
        ok = rows >= 0
        mat[ok] = vectors.data[rows[ok]]
        for k in ks:  # summing each span's rows costs less than a float64 running sum over the doc
            s = spans[k]
            if len(s):
                out[k] = mat[s.start:s.end].sum(0, dtype=np.float64) / len(s)
    return out if out is not None else np.zeros((0, 300), dtype=np.float32)


def unit_vector(vec: np.ndarray) -> np.ndarray:
    """The vector scaled to unit length (zero stays zero)."""
    norm = float(np.linalg.norm(vec))
    return vec / norm if norm > 0 else vec


@dataclass
class LinearModel:
    """A trained classifier: sparse word weights W, dense vector weights U, bias b."""

    labels: list[str]
    keys: np.ndarray  # sorted uint32 feature keys
    W: np.ndarray  # (n_features, n_labels)
    U: np.ndarray  # (vector_dim, n_labels)
    b: np.ndarray  # (n_labels,)
    config: dict
    path: Path | None = None
    sha256: str = ""
    heads: dict = field(default_factory=dict)  # name -> heads.Head (claim, article, tone), if trained
    document: "LinearModel | None" = None  # whole-document classifier feeding the article head, if trained

    @property
    def name(self) -> str:
        """Model name recorded on annotation rows."""
        return self.config.get("name", "veille-bundled")

    @property
    def version(self) -> str:
        """Model version recorded on annotation rows."""
        return str(self.config.get("version", "0"))

    def logits(self, feature_lists: Sequence, vectors: np.ndarray) -> np.ndarray:
        """Raw scores for a batch: each text's feature strings (or their :func:`hashed` keys, computed
        once for several models) and the matching (n, dim) vectors."""
        n = len(feature_lists)
        out = np.tile(self.b, (n, 1)).astype(np.float32)
        rows, keys = [], []
        for i, feats in enumerate(feature_lists):
            k = feats if isinstance(feats, np.ndarray) else hashed(feats)
            rows.append(np.full(len(k), i, dtype=np.int64))
            keys.append(k)
        if n and sum(len(k) for k in keys):
            rows_a, keys_a = np.concatenate(rows), np.concatenate(keys)
            norm = 1.0 / np.sqrt(np.maximum(np.bincount(rows_a, minlength=n), 1)).astype(np.float32)
            pos = np.searchsorted(self.keys, keys_a)
            ok = pos < len(self.keys)
            ok[ok] = self.keys[pos[ok]] == keys_a[ok]
            np.add.at(out, rows_a[ok], self.W[pos[ok]] * norm[rows_a[ok], None])
        if self.U.size and n:
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            out += (vectors / np.where(norms > 0, norms, 1.0)) @ self.U
        return out

    def predict(self, feature_lists: Sequence[list[str]], vectors: np.ndarray) -> np.ndarray:
        """Probabilities (n, n_labels)."""
        z = self.logits(feature_lists, vectors)
        z -= z.max(1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(1, keepdims=True)

    def featurize(self, tokens, triples=None) -> list[str]:
        """Feature strings for one text's tokens, as this model was trained."""
        f = self.config.get("features", {})
        return token_features(tokens, negation=f.get("negation", True), bigrams=f.get("bigrams", False), triples=triples)


def file_sha256(path: Path) -> str:
    """sha256 of a file, streamed."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def save_model(model: LinearModel, folder: Path, card: str) -> None:
    """Write config.json, weights.safetensors and README.md (the model card)."""
    from safetensors.numpy import save_file

    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / "weights.safetensors.tmp"
    tensors = {"keys": model.keys.astype(np.uint32).view(np.int32), "W": model.W.astype(np.float32),
               "U": model.U.astype(np.float32), "b": model.b.astype(np.float32)}
    for name, head in model.heads.items():
        tensors.update(head.tensors(f"head.{name}"))
    if model.document is not None:
        d = model.document
        tensors.update({"document.keys": d.keys.astype(np.uint32).view(np.int32), "document.W": d.W.astype(np.float32),
                        "document.U": d.U.astype(np.float32), "document.b": d.b.astype(np.float32)})
    save_file(tensors, str(tmp))
    tmp.replace(folder / "weights.safetensors")
    config = dict(model.config, format=FORMAT, labels=model.labels)
    config["heads"] = {name: dict(config.get("heads", {}).get(name, {}), labels=h.labels, vocab=h.vocab)
                       for name, h in model.heads.items()}
    if model.document is not None:
        config["document"] = dict(model.document.config, labels=model.document.labels)
    else:
        config.pop("document", None)
    (folder / "config.json").write_text(json.dumps(config, ensure_ascii=False, indent=2, sort_keys=True) + "\n", "utf-8")
    (folder / "README.md").write_text(card, "utf-8")


def load_model(folder: str | Path) -> LinearModel:
    """Load a bundled model folder; ModelError (E510-E513) when it is missing or corrupt."""
    folder = Path(folder)
    cfg_path, w_path = folder / "config.json", folder / "weights.safetensors"
    if not cfg_path.exists() or not w_path.exists():
        raise ModelError(f"No bundled model in {folder} (config.json and weights.safetensors are needed).",
                         hint="Train it: veille models train", code="E510")
    try:
        config = json.loads(cfg_path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"Corrupt model config {cfg_path}: {exc}.", hint="Retrain: veille models train", code="E511") from None
    if config.get("format") != FORMAT or not isinstance(config.get("labels"), list):
        raise ModelError(f"{folder} is not a Veille bundled model (format {config.get('format')!r}).",
                         hint="Retrain: veille models train", code="E512")
    try:
        from safetensors.numpy import load_file

        from .heads import Head

        t = load_file(str(w_path))
        keys, W, U, b = t["keys"].view(np.uint32), t["W"], t["U"], t["b"]
        heads = {name: Head.from_tensors(t, f"head.{name}", spec) for name, spec in config.get("heads", {}).items()}
        document = None
        if "document" in config:
            spec = config["document"]
            document = LinearModel(labels=spec["labels"], keys=t["document.keys"].view(np.uint32), W=t["document.W"],
                                   U=t["document.U"], b=t["document.b"], config=spec)
    except Exception as exc:  # safetensors raises several types on truncated or garbled files
        raise ModelError(f"Corrupt weights in {w_path}: {type(exc).__name__}: {exc}.",
                         hint="Retrain: veille models train", code="E513") from None
    n = len(config["labels"])
    if W.ndim != 2 or W.shape != (len(keys), n) or b.shape != (n,) or (U.size and U.shape[1] != n):
        raise ModelError(f"Weights in {w_path} do not match its config (shape {W.shape}).",
                         hint="Retrain: veille models train", code="E513")
    return LinearModel(labels=config["labels"], keys=keys, W=W, U=U, b=b, config=config, path=folder,
                       sha256=file_sha256(w_path), heads=heads, document=document)
