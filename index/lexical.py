"""Lexical search: BM25 (bm25s) over jieba tokens of each passage's normalized search key."""

from __future__ import annotations

import logging
from pathlib import Path

import bm25s
import numpy as np

log = logging.getLogger(__name__)


class LexicalIndex:
    """A BM25 index over token lists; built at ingest, saved beside the vectors, loaded memory-mapped."""

    def __init__(self, bm25: bm25s.BM25 | None, size: int) -> None:
        self._bm25 = bm25
        self.size = size

    @classmethod
    def build(cls, documents: list[list[str]], k1: float = 1.2, b: float = 0.75) -> LexicalIndex:
        """Index token lists (one per passage, in passage order)."""
        if not documents:
            return cls(None, 0)
        bm25 = bm25s.BM25(k1=k1, b=b)
        bm25.index(documents, show_progress=False)
        return cls(bm25, len(documents))

    def save(self, folder: Path) -> None:
        """Write the index files into `folder` (part of a generation being written)."""
        folder.mkdir(parents=True, exist_ok=True)
        if self._bm25 is not None:
            self._bm25.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path, size: int) -> LexicalIndex:
        """Read an index written by `save`; `size` is the passage count it must cover."""
        if size == 0:
            return cls(None, 0)
        bm25 = bm25s.BM25.load(str(folder), mmap=True, show_progress=False)
        return cls(bm25, size)

    def scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 score of every passage for a tokenized query (zeros when nothing matches)."""
        if self._bm25 is None:
            return np.zeros(self.size, dtype=np.float32)
        ids = self._bm25.get_tokens_ids(tokens)
        if not ids:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores_from_ids(ids), dtype=np.float32)
