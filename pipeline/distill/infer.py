"""Batched, length-bucketed inference: CUDA with bf16 autocast when present, CPU otherwise."""

from __future__ import annotations

import contextlib
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np
import torch

from ..errors import ModelError
from .model import PAD_ID, StudentConfig, load_folder


def resolve_device(name: str) -> torch.device:
    """``auto`` = cuda when available, else cpu; an explicit device must exist."""
    if name in ("", "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ModelError(f"distill.device = {name!r} but CUDA is not available.",
                         hint="Use device = \"auto\" or \"cpu\".", code="E520")
    return torch.device(name)


def autocast(device: torch.device):
    """bf16 autocast on CUDA (tensor cores); plain fp32 on CPU, where bf16 is rarely faster."""
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


@contextlib.contextmanager
def cpu_threads(n: int) -> Iterator[None]:
    """Run the block with ``n`` torch CPU threads (0 = leave as is), restoring the count after.

    The student's tensors are small: on a busy 2-core machine, waking a second OpenMP thread for
    each element-wise op costs more than the op (measured: 4x slower forward with 2 threads).
    """
    previous = torch.get_num_threads()
    if n > 0 and n != previous:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        if n > 0 and n != previous:
            torch.set_num_threads(previous)


def encode(tokenizer, texts: Sequence[str]) -> list[list[int]]:
    """Token ids of each text (truncated to the model's max_tokens)."""
    return tokenizer.encode_ids(texts)


def buckets(lengths: Sequence[int], batch_size: int, max_batch_tokens: int = 0) -> Iterator[np.ndarray]:
    """Indices grouped by similar length (longest first), so padding wastes little compute.

    A batch closes at ``batch_size`` texts or, if set, when padded tokens would exceed
    ``max_batch_tokens``.
    """
    order = np.argsort(-np.asarray(lengths), kind="stable")
    start = 0
    while start < len(order):
        end = min(start + batch_size, len(order))
        if max_batch_tokens:
            longest = max(int(lengths[order[start]]), 1)
            end = min(end, start + max(1, max_batch_tokens // longest))
        yield order[start:end]
        start = end


def pad(batch_ids: Sequence[Sequence[int]], device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-padded id matrix and boolean mask, built on the CPU in one vectorised scatter and copied once."""
    lengths = np.fromiter((len(x) for x in batch_ids), dtype=np.int64, count=len(batch_ids))
    width = max(1, int(lengths.max()) if len(lengths) else 1)
    flat = np.fromiter(itertools.chain.from_iterable(batch_ids), dtype=np.int64, count=int(lengths.sum()))
    mask_np = np.arange(width)[None, :] < lengths[:, None]
    ids_np = np.full((len(batch_ids), width), PAD_ID, dtype=np.int64)
    ids_np[mask_np] = flat  # row-major order of the mask = the texts' ids one after the other
    mask_np[:, 0] = True  # an empty text still has one (padding) position: no all-masked rows, no NaN
    ids, mask = torch.from_numpy(ids_np), torch.from_numpy(mask_np)
    if device.type == "cuda":
        return ids.pin_memory().to(device, non_blocking=True), mask.pin_memory().to(device, non_blocking=True)
    return ids, mask


def to_probs(logits: dict[str, torch.Tensor]) -> dict[str, np.ndarray]:
    """Sigmoid for the on-topic logit, softmax for the others; float32 numpy on the CPU."""
    out = {}
    for head, z in logits.items():
        z = z.float()
        out[head] = (torch.sigmoid(z) if head == "on_topic" else torch.softmax(z, dim=-1)).cpu().numpy()
    return out


def compose_stance(probs: dict[str, np.ndarray], labels: dict[str, list[str]]) -> dict[str, np.ndarray]:
    """Stance is only defined on topic: p = p_on * p(stance | on topic) + (1 - p_on) * neutre.

    (The teacher analyses only relevant articles; every off-topic article's stance is neutre.)
    """
    if "stance" in probs and "neutre" in labels.get("stance", []):
        p_on = probs["on_topic"][:, :1]
        neutral = np.zeros_like(probs["stance"])
        neutral[:, labels["stance"].index("neutre")] = 1.0
        probs = {**probs, "stance": p_on * probs["stance"] + (1.0 - p_on) * neutral}
    return probs


def run_network(model, cfg: StudentConfig, ids: list[list[int]], device: torch.device, batch_size: int,
                max_batch_tokens: int = 0, threads: int = 1) -> dict[str, np.ndarray]:
    """Probabilities of the network's own heads for pre-tokenised texts, in input order."""
    n = len(ids)
    out = {h: np.zeros((n, len(lab)), dtype=np.float32) for h, lab in cfg.network_labels().items()}
    lengths = [len(x) for x in ids]
    with torch.inference_mode(), autocast(device), cpu_threads(threads if device.type == "cpu" else 0):
        for idx in buckets(lengths, batch_size, max_batch_tokens):
            t_ids, t_mask = pad([ids[i] for i in idx], device)
            probs = to_probs(model(t_ids, t_mask))
            for h, p in probs.items():
                out[h][idx] = p
    return out


def article_probabilities(model, cfg: StudentConfig, tokenizer, texts: Sequence[str], device: torch.device,
                          batch_size: int = 256, max_batch_tokens: int = 0, threads: int = 1,
                          bounds: Sequence | None = None, features: dict | None = None) -> dict[str, np.ndarray]:
    """Every output head's probabilities for whole articles (the student's full inference path).

    Sentence granularity: the texts are cut into sentences once; an article's token ids are its
    sentences' ids end to end (the same ids as the whole text), the on-topic head reads them, the
    sentence heads read each long-enough sentence, and stance/tone are aggregated per article.
    ``bounds``: per text, the (field, start, end) of its headline, lead and main text
    (data.compose_input; None = all main text): only the sentences of the fields the teacher scored
    (``cfg.unit_fields``) count toward stance and tone, the others are read for on topic.
    ``features``: filled with the aggregation heads' features (units.article_heads), for training them.
    """
    from .units import article_heads, units_of

    if cfg.granularity != "sentence":
        return compose_stance(run_network(model, cfg, encode(tokenizer, texts), device, batch_size,
                                          max_batch_tokens, threads), cfg.labels)
    units, owner, scored = units_of(texts, cfg.min_words, bounds, cfg.unit_fields)
    unit_ids = encode(tokenizer, units)
    article_ids: list[list[int]] = [[] for _ in texts]
    for ids, i in zip(unit_ids, owner):
        if len(article_ids[i]) < cfg.max_tokens:
            article_ids[i].extend(ids)
    article_ids = [x[:cfg.max_tokens] for x in article_ids]
    keep = [j for j, ok in enumerate(scored) if ok]
    net = run_network(model, cfg, article_ids, device, batch_size, max_batch_tokens, threads)
    unit_probs = run_network(model, cfg, [unit_ids[j] for j in keep], device, batch_size * 8, max_batch_tokens,
                             threads)
    out = {"on_topic": net["on_topic"]}
    # The whole-article pass above also gives the document heads (doc_<head>) at no extra cost.
    document = {h: net[f"doc_{h}"] for h in cfg.document_heads}
    out.update(article_heads(len(texts), [owner[j] for j in keep], [units[j] for j in keep], unit_probs,
                             cfg.labels, cfg.unit_labels, cfg.actors, cfg.min_evidence,
                             cfg.aggregation_heads(), features, document, cfg.stance_context))
    return compose_stance(out, cfg.labels)


@dataclass
class Student:
    """A loaded student: network on its device, tokenizer, config; ``predict`` texts to labels."""

    model: Any
    cfg: StudentConfig
    tokenizer: Any
    config: dict[str, Any]
    device: torch.device
    batch_size: int = 256
    max_batch_tokens: int = 0
    threads: int = 1

    @property
    def version(self) -> str:
        """Model version (hash of weights, architecture and tokenizer)."""
        return self.config["version"]

    @property
    def name(self) -> str:
        """Model name recorded with every prediction."""
        return self.config["model_name"]

    def probabilities(self, texts: Sequence[str], bounds: Sequence | None = None) -> dict[str, np.ndarray]:
        """Per-head probability arrays for ``texts`` (in order); ``bounds``: per text, its fields'
        (field, start, end) from ``data.compose_input`` (None = each text is a main text)."""
        if not texts:
            return {h: np.zeros((0, len(lab)), dtype=np.float32) for h, lab in self.cfg.labels.items()}
        return article_probabilities(self.model, self.cfg, self.tokenizer, texts, self.device, self.batch_size,
                                     self.max_batch_tokens, self.threads, bounds)

    def predict(self, texts: Sequence[str], bounds: Sequence | None = None) -> list[dict[str, Any]]:
        """One dict per text: on_topic_prob, and for each other head its label and probabilities."""
        return records(self.probabilities(texts, bounds), self.cfg.labels)


def records(probs: dict[str, np.ndarray], labels: dict[str, list[str]]) -> list[dict[str, Any]]:
    """Turn per-head arrays into one JSON-able dict per text."""
    n = len(next(iter(probs.values()))) if probs else 0
    out: list[dict[str, Any]] = [{} for _ in range(n)]
    for head, p in probs.items():
        for i in range(n):
            if head == "on_topic":
                out[i]["on_topic_prob"] = round(float(p[i, 0]), 6)
            else:
                out[i][head] = labels[head][int(np.argmax(p[i]))]
                out[i][f"{head}_probs"] = {lab: round(float(v), 6) for lab, v in zip(labels[head], p[i])}
    return out


def load_student(folder: str | Path, device: str = "auto", batch_size: int = 0, max_batch_tokens: int = 0,
                 threads: int = 1) -> Student:
    """Load a model folder onto ``device`` ("auto" = cuda if available)."""
    model, cfg, tokenizer, config = load_folder(Path(folder))
    dev = resolve_device(device)
    model.to(dev)
    if batch_size <= 0:  # auto: small batches stay in CPU caches (measured best: 32); GPUs want big ones
        batch_size = 512 if dev.type == "cuda" else 32
    return Student(model, cfg, tokenizer, config, dev, batch_size, max_batch_tokens, threads)
