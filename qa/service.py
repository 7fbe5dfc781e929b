"""The public entry point of qa: one object, built from settings, that searches and answers."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from index import Embedder, Library, Settings
from index.errors import InputError, NotFoundError
from index.jobs import IngestJobs

from .answer import Answerer
from .followup import Turn, resolve_followup
from .records import Answer, Citation, Hit
from .retrieve import Retriever, validate_k, validate_query
from .sentences import SentenceRanker

log = logging.getLogger(__name__)

MAX_HISTORY_TURNS = 20

HistoryItem = Turn | Answer | Mapping[str, Any] | tuple[str, str | None]


def as_turns(history: Sequence[HistoryItem] | None) -> list[Turn]:
    """Earlier turns in any of the accepted shapes, as Turn records (oldest first)."""
    turns: list[Turn] = []
    for item in list(history or [])[-MAX_HISTORY_TURNS:]:
        if isinstance(item, Turn):
            turns.append(item)
        elif isinstance(item, Answer):
            turns.append(Turn(item.question, item.short_answer or item.answer,
                              item.resolved_question or None))
        elif isinstance(item, Mapping):
            question = item.get("question")
            if not isinstance(question, str) or not question.strip():
                raise InputError("each history turn needs a non-empty 'question'")
            answer = item.get("answer")
            resolved = item.get("resolved_question")
            turns.append(Turn(question, answer if isinstance(answer, str) else None,
                              resolved if isinstance(resolved, str) else None))
        elif isinstance(item, tuple) and item and isinstance(item[0], str):
            turns.append(Turn(item[0], item[1] if len(item) > 1 else None))
        else:
            raise InputError(f"a history turn must be a question/answer pair; got {item!r}")
    return turns


class ArticleQA:
    """Question answering over an article library; the built-in corpus by default."""

    def __init__(self, settings: Settings | None = None, library: Library | None = None,
                 embedder: Embedder | None = None) -> None:
        self.settings = settings or Settings()
        self.library = library or Library(self.settings, embedder=embedder)
        self.retriever = Retriever(self.library, self.settings)
        self.answerer = Answerer(self.settings)
        self.sentences = SentenceRanker(self.settings)
        #: Background ingest jobs over this library (the HTTP API and the chat page use them).
        self.jobs = IngestJobs(self.library)

    def search(self, query: str, k: int | None = None,
               article_ids: Sequence[str] | None = None) -> list[Hit]:
        """The k passages most relevant to a query, best first."""
        query = validate_query(query, self.settings.max_query_chars)
        k = validate_k(self.settings.default_k if k is None else k)
        return self.retriever.search(query, k, article_ids=set(article_ids or ()) or None)

    def search_sentences(self, query: str, k: int = 5) -> list[Citation]:
        """The k sentences most likely to answer a query (from the top passages), best first."""
        query = validate_query(query, self.settings.max_query_chars)
        k = validate_k(k)
        snapshot = self.library.snapshot
        if not snapshot.passages:
            return []
        scores = self.retriever.score(query, snapshot=snapshot)
        hits = self.retriever.rank(scores, self.settings.answer_passages, snapshot)
        ranked = self.sentences.rank(query, hits, scores, snapshot)[:k]
        return [c.citation(i) for i, c in enumerate(ranked, start=1)]

    def search_with_sentences(self, query: str, k: int | None = None,
                              article_ids: Sequence[str] | None = None,
                              sentences_per_hit: int = 3) -> list[tuple[Hit, list[Citation]]]:
        """Top-k passages, each with its best sentences (`qa.sentences`: cosine and word coverage).

        One snapshot serves the whole call, so an ingest finishing meanwhile cannot mix indexes.
        Unknown `article_ids` are a NotFoundError.
        """
        query = validate_query(query, self.settings.max_query_chars)
        k = validate_k(self.settings.default_k if k is None else k)
        snapshot = self.library.snapshot
        wanted = set(article_ids or ())
        unknown = sorted(wanted - snapshot.articles.keys())
        if unknown:
            raise NotFoundError(f"no article with id {unknown[0][:64]!r} in the index")
        if not snapshot.passages:
            return []
        scores = self.retriever.score(query, snapshot=snapshot)
        hits = self.retriever.rank(scores, k, snapshot, article_ids=wanted or None)
        return [(hit, [c.citation(i) for i, c in enumerate(
                    self.sentences.rank(query, [hit], scores, snapshot)[:sentences_per_hit],
                    start=1)] if sentences_per_hit else [])
                for hit in hits]

    def ask(self, question: str, history: Sequence[HistoryItem] | None = None) -> Answer:
        """Answer a question (a follow-up when `history` holds earlier turns), citing its sources."""
        started = time.perf_counter()
        question = validate_query(question, self.settings.max_query_chars)
        resolution = resolve_followup(question, as_turns(history))
        query = resolution.query
        resolved_at = time.perf_counter()
        snapshot = self.library.snapshot
        vector = self.library.embedder.embed_queries([query])[0]
        embedded_at = time.perf_counter()
        hits: list[Hit] = []
        if snapshot.passages:
            scores = self.retriever.score(query, vector, snapshot)
            hits = self.retriever.rank(scores, max(self.settings.default_k,
                                                   self.settings.reader_passages), snapshot)
        retrieved_at = time.perf_counter()
        decision = self.answerer.decide(question, query, hits, snapshot)
        done = time.perf_counter()
        timings = {
            "resolve": (resolved_at - started) * 1000,
            "embed": (embedded_at - resolved_at) * 1000,
            "retrieve": (retrieved_at - embedded_at) * 1000,
            "answer": (done - retrieved_at) * 1000,
            "total": (done - started) * 1000,
        }
        log.info("ask %r -> %s (%.0f ms)", question, "abstained" if decision.abstained else
                 decision.short_answer or "sentence", timings["total"])
        return Answer(question=question, answer=decision.answer, short_answer=decision.short_answer,
                      abstained=decision.abstained, citations=decision.citations,
                      passages=tuple(hits[: self.settings.default_k]), timings_ms=timings,
                      resolved_question=query)

    def ask_stream(self, question: str,
                   history: Sequence[HistoryItem] | None = None) -> Iterator[dict[str, object]]:
        """The answer as a stream of events: `passages` first, then `delta` text, then `final`."""
        answer = self.ask(question, history)
        yield {"event": "passages", "passages": [h.as_dict() for h in answer.passages]}
        step = 12
        for i in range(0, len(answer.answer), step):
            yield {"event": "delta", "text": answer.answer[i:i + step]}
        yield {"event": "final", "answer": answer.as_dict()}
