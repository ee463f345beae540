"""Deterministic training of a student on the teacher's soft labels, and cross-validation."""

from __future__ import annotations

import contextlib
import random
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F

from .data import TeacherData, fold_of, training_set
from .infer import article_probabilities, autocast, cpu_threads, encode, pad, resolve_device, run_network
from .model import StudentConfig, build_network, token_strings, vectors_init
from .text import FastTokenizer, train_tokenizer


@dataclass
class TrainParams:
    """Optimisation settings (from the [distill] section)."""

    epochs: int = 12
    batch_size: int = 64
    lr: float = 0.01
    weight_decay: float = 0.0
    seed: int = 13
    device: str = "auto"
    init_vectors: str = "fr_core_news_md"
    threads: int = 1
    temperature: float = 1.0


@contextlib.contextmanager
def deterministic(seed: int):
    """Seed every generator and ask torch for deterministic kernels, restoring the flags after."""
    previous = torch.are_deterministic_algorithms_enabled()
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(previous)


def _batches(lengths: list[int], batch_size: int, gen: torch.Generator) -> list[list[int]]:
    """Shuffled, roughly length-sorted batches: shuffle, sort within windows of 8 batches, shuffle batches."""
    order = torch.randperm(len(lengths), generator=gen).tolist()
    window = batch_size * 8
    out = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start:start + window], key=lambda i: -lengths[i])
        out += [chunk[j:j + batch_size] for j in range(0, len(chunk), batch_size)]
    perm = torch.randperm(len(out), generator=gen).tolist()
    return [out[i] for i in perm]


def sharpen(t: torch.Tensor, temperature: float) -> torch.Tensor:
    """Teacher probabilities raised to 1/T and renormalised (T < 1 sharpens; NaN rows stay NaN)."""
    if temperature == 1.0:
        return t
    x = t.clamp(min=1e-6) ** (1.0 / temperature)
    return x / x.sum(-1, keepdim=True)


def _loss(logits: dict[str, torch.Tensor], targets: dict[str, torch.Tensor]) -> torch.Tensor:
    """BCE for on topic, soft cross-entropy (= KL to the teacher + const) for the others; masked."""
    total = logits["on_topic"].new_zeros((), dtype=torch.float32)
    for head, z in logits.items():
        t = targets[head]
        keep = ~torch.isnan(t[:, 0])
        if not bool(keep.any()):
            continue
        z, t = z[keep].float(), t[keep]
        if head == "on_topic":
            total = total + F.binary_cross_entropy_with_logits(z[:, 0], t[:, 0])
        else:
            total = total + (-(t * F.log_softmax(z, dim=-1)).sum(-1)).mean()
    return total


def fit(data: TeacherData, cfg: StudentConfig, params: TrainParams,
        progress: Callable[[int, int], None] | None = None,
        tokenizer_texts: list[str] | None = None) -> tuple[Any, Any, dict[str, Any]]:
    """Train tokenizer (on ``tokenizer_texts``, default the training texts) and network on ``data``;
    return (model on CPU, tokenizer, training facts)."""
    device = resolve_device(params.device)
    t0 = time.perf_counter()
    with deterministic(params.seed), cpu_threads(params.threads if device.type == "cpu" else 0):
        tokenizer = FastTokenizer(train_tokenizer(tokenizer_texts if tokenizer_texts is not None else data.texts,
                                                  cfg.vocab_size, cfg.max_tokens, cfg.max_piece),
                                  cfg.max_tokens, cfg.negation)
        cfg.vocab_size = tokenizer.get_vocab_size()
        ids = encode(tokenizer, data.texts)
        matrix, coverage = (vectors_init(token_strings(tokenizer), cfg.dim, params.init_vectors, params.seed)
                            if params.init_vectors else (None, None))
        targets = {h: sharpen(torch.as_tensor(data.targets[h], dtype=torch.float32), params.temperature)
                   if h != "on_topic" else torch.as_tensor(data.targets[h], dtype=torch.float32)
                   for h in cfg.network_labels()}
        model, losses = _train_network(cfg, ids, targets, matrix, params, params.seed, device, progress)
    lengths = [len(x) for x in ids]
    facts = {"device": str(device), "seconds": round(time.perf_counter() - t0, 3), "epochs": params.epochs,
             "steps": params.epochs * max(1, -(-len(ids) // params.batch_size)),
             "loss_by_epoch": losses, "vector_coverage": coverage,
             "tokens_mean": float(np.mean(lengths)) if lengths else 0.0}
    return model, tokenizer, facts


def _train_network(cfg: StudentConfig, ids: list[list[int]], targets: dict[str, torch.Tensor], matrix, params,
                   seed: int, device, progress: Callable[[int, int], None] | None) -> tuple[Any, list[float]]:
    """One network trained on pre-tokenised ``ids`` from ``seed`` (init, dropout, batch order)."""
    torch.manual_seed(seed)
    model = build_network(cfg)
    if matrix is not None:
        with torch.no_grad():  # negated rows start as the plain sub-word's vector
            model.tok.weight.copy_(matrix.repeat(model.tok.weight.shape[0] // matrix.shape[0], 1))
    model.to(device).train()
    sparse = list(model.sparse_parameters()) if hasattr(model, "sparse_parameters") else []
    dense = [p for p in model.parameters() if all(p is not q for q in sparse)]
    # Embedding tables get sparse gradients (only the rows a batch touches): lazy SparseAdam.
    opts = [torch.optim.AdamW(dense, lr=params.lr, weight_decay=params.weight_decay)]
    if sparse:
        opts.append(torch.optim.SparseAdam(sparse, lr=params.lr))
    gen = torch.Generator().manual_seed(seed)
    lengths = [len(x) for x in ids]
    steps = params.epochs * max(1, -(-len(ids) // params.batch_size))
    scheds = [torch.optim.lr_scheduler.LambdaLR(o, lambda s: max(0.0, 1.0 - s / steps)) for o in opts]
    losses = []
    for epoch in range(params.epochs):
        epoch_loss, n_batches = 0.0, 0
        for batch in _batches(lengths, params.batch_size, gen):
            t_ids, t_mask = pad([ids[i] for i in batch], device)
            with autocast(device):
                logits = model(t_ids, t_mask)
            loss = _loss(logits, {h: t[batch].to(device) for h, t in targets.items()})
            for opt in opts:
                opt.zero_grad(set_to_none=True)
            loss.backward()
            for opt, sched in zip(opts, scheds):
                opt.step()
                sched.step()
            epoch_loss += float(loss.detach())
            n_batches += 1
        losses.append(round(epoch_loss / max(n_batches, 1), 5))
        if progress:
            progress(epoch + 1, params.epochs)
    return model.eval().to("cpu"), losses


def cross_validate(articles: TeacherData, units: TeacherData | None, cfg: StudentConfig, params: TrainParams,
                   folds: int, features: dict[str, np.ndarray] | None = None
                   ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Out-of-fold probabilities: every article (and teacher-labelled sentence) is scored by a student
    that never saw it nor any article of its near-duplicate cluster. Returns (article heads, sentence
    heads; the latter empty at article granularity). ``features``: filled with the out-of-fold
    aggregation features of every article (sentence granularity; aggregation.fit_aggregation_heads)."""
    device = resolve_device(params.device)
    heads = list(cfg.network_labels())
    fold_a = np.array([fold_of(g, folds) for g in articles.groups])
    out = {h: np.full((len(articles), len(lab)), np.nan, dtype=np.float32) for h, lab in cfg.labels.items()}
    out_u: dict[str, np.ndarray] = {}
    if units is not None:
        fold_u = np.array([fold_of(g, folds) for g in units.groups])
        out_u = {h: np.full((len(units), len(lab)), np.nan, dtype=np.float32)
                 for h, lab in cfg.network_labels().items() if h.startswith("unit_")}
    for k in range(folds):
        test = np.flatnonzero(fold_a == k)
        train = np.flatnonzero(fold_a != k)
        if len(test) == 0 or len(train) == 0:
            continue
        fold_units = units.subset(np.flatnonzero(fold_u != k)) if units is not None else None
        fold_cfg = StudentConfig(**cfg.arch_dict())
        model, tokenizer, _ = fit(training_set(articles.subset(train), fold_units, heads), fold_cfg, params,
                                  tokenizer_texts=[articles.texts[i] for i in train])
        model.to(device)
        fold_features: dict[str, np.ndarray] = {}
        probs = article_probabilities(model, fold_cfg, tokenizer, [articles.texts[i] for i in test], device,
                                      threads=params.threads,
                                      bounds=None if articles.bounds is None else [articles.bounds[i] for i in test],
                                      features=fold_features)
        for h, p in probs.items():
            out[h][test] = p
        if features is not None:
            for h, x in fold_features.items():
                if h not in features:
                    features[h] = np.full((len(articles), x.shape[1]), np.nan)
                features[h][test] = x
        if units is not None:
            test_u = np.flatnonzero(fold_u == k)
            unit_probs = run_network(model, fold_cfg, encode(tokenizer, [units.texts[i] for i in test_u]), device,
                                     1024, threads=params.threads)
            for h in out_u:
                out_u[h][test_u] = unit_probs[h]
    return out, out_u
