"""The student networks, their tokenizer, and the model folder (safetensors + tokenizer + config).

Two architectures share one interface (``forward(ids, mask) -> {head: logits}``):

- ``bag``: static sub-word embeddings plus hashed sub-word bigrams, mean- and attention-pooled,
  then a small MLP (a fastText / model2vec-style student). Embeddings can start from the static
  word vectors of the spaCy model the teacher already uses (projected with PCA), so the student
  starts with a French lexicon although it only sees a few hundred teacher-labelled articles.
  With ``negation``, sub-words in a negation's scope have their own rows (text.negation_flags).
- ``transformer``: a compact pre-norm Transformer encoder over the same tokenizer.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..errors import ModelError
from .text import FastTokenizer

MODEL_NAME = "veille-student"
WEIGHTS = "model.safetensors"
TOKENIZER = "tokenizer.json"
CONFIG = "config.json"
CARD = "README.md"
METRICS = "metrics.json"
FORMAT = 1
PAD_ID = 0
# Large odd multiplier: mixes the two token ids of a bigram before the modulo (cheap, device-side hash).
_BIGRAM_MIX = 1_000_003

STANCE_LABELS = ["soutient", "conteste", "neutre"]
TONE_LABELS = ["négatif", "neutre", "positif"]


@dataclass
class StudentConfig:
    """Architecture, heads and inference rules of a student; stored as config.json in the model folder.

    ``granularity`` says where the teacher's labels are learnt: ``sentence`` (the network learns the
    teacher's per-sentence sentiment and stance, and article stance/tone are aggregated from them by
    the teacher's own rule; on topic is learnt per article) or ``article`` (every head learnt from
    the article-scope labels directly).
    """

    arch: str = "bag"
    granularity: str = "sentence"
    vocab_size: int = 8000
    # Longest vocabulary piece in characters (text.build_vocab; training only, the tokenizer is saved).
    max_piece: int = 8
    dim: int = 64
    hidden: int = 128
    hash_buckets: int = 32768
    pool: str = "mean+attn"
    dropout: float = 0.1
    max_tokens: int = 2048
    layers: int = 2
    heads: int = 4
    min_words: int = 3
    # The teacher's aggregation constant (pipeline/nlp/aggregate.py MIN_EVIDENCE) when it was trained.
    min_evidence: float = 1.0
    # Sub-words of words in a negation's scope get their own embedding rows (text.negation_flags).
    negation: bool = False
    # Article fields whose sentences count toward stance and tone: those the teacher scored
    # (data.teacher_unit_fields, set at training). Students trained before this field existed
    # scored every sentence of their input, hence this default.
    unit_fields: list[str] = field(default_factory=lambda: ["title", "lead", "text"])
    # Output heads -> labels; "on_topic" is a single logit (probability of being on topic).
    labels: dict[str, list[str]] = field(default_factory=lambda: {
        "on_topic": ["on_topic"], "stance": list(STANCE_LABELS),
        "tone_openai": list(TONE_LABELS), "tone_deepseek": list(TONE_LABELS)})
    # Which article-scope annotation rows are the teacher's view of each output head: [task, target].
    sources: dict[str, list[str]] = field(default_factory=lambda: {
        "stance": ["stance", "accusation"], "tone_openai": ["tone", "openai"], "tone_deepseek": ["tone", "deepseek"]})
    # Sentence granularity: the per-sentence heads and their teacher rows ([task, target]).
    unit_labels: dict[str, list[str]] = field(default_factory=lambda: {
        "sentiment": list(TONE_LABELS), "stance": list(STANCE_LABELS)})
    unit_sources: dict[str, list[str]] = field(default_factory=lambda: {
        "sentiment": ["sentiment", ""], "stance": ["stance", "accusation"]})
    # Learnt aggregation (sentence granularity): output head -> a small logistic regression over the
    # article's sentence statistics (units.stance_features / tone_features), fitted on the teacher's
    # article labels against held-out student outputs, replacing the a-priori rule for that head.
    # Each: {"labels", "W", "b", "mean", "std", "cv"}; a few hundred numbers, hashed into the version.
    # Empty = the rule (students trained before, or too few teacher-labelled articles).
    article_heads: dict[str, dict] = field(default_factory=dict)
    # Output heads the network also learns per whole article, from the teacher's article labels
    # (network head "doc_<head>"); their probabilities join that head's aggregation features. Empty =
    # sentence heads only (students trained before).
    document_heads: list[str] = field(default_factory=list)
    # What the learnt stance head reads beside the stance sentences (units.stance_context_features):
    # "documents" = the other document heads' probabilities (tone toward each actor, per whole
    # article), "sentiment" = sentiment statistics over the scored sentences. Empty = stance sentences
    # and its own document head only (students trained before).
    stance_context: list[str] = field(default_factory=list)
    # Tone heads: actor id -> aliases (a sentence mentioning one carries the tone toward the actor).
    actors: dict[str, list[str]] = field(default_factory=lambda: {"openai": ["OpenAI"], "deepseek": ["DeepSeek"]})

    def arch_dict(self) -> dict[str, Any]:
        """Every field (hashed into the version, written to config.json)."""
        return asdict(self)

    def aggregation_heads(self) -> dict[str, "AggregationHead"]:
        """The learnt aggregation heads, ready to predict."""
        return {name: AggregationHead(h) for name, h in self.article_heads.items()}

    def n_ids(self) -> int:
        """Embedding rows: the vocabulary, twice with negation marking."""
        return self.vocab_size * (2 if self.negation else 1)

    def network_labels(self) -> dict[str, list[str]]:
        """The network's own heads: per-article on topic plus the sentence heads, or the output heads."""
        if self.granularity == "sentence":
            return {"on_topic": ["on_topic"], **{f"unit_{k}": v for k, v in self.unit_labels.items()},
                    **{f"doc_{h}": self.labels[h] for h in self.document_heads}}
        return dict(self.labels)


class AggregationHead:
    """softmax((x - mean) / std @ W + b): the prediction of a head fitted by pipeline.nlp.head_training
    (the same as pipeline.nlp.heads.Head.predict), here so the student loads without the analysis'
    dependencies (GPU machines: torch and numpy only)."""

    def __init__(self, spec: dict[str, Any]):
        self.labels = list(spec["labels"])
        self.W, self.b = np.asarray(spec["W"], dtype=np.float64), np.asarray(spec["b"], dtype=np.float64)
        self.mean, self.std = np.asarray(spec["mean"], dtype=np.float64), np.asarray(spec["std"], dtype=np.float64)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Probabilities (n, n_labels) in ``labels`` order."""
        z = ((np.asarray(X, dtype=np.float64) - self.mean) / self.std) @ self.W + self.b
        z -= z.max(1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(1, keepdims=True)


def _masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    m = mask.unsqueeze(-1).to(x.dtype)
    return (x * m).sum(1) / m.sum(1).clamp(min=1.0)


class _Heads(nn.Module):
    """Shared MLP trunk and one linear head per task."""

    def __init__(self, in_dim: int, cfg: StudentConfig):
        super().__init__()
        self.trunk = nn.Sequential(nn.LayerNorm(in_dim), nn.Dropout(cfg.dropout), nn.Linear(in_dim, cfg.hidden),
                                   nn.GELU(), nn.Dropout(cfg.dropout))
        self.out = nn.ModuleDict({name: nn.Linear(cfg.hidden, len(labels))
                                  for name, labels in cfg.network_labels().items()})

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        z = self.trunk(x)
        return {name: head(z) for name, head in self.out.items()}


class BagStudent(nn.Module):
    """Pooled static embeddings of sub-words and hashed sub-word bigrams, then an MLP.

    Pooling goes through ``embedding_bag`` with per-token weights, so the [batch, tokens, dim]
    tensor is never materialised: mean pooling weights each token 1/len, attention pooling by a
    softmax over a learned per-token score (a learned importance, like an IDF). Every table lookup
    has sparse gradients: a training step costs what the batch touches, not the table size.
    """

    def __init__(self, cfg: StudentConfig):
        super().__init__()
        self.cfg = cfg
        self.tok = nn.Embedding(cfg.n_ids(), cfg.dim, padding_idx=PAD_ID, sparse=True)
        self.bigram = nn.Embedding(cfg.hash_buckets, cfg.dim, sparse=True) if cfg.hash_buckets else None
        self.use_mean, self.use_attn = "mean" in cfg.pool, "attn" in cfg.pool
        n_tables = 1 + (self.bigram is not None)
        if self.use_attn:
            self.tok_score = nn.Embedding(cfg.n_ids(), 1, sparse=True)
            self.bigram_score = nn.Embedding(cfg.hash_buckets, 1, sparse=True) if self.bigram is not None else None
        self.heads = _Heads(cfg.dim * n_tables * (self.use_mean + self.use_attn), cfg)
        nn.init.normal_(self.tok.weight, std=0.1)
        if self.bigram is not None:
            nn.init.normal_(self.bigram.weight, std=0.02)
        if self.use_attn:  # start as a plain mean
            for table in (self.tok_score, self.bigram_score):
                if table is not None:
                    nn.init.zeros_(table.weight)
        with torch.no_grad():
            self.tok.weight[PAD_ID].zero_()

    def sparse_parameters(self) -> list[nn.Parameter]:
        """The embedding tables (sparse gradients: optimise them with SparseAdam)."""
        return [m.weight for m in (self.tok, self.bigram, getattr(self, "tok_score", None),
                                   getattr(self, "bigram_score", None)) if m is not None]

    def _pool(self, table: nn.Embedding, score: nn.Embedding | None, ids: torch.Tensor,
              mask: torch.Tensor) -> list[torch.Tensor]:
        out = []
        m = mask.to(table.weight.dtype)
        if self.use_mean:
            w = m / m.sum(1, keepdim=True).clamp(min=1.0)
            out.append(F.embedding_bag(ids, table.weight, per_sample_weights=w, mode="sum", sparse=True))
        if score is not None:
            s = score(ids).squeeze(-1).masked_fill(~mask, float("-inf"))
            w = torch.softmax(s, dim=-1).nan_to_num(0.0)
            out.append(F.embedding_bag(ids, table.weight, per_sample_weights=w, mode="sum", sparse=True))
        return out

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> dict[str, torch.Tensor]:
        feats = self._pool(self.tok, getattr(self, "tok_score", None), ids, mask)
        if self.bigram is not None:
            if ids.shape[1] > 1:
                h = (ids[:, :-1] * _BIGRAM_MIX + ids[:, 1:]) % self.cfg.hash_buckets
                feats += self._pool(self.bigram, getattr(self, "bigram_score", None), h, mask[:, :-1] & mask[:, 1:])
            else:  # one-token texts have no bigram: zeros keep the shapes
                feats += [torch.zeros_like(f) for f in feats]
        return self.heads(torch.cat(feats, dim=-1))

    def flops_per_article(self, n_tokens: float) -> float:
        """Approximate forward FLOPs for one article of ``n_tokens`` tokens (pooling + MLP)."""
        n_tables = 1 + (self.bigram is not None)
        pooling = 2.0 * self.cfg.dim * n_tables * (self.use_mean + self.use_attn) * n_tokens
        mlp = sum(2 * m.in_features * m.out_features for m in self.heads.modules() if isinstance(m, nn.Linear))
        return pooling + mlp


class TransformerStudent(nn.Module):
    """A compact pre-norm Transformer encoder, mean-pooled, then the same heads."""

    def __init__(self, cfg: StudentConfig):
        super().__init__()
        self.cfg = cfg
        self.tok = nn.Embedding(cfg.n_ids(), cfg.dim, padding_idx=PAD_ID)
        self.pos = nn.Embedding(cfg.max_tokens, cfg.dim)
        layer = nn.TransformerEncoderLayer(cfg.dim, cfg.heads, dim_feedforward=cfg.dim * 4, dropout=cfg.dropout,
                                           activation="gelu", batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, cfg.layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(cfg.dim)
        self.heads = _Heads(cfg.dim, cfg)
        nn.init.normal_(self.tok.weight, std=0.02)
        nn.init.normal_(self.pos.weight, std=0.02)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> dict[str, torch.Tensor]:
        pos = torch.arange(ids.shape[1], device=ids.device)
        x = self.tok(ids) + self.pos(pos)[None]
        x = self.norm(self.encoder(x, src_key_padding_mask=~mask))
        return self.heads(_masked_mean(x, mask))

    def flops_per_article(self, n_tokens: float) -> float:
        """Approximate forward FLOPs: 2 x non-embedding parameters per token plus attention."""
        per_layer = 12 * self.cfg.dim ** 2  # QKV+out (4 d^2) + FFN (8 d^2)
        attn = 4 * n_tokens * self.cfg.dim  # scores + weighted sum, per token per layer
        mlp = sum(2 * m.in_features * m.out_features for m in self.heads.modules() if isinstance(m, nn.Linear))
        return self.cfg.layers * n_tokens * (2 * per_layer + attn) + mlp


def build_network(cfg: StudentConfig) -> nn.Module:
    """Instantiate the network named by ``cfg.arch``."""
    if cfg.arch == "bag":
        return BagStudent(cfg)
    if cfg.arch == "transformer":
        return TransformerStudent(cfg)
    raise ModelError(f"Unknown student architecture {cfg.arch!r}.", hint="Use 'bag' or 'transformer'.", code="E510")


# -- tokenizer ---------------------------------------------------------------------------------

def token_strings(tokenizer) -> list[str]:
    """Vocabulary as a list indexed by token id."""
    vocab = tokenizer.get_vocab()
    out = [""] * len(vocab)
    for s, i in vocab.items():
        out[i] = s
    return out


@functools.lru_cache(maxsize=2)
def _spacy_vectors(spacy_model: str):
    """(key -> row, matrix) of a spaCy package's static vectors, read straight from its files.

    ``spacy.load`` takes ~10 s here (500k strings); the two files it would read for the vectors take
    under a second. Falls back to ``spacy.load`` for anything that is not a standard package layout.
    """
    import importlib

    import numpy as np
    import srsly

    try:
        pkg = Path(importlib.import_module(spacy_model).__file__).parent
        vocab = next(pkg.glob(f"{spacy_model}-*/vocab"))
        key2row = srsly.read_msgpack(vocab / "key2row")
        matrix = np.load(vocab / "vectors", allow_pickle=False)
        return key2row, matrix
    except (ImportError, StopIteration, OSError, ValueError, TypeError):
        pass
    import spacy

    try:
        nlp = spacy.load(spacy_model, exclude=["tok2vec", "morphologizer", "parser", "senter", "attribute_ruler",
                                               "lemmatizer", "ner"])
    except OSError as exc:
        raise ModelError(f"Cannot load spaCy model '{spacy_model}' for the student's initial vectors.",
                         hint="Install it, or set distill.init_vectors = \"\" for random initialisation.",
                         code="E511") from exc
    vectors = nlp.vocab.vectors
    return dict(vectors.key2row), vectors.data


def vectors_init(tokens: list[str], dim: int, spacy_model: str, seed: int) -> tuple[torch.Tensor, float]:
    """Embedding matrix from a spaCy model's static vectors, PCA-projected to ``dim`` (model2vec-style).

    Returns the matrix and the share of the vocabulary that had a vector; tokens without one get
    small random vectors.
    """
    import numpy as np
    from spacy.strings import get_string_id

    key2row, matrix = _spacy_vectors(spacy_model)
    rows, found = [], []
    for i, t in enumerate(tokens):
        word = t[2:] if t.startswith("##") else t
        for form in (word, word.capitalize()):
            row = key2row.get(get_string_id(form)) if word else None
            if row is not None and row >= 0:
                rows.append(row)
                found.append(i)
                break
    gen = torch.Generator().manual_seed(seed)
    out = torch.randn(len(tokens), dim, generator=gen) * 0.1
    if len(found) > dim:
        m = torch.as_tensor(np.asarray(matrix[rows]), dtype=torch.float64)
        m = m - m.mean(0, keepdim=True)
        # PCA from the 300x300 covariance (eigh is cheap and deterministic), top ``dim`` directions.
        evals, evecs = torch.linalg.eigh(m.T @ m)
        top = evecs[:, torch.argsort(evals, descending=True)[:dim]]
        top = top * torch.sign(top[top.abs().argmax(0), torch.arange(dim)])  # fix each vector's sign
        proj = m @ top
        proj = proj * (0.1 * math.sqrt(dim) / proj.norm(dim=1).mean().clamp(min=1e-9))
        out[torch.tensor(found)] = proj.float()
    out[PAD_ID] = 0.0
    return out, len(found) / max(len(tokens), 1)


# -- model folder ------------------------------------------------------------------------------

def weights_digest(model: nn.Module) -> str:
    """sha256 of every parameter's bytes in name order (the training-determinism fingerprint)."""
    h = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().float().numpy().tobytes())
    return h.hexdigest()


def model_version(model: nn.Module, cfg: StudentConfig, tokenizer_json: str) -> str:
    """Student version: hash of weights, architecture and tokenizer."""
    h = hashlib.sha256()
    h.update(weights_digest(model).encode())
    h.update(json.dumps(cfg.arch_dict(), sort_keys=True).encode())
    h.update(tokenizer_json.encode())
    return "s-" + h.hexdigest()[:12]


def save_folder(folder: Path, model: nn.Module, cfg: StudentConfig, tokenizer, meta: dict[str, Any]) -> str:
    """Write weights (safetensors), tokenizer.json and config.json; return the version."""
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    tok_json = tokenizer.to_str()
    version = model_version(model, cfg, tok_json)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(folder / WEIGHTS), metadata={"format": "pt", "version": version})
    (folder / TOKENIZER).write_text(tok_json, "utf-8")
    config = {"model_name": MODEL_NAME, "format": FORMAT, "version": version, **cfg.arch_dict(), **meta}
    (folder / CONFIG).write_text(json.dumps(config, ensure_ascii=False, indent=2, default=str), "utf-8")
    return version


def read_config(folder: Path) -> dict[str, Any]:
    """config.json of a model folder, or ModelError if it is missing or not a student."""
    path = Path(folder) / CONFIG
    try:
        config = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ModelError(f"No student model in {folder} (no {CONFIG}).",
                         hint="Train one: veille distill", code="E512") from None
    except json.JSONDecodeError as exc:
        raise ModelError(f"{path} is not valid JSON: {exc}.", hint="Retrain: veille distill", code="E513") from None
    if config.get("model_name") != MODEL_NAME or config.get("format") != FORMAT:
        raise ModelError(f"{folder} is not a Veille student model (format {FORMAT}).",
                         hint="Point distill.model_dir at a folder written by `veille distill`.", code="E514")
    return config


def load_folder(folder: Path) -> tuple[nn.Module, StudentConfig, Any, dict[str, Any]]:
    """Read a model folder: (network in eval mode on CPU, config, tokenizer, full config dict)."""
    from safetensors.torch import load_file
    from tokenizers import Tokenizer

    folder = Path(folder)
    config = read_config(folder)
    fields = StudentConfig.__dataclass_fields__
    cfg = StudentConfig(**{k: v for k, v in config.items() if k in fields})
    try:
        tokenizer = FastTokenizer(Tokenizer.from_file(str(folder / TOKENIZER)), cfg.max_tokens, cfg.negation)
        state = load_file(str(folder / WEIGHTS))
        model = build_network(cfg)
        model.load_state_dict(state)
    except ModelError:
        raise
    except Exception as exc:  # missing or corrupt files: one clear message
        raise ModelError(f"Cannot load the student in {folder}: {type(exc).__name__}: {exc}".splitlines()[0],
                         hint="Retrain it: veille distill", code="E515") from exc
    model.eval()
    return model, cfg, tokenizer, config
