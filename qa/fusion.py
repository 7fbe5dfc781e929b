"""Pure score fusion: how dense and lexical rankings combine. No I/O, tested by hand."""

from __future__ import annotations

from enum import StrEnum

import numpy as np

from index.errors import ConfigError


class FusionMode(StrEnum):
    """How retrieval combines its signals."""

    DENSE = "dense"
    LEXICAL = "lexical"
    RRF = "rrf"
    WEIGHTED = "weighted"

    @classmethod
    def parse(cls, value: str) -> FusionMode:
        """The mode named `value`; ConfigError lists the valid names."""
        try:
            return cls(value.lower())
        except ValueError:
            valid = ", ".join(m.value for m in cls)
            raise ConfigError(f"invalid retrieval mode {value!r}; valid modes are: {valid}") from None


def ranks(scores: np.ndarray) -> np.ndarray:
    """1-based rank of every item by descending score (ties broken by position)."""
    order = np.argsort(-scores, kind="stable")
    result = np.empty(len(scores), dtype=np.int64)
    result[order] = np.arange(1, len(scores) + 1)
    return result


def rrf(score_lists: list[np.ndarray], weights: list[float], k: int = 60) -> np.ndarray:
    """Weighted reciprocal-rank fusion: sum of w / (k + rank) over the rankings."""
    fused = np.zeros(len(score_lists[0]), dtype=np.float64)
    for scores, weight in zip(score_lists, weights, strict=True):
        if weight:
            fused += weight / (k + ranks(scores))
    return fused


def max_normalize(scores: np.ndarray) -> np.ndarray:
    """Scores divided by their maximum (all zeros stay zeros): puts BM25 on a 0..1 scale."""
    top = float(scores.max(initial=0.0))
    return scores / top if top > 0 else np.zeros_like(scores, dtype=np.float64)


def weighted(dense: np.ndarray, lexical: np.ndarray, lexical_weight: np.ndarray | float,
             temperature: float = 0.05) -> np.ndarray:
    """Dense cosine plus max-normalized BM25 scaled to the dense scores' spread.

    Cosines of one model sit in a narrow band, so BM25 (0..1 after normalizing) is multiplied by
    `temperature` (about the spread that separates a relevant passage from its neighbours).
    `lexical_weight` may be per passage: 0 where the lexical side cannot speak (other script).
    """
    return dense + temperature * np.asarray(lexical_weight) * max_normalize(lexical)
