"""The analysis stage's table rows per document, in this process or in worker processes.

With ``n_process > 1`` spaCy's own ``nlp.pipe(n_process=…)`` sends every analysed Doc back to the
parent (``Doc.to_bytes``/``from_bytes``: the token arrays, the tok2vec tensor and, for Veille's
docs, the component results in ``user_data``), and the parent then turns each Doc into rows on one
core. Here each worker holds the pipeline, analyses a batch and sends back only its rows (plain
dicts), which is what the stage stores: the parent does little more than feed texts and write.
Worker processes are forked, as spaCy forks its own, so they inherit the loaded pipeline.
"""

from __future__ import annotations

import multiprocessing as mp
from itertools import chain
from typing import Any, Iterable, Iterator

from .fields import localise
from .rows import annotation_rows, claim_rows, mention_rows

_WORKER: dict[str, Any] = {}  # the pipeline a worker process inherited


def doc_rows(doc, bounds: list[tuple[str, int, int]]) -> dict[str, Any]:
    """Mentions, claims and annotations rows of an analysed doc, offsets relative to their field;
    the components' errors on it; its word count; or ``exception`` when the rows could not be made."""
    from spacy.attrs import IS_PUNCT, IS_SPACE

    try:
        flags = doc.to_array([IS_PUNCT, IS_SPACE]) if len(doc) else None
        return {"mentions": localise(mention_rows(doc), bounds, "mentions"),
                "claims": localise(claim_rows(doc), bounds, "claims"),
                "annotations": localise(annotation_rows(doc), bounds, "annotations"),
                "errors": list(doc._.errors or []),
                "words": int((flags.sum(1) == 0).sum()) if flags is not None else 0}
    except Exception as exc:  # one bad document must not stop the others
        return {"exception": f"{type(exc).__name__}: {exc}"}


def _start_worker(nlp) -> None:
    _WORKER["nlp"] = nlp


def _analyse_batch(batch: list[tuple[str, list]]) -> list[dict[str, Any]]:
    nlp = _WORKER["nlp"]
    return [doc_rows(doc, bounds) for doc, (_, bounds) in zip(nlp.pipe([t for t, _ in batch]), batch)]


def pipe_rows(nlp, items: Iterable[tuple[str, list]], batch_size: int = 16, n_process: int = 1
              ) -> Iterator[dict[str, Any]]:
    """:func:`doc_rows` of each (text, field bounds) item, in input order."""
    if n_process <= 1:
        items = list(items)
        for doc, (_, bounds) in zip(nlp.pipe((t for t, _ in items), batch_size=batch_size), items):
            yield doc_rows(doc, bounds)
        return
    from spacy.util import minibatch

    with mp.get_context("fork").Pool(n_process, initializer=_start_worker, initargs=(nlp,)) as pool:
        yield from chain.from_iterable(pool.imap(_analyse_batch, minibatch(items, batch_size)))
