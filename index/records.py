"""The records the index is made of: articles, their sentences, and the passages that get embedded."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class BlockKind(StrEnum):
    """What a sentence is in its article's layout."""

    BODY = "body"
    HEADING = "heading"
    CAPTION = "caption"
    BYLINE = "byline"


@dataclass(frozen=True)
class Sentence:
    """One sentence; `article.text[start:end] == text` always holds."""

    index: int
    start: int
    end: int
    text: str
    kind: BlockKind = BlockKind.BODY


@dataclass(frozen=True)
class ParsedArticle:
    """An article as cleaning produced it, before it has an id (ingest adds the source)."""

    title: str
    text: str
    sentences: tuple[Sentence, ...]


@dataclass(frozen=True)
class Article:
    """A cleaned article with sentence offsets into its text; the id is stable across edits."""

    id: str
    title: str
    text: str
    source: str
    content_hash: str
    sentences: tuple[Sentence, ...]
    ingested_at: str = ""

    def sentence_id(self, index: int) -> str:
        """The global id of this article's sentence `index`."""
        return f"{self.id}:{index}"


@dataclass(frozen=True)
class Passage:
    """A window of whole sentences of one article: the unit that is embedded and retrieved."""

    id: str
    article_id: str
    title: str
    first_sentence: int
    last_sentence: int  # inclusive
    start: int
    end: int
    text: str
