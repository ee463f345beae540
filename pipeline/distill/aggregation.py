"""Learnt aggregation: article stance and tone from the student's sentence outputs, fitted on the teacher's
article labels.

The teacher no longer aggregates its sentences by a fixed rule: its bundled models carry learnt heads
(pipeline/nlp/heads.py) that read the headline, the journalist's own sentences, the claims and a
whole-document classifier. A student that aggregated its sentences by the a-priori rule would imitate
the teacher's sentences but not its article decisions. So, like the teacher's heads, a small logistic
regression per output head learns the teacher's article label from statistics of the student's own
sentence probabilities (units.stance_features / tone_features) — *held-out* student outputs from the
cross-validation, so the head learns from outputs like those it will get on unseen articles. L2 is
chosen by cross-validation grouped by near-duplicate cluster; the rule stays for a head with too few
teacher labels. numpy only (pipeline.nlp.head_training), so a GPU machine without spaCy can train it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

MIN_ARTICLES = 30  # teacher-labelled articles with features needed to learn a head
MIN_PER_LABEL = 3  # and at least this many of each label the head predicts


def fit_aggregation_heads(features: dict[str, np.ndarray], targets: dict[str, np.ndarray], groups: list[str],
                          labels: dict[str, list[str]], unit_labels: dict[str, list[str]]
                          ) -> tuple[dict[str, dict], dict[str, Any], dict[str, np.ndarray]]:
    """(StudentConfig.article_heads specs, report, held-out head probabilities per head in ``labels`` order,
    NaN rows where the head has no prediction).

    ``features``: per output head, held-out [n, d] features (NaN rows: none); ``targets``: the teacher's
    article probabilities per head ([n, k] in ``labels`` order, NaN rows: no label).
    """
    from ..nlp.head_training import _folds, fit_dense, select_and_fit

    specs, report, held = {}, {}, {}
    for head, X in features.items():
        out_labels = labels[head]
        head_labels = list(unit_labels["stance"] if head == "stance" else unit_labels["sentiment"])
        T = targets.get(head)
        if T is None:
            continue
        keep = ~np.isnan(X).any(1) & ~np.isnan(T[:, 0])
        y = np.array([head_labels.index(out_labels[k]) for k in T[keep].argmax(1)], dtype=np.int64)
        counts = np.bincount(y, minlength=len(head_labels))
        if keep.sum() < MIN_ARTICLES or counts.min() < MIN_PER_LABEL:
            report[head] = {"learnt": False, "n": int(keep.sum()), "labels": counts.tolist(),
                            "why": f"needs {MIN_ARTICLES} teacher-labelled articles and {MIN_PER_LABEL} of each label"}
            continue
        Xk, g = X[keep], np.asarray(groups, dtype=object)[keep]
        fitted, cv = select_and_fit(Xk, y, g, head_labels)
        # Held-out predictions of the chosen setting (the folds select_and_fit used), for the held-out view.
        folds, pred = _folds(g), np.zeros((len(y), len(head_labels)))
        for k in sorted(set(folds.tolist())):
            test = folds == k
            if (~test).any():
                pred[test] = fit_dense(Xk[~test], y[~test], len(head_labels), cv["l2"], head_labels).predict(Xk[test])
        order = [head_labels.index(lab) for lab in out_labels]
        full = np.full((len(X), len(out_labels)), np.nan)
        full[keep] = pred[:, order]
        held[head] = full
        specs[head] = {"labels": head_labels, "W": fitted.W.tolist(), "b": fitted.b.tolist(),
                       "mean": fitted.mean.tolist(), "std": fitted.std.tolist(), "cv": cv}
        report[head] = {"learnt": True, **cv, "labels": counts.tolist()}
    return specs, report, held
