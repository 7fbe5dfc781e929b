"""Candidate search over one index generation, whichever store holds it.

The retriever asks a generation's `SearchIndex` for the best passages by dense inner product and by
BM25, then scores the union of both candidate lists exactly (qa.retrieve). Two stores implement it:
`LocalSearch` (FAISS + bm25s files in the generation folder, in this process's memory) and
`index.milvus_search.MilvusSearch` (collections in Milvus Lite or a Milvus cluster). The retriever
never knows which one it talks to.
"""

from __future__ import annotations

import re
from typing import Protocol

import faiss
import numpy as np

from .lexical import LexicalIndex

#: The stores a library can keep its search indexes in (`Settings.store`): FAISS + bm25s files in
#: the index folder, a Milvus Lite database file inside it, or a Milvus server by URI.
LOCAL_STORE = "faiss"
MILVUS_LITE_STORE = "milvus-lite"
MILVUS_URI_SCHEMES = ("milvus://", "http://", "https://")


def redact_uri(uri: str) -> str:
    """A store URI fit to print or record: any user:password@ part removed."""
    return re.sub(r"(?<=://)[^/@]*@", "", uri)


def _empty() -> tuple[np.ndarray, np.ndarray]:
    return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)


class SearchIndex(Protocol):
    """The best passages of one generation for a query: positions (0-based, in the generation's
    passage order) and scores, best first."""

    kind: str

    def dense(self, query_vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k passages by inner product with the (unit) query vector."""
        ...

    def lexical(self, tokens: list[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k passages by BM25 of the query tokens; only those with a score above 0."""
        ...


class LocalSearch:
    """FAISS (exact, or HNSW for large libraries) and bm25s, both in memory."""

    kind = LOCAL_STORE

    def __init__(self, faiss_index: faiss.Index | None, lexical: LexicalIndex | None) -> None:
        self.faiss_index = faiss_index
        self.lexical_index = lexical

    def dense(self, query_vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k by inner product (FAISS pads with -1 where it has fewer; those are dropped)."""
        if self.faiss_index is None or self.faiss_index.ntotal == 0 or k <= 0:
            return _empty()
        query = np.ascontiguousarray(query_vector.reshape(1, -1), dtype=np.float32)
        scores, positions = self.faiss_index.search(query, min(k, self.faiss_index.ntotal))
        keep = positions[0] >= 0
        return positions[0][keep].astype(np.int64), scores[0][keep].astype(np.float32)

    def lexical(self, tokens: list[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k by BM25 (bm25s scores every passage; a partial sort picks the best)."""
        if self.lexical_index is None or k <= 0:
            return _empty()
        scores = self.lexical_index.scores(tokens)
        matched = np.flatnonzero(scores > 0)
        if not len(matched):
            return _empty()
        if len(matched) > k:
            matched = matched[np.argpartition(-scores[matched], k - 1)[:k]]
        order = matched[np.argsort(-scores[matched], kind="stable")]
        return order.astype(np.int64), scores[order].astype(np.float32)
