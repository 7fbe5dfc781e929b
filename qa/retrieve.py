"""Retrieval: a question in, ranked passages out (dense, lexical, or fused; language-aware)."""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from index import Library, Settings
from index.errors import EmptyQueryError, InputError
from index.store import IndexSnapshot
from index.text import HAN_SCRIPT_RATIO, han_ratio, is_han_text, tokenize

from .crosslingual import shared_scorer
from .fusion import FusionMode, rrf, weighted
from .gloss import shared_glossary
from .records import Hit

log = logging.getLogger(__name__)

MAX_K = 100


def validate_query(query: object, max_chars: int) -> str:
    """The stripped query, or InputError saying what is wrong with it."""
    if not isinstance(query, str):
        raise InputError(f"the query must be text; got {type(query).__name__}", code="query_not_text")
    stripped = query.strip()
    if not stripped:
        raise EmptyQueryError("the query is empty; type a question")
    if len(stripped) > max_chars:
        raise InputError(f"the query has {len(stripped)} characters; the limit is {max_chars}",
                         code="query_too_long", chars=len(stripped), limit=max_chars)
    return stripped


def validate_k(k: object) -> int:
    """k as an int in 1..MAX_K, or InputError naming the valid range."""
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise InputError(f"k must be an integer from 1 to {MAX_K}; got {k!r}")
    return k


@dataclass(frozen=True)
class SnapshotFacts:
    """Per-generation arrays the retriever derives once: script and sentence rows per passage."""

    passage_han: np.ndarray  # share of Han letters in each passage
    sentence_start: np.ndarray  # first row of each passage's sentences in sentence_vectors
    sentence_end: np.ndarray  # one past the last row
    document_frequency: dict[str, int]  # in how many passages each token occurs
    article_passages: dict[str, np.ndarray]  # each article's passage positions

    def idf(self, token: str) -> float:
        """Inverse document frequency of a token over the passages (high for rare or unseen)."""
        n = len(self.passage_han)
        return float(np.log((n + 1) / (self.document_frequency.get(token, 0) + 0.5)))


def derive_facts(snapshot: IndexSnapshot) -> SnapshotFacts:
    """The per-generation arrays the retriever needs, computed once per snapshot."""
    starts = np.zeros(len(snapshot.passages), dtype=np.int64)
    ends = np.zeros(len(snapshot.passages), dtype=np.int64)
    by_article: dict[str, list[int]] = {}
    for i, p in enumerate(snapshot.passages):
        first = snapshot.sentence_row(p.article_id, p.first_sentence)
        last = snapshot.sentence_row(p.article_id, p.last_sentence)
        if first is not None and last is not None:
            starts[i], ends[i] = first, last + 1
        by_article.setdefault(p.article_id, []).append(i)
    han = np.array([han_ratio(p.text) for p in snapshot.passages], dtype=np.float32)
    frequency: dict[str, int] = {}
    for tokens in snapshot.passage_tokens:
        for token in set(tokens):
            frequency[token] = frequency.get(token, 0) + 1
    return SnapshotFacts(han, starts, ends, frequency,
                         {a: np.array(rows, dtype=np.int64) for a, rows in by_article.items()})


@dataclass(frozen=True)
class QueryScores:
    """The candidate passages' scores for one query, plus the sentence cosines they came from.

    Candidates are the union of the store's best passages by dense inner product and by BM25
    (`Settings.retrieval_candidates` of each; every passage in a library no larger than that) and
    the passages of any articles the search is restricted to. Each array has one entry per
    candidate, in the order of `positions` (their rows in the generation's passages)."""

    positions: np.ndarray
    dense: np.ndarray
    lexical: np.ndarray
    lexical_weight: np.ndarray
    fused: np.ndarray
    facts: SnapshotFacts
    #: Cosine of the query with every sentence of the candidates, by row of sentence_vectors.
    sentence_cosines: dict[int, float]

    def sentence(self, row: int | None) -> float:
        """The query's cosine with a candidate's sentence (0 for one without a vector)."""
        return self.sentence_cosines.get(row, 0.0) if row is not None else 0.0


def _sentence_rows(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every row in the ranges [start, end), concatenated, and where each range begins in them."""
    lengths = np.maximum(ends - starts, 0)
    offsets = np.cumsum(lengths) - lengths
    rows = np.arange(int(lengths.sum()), dtype=np.int64) + np.repeat(starts - offsets, lengths)
    return rows, offsets


class Retriever:
    """Finds a query's candidate passages in the live snapshot's store, scores them, ranks them."""

    def __init__(self, library: Library, settings: Settings | None = None) -> None:
        self.library = library
        self.settings = settings or library.settings
        self.mode = FusionMode.parse(self.settings.retrieval_mode)
        self._facts: tuple[IndexSnapshot, SnapshotFacts] | None = None
        self.crosslingual = shared_scorer() if self.settings.crosslingual_passage_weight > 0 else None

    def snapshot_facts(self, snapshot: IndexSnapshot) -> SnapshotFacts:
        cached = self._facts
        # The snapshot itself is kept with its facts, so its id cannot be reused while cached.
        if cached is None or cached[0] is not snapshot:
            cached = (snapshot, derive_facts(snapshot))
            self._facts = cached
        return cached[1]

    def score(self, query: str, query_vector: np.ndarray | None = None,
              snapshot: IndexSnapshot | None = None,
              article_ids: Collection[str] | None = None) -> QueryScores:
        """All signals for the candidate passages of `snapshot` (the live one by default); with
        `article_ids`, every passage of those articles is a candidate too."""
        snapshot = snapshot or self.library.snapshot
        facts = self.snapshot_facts(snapshot)
        if query_vector is None:
            query_vector = self.library.embedder.embed_queries([query])[0]
        positions, lexical = self._candidates(query, query_vector, snapshot, facts, article_ids)
        passage_cos = (snapshot.vectors[positions] @ query_vector).astype(np.float64)
        rows, offsets = _sentence_rows(facts.sentence_start[positions], facts.sentence_end[positions])
        sentence_cos = (snapshot.sentence_vectors[rows] @ query_vector
                        if snapshot.sentence_vectors is not None and len(rows)
                        else np.zeros(0, dtype=np.float32))
        dense = passage_cos
        if self.settings.sentence_weight and len(sentence_cos):
            has = facts.sentence_end[positions] > facts.sentence_start[positions]
            best = passage_cos.copy()
            best[has] = np.maximum.reduceat(sentence_cos.astype(np.float64), offsets[has])
            dense = (dense + self.settings.sentence_weight * best) / (1 + self.settings.sentence_weight)
        # The lexical side only speaks where query and passage share a script: BM25 of an English
        # question over Chinese text is noise, and fusing noise drags recall down.
        query_is_han = is_han_text(query)
        passage_is_han = facts.passage_han[positions] >= HAN_SCRIPT_RATIO
        lexical_weight = (passage_is_han == query_is_han).astype(np.float64)
        fused = self._fuse(dense, lexical, lexical_weight)
        if self.mode is not FusionMode.LEXICAL and not query_is_han and passage_is_han.any():
            fused = self._add_crosslingual(query, fused, passage_is_han, positions, snapshot)
        return QueryScores(positions, dense, lexical, lexical_weight, fused, facts,
                           dict(zip(rows.tolist(), sentence_cos.tolist(), strict=True)))

    def _candidates(self, query: str, query_vector: np.ndarray, snapshot: IndexSnapshot,
                    facts: SnapshotFacts, article_ids: Collection[str] | None
                    ) -> tuple[np.ndarray, np.ndarray]:
        """Candidate positions (sorted) and their BM25 scores (0 for one outside BM25's best)."""
        n = len(snapshot.passages)
        depth = self.settings.retrieval_candidates
        search = snapshot.search_index
        lexical_positions, lexical_scores = search.lexical(tokenize(query), min(n, depth))
        if n <= depth:
            positions = np.arange(n, dtype=np.int64)
        else:
            dense_positions, _ = search.dense(query_vector, depth)
            wanted = [facts.article_passages[a] for a in article_ids or () if a in facts.article_passages]
            positions = np.unique(np.concatenate([dense_positions, lexical_positions, *wanted]))
        lexical = np.zeros(len(positions), dtype=np.float64)
        if len(lexical_positions):
            lexical[np.searchsorted(positions, lexical_positions)] = lexical_scores
        return positions, lexical

    def _add_crosslingual(self, query: str, fused: np.ndarray, passage_is_han: np.ndarray,
                          positions: np.ndarray, snapshot: IndexSnapshot) -> np.ndarray:
        """For a question in another script than the text (English over Chinese), the best passages
        get USE-multilingual's cosine added to their score (e5's cross-lingual passage cosines leave
        the right passage at rank 6-7 where USE, trained for this, lifts it), and, when the setting
        asks for it (off by default), the share of the question's words their CC-CEDICT glosses hold.
        Dense and hybrid modes only: the lexical mode stays BM25 alone."""
        s = self.settings
        if self.crosslingual is None and not s.crosslingual_gloss_passage_weight:
            return fused
        depth = min(s.crosslingual_rerank_depth, len(fused))
        top = np.argpartition(-fused, depth - 1)[:depth]
        top = top[passage_is_han[top]]  # same-script passages keep their score
        if not len(top):
            return fused
        texts = [snapshot.passages[int(positions[i])].text for i in top]
        fused = fused.copy()
        if self.crosslingual is not None:
            fused[top] += s.crosslingual_passage_weight * self.crosslingual.cosines(query, texts)
        if s.crosslingual_gloss_passage_weight:
            glossary = shared_glossary()
            fused[top] += s.crosslingual_gloss_passage_weight * np.array(
                [glossary.coverage(query, text) for text in texts])
        return fused

    def _fuse(self, dense: np.ndarray, lexical: np.ndarray, lexical_weight: np.ndarray) -> np.ndarray:
        if self.mode is FusionMode.DENSE:
            return dense
        if self.mode is FusionMode.LEXICAL:
            return lexical * lexical_weight
        if self.mode is FusionMode.RRF:
            if not lexical_weight.any() or not lexical.any():
                return dense
            return rrf([dense, lexical * lexical_weight], [1.0, 1.0], k=self.settings.rrf_k)
        return weighted(dense, lexical, lexical_weight, self.settings.lexical_weight)

    def rank(self, scores: QueryScores, k: int, snapshot: IndexSnapshot,
             article_ids: Collection[str] | None = None) -> list[Hit]:
        """The top-k candidates by fused score, optionally only from some articles."""
        fused = scores.fused
        if article_ids:
            allowed = np.array([snapshot.passages[int(i)].article_id in article_ids
                                for i in scores.positions], dtype=bool)
            fused = np.where(allowed, fused, -np.inf)
        k = min(k, len(fused))
        if k <= 0:
            return []
        top = np.argpartition(-fused, k - 1)[:k]
        top = top[np.argsort(-fused[top], kind="stable")]
        return [Hit(rank=i + 1, score=float(fused[j]), passage=snapshot.passages[int(scores.positions[j])])
                for i, j in enumerate(top) if np.isfinite(fused[j])]

    def search(self, query: str, k: int, article_ids: Collection[str] | None = None) -> list[Hit]:
        """Top-k passages for a query."""
        snapshot = self.library.snapshot
        if not snapshot.passages:
            return []
        return self.rank(self.score(query, snapshot=snapshot, article_ids=article_ids), k, snapshot,
                         article_ids)
