"""The public entry point of qa: one object, built from settings, that searches and answers."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from index import Embedder, Library, Settings
from index.errors import InputError, NotFoundError
from index.jobs import IngestJobs
from index.store import IndexSnapshot
from index.text import is_han_text

from .answer import Answerer, Decision
from .compare import compare
from .describe import describe
from .followup import Resolution, Turn, resolve_followup
from .kinds import Analysis, Kind, Scope, analyse
from .records import Answer, Citation, Hit
from .retrieve import QueryScores, Retriever, validate_k, validate_query
from .sentences import MIN_COVERAGE, SentenceRanker
from .smalltalk import reply
from .summarize import summarize

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
                              item.resolved_question or None, item.article_ids))
        elif isinstance(item, Mapping):
            question = item.get("question")
            if not isinstance(question, str) or not question.strip():
                raise InputError("each history turn needs a non-empty 'question'")
            answer = item.get("answer")
            resolved = item.get("resolved_question")
            articles = item.get("article_ids") or ()
            if isinstance(articles, str) or not all(isinstance(a, str) for a in articles):
                raise InputError("a history turn's 'article_ids' must be a list of article ids")
            turns.append(Turn(question, answer if isinstance(answer, str) else None,
                              resolved if isinstance(resolved, str) else None, tuple(articles)))
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
        scores = self.retriever.score(query, snapshot=snapshot, article_ids=wanted or None)
        hits = self.retriever.rank(scores, k, snapshot, article_ids=wanted or None)
        return [(hit, [c.citation(i) for i, c in enumerate(
                    self.sentences.rank(query, [hit], scores, snapshot)[:sentences_per_hit],
                    start=1)] if sentences_per_hit else [])
                for hit in hits]

    def ask(self, question: str, history: Sequence[HistoryItem] | None = None) -> Answer:
        """Answer a question (a follow-up when `history` holds earlier turns), citing its sources.

        The question is analysed once (`qa.kinds`) and answered in its kind's shape: a factoid by
        the reader, a why/how question with whole sentences, a summary with key sentences, a
        comparison part by part, small talk with a short reply. `Answer.kind` says which.
        """
        started = time.perf_counter()
        question = validate_query(question, self.settings.max_query_chars)
        turns = as_turns(history)
        resolution = resolve_followup(question, turns)
        analysis = analyse(question, resolution.query)
        if turns and analysis.scope is Scope.ARTICLE and not analysis.topics:
            # `這篇文章講了什麼` after an answer: the article that answer rests on, as typed
            cited = next((t.articles for t in reversed(turns) if t.articles), ())
            analysis = replace(analysis, articles=cited[:1])
            resolution = Resolution(question, False, "standalone: the conversation's article")
        timings = {"resolve": (time.perf_counter() - started) * 1000, "embed": 0.0, "retrieve": 0.0}
        snapshot = self.library.snapshot
        handler = {
            Kind.FACTOID: self._factoid, Kind.DESCRIPTIVE: self._descriptive,
            Kind.SUMMARY: self._summary, Kind.COMPARISON: self._comparison,
            Kind.SMALLTALK: self._smalltalk,
        }[analysis.kind]
        answering = time.perf_counter()
        decision, hits = handler(analysis, resolution.query, snapshot, timings)
        done = time.perf_counter()
        timings["answer"] = (done - answering) * 1000 - timings["embed"] - timings["retrieve"]
        timings["total"] = (done - started) * 1000
        log.info("ask %r (%s) -> %s (%.0f ms)", question, analysis.kind,
                 "abstained" if decision.abstained else decision.short_answer or "sentences",
                 timings["total"])
        return Answer(question=question, answer=decision.answer, short_answer=decision.short_answer,
                      abstained=decision.abstained, citations=decision.citations,
                      passages=tuple(hits[: self.settings.default_k]), timings_ms=timings,
                      resolved_question=resolution.query, kind=str(analysis.kind))

    def _retrieve(self, query: str, snapshot: IndexSnapshot,
                  timings: dict[str, float]) -> tuple[list[Hit], QueryScores | None]:
        """The passages the answer shapes read for a query (their time added to `timings`)."""
        started = time.perf_counter()
        vector = self.library.embedder.embed_queries([query])[0]
        embedded = time.perf_counter()
        hits: list[Hit] = []
        scores = None
        if snapshot.passages:
            scores = self.retriever.score(query, vector, snapshot)
            hits = self.retriever.rank(scores, max(self.settings.default_k,
                                                   self.settings.reader_passages), snapshot)
        timings["embed"] += (embedded - started) * 1000
        timings["retrieve"] += (time.perf_counter() - embedded) * 1000
        return hits, scores

    def _factoid(self, analysis: Analysis, query: str, snapshot: IndexSnapshot,
                 timings: dict[str, float]) -> tuple[Decision, list[Hit]]:
        """The reader's short answer and the sentence holding it (the query exactly as resolved).

        An English question over Chinese text is answered in the sentence the sentence ranker
        puts first (`Answerer.decide_in_sentence`)."""
        hits, scores = self._retrieve(query, snapshot, timings)
        if analysis.script == "en" and scores is not None:
            ranked = self.sentences.rank(query, hits[: self.settings.answer_passages], scores,
                                         snapshot)
            if ranked and is_han_text(ranked[0].sentence.text):
                return self.answerer.decide_in_sentence(analysis.question, query, hits, snapshot,
                                                        ranked[0]), hits
        return self.answerer.decide(analysis.question, query, hits, snapshot), hits

    def _descriptive(self, analysis: Analysis, query: str, snapshot: IndexSnapshot,
                     timings: dict[str, float]) -> tuple[Decision, list[Hit]]:
        hits, scores = self._retrieve(analysis.query, snapshot, timings)
        if scores is None:
            return describe(analysis, [], [], snapshot, self.settings), hits
        readings = self.answerer.read(analysis.query, hits, snapshot)
        ranked = self.sentences.rank(analysis.query, hits[: self.settings.answer_passages], scores,
                                     snapshot)
        return describe(analysis, readings, ranked, snapshot, self.settings), hits

    def _summary(self, analysis: Analysis, query: str, snapshot: IndexSnapshot,
                 timings: dict[str, float]) -> tuple[Decision, list[Hit]]:
        def best_article(text: str) -> str | None:
            """The article of the best-ranked sentence for `text`, if it holds enough of its words."""
            hits, scores = self._retrieve(text, snapshot, timings)
            if scores is None:
                return None
            ranked = self.sentences.rank(text, hits[: self.settings.answer_passages], scores,
                                         snapshot)
            covered = bool(ranked) and ranked[0].coverage >= MIN_COVERAGE
            return ranked[0].article.id if covered else None

        return summarize(analysis, snapshot, self.settings, best_article), []

    def _comparison(self, analysis: Analysis, query: str, snapshot: IndexSnapshot,
                    timings: dict[str, float]) -> tuple[Decision, list[Hit]]:
        seen: list[Hit] = []
        taken: set[tuple[str, int, int]] = set()

        def answer_part(part: str) -> Decision:
            hits, _ = self._retrieve(part, snapshot, timings)
            seen.extend(h for h in hits[:2] if h.passage.id not in {s.passage.id for s in seen})
            decision = self.answerer.decide(analysis.question, part, hits, snapshot, taken)
            if decision.reading is not None and not decision.abstained:
                r = decision.reading
                taken.add((r.article.id, r.start, r.end))
            return decision

        decision = compare(analysis, answer_part)
        return decision, [replace(h, rank=i) for i, h in enumerate(seen, start=1)]

    def _smalltalk(self, analysis: Analysis, query: str, snapshot: IndexSnapshot,
                   timings: dict[str, float]) -> tuple[Decision, list[Hit]]:
        return reply(analysis, snapshot), []

    def ask_stream(self, question: str,
                   history: Sequence[HistoryItem] | None = None) -> Iterator[dict[str, object]]:
        """The answer as a stream of events: `passages` first, then `delta` text, then `final`."""
        answer = self.ask(question, history)
        yield {"event": "passages", "passages": [h.as_dict() for h in answer.passages]}
        step = 12
        for i in range(0, len(answer.answer), step):
            yield {"event": "delta", "text": answer.answer[i:i + step]}
        yield {"event": "final", "answer": answer.as_dict()}
