"""The trained reader: multilingual-e5-small fine-tuned to point at the answer span in a passage,
or at "no answer" (SQuAD 2.0 style: the null span sits on the first token).

This module holds what training and answering must agree on, so they cannot drift apart:
- the text the reader sees (`reading_text`: Simplified, same length, so offsets carry over),
- the passage context it reads (`context_span`: the passage plus a sentence either side),
- the windows a question and its contexts become (`encode`),
- the model (`SpanReader`: the encoder plus one linear start/end head),
- and how window logits become scored spans (`best_span`).
Loading the shipped weights and running them fast lives in `qa.reader_runtime`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from index import Article
from index.text import to_simplified

if TYPE_CHECKING:
    import torch

#: Bump when windows, model layout or decoding change: shipped weights record the version they fit.
READER_FORMAT = 1

#: Characters trimmed from both ends of a span: a short answer never starts or ends on them.
_TRIM = " \t\r\n\u3000，。、；：！？,.;:!?·"


@dataclass(frozen=True)
class ReaderConfig:
    """How questions and contexts become windows, and how long an answer may be (in tokens)."""

    max_length: int = 256
    stride: int = 96
    max_question_tokens: int = 64
    max_answer_tokens: int = 32
    top_n: int = 20

    def as_dict(self) -> dict[str, int]:
        """JSON form, stored beside the weights."""
        return {"max_length": self.max_length, "stride": self.stride,
                "max_question_tokens": self.max_question_tokens,
                "max_answer_tokens": self.max_answer_tokens, "top_n": self.top_n}


def reading_text(text: str) -> str:
    """The text as the reader reads it: Simplified Chinese, character for character.

    Why: the train pool mixes Traditional (DRCD) and Simplified (CMRC) text; one script lets both
    teach the same tokens. The result has the same length, so every offset points into the original.
    """
    converted = to_simplified(text)
    if len(converted) == len(text):
        return converted
    # A phrase conversion changed the length (rare): convert character by character instead.
    out = []
    for ch in text:
        single = to_simplified(ch)
        out.append(single if len(single) == 1 else ch)
    return "".join(out)


def context_span(article: Article, first_sentence: int, last_sentence: int) -> tuple[int, int]:
    """Character span the reader reads for a passage: its sentences plus one on either side.

    Why: an answer's sentence often leans on its neighbour (`截至9月末，…；各項貸款餘額615億元`),
    and a passage boundary must not cut the reader off from it.
    """
    first = max(first_sentence - 1, 0)
    last = min(last_sentence + 1, len(article.sentences) - 1)
    return article.sentences[first].start, article.sentences[last].end


def reading_contexts(hits: list[Any], snapshot: Any) -> list[tuple[Article, int, int]]:
    """What the reader reads for the best passages (`qa.records.Hit`s of an index snapshot): each
    passage with a sentence either side (`context_span`), best passage first, a span read once.

    Overlapping passages of one article are read apart, not merged: the reader was trained on
    single-passage contexts, and a merged one holding two candidate amounts loses the right one
    (`閻家山TOD項目總投資多少？` read 26億元 from its passage, 3.5億元 from the merged text).
    """
    contexts: list[tuple[Article, int, int]] = []
    for hit in hits:
        article = snapshot.articles[hit.passage.article_id]
        start, end = context_span(article, hit.passage.first_sentence, hit.passage.last_sentence)
        if not any(other.id == article.id and (s, e) == (start, end) for other, s, e in contexts):
            contexts.append((article, start, end))
    return contexts


@dataclass
class Windows:
    """Token windows of one or more (question, context) pairs, ready for the model."""

    input_ids: list[list[int]]
    offsets: list[list[tuple[int, int] | None]]  # per token: character span in its context, or None
    context_index: list[int]  # which context each window reads

    def __len__(self) -> int:
        return len(self.input_ids)


def _question_ids(tokenizer: Any, question: str, limit: int) -> str:
    """The question cut to at most `limit` tokens (a question longer than a window cannot be read)."""
    encoded = tokenizer(question, add_special_tokens=False, return_offsets_mapping=True)
    offsets = encoded["offset_mapping"]
    if len(offsets) <= limit:
        return question
    return question[: offsets[limit - 1][1]]


def encode(tokenizer: Any, question: str, contexts: list[str], config: ReaderConfig) -> Windows:
    """Windows of `question` paired with each context (long contexts overflow into more windows)."""
    if not contexts:
        return Windows([], [], [])
    q = _question_ids(tokenizer, reading_text(question), config.max_question_tokens)
    encoded = tokenizer(
        [q] * len(contexts), [reading_text(c) for c in contexts],
        truncation="only_second", max_length=config.max_length, stride=config.stride,
        return_overflowing_tokens=True, return_offsets_mapping=True, padding=False,
    )
    offsets: list[list[tuple[int, int] | None]] = []
    for i, spans in enumerate(encoded["offset_mapping"]):
        sequence = encoded.sequence_ids(i)
        offsets.append([tuple(span) if sequence[j] == 1 and span[1] > span[0] else None
                        for j, span in enumerate(spans)])
    return Windows(list(encoded["input_ids"]), offsets, list(encoded["overflow_to_sample_mapping"]))


def span_labels(offsets: list[tuple[int, int] | None], start: int, end: int) -> tuple[int, int]:
    """Token positions of the character span [start, end) in a window, or (0, 0) ("no answer")
    when the window does not hold all of it."""
    tokens = [(j, span) for j, span in enumerate(offsets) if span is not None]
    if not tokens or tokens[0][1][0] > start or tokens[-1][1][1] < end:
        return 0, 0
    # The last token holding the first character (a bare `▁` shares it with the word after it);
    # failing that (the span starts on a space), the first token inside the span.
    first = next((j for j, span in reversed(tokens) if span[0] <= start < span[1]), None)
    if first is None:
        first = next((j for j, span in tokens if start <= span[0] < end), None)
    last = next((j for j, span in tokens if span[0] < end <= span[1]), None)
    if last is None:
        last = next((j for j, span in reversed(tokens) if start < span[1] <= end), None)
    if first is None or last is None or last < first:
        return 0, 0
    return first, last


@dataclass(frozen=True)
class Span:
    """The best answer in one window: character offsets in its context, and its scores."""

    context_index: int
    start: int
    end: int
    score: float  # start + end logit of the span
    null_score: float  # start + end logit of "no answer" in this window

    @property
    def margin(self) -> float:
        """How much the span beats "no answer": the number abstention is calibrated on."""
        return self.score - self.null_score


def best_span(start_logits: np.ndarray, end_logits: np.ndarray,
              offsets: list[tuple[int, int] | None], context: str, context_index: int,
              config: ReaderConfig) -> Span | None:
    """The highest-scoring valid span of one window (None when the window holds no context)."""
    valid = np.array([o is not None for o in offsets])
    if not valid.any():
        return None
    n = len(offsets)
    starts = np.where(valid, start_logits[:n], -np.inf)
    ends = np.where(valid, end_logits[:n], -np.inf)
    top = min(config.top_n, int(valid.sum()))
    best: tuple[float, int, int] | None = None
    for s in np.argsort(-starts)[:top]:
        for e in np.argsort(-ends)[:top]:
            if e < s or e - s + 1 > config.max_answer_tokens:
                continue
            score = float(starts[s] + ends[e])
            if best is None or score > best[0]:
                best = (score, int(s), int(e))
    if best is None:
        return None
    score, s, e = best
    first, last = offsets[s][0], offsets[e][1]  # type: ignore[index]
    while first < last and context[first] in _TRIM:
        first += 1
    while last > first and context[last - 1] in _TRIM:
        last -= 1
    if last <= first:
        return None
    null = float(start_logits[0] + end_logits[0])
    return Span(context_index, first, last, score, null)


#: Runs the reader over windows: each window's token ids -> its (start, end) logits, in order.
Forward = Callable[[list[list[int]]], list[tuple[np.ndarray, np.ndarray]]]


@functools.lru_cache(maxsize=4)
def load_tokenizer(base_dir: str) -> Any:
    """The e5 folder's tokenizer, loaded once per process and folder (reading its 17 MB
    vocabulary takes about 5 s on 2 cores; the reader, training and evaluation share it). A call
    sets the backend's truncation for its duration, so callers encode one at a time (the reader
    under `compute_turn`, training in its one thread)."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(base_dir)


def read_spans(forward: Forward, tokenizer: Any, question: str, contexts: list[str],
               config: ReaderConfig) -> list[Span]:
    """The best span of every window of every context (unordered): the one way training-time
    evaluation (torch) and answering (ONNX Runtime) read, so the two cannot read differently."""
    windows = encode(tokenizer, question, contexts, config)
    if not len(windows):
        return []
    spans: list[Span] = []
    for k, (start, end) in enumerate(forward(windows.input_ids)):
        ci = windows.context_index[k]
        span = best_span(start, end, windows.offsets[k], contexts[ci], ci, config)
        if span is not None:
            spans.append(span)
    return spans


def build_span_reader(encoder: Any) -> torch.nn.Module:
    """The reader network around a loaded BertModel encoder (weights of the head start random)."""
    import torch

    class SpanReader(torch.nn.Module):
        """Encoder + a linear head giving each token a start and an end logit."""

        def __init__(self, encoder: Any) -> None:
            super().__init__()
            self.encoder = encoder
            self.qa_outputs = torch.nn.Linear(encoder.config.hidden_size, 2)

        def forward(self, input_ids: torch.Tensor,
                    attention_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            logits = self.qa_outputs(hidden)
            return logits[..., 0], logits[..., 1]

    return SpanReader(encoder)


#: Parameters the reader shares with the embedding model untouched, so they are not shipped.
FROZEN_PARAMETERS = ("encoder.embeddings.word_embeddings.weight",)
