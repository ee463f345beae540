"""One prepared check of the distilled student on an accelerator (H200 class), also runnable on CPU.

Needs only torch, numpy, tokenizers and safetensors (what a CUDA PyTorch + transformers image has):
no network, no DuckDB, no spaCy. It

1. loads the student from --model-dir, or, when there is none, trains one on the corpus texts
   (corpus/gold/articles.jsonl: texts only) with the teacher's own on-topic rule (the topic file's
   keyword score) as the target, so training runs on the device too (stance/tone heads are then
   untrained: this is a speed check, not a model to ship);
2. measures, per batch size: end-to-end articles/s (tokenisation + transfer + network) and
   network-only articles/s and tokens/s (pre-tokenised, length-bucketed, bf16 autocast on CUDA);
3. reports peak GPU memory and an estimate of achieved FLOP/s against the chip's bf16 peak
   (~790 TFLOP/s dense for an H200), for the student and for a compute-heavier compact Transformer
   of the same interface (random weights: FLOP/s does not depend on them).

Usage:  bench/gpu_check.sh                       (defaults sized for an H200, a few minutes)
        python bench/gpu_check.py --device cpu --articles 64 --batch-sizes 8,32 --reps 1 --epochs 1
JSON to bench/results/gpu_check.json (or --out), a table on stdout.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import sys
import time
import tomllib
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PEAK_BF16_TFLOPS = 790.0


def corpus_texts(n: int, seed: int) -> tuple[list[str], list[float]]:
    """``n`` article texts built from the corpus (repeated and paragraph-shuffled past its size) and
    the teacher's on-topic rule for each (topic keyword score >= threshold)."""
    import random

    from pipeline.distill.data import student_input

    rows = [json.loads(line) for line in (ROOT / "corpus/gold/articles.jsonl").read_text("utf-8").splitlines()
            if line.strip()]
    base = [student_input(r.get("title", ""), r.get("text", "")) for r in rows if r.get("text")]
    rng = random.Random(seed)
    texts = list(base)
    while len(texts) < n:
        paras = rng.choice(base).split("\n\n")
        rng.shuffle(paras)
        texts.append("\n\n".join(paras))
    texts = texts[:n]
    topic = tomllib.loads((ROOT / "pipeline/topics/openai_deepseek.toml").read_text("utf-8"))
    defaults = tomllib.loads((ROOT / "pipeline/default.toml").read_text("utf-8"))
    threshold = defaults["extract"]["relevance_threshold"]
    pats = [(re.compile(r"(?<!\w)" + re.escape(k.lower()) + r"(?!\w)", re.IGNORECASE), w)
            for k, w in topic["keywords"].items()]
    labels = []
    for t in texts:
        title, _, body = t.partition("\n\n")
        score = sum(w * (2 * bool(p.search(title)) + bool(p.search(body))) for p, w in pats)
        labels.append(1.0 if score >= threshold else 0.0)
    return texts, labels


def get_student(args, device, texts: list[str], labels: list[float]):
    """Load the student folder, or train one on ``texts`` with on-topic targets only."""
    from pipeline.distill import load_student
    from pipeline.distill.infer import Student
    from pipeline.distill.model import CONFIG, MODEL_NAME, StudentConfig

    folder = Path(args.model_dir)
    if (folder / CONFIG).is_file():
        student = load_student(folder, str(device), args.batch_sizes[0], threads=args.threads)
        return student, {"source": str(folder), "version": student.version}
    import numpy as np

    from pipeline.distill.data import TeacherData
    from pipeline.distill.train import TrainParams, fit

    # The shipped architecture (pipeline/default.toml [distill]), so the check measures what runs.
    shipped = tomllib.loads((ROOT / "pipeline/default.toml").read_text("utf-8"))["distill"]
    cfg = StudentConfig(**{k: shipped[k] for k in ("arch", "dim", "hidden", "hash_buckets", "pool", "dropout",
                                                    "max_tokens", "min_words", "negation", "vocab_size",
                                                    "max_piece")})
    n = len(texts)
    targets = {h: np.full((n, len(lab)), np.nan) for h, lab in cfg.network_labels().items()}
    targets["on_topic"][:, 0] = labels
    data = TeacherData([str(i) for i in range(n)], texts, [str(i) for i in range(n)], [""] * n, targets)
    import importlib.util

    # The model2vec-style init needs spaCy and its French model; a bare GPU image has neither.
    init = "fr_core_news_md" if importlib.util.find_spec("spacy") and importlib.util.find_spec("fr_core_news_md") else ""
    params = TrainParams(epochs=args.epochs, batch_size=64, device=str(device), init_vectors=init,
                         threads=args.threads)
    t0 = time.perf_counter()
    model, tokenizer, facts = fit(data, cfg, params)
    seconds = time.perf_counter() - t0
    model.to(device)
    student = Student(model, cfg, tokenizer, {"version": "trained-here", "model_name": MODEL_NAME}, device,
                      args.batch_sizes[0], 0, args.threads)
    return student, {"source": "trained here on corpus texts (on-topic rule targets)", "version": "trained-here",
                     "train_seconds": round(seconds, 3), "train_articles": n, "train_device": facts["device"],
                     "train_articles_per_s": round(n * args.epochs / seconds, 1)}


def sync(device) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)


def prepare(work: list[tuple[list[list[int]], int]], device, batch_size: int) -> list:
    """Padded, length-bucketed batches on the device (``work``: (ids, batch multiplier) pairs: the
    articles, and at sentence granularity their sentences, batched 8x as many as the student does)."""
    from pipeline.distill.infer import buckets, pad

    return [pad([ids[i] for i in idx], device)
            for ids, mult in work for idx in buckets([len(x) for x in ids], batch_size * mult)]


def network_pass(model, batches: list, device, threads: int = 0) -> float:
    """Seconds for one bf16 pass of the network over prepared batches."""
    import torch

    from pipeline.distill.infer import autocast, cpu_threads

    sync(device)
    t0 = time.perf_counter()
    with torch.inference_mode(), autocast(device), cpu_threads(threads if device.type == "cpu" else 0):
        for t_ids, t_mask in batches:
            model(t_ids, t_mask)
    sync(device)
    return time.perf_counter() - t0


def workload(cfg, tokenizer, texts: list[str], ids: list[list[int]]) -> list[tuple[list[list[int]], int]]:
    """What the network reads for ``texts``: the articles, plus the scored sentences at sentence granularity."""
    if cfg.granularity != "sentence":
        return [(ids, 1)]
    from pipeline.distill.units import units_of

    units, _, scored = units_of(texts, cfg.min_words)
    return [(ids, 1), (tokenizer.encode_ids([u for u, ok in zip(units, scored) if ok]), 8)]


def sweep(name: str, model, work: list, texts: list[str] | None, student, device, args) -> list[dict]:
    """Throughput per batch size (best of --reps) and the FLOP/s estimate."""
    import torch

    n_articles = len(work[0][0])
    n_tokens = sum(len(x) for x in work[0][0])  # the articles' tokens (content throughput)
    flops = sum(model.flops_per_article(len(x)) for ids, _ in work for x in ids)
    rows = []
    for bs in args.batch_sizes:
        network_pass(model, prepare([(ids[: bs * 2], m) for ids, m in work], device, bs), device, args.threads)
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        batches = prepare(work, device, bs)
        best = min(network_pass(model, batches, device, args.threads) for _ in range(args.reps))
        del batches
        row = {"model": name, "batch_size": bs, "articles": n_articles, "network_s": round(best, 4),
               "articles_per_s": round(n_articles / best, 1), "tokens_per_s": round(n_tokens / best, 1),
               "achieved_tflops": round(flops / best / 1e12, 4),
               "mfu_percent": round(100 * flops / best / 1e12 / PEAK_BF16_TFLOPS, 4)}
        if device.type == "cuda":
            row["peak_gpu_mem_mb"] = round(torch.cuda.max_memory_allocated(device) / 2**20, 1)
        if texts is not None and student is not None:
            student.batch_size = bs
            student.probabilities(texts[: bs * 2])
            t0 = time.perf_counter()
            student.probabilities(texts)
            sync(device)
            row["end_to_end_articles_per_s"] = round(len(texts) / (time.perf_counter() - t0), 1)
        rows.append(row)
        print(f"  {name:<12} batch {bs:>5}: {row['articles_per_s']:>10.1f} art/s network, "
              f"{row['tokens_per_s']:>12.1f} tok/s, {row['achieved_tflops']:.4f} TFLOP/s "
              f"({row['mfu_percent']:.4f} % of {PEAK_BF16_TFLOPS:.0f})"
              + (f", end to end {row['end_to_end_articles_per_s']:.1f} art/s" if "end_to_end_articles_per_s" in row else ""),
              flush=True)
    return rows


def tokenizer_speed(student, texts: list[str]) -> dict:
    """Tokenisation throughput: the Python fast path (cold and warm cache) and HF's batch encoder."""
    fresh = student.tokenizer.fresh()
    t0 = time.perf_counter()
    ids = fresh.encode_ids(texts)
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    fresh.encode_ids(texts)
    warm = time.perf_counter() - t0
    t0 = time.perf_counter()
    student.tokenizer.hf.encode_batch(texts)
    hf = time.perf_counter() - t0
    n = sum(len(x) for x in ids)
    return {"tokens": n, "fast_cold_articles_per_s": round(len(texts) / cold, 1),
            "fast_warm_articles_per_s": round(len(texts) / warm, 1), "hf_batch_articles_per_s": round(len(texts) / hf, 1)}


def main(argv: list[str] | None = None) -> dict:
    """Run the check; write and return the JSON result."""
    import torch

    from pipeline.distill.infer import resolve_device
    from pipeline.distill.model import StudentConfig, TransformerStudent

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default="auto", help="auto (cuda if available), cuda, cpu")
    ap.add_argument("--model-dir", default=str(ROOT / "models/student"), help="student folder (trained here if missing)")
    ap.add_argument("--articles", type=int, default=20000, help="articles per measurement")
    ap.add_argument("--batch-sizes", default="64,256,1024,4096", help="comma-separated")
    ap.add_argument("--reps", type=int, default=2, help="repetitions per batch size (best is kept)")
    ap.add_argument("--epochs", type=int, default=8, help="epochs when a student is trained here")
    ap.add_argument("--transformer", default="256,4,4,512", help="dim,layers,heads,max_tokens of the compute-heavy "
                    "comparison model ('' = skip)")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = default)")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--out", default=str(ROOT / "bench/results/gpu_check.json"))
    args = ap.parse_args(argv)
    args.batch_sizes = [int(x) for x in args.batch_sizes.split(",") if x]
    started = time.perf_counter()
    torch.manual_seed(args.seed)
    device = resolve_device(args.device)
    info = {"measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "device": str(device),
            "torch": torch.__version__, "python": platform.python_version(), "peak_bf16_tflops": PEAK_BF16_TFLOPS,
            "articles": args.articles, "batch_sizes": args.batch_sizes}
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        info.update(gpu_name=props.name, gpu_total_mem_gb=round(props.total_memory / 2**30, 1),
                    cuda=torch.version.cuda)
    print(f"gpu_check on {info.get('gpu_name', device)}: {args.articles} articles, batch sizes {args.batch_sizes}",
          flush=True)
    texts, labels = corpus_texts(args.articles, args.seed)
    student, info["student"] = get_student(args, device, texts[: min(len(texts), 2000)], labels[:2000])
    info["tokenizer"] = tokenizer_speed(student, texts)
    ids = student.tokenizer.encode_ids(texts)
    info["tokens_per_article"] = round(sum(map(len, ids)) / len(ids), 1)
    info["granularity"] = student.cfg.granularity
    info["sweep"] = sweep("student", student.model, workload(student.cfg, student.tokenizer, texts, ids), texts,
                          student, device, args)
    if args.transformer:
        dim, layers, heads, max_tokens = (int(x) for x in args.transformer.split(","))
        tcfg = StudentConfig(arch="transformer", vocab_size=student.cfg.vocab_size, dim=dim, layers=layers,
                             heads=heads, max_tokens=max_tokens, dropout=0.0, negation=student.cfg.negation)
        tmodel = TransformerStudent(tcfg).to(device).eval()
        tids = [x[:max_tokens] for x in ids]
        info["transformer"] = {"dim": dim, "layers": layers, "heads": heads, "max_tokens": max_tokens,
                               "parameters": sum(p.numel() for p in tmodel.parameters())}
        info["transformer_sweep"] = sweep("transformer", tmodel, [(tids, 1)], None, None, device, args)
    if device.type == "cuda":
        info["peak_gpu_mem_mb"] = round(torch.cuda.max_memory_allocated(device) / 2**20, 1)
    info["seconds"] = round(time.perf_counter() - started, 1)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(info, indent=2), "utf-8")
    best = max(info["sweep"], key=lambda r: r["articles_per_s"])
    print(f"student best: {best['articles_per_s']} articles/s at batch {best['batch_size']} "
          f"({best['tokens_per_s']} tokens/s, {best['achieved_tflops']} TFLOP/s); tokenizer "
          f"{info['tokenizer']['fast_warm_articles_per_s']} articles/s warm; total {info['seconds']} s -> {out}")
    return info


if __name__ == "__main__":
    main()
