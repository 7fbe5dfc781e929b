"""Request and response models of the HTTP API, with the limits every request is held to."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from index.ingest import MAX_FILE_BYTES
from qa.kinds import Kind
from qa.retrieve import MAX_K
from qa.service import MAX_HISTORY_TURNS

#: Longest query or question accepted (the engine's default `max_query_chars`).
MAX_QUERY_CHARS = 2000
#: Longest answer text a history turn may carry back.
MAX_ANSWER_CHARS = 20_000
#: Most files one upload may carry.
MAX_UPLOAD_FILES = 20
#: Largest request body of an upload (several files of up to MAX_FILE_BYTES each).
MAX_UPLOAD_BODY_BYTES = 3 * MAX_FILE_BYTES
#: Largest body of any other request (a question with a full history fits easily).
MAX_JSON_BODY_BYTES = 1024 * 1024
MAX_TITLE_CHARS = 500
MAX_ARTICLE_IDS = 1000
MAX_ID_CHARS = 200


class _Strict(BaseModel):
    """Requests reject unknown fields, so a typo is an error and not a silently ignored option, and
    values of the wrong JSON type (`"k": "5"`, `"k": true`) instead of coercing them."""

    model_config = ConfigDict(extra="forbid", strict=True)


class SearchRequest(_Strict):
    """Rank passages for a query."""

    query: str = Field(max_length=MAX_QUERY_CHARS, description="the question or keywords")
    k: int = Field(5, ge=1, le=MAX_K, description="how many passages")
    article_ids: list[str] | None = Field(
        None, max_length=MAX_ARTICLE_IDS, description="only search these articles")
    sentences_per_hit: int = Field(3, ge=0, le=20,
                                   description="how many of each passage's best sentences to return")


class HistoryTurn(_Strict):
    """An earlier turn of the conversation (for follow-up questions)."""

    question: str = Field(max_length=MAX_QUERY_CHARS)
    answer: str | None = Field(None, max_length=MAX_ANSWER_CHARS)
    resolved_question: str | None = Field(None, max_length=MAX_QUERY_CHARS)
    article_ids: list[str] = Field(
        default_factory=list, max_length=MAX_ARTICLE_IDS,
        description="the articles the answer cited, first cited first (its citations' article_id): "
                    "a later `這篇文章講了什麼` summarizes the first")


class AskRequest(_Strict):
    """Answer a question, optionally as a follow-up to earlier turns (oldest first)."""

    question: str = Field(max_length=MAX_QUERY_CHARS)
    history: list[HistoryTurn] = Field(default_factory=list, max_length=MAX_HISTORY_TURNS)


class ArticleText(_Strict):
    """An article given as plain text (JSON upload); posting the same title again replaces it."""

    title: str = Field(min_length=1, max_length=MAX_TITLE_CHARS)
    text: str = Field(min_length=1, max_length=MAX_FILE_BYTES)


class SentenceHit(BaseModel):
    """One sentence of a passage with the engine's sentence score; offsets index the article text."""

    sentence_id: str
    text: str
    start: int
    end: int
    score: float


class SearchHit(BaseModel):
    """One ranked passage; `start`/`end` index the article text."""

    rank: int
    score: float
    passage_id: str
    article_id: str
    title: str
    start: int
    end: int
    text: str
    sentences: list[SentenceHit]


class SearchResponse(BaseModel):
    """Passages, best first."""

    hits: list[SearchHit]


class CitationOut(BaseModel):
    """A cited source sentence."""

    n: int
    article_id: str
    title: str
    sentence_id: str
    start: int
    end: int
    text: str
    score: float


class PassageOut(BaseModel):
    """A retrieved passage (without sentences)."""

    rank: int
    score: float
    passage_id: str
    article_id: str
    title: str
    start: int
    end: int
    text: str


class AnswerOut(BaseModel):
    """An answer: text with [n] markers, the short answer, citations and the passages read."""

    question: str
    resolved_question: str
    kind: Kind = Field(
        description="the kind of request the question was taken for, which decides the answer's "
                    "shape: factoid (short answer + cited sentence), descriptive (1-3 cited "
                    "sentences, no short answer), summary (key sentences, cited), comparison "
                    "(each part cited, short answer = the winner when one is asked), smalltalk "
                    "(a reply with example questions, no citations)")
    answer: str
    short_answer: str | None
    abstained: bool
    citations: list[CitationOut]
    passages: list[PassageOut]
    timings_ms: dict[str, float]


class ArticleSummary(BaseModel):
    """One article in the list."""

    id: str
    title: str
    sentences: int
    source: str
    ingested_at: str


class ArticleList(BaseModel):
    """Every indexed article."""

    count: int
    articles: list[ArticleSummary]


class SentenceOut(BaseModel):
    """One sentence of an article: `text == article.text[start:end]`."""

    index: int
    sentence_id: str
    start: int
    end: int
    kind: str
    text: str


class ArticleDetail(BaseModel):
    """An article with its full text and sentence offsets."""

    id: str
    title: str
    source: str
    ingested_at: str
    text: str
    sentences: list[SentenceOut]


class RejectedOut(BaseModel):
    """A file that was not ingested, and why."""

    name: str
    reason: str
    code: str = Field(description="the reason as a stable code (unsupported_type, too_large, "
                                  "not_text, pdf_no_text, ...)")


class ArticleRef(BaseModel):
    """An article an upload produced."""

    id: str
    title: str
    source: str


class IngestReportOut(BaseModel):
    """What an upload or removal did (titles per outcome) and the index size afterwards."""

    added: list[str]
    updated: list[str]
    unchanged: list[str]
    removed: list[str]
    rejected: list[RejectedOut]
    articles_now: list[ArticleRef] = Field(
        default_factory=list, description="the articles the uploaded sources hold now")
    embedded: int
    reused: int
    articles: int
    passages: int
    seconds: float


class FileStatusOut(BaseModel):
    """One file of an ingest job."""

    name: str
    state: Literal["queued", "reading", "waiting", "embedding", "done", "rejected", "failed",
                   "cancelled"]
    articles: int = Field(description="articles the file gave (0 until it is read)")
    added: int
    updated: int
    unchanged: int
    reason: str = Field(description="why the file was rejected; empty otherwise")
    code: str = Field(description="the reason as a stable code; empty when not rejected")


class JobOut(BaseModel):
    """An ingest job: state, progress, per-file results and, once it ends, the report."""

    id: str
    state: Literal["queued", "running", "done", "failed", "cancelled"]
    stage: str = Field(description="while running: reading, embedding or committing")
    progress: float = Field(ge=0, le=1, description="share of the work done")
    eta_s: float | None = Field(description="seconds of embedding left at the rate so far")
    created_at: str
    started_at: str | None
    finished_at: str | None
    texts_total: int = Field(description="new passages and sentences to embed")
    texts_embedded: int
    articles_total: int
    articles_committed: int = Field(description="articles already searchable")
    files: list[FileStatusOut]
    error: str = Field(description="why the job failed; empty otherwise")
    error_code: str = Field(description="the failure as a stable code; empty otherwise")
    report: IngestReportOut | None = Field(description="what the job changed, once it has ended")


class JobList(BaseModel):
    """The ingest jobs this server remembers, newest first."""

    count: int
    jobs: list[JobOut]


class HealthOut(BaseModel):
    """Liveness."""

    status: str


class ReadyOut(BaseModel):
    """Readiness, with the size of the live index."""

    status: str
    articles: int
    passages: int


class ErrorDetail(BaseModel):
    """Machine-readable code, human-readable message, and optional details (validation errors)."""

    code: str
    message: str
    details: list[dict[str, Any]] | None = None


class ErrorOut(BaseModel):
    """The one error shape."""

    error: ErrorDetail
