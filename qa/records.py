"""What qa returns: typed records, turned into dicts only at the JSON edge."""

from __future__ import annotations

from dataclasses import dataclass, field

from index import Article, Passage


@dataclass(frozen=True)
class Hit:
    """One retrieved passage with its rank and fused score."""

    rank: int
    score: float
    passage: Passage

    def as_dict(self) -> dict[str, object]:
        """JSON form."""
        p = self.passage
        return {
            "rank": self.rank,
            "score": round(float(self.score), 6),
            "passage_id": p.id,
            "article_id": p.article_id,
            "title": p.title,
            "start": p.start,
            "end": p.end,
            "text": p.text,
        }


@dataclass(frozen=True)
class Citation:
    """A source sentence an answer rests on; `start`/`end` index the article's text exactly."""

    n: int
    article_id: str
    title: str
    sentence_id: str
    start: int
    end: int
    text: str
    score: float

    @classmethod
    def of(cls, article: Article, index: int, n: int, score: float) -> Citation:
        """Sentence `index` of `article` as citation number `n` (exact offsets into its text)."""
        sentence = article.sentences[index]
        return cls(n=n, article_id=article.id, title=article.title,
                   sentence_id=article.sentence_id(index), start=sentence.start, end=sentence.end,
                   text=sentence.text, score=score)

    def as_dict(self) -> dict[str, object]:
        """JSON form."""
        return {
            "n": self.n,
            "article_id": self.article_id,
            "title": self.title,
            "sentence_id": self.sentence_id,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "score": round(float(self.score), 6),
        }


@dataclass(frozen=True)
class Answer:
    """A question's answer: text with [n] markers, the short answer, and what it rests on."""

    question: str
    answer: str
    short_answer: str | None
    abstained: bool
    citations: tuple[Citation, ...]
    passages: tuple[Hit, ...]
    timings_ms: dict[str, float] = field(default_factory=dict)
    #: The standalone question actually answered (differs from `question` for follow-ups).
    resolved_question: str = ""
    #: The kind of request it was taken for (`qa.kinds.Kind`): factoid, descriptive, summary,
    #: comparison or smalltalk; each has its own answer shape.
    kind: str = "factoid"

    @property
    def article_ids(self) -> tuple[str, ...]:
        """The articles the answer cites, first cited first, each once (what a later
        `這篇文章講了什麼` refers to)."""
        return tuple(dict.fromkeys(c.article_id for c in self.citations))

    def as_dict(self) -> dict[str, object]:
        """JSON form (the shape `articleqa ask --json` and the HTTP API return)."""
        return {
            "question": self.question,
            "resolved_question": self.resolved_question or self.question,
            "kind": self.kind,
            "answer": self.answer,
            "short_answer": self.short_answer,
            "abstained": self.abstained,
            "citations": [c.as_dict() for c in self.citations],
            "passages": [h.as_dict() for h in self.passages],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }
