"""The model card (README.md of the model folder): data, teacher, evaluation, speed, choices."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

BENCH_JSON = Path("bench/results/distill.json")
GPU_JSON = Path("bench/results/gpu_check.json")


def _fmt(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):  # rates to the unit, scores to 3 decimals
        return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.1f}" if abs(v) >= 10 else f"{v:.3f}"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    return str(v)


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None


def render_card(report: dict[str, Any]) -> str:
    """Markdown model card from a training report (see ``pipeline.distill.train_student``)."""
    cfg, data, facts = report["config"], report["data"], report["training"]
    parts = [
        f"# {report['model_name']} {report['version']}",
        "",
        "Distilled student of Veille's full analysis: per article, the probability of being about the "
        "followed dispute, the stance toward the accusation (soutient/conteste/neutre) and the tone "
        "toward each tracked company (négatif/neutre/positif), with probabilities.",
        "",
        "## Provenance",
        f"- trained: {report['trained_at']} on {facts['device']} in {facts['seconds']} s "
        f"({facts['epochs']} epochs, seed {report['params']['seed']})",
        f"- teacher: {report['teacher_id']}",
        f"- teacher identity compared by the nightly (distill.retrain): analysis version "
        f"`{report.get('teacher_version')}`, MIN_EVIDENCE {cfg.get('min_evidence')}",
        f"- training-data hash (sha256 of article ids, text hashes, teacher targets): `{report['data_hash']}`",
        f"- teacher-labelled data used: {data['articles']} stored articles for the on-topic head "
        f"({data['on_topic_positive']} on topic, {data['articles'] - data['on_topic_positive']} off topic); "
        + ", ".join(f"{data.get(h, 0)} for {h}" for h in cfg["labels"] if h != "on_topic")
        + f" (articles the teacher analysed: {data['analysed']})"
        + (f"; {data['sentences']} teacher-labelled sentences and claims of those articles for the "
           "sentence heads." if data.get("sentences") else "."),
        "- the gold labels of the corpus were never used for training or model selection; they are only measured.",
        "",
        "## Architecture",
        ("Sentence granularity: the network learns the teacher's per-sentence sentiment and stance "
         f"({data.get('sentences', 0)} teacher-labelled sentences and claims); article stance, and tone toward "
         "each company over the sentences that name it, are aggregated from them by the teacher's own rule "
         f"(pipeline/nlp/aggregate.py: opinionated sentences only, neutral unless one side clearly outweighs the "
         f"other; MIN_EVIDENCE {cfg.get('min_evidence')}) over the sentences of the fields the teacher scored "
         f"({', '.join(cfg.get('unit_fields') or [])}; the others are read for on topic only); on topic is learnt "
         "per article. Off-topic articles get a neutral stance in proportion to p(off topic)."
         if cfg.get("granularity") == "sentence" else
         "Article granularity: every head is learnt from the teacher's article-level labels."),
        "",
        f"`{cfg['arch']}`: vocabulary {cfg['vocab_size']} WordPiece sub-words drawn from the stored articles, "
        f"dim {cfg['dim']}, hidden {cfg['hidden']}, "
        + ("negation marking (own embedding rows for sub-words in a negation's scope), " if cfg.get("negation") else "")
        + (f"{cfg['hash_buckets']} hashed bigram buckets, pooling {cfg['pool']}" if cfg["arch"] == "bag"
           else f"{cfg['layers']} layers, {cfg['heads']} heads")
        + f", up to {cfg['max_tokens']} tokens per article; {report['parameters']:,} parameters, "
        f"{report['size_bytes'] / 1e6:.1f} MB of weights. Initial sub-word vectors: "
        + (f"`{report['params']['init_vectors']}` static vectors, PCA-projected "
           f"({_fmt(facts.get('vector_coverage'))} of the vocabulary covered)." if report["params"]["init_vectors"]
           else "random."),
        "",
        "## Evaluation",
    ]
    gold = report.get("gold") or {}
    if gold.get("n"):
        parts += [f"Macro-F1 against the corpus gold ({gold['n']} French articles). *student held-out* = "
                  f"{report.get('cv_folds')}-fold cross-validation by near-duplicate cluster: every article is "
                  "scored by a student that never saw it (the honest figure for new articles); *student final* = "
                  "this model, which was trained on the teacher's labels of these same articles.", ""]
        views = list(gold["ratio"])
        names = [v.replace("student_", "student ").replace("_", "-") for v in views]
        header = ["head", "teacher", *names, *[f"{n} / teacher" for n in names]]
        rows = [[h, e["teacher"], *[e.get(v) for v in views], *[e.get(f"{v}_vs_teacher") for v in views]]
                for h, e in gold["heads"].items()]
        rows.append(["**mean**", gold["mean"]["teacher"], *[gold["mean"][v] for v in views],
                     *[gold["ratio"][v] for v in views]])
        parts += [_table(header, rows), ""]
    else:
        parts += ["No gold file matched the stored articles: only agreement with the teacher is reported.", ""]
    agree = report.get("agreement", {})
    if agree:
        parts += ["Agreement with the teacher (share of articles with the same label; mean total-variation "
                  "distance between the probability vectors), on the articles the teacher labelled:", ""]
        rows = []
        for head in cfg["labels"]:
            row = [head]
            for view in agree:
                a = agree[view].get(head, {})
                row += [a.get("n"), a.get("agreement"), a.get("tv_distance")]
            rows.append(row)
        header = ["head"] + [f"{v.replace('student_', '').replace('_', '-')} {c}" for v in agree
                             for c in ("n", "agreement", "TV")]
        parts += [_table(header, rows), ""]
    for view, heads in (report.get("sentence_agreement") or {}).items():
        parts += [f"Sentence level ({view.replace('_', ' ')}): "
                  + "; ".join(f"{h.replace('unit_', '')} agreement {_fmt(a['agreement'])} on {a['n']} sentences, "
                              f"TV {_fmt(a['tv_distance'])}" for h, a in heads.items()) + ".", ""]
    agg = report.get("aggregation_heads")
    if agg:
        parts += ["### Aggregation heads", "Article stance and tone from the student's sentence outputs: a logistic "
                  "regression per head fitted on the teacher's article labels against held-out student outputs "
                  "(docs/distill.md, choice 10), or the teacher's a-priori rule where too few labels. "
                  + (f"The features include the network's whole-article heads for {', '.join(cfg_heads)} "
                     "(document heads, choice 11). " if (cfg_heads := report.get("config", {}).get("document_heads"))
                     else "")
                  + ("The stance head also reads " + " and ".join(
                      {"documents": "the other document heads", "sentiment": "the sentiment of the sentences"}.get(c, c)
                      for c in ctx) + " (choice 13). " if (ctx := report.get("config", {}).get("stance_context")) else "")
                  + "Held-out macro-F1 against the teacher's labels, by the rule and learnt:", ""]
        rows = []
        for head, r in agg["heads"].items():
            rule = (agg.get("held_out_by_rule") or {}).get(head, {}).get("macro_f1_vs_teacher")
            learnt = (agree.get("student_held_out") or {}).get(head, {}).get("macro_f1_vs_teacher") if r["learnt"] else None
            rows.append([head, r["n"], "learnt" if r["learnt"] else f"rule ({r.get('why')})", r.get("l2"),
                         r.get("cv_macro_f1"), rule, learnt])
        parts += [_table(["head", "articles", "aggregation", "L2", "CV macro-F1", "held-out by rule", "held-out learnt"],
                         rows), ""]
    speed = report.get("speed", {})
    parts += ["## Speed", f"Student on this machine's CPU ({speed.get('threads')} torch thread(s), batch "
              f"{speed.get('batch_size')}): {_fmt(speed.get('articles_per_s'))} articles/s, "
              f"{_fmt(speed.get('tokens_per_s'))} tokens/s (tokenisation included). Teacher vs student on the same "
              "CPU, batch-size sweep and memory: `bench/distill.py`."]
    bench = _read_json(BENCH_JSON)
    if bench and bench.get("speedup"):
        parts += ["", f"Last `bench/distill.py` run ({bench.get('measured_at')}, {bench.get('cpu')}): teacher "
                  f"{_fmt(bench['teacher']['articles_per_s'])} articles/s, student "
                  f"{_fmt(bench['student']['articles_per_s'])} articles/s: **{bench['speedup']:.0f}x**."]
    if bench and bench.get("architectures"):
        parts += ["", "### Why this architecture", "Candidates measured by `bench/distill.py` (same teacher labels, "
                  "held-out agreement with the teacher — not gold — decides; CPU speed on the same machine):", ""]
        rows = [[a["name"], a.get("agreement_mean"), a.get("gold_macro_f1_mean"), a.get("train_seconds"),
                 a.get("articles_per_s"), a.get("parameters")] for a in bench["architectures"]]
        parts += [_table(["candidate", "held-out agreement (mean of heads)", "held-out gold macro-F1",
                          "train s", "CPU articles/s", "parameters"], rows)]
    gpu = _read_json(GPU_JSON)
    parts += ["", "## GPU"]
    if gpu and gpu.get("device", "").startswith("cuda"):
        best = max(gpu["sweep"], key=lambda r: r["articles_per_s"])
        parts += [f"`bench/gpu_check.py` on {gpu.get('gpu_name')} ({gpu.get('measured_at')}): best "
                  f"{_fmt(best['articles_per_s'])} articles/s at batch {best['batch_size']}, "
                  f"{_fmt(best['tokens_per_s'])} tokens/s, peak {_fmt(gpu.get('peak_gpu_mem_mb'))} MB, "
                  f"{_fmt(best.get('achieved_tflops'))} TFLOP/s achieved ({_fmt(best.get('mfu_percent'))} % of "
                  "790 TFLOP/s bf16)."]
    else:
        parts += ["Not measured yet: no GPU was available where this model was trained. Run "
                  "`bench/gpu_check.sh` on an accelerator machine; it writes bench/results/gpu_check.json."]
    parts += ["", "## Limits",
              "- The on-topic head imitates the teacher's topic keyword filter (`articles.is_relevant`), "
              "including its mistakes on near-topic articles; it cannot be better than that filter by design.",
              "- Stance is composed as p(on topic) x p(stance | on topic) + p(off topic) x neutre, because "
              "the teacher analyses only relevant articles and an off-topic article has no stance.",
              "- Tone is predicted for every article although the teacher only labelled analysed ones.",
              "- A few hundred training articles: treat probabilities on other outlets or periods with care "
              "and compare with the teacher's view where both exist (queries/*teacher_vs_student*).", ""]
    return "\n".join(parts)
