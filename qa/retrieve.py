"""Retrieval: a question in, ranked passages out."""

from __future__ import annotations

import logging
from collections.abc import Collection

import numpy as np

from index import Library
from index.errors import EmptyQueryError, InputError

from .records import Hit

log = logging.getLogger(__name__)

MAX_K = 100


def validate_query(query: object, max_chars: int) -> str:
    """The stripped query, or InputError saying what is wrong with it."""
    if not isinstance(query, str):
        raise InputError(f"the query must be text; got {type(query).__name__}")
    stripped = query.strip()
    if not stripped:
        raise EmptyQueryError("the query is empty; type a question")
    if len(stripped) > max_chars:
        raise InputError(f"the query has {len(stripped)} characters; the limit is {max_chars}")
    return stripped


def validate_k(k: object) -> int:
    """k as an int in 1..MAX_K, or InputError naming the valid range."""
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise InputError(f"k must be an integer from 1 to {MAX_K}; got {k!r}")
    return k


class DenseRetriever:
    """Nearest passages by embedding similarity (FAISS inner product over unit vectors)."""

    def __init__(self, library: Library) -> None:
        self.library = library

    def search(self, query: str, k: int,
               article_ids: Collection[str] | None = None) -> list[Hit]:
        """Top-k passages for a query, optionally only from some articles."""
        snapshot = self.library.snapshot
        if not snapshot.passages:
            return []
        vector = self.library.embedder.embed_queries([query])
        fetch = k if not article_ids else len(snapshot.passages)
        scores, positions = snapshot.search(vector, fetch)
        hits: list[Hit] = []
        for score, pos in zip(scores[0], positions[0], strict=True):
            if pos < 0:
                continue
            passage = snapshot.passages[int(pos)]
            if article_ids and passage.article_id not in article_ids:
                continue
            hits.append(Hit(rank=len(hits) + 1, score=float(score), passage=passage))
            if len(hits) == k:
                break
        return hits

    def score_all(self, query: str) -> np.ndarray:
        """Similarity of the query to every passage, in index order (for fusion and eval)."""
        snapshot = self.library.snapshot
        vector = self.library.embedder.embed_queries([query])[0]
        return snapshot.vectors @ vector
