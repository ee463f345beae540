"""Sentiment and stance backends: ``bundled`` (Veille's own models), ``transformers`` (any Hugging
Face model id or local folder) and ``auto`` (the Hugging Face model when present locally, else bundled).

Every backend scores a batch of spaCy spans and describes itself with a :class:`ModelInfo` that is
recorded on each annotation row.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from ..errors import ModelError, require
from ..records import StanceTarget
from .bundled import file_sha256, hashed, load_model, span_vectors, token_triples

log = logging.getLogger(__name__)

SENTIMENT_LABELS = ("négatif", "neutre", "positif")
STANCE_LABELS = ("soutient", "conteste", "neutre")
BACKENDS = ("auto", "bundled", "transformers")


@dataclass(frozen=True)
class ModelInfo:
    """What produced a label: recorded on every annotation row."""

    name: str
    version: str
    hash: str
    backend: str


class Scorer(Protocol):
    """Scores spans: returns an (n, len(labels)) probability array in ``labels`` order."""

    info: ModelInfo
    labels: tuple[str, ...]

    def __call__(self, spans: Sequence) -> np.ndarray: ...


# -- bundled -------------------------------------------------------------------------------------------

class BundledScorer:
    """A bundled linear model applied to the tokens and vectors of spans."""

    def __init__(self, folder: Path, labels: tuple[str, ...], task: str):
        self.model = load_model(folder)
        if tuple(self.model.labels) != labels or self.model.config.get("task") != task:
            raise ModelError(f"{folder} holds a {self.model.config.get('task')!r} model with labels "
                             f"{self.model.labels}, expected {task} {list(labels)}.",
                             hint="Retrain: veille models train", code="E514")
        self.labels = labels
        self.info = ModelInfo(self.model.name, self.model.version, self.model.sha256[:16], "bundled")

    def prepare(self, spans: Sequence) -> tuple[list[np.ndarray], np.ndarray]:
        """Hashed features and vectors of the spans (shareable between models with the same features)."""
        triples = {}
        for s in spans:  # token attributes read once per doc, then sliced per span
            if id(s.doc) not in triples:
                triples[id(s.doc)] = token_triples(s.doc)
        feats = [hashed(self.model.featurize(s, triples[id(s.doc)][s.start:s.end])) for s in spans]
        return feats, span_vectors(spans)

    def score(self, prepared: tuple[list[np.ndarray], np.ndarray]) -> np.ndarray:
        """Probabilities from prepared features."""
        if not prepared[0]:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        return self.model.predict(*prepared)

    @property
    def features(self) -> dict:
        """The feature settings the model was trained with."""
        return self.model.config.get("features", {})

    def __call__(self, spans: Sequence) -> np.ndarray:
        return self.score(self.prepare(spans))


# -- transformers ------------------------------------------------------------------------------------

def _star_map(id2label: dict[int, str]) -> list[int] | None:
    """Map a model's labels onto négatif/neutre/positif indices (stars, names or LABEL_k)."""
    names = [str(id2label[i]).lower() for i in sorted(id2label)]
    out = []
    for i, name in enumerate(names):
        digits = [c for c in name if c.isdigit()]
        if "star" in name or "étoile" in name:
            stars = int(digits[0]) if digits else i + 1
            out.append(0 if stars <= 2 else 1 if stars == 3 else 2)
        elif name.startswith(("neg", "nég")):
            out.append(0)
        elif name.startswith(("neu", "mixed")):
            out.append(1)
        elif name.startswith("pos"):
            out.append(2)
        else:
            out = []
            break
    if out:
        return out
    if len(names) == 3 and all(n.startswith("label_") for n in names):
        return [0, 1, 2]
    if len(names) == 5 and all(n.startswith("label_") for n in names):
        return [0, 0, 1, 2, 2]
    return None


def resolve_local(model: str) -> str | None:
    """Local path of a model: an existing folder, or the Hugging Face cache snapshot; None if absent."""
    if Path(model).expanduser().is_dir():
        return str(Path(model).expanduser())
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    try:
        found = try_to_load_from_cache(model, "config.json")
    except Exception:  # an id that is not a valid repo name
        return None
    return str(Path(found).parent) if isinstance(found, str) else None


def _weights_hash(folder: Path) -> str:
    for name in ("model.safetensors", "pytorch_model.bin"):
        if (folder / name).exists():
            return file_sha256(folder / name)[:16]
    shards = sorted(folder.glob("model-*.safetensors"))
    return file_sha256(shards[0])[:16] if shards else ""


class TransformersScorer:
    """A Hugging Face sequence-classification model: sentiment directly, stance by zero-shot NLI."""

    def __init__(self, model: str, task: str, targets: Sequence[StanceTarget] = (), batch_size: int = 16,
                 max_length: int = 256):
        require("transformers", "hf")
        require("torch", "ml")
        local = resolve_local(model)
        if local is None:
            raise ModelError(f"Hugging Face model '{model}' is not available locally.",
                             hint="Fetch it where a hub is reachable: veille models pull", code="E530")
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        try:
            self.tokenizer = AutoTokenizer.from_pretrained(local, local_files_only=True)
            self.model = AutoModelForSequenceClassification.from_pretrained(local, local_files_only=True)
        except Exception as exc:  # corrupt or partial folders raise many different types
            raise ModelError(f"Cannot load model from {local}: {type(exc).__name__}: {str(exc)[:200]}",
                             hint="Pull it again: veille models pull", code="E531") from None
        self.model.eval()
        self.torch = torch
        # Never feed more tokens than the model has positions (RoBERTa-style models reserve 2).
        cfg = self.model.config
        positions = getattr(cfg, "max_position_embeddings", max_length) - (2 if cfg.model_type in ("roberta", "camembert", "xlm-roberta") else 0)
        tok_max = getattr(self.tokenizer, "model_max_length", max_length) or max_length
        self.task, self.batch_size = task, batch_size
        self.max_length = int(min(max_length, positions, tok_max if tok_max < 100_000 else max_length))
        id2label = {int(k): v for k, v in self.model.config.id2label.items()}
        folder = Path(local)
        version = folder.name if folder.parent.name == "snapshots" else str(getattr(self.model.config, "transformers_version", ""))
        self.info = ModelInfo(model, version, _weights_hash(folder), "transformers")
        if task == "sentiment":
            self.labels = SENTIMENT_LABELS
            self.mapping = _star_map(id2label)
            if self.mapping is None:
                raise ModelError(f"Cannot map the labels {list(id2label.values())} of {model} to négatif/neutre/positif.",
                                 hint="Use a sentiment model with star or negative/neutral/positive labels.", code="E532")
        else:
            self.labels = STANCE_LABELS
            ent = [i for i, name in id2label.items() if str(name).lower().startswith("entail")]
            if not ent:
                raise ModelError(f"{model} has no 'entailment' label ({list(id2label.values())}); "
                                 "zero-shot stance needs an NLI model.", code="E533")
            self.entail = ent[0]
            self.targets = list(targets)

    def _logits(self, first: list[str], second: list[str] | None = None) -> np.ndarray:
        out = []
        with self.torch.inference_mode():
            for i in range(0, len(first), self.batch_size):
                a = first[i:i + self.batch_size]
                b = second[i:i + self.batch_size] if second is not None else None
                enc = self.tokenizer(a, b, truncation=True, max_length=self.max_length, padding=True,
                                     return_tensors="pt")
                out.append(self.model(**enc).logits.float().numpy())
        return np.concatenate(out) if out else np.zeros((0, self.model.config.num_labels))

    def __call__(self, spans: Sequence, target: StanceTarget | None = None) -> np.ndarray:
        texts = [s.text if hasattr(s, "text") else str(s) for s in spans]
        if not texts:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        if self.task == "sentiment":
            z = self._logits(texts)
            p = np.exp(z - z.max(1, keepdims=True))
            p /= p.sum(1, keepdims=True)
            out = np.zeros((len(texts), 3), dtype=np.float32)
            for j, k in enumerate(self.mapping):
                out[:, k] += p[:, j]
            return out
        target = target or (self.targets[0] if self.targets else None)
        if target is None or not all(lab in target.hypotheses for lab in self.labels):
            raise ModelError("Zero-shot stance needs a hypothesis for soutient, conteste and neutre "
                             "in the topic's stance target.", code="E534")
        hyps = [target.hypotheses[lab] for lab in self.labels]
        premises = [t for t in texts for _ in hyps]
        z = self._logits(premises, hyps * len(texts))[:, self.entail].reshape(len(texts), len(hyps))
        p = np.exp(z - z.max(1, keepdims=True))
        return (p / p.sum(1, keepdims=True)).astype(np.float32)


# -- selection ---------------------------------------------------------------------------------------

def select_backend(backend: str, hf_model: str, task: str) -> str:
    """The backend actually used for one task: auto -> transformers if the HF model is local."""
    if backend not in BACKENDS:
        raise ModelError(f"Unknown nlp.backend {backend!r}.", hint=f"Use one of {', '.join(BACKENDS)}.", code="E535")
    if backend != "auto":
        return backend
    if hf_model and resolve_local(hf_model) is not None:
        try:
            require("transformers", "hf")
            require("torch", "ml")
        except Exception:
            return "bundled"
        return "transformers"
    return "bundled"


def load_scorers(backend: str, bundled_dir: str, sentiment_model: str, stance_model: str,
                 targets: Sequence[StanceTarget], batch_size: int = 16) -> dict[str, Scorer]:
    """Load the sentiment and stance scorers for the configured backend (ModelError if impossible)."""
    scorers: dict[str, Scorer] = {}
    for task, hf in (("sentiment", sentiment_model), ("stance", stance_model)):
        chosen = select_backend(backend, hf, task)
        if chosen == "transformers":
            scorers[task] = TransformersScorer(hf, task, targets, batch_size=batch_size)
        else:
            labels = SENTIMENT_LABELS if task == "sentiment" else STANCE_LABELS
            scorers[task] = BundledScorer(Path(bundled_dir) / task, labels, task)
        if backend == "auto":
            log.info("nlp %s backend: %s (%s)", task, chosen, scorers[task].info.name)
    return scorers


def pull_models(models: Sequence[str], cache_dir: str | None = None) -> list[str]:
    """Download Hugging Face models into the local cache; ModelError when the hub is unreachable."""
    require("huggingface_hub", "hf")
    from huggingface_hub import snapshot_download

    paths = []
    for model in models:
        if os.environ.get("HF_HUB_OFFLINE") in ("1", "true", "True") or os.environ.get("TRANSFORMERS_OFFLINE") in ("1", "true"):
            raise ModelError(f"Cannot download '{model}': the Hugging Face hub is disabled (HF_HUB_OFFLINE).",
                             hint="Unset HF_HUB_OFFLINE on a machine with internet access, or use nlp.backend = \"bundled\".",
                             code="E536")
        try:
            paths.append(snapshot_download(model, cache_dir=cache_dir,
                                           allow_patterns=["*.json", "*.safetensors", "*.txt", "*.model", "*.bin"]))
        except Exception as exc:  # network errors come in many types (httpx, requests, OSError)
            raise ModelError(f"Cannot download '{model}' from the Hugging Face hub: {type(exc).__name__}: {str(exc)[:200]}",
                             hint="Check the network, or use nlp.backend = \"bundled\" (offline).", code="E537") from None
    return paths
