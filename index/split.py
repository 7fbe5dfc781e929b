"""Cut an article into passages: windows of whole sentences that never cross a section head."""

from __future__ import annotations

import hashlib
from pathlib import Path

from .records import Article, BlockKind, Passage, Sentence
from .settings import Settings
from .text import meaningful_chars


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes, read in 4 MB chunks: what manifests and model markers record."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


def content_id(*parts: str, size: int = 16) -> str:
    """A short, stable id derived from content, so re-ingesting the same text changes nothing."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:size]


def _sections(sentences: tuple[Sentence, ...]) -> list[list[Sentence]]:
    """Group sentences into sections, each starting at a heading (or at the article's start)."""
    sections: list[list[Sentence]] = []
    for sentence in sentences:
        after_heading = bool(sections) and sections[-1][-1].kind is BlockKind.HEADING
        starts_section = sentence.kind is BlockKind.HEADING and not after_heading
        if starts_section or not sections:
            sections.append([sentence])
        else:
            sections[-1].append(sentence)
    return sections


def _windows(sentences: list[Sentence], target_chars: int, overlap: int) -> list[list[Sentence]]:
    """Greedy windows of about `target_chars`, neighbours sharing `overlap` sentences."""
    windows: list[list[Sentence]] = []
    start = 0
    while start < len(sentences):
        end = start
        size = 0
        while end < len(sentences) and (end == start or size + len(sentences[end].text)
                                        <= target_chars):
            size += len(sentences[end].text)
            end += 1
        windows.append(sentences[start:end])
        if end >= len(sentences):
            break
        start = max(end - overlap, start + 1)
    # A last window that only repeats the overlap (or is tiny) is folded into its predecessor.
    if len(windows) > 1 and sum(len(s.text) for s in windows[-1]) < target_chars // 4:
        tail = [s for s in windows[-1] if s.index > windows[-2][-1].index]
        windows[-2] = windows[-2] + tail
        windows.pop()
    return windows


def make_passages(article: Article, settings: Settings) -> list[Passage]:
    """The passages of an article, without near-empty or markup-only windows."""
    passages: list[Passage] = []
    for section in _sections(article.sentences):
        for window in _windows(section, settings.passage_chars, settings.passage_overlap_sentences):
            start, end = window[0].start, window[-1].end
            text = article.text[start:end]
            if meaningful_chars(text) < settings.min_passage_chars:
                continue
            passages.append(
                Passage(
                    id=content_id(article.id, str(start), text),
                    article_id=article.id,
                    title=article.title,
                    first_sentence=window[0].index,
                    last_sentence=window[-1].index,
                    start=start,
                    end=end,
                    text=text,
                )
            )
    return passages


def section_heading(article: Article, passage: Passage) -> str:
    """The nearest heading at or before a passage's first sentence ('' when none)."""
    for sentence in reversed(article.sentences[: passage.first_sentence + 1]):
        if sentence.kind is BlockKind.HEADING:
            return sentence.text
    return ""


def embedding_text(article: Article, passage: Passage) -> str:
    """What gets embedded for a passage: its title and section head give the window context."""
    heading = section_heading(article, passage)
    context = heading if heading and heading not in passage.text else ""
    parts = [article.title, context, passage.text]
    return "\n".join(part for part in parts if part)
