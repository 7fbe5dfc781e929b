"""Evaluation metrics: retrieval, answers, citations, abstention and speed.

All functions are pure (no I/O). Where a metric is undefined for an item (no relevant ids, no gold
evidence, no abstentions) it returns None, and `mean_metric` skips those Nones.
"""

from __future__ import annotations

import math
import re
import string
import unicodedata
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from index.text import to_simplified

# ---------------------------------------------------------------------------------------------
# Retrieval
# ---------------------------------------------------------------------------------------------


def _first_hits(ranked_ids: Sequence[str], relevant_ids: Collection[str], k: int) -> list[int]:
    """1-based ranks, within the top k, at which a relevant id first appears (each id once)."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    relevant = set(relevant_ids)
    seen: set[str] = set()
    ranks: list[int] = []
    for rank, item_id in enumerate(ranked_ids[:k], start=1):
        if item_id in relevant and item_id not in seen:
            seen.add(item_id)
            ranks.append(rank)
    return ranks


def hit_at_k(ranked_ids: Sequence[str], relevant_ids: Collection[str], k: int) -> float | None:
    """1.0 if any relevant id is among the first k results, else 0.0; None with no relevant ids.

    Works on any ids (passages, paragraphs, sentences). The top k are the first k results as
    returned; a relevant id repeated in them (passages mapped to one article) counts once.
    """
    if not relevant_ids:
        return None
    return 1.0 if _first_hits(ranked_ids, relevant_ids, k) else 0.0


def recall_at_k(ranked_ids: Sequence[str], relevant_ids: Collection[str], k: int) -> float | None:
    """Share of the distinct relevant ids found among the first k results; None with none."""
    relevant = set(relevant_ids)
    if not relevant:
        return None
    return len(_first_hits(ranked_ids, relevant, k)) / len(relevant)


def mrr_at_k(
    ranked_ids: Sequence[str], relevant_ids: Collection[str], k: int = 10
) -> float | None:
    """Reciprocal rank of the first relevant id within the first k results (0.0 if none there)."""
    if not relevant_ids:
        return None
    ranks = _first_hits(ranked_ids, relevant_ids, k)
    return 1.0 / ranks[0] if ranks else 0.0


def ndcg_at_k(
    ranked_ids: Sequence[str], relevant_ids: Collection[str], k: int = 10
) -> float | None:
    """Binary-relevance nDCG@k: sum of 1/log2(rank+1) over relevant hits, over the ideal sum.

    Each relevant id gains only at its first rank; the ideal ranking puts min(k, #relevant)
    relevant ids first. None with no relevant ids.
    """
    relevant = set(relevant_ids)
    if not relevant:
        return None
    dcg = sum(1.0 / math.log2(rank + 1) for rank in _first_hits(ranked_ids, relevant, k))
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(k, len(relevant)) + 1))
    return dcg / ideal


def mean_metric(values: Iterable[float | None]) -> float | None:
    """Mean of per-item scores, skipping None (undefined) ones; None when nothing is left."""
    kept = [float(value) for value in values if value is not None]
    return sum(kept) / len(kept) if kept else None


# ---------------------------------------------------------------------------------------------
# Answers
# ---------------------------------------------------------------------------------------------

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_ASCII_PUNCT = frozenset(string.punctuation)


def _is_punct(ch: str) -> bool:
    """Punctuation to drop: ASCII punctuation and every Unicode punctuation (P*) character."""
    return ch in _ASCII_PUNCT or unicodedata.category(ch).startswith("P")


def normalize_answer(text: str) -> str:
    """Answer key as in the CMRC 2018 / DRCD evaluation, plus script folding.

    NFKC, Traditional -> Simplified, lower case, then Chinese and ASCII punctuation and all white
    space removed, so `總投資26億元。` and `总投资 26 亿元` compare equal.
    """
    folded = to_simplified(unicodedata.normalize("NFKC", text)).lower()
    return "".join(ch for ch in folded if not ch.isspace() and not _is_punct(ch))


def _english_words(text: str) -> list[str]:
    """SQuAD-style word tokens: lower case, punctuation and the articles a/an/the removed.

    A Han character is a word of its own, as in CMRC 2018's mixed segmentation: Chinese text
    writes Latin words with no space around them (`化學式為OCHCHO，由…`), and `OCHCHO` is a word
    of that sentence.
    """
    folded = unicodedata.normalize("NFKC", text).lower()
    # SQuAD deletes ASCII punctuation (`U.S.` -> `us`); other punctuation separates words.
    folded = "".join(
        "" if ch in _ASCII_PUNCT else " " if _is_punct(ch) else f" {ch} " if _HAN.match(ch) else ch
        for ch in folded
    )
    return _ARTICLES.sub(" ", folded).split()


def _word_level(prediction: str, gold: str) -> bool:
    """Score this gold over words (SQuAD) rather than characters (CMRC/DRCD).

    A gold is English when it has no Han characters and has Latin letters; a gold with neither
    (a bare number such as `308`) follows the prediction: words if the prediction has no Han.
    """
    if _HAN.search(gold):
        return False
    return bool(_LATIN.search(gold)) or not _HAN.search(prediction)


def _longest_common_substring(a: str, b: str) -> int:
    """Length of the longest common substring of two strings (dynamic programming)."""
    if not a or not b:
        return 0
    best = 0
    previous = [0] * (len(b) + 1)
    for ch_a in a:
        current = [0] * (len(b) + 1)
        for j, ch_b in enumerate(b, start=1):
            if ch_a == ch_b:
                current[j] = previous[j - 1] + 1
                if current[j] > best:
                    best = current[j]
        previous = current
    return best


def _f1(common: int, predicted: int, gold: int) -> float:
    """Harmonic mean of precision common/predicted and recall common/gold."""
    if common == 0:
        return 0.0
    precision = common / predicted
    recall = common / gold
    return 2 * precision * recall / (precision + recall)


def _single_f1(prediction: str, gold: str) -> float:
    """F1 of a prediction against one gold: words for English, characters (LCS) for Chinese."""
    if _word_level(prediction, gold):
        pred_words = _english_words(prediction)
        gold_words = _english_words(gold)
        common = sum((Counter(pred_words) & Counter(gold_words)).values())
        return _f1(common, len(pred_words), len(gold_words))
    pred_key = normalize_answer(prediction)
    gold_key = normalize_answer(gold)
    return _f1(_longest_common_substring(pred_key, gold_key), len(pred_key), len(gold_key))


def _single_exact(prediction: str, gold: str) -> bool:
    """Exact match against one gold after the normalization that fits its language."""
    if _word_level(prediction, gold):
        words = _english_words(prediction)
        return bool(words) and words == _english_words(gold)
    key = normalize_answer(prediction)
    return bool(key) and key == normalize_answer(gold)


def _unanswerable_score(prediction: str) -> float:
    """Score against no gold answers: 1.0 only when nothing was answered."""
    return 1.0 if not prediction.strip() else 0.0


def exact_match(prediction: str, golds: Sequence[str]) -> float:
    """1.0 if the prediction equals any gold after normalization, else 0.0.

    Chinese golds compare by `normalize_answer` (so Traditional equals Simplified); English golds
    by SQuAD words. An empty prediction scores 0; with no golds (unanswerable) only an empty
    prediction scores 1.0.
    """
    if not golds:
        return _unanswerable_score(prediction)
    if not prediction.strip():
        return 0.0
    return 1.0 if any(_single_exact(prediction, gold) for gold in golds) else 0.0


def char_f1(prediction: str, golds: Sequence[str]) -> float:
    """Best F1 over the golds, as the official scripts compute it.

    Chinese golds: CMRC 2018 / DRCD F1, i.e. the longest common substring of the normalized
    prediction and gold, over their lengths. English golds (no Han, Latin letters): SQuAD F1 over
    the bag of words (lower case, punctuation and a/an/the removed). Empty prediction gives 0;
    with no golds (unanswerable) only an empty prediction gives 1.0.
    """
    if not golds:
        return _unanswerable_score(prediction)
    if not prediction.strip():
        return 0.0
    return max(_single_f1(prediction, gold) for gold in golds)


def contains_answer(prediction: str, golds: Sequence[str]) -> bool:
    """True if the normalized prediction contains any normalized gold (whole words for English).

    Useful for long generated replies, where exact match is too strict. With no golds
    (unanswerable) only an empty prediction counts.
    """
    if not golds:
        return not prediction.strip()
    if not prediction.strip():
        return False
    for gold in golds:
        if _word_level(prediction, gold):
            gold_words = " ".join(_english_words(gold))
            if gold_words and f" {gold_words} " in f" {' '.join(_english_words(prediction))} ":
                return True
        else:
            gold_key = normalize_answer(gold)
            if gold_key and gold_key in normalize_answer(prediction):
                return True
    return False


# ---------------------------------------------------------------------------------------------
# Citations
# ---------------------------------------------------------------------------------------------

OVERLAP_CHARS = 12


def texts_overlap(a: str, b: str) -> bool:
    """Whether two texts overlap, on `normalize_answer` keys.

    They overlap when one contains the other, or when they share a common substring of at least
    min(12, length of the shorter) characters. Empty keys never overlap.
    """
    key_a, key_b = normalize_answer(a), normalize_answer(b)
    if not key_a or not key_b:
        return False
    shorter, longer = sorted((key_a, key_b), key=len)
    if shorter in longer:
        return True
    size = min(OVERLAP_CHARS, len(shorter))
    grams = {longer[i : i + size] for i in range(len(longer) - size + 1)}
    return any(shorter[i : i + size] in grams for i in range(len(shorter) - size + 1))


def citation_precision(
    cited_texts: Sequence[str], evidence_texts: Sequence[str]
) -> float | None:
    """Share of cited sentences that overlap some gold evidence (see `texts_overlap`).

    None when there is no gold evidence (undefined; callers skip it); 0.0 when evidence exists
    but nothing was cited.
    """
    if not evidence_texts:
        return None
    if not cited_texts:
        return 0.0
    good = sum(1 for cited in cited_texts if any(texts_overlap(cited, e) for e in evidence_texts))
    return good / len(cited_texts)


def citation_recall(cited_texts: Sequence[str], evidence_texts: Sequence[str]) -> float | None:
    """Share of gold evidence strings overlapped by some citation (see `texts_overlap`).

    None when there is no gold evidence (undefined; callers skip it); 0.0 when nothing was cited.
    """
    if not evidence_texts:
        return None
    if not cited_texts:
        return 0.0
    covered = sum(1 for e in evidence_texts if any(texts_overlap(c, e) for c in cited_texts))
    return covered / len(evidence_texts)


# ---------------------------------------------------------------------------------------------
# Abstention
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AbstentionScores:
    """How well the system declines: each rate is None when its denominator is zero."""

    precision: float | None
    recall: float | None
    false_abstention_rate: float | None


def abstention_scores(
    abstained: Sequence[bool], answerable: Sequence[bool]
) -> AbstentionScores:
    """Abstention precision, recall and false-abstention rate over paired per-item flags.

    precision: share of abstentions that were on unanswerable items; recall: share of
    unanswerable items abstained on; false-abstention rate: share of answerable items abstained on.
    """
    if len(abstained) != len(answerable):
        raise ValueError(
            f"abstained has {len(abstained)} items but answerable has {len(answerable)}"
        )
    pairs = list(zip(abstained, answerable, strict=True))
    n_abstained = sum(1 for a, _ in pairs if a)
    n_unanswerable = sum(1 for _, ok in pairs if not ok)
    n_answerable = len(pairs) - n_unanswerable
    right = sum(1 for a, ok in pairs if a and not ok)
    wrong = sum(1 for a, ok in pairs if a and ok)
    return AbstentionScores(
        precision=right / n_abstained if n_abstained else None,
        recall=right / n_unanswerable if n_unanswerable else None,
        false_abstention_rate=wrong / n_answerable if n_answerable else None,
    )


# ---------------------------------------------------------------------------------------------
# Speed
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LatencySummary:
    """Latency distribution in milliseconds; every figure is None when there were no values."""

    p50: float | None
    p95: float | None
    max: float | None
    mean: float | None
    count: int


def latency_summary(values_ms: Sequence[float]) -> LatencySummary:
    """Median, 95th percentile (linear interpolation), max and mean of latencies in ms."""
    if len(values_ms) == 0:
        return LatencySummary(p50=None, p95=None, max=None, mean=None, count=0)
    values = np.asarray(values_ms, dtype=float)
    return LatencySummary(
        p50=float(np.percentile(values, 50)),
        p95=float(np.percentile(values, 95)),
        max=float(values.max()),
        mean=float(values.mean()),
        count=int(values.size),
    )
