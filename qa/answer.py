"""The answerer: the trained reader reads the best retrieved passages and the best span wins.

The reader (`qa.reader`, weights in `qa/reader_model/`) scores every span of each passage (with a
sentence either side) against "no answer". The span that beats "no answer" by the widest margin,
across all the passages read, is the short answer; the sentences holding it are cited with their
exact offsets, and so is the clause it continues (`截至9月末，…；各項貸款餘額615億元`). When no
span beats "no answer" by the calibrated margin (`Settings.reader_threshold`, set by
`bench/calibrate_reader.py` on dev data only), the answerer abstains.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from index import Article, BlockKind, Settings
from index.store import IndexSnapshot
from index.text import detect_script, to_simplified, to_traditional

from .reader import reading_contexts
from .reader_runtime import Reader, shared_reader
from .records import Citation, Hit
from .sentences import RUNS_ON, RankedSentence

#: What an abstention says, in the question's language.
ABSTAIN_TEXT = {
    "hant": "文章中沒有提到這個問題的答案。",
    "hans": "文章中没有提到这个问题的答案。",
    "en": "The articles do not say.",
}


@dataclass(frozen=True)
class Reading:
    """The reader's best span in one context: where it lies in its article, and its margin."""

    article: Article
    start: int  # offsets into article.text
    end: int
    margin: float  # span score minus "no answer" score
    context: int = 0  # rank of the passage it was read in, among those read (0: the best)

    @property
    def text(self) -> str:
        """The span as the article writes it."""
        return self.article.text[self.start:self.end]


@dataclass(frozen=True)
class Decision:
    """What the answerer concluded for one question."""

    answer: str
    short_answer: str | None
    abstained: bool
    citations: tuple[Citation, ...]
    confidence: float  # the best reading's margin (what abstention compares with the threshold)
    reading: Reading | None = None


def to_question_script(text: str, question: str) -> str:
    """The answer text in the question's script (Simplified or Traditional; English keeps the source).

    Why: a reply reads in one script even when the source article mixes them.
    """
    return to_script(text, detect_script(question))


def to_script(text: str, script: str) -> str:
    """Chinese text in `script` (`hans` Simplified, `hant` Traditional); `en` keeps the source."""
    if script == "hans":
        return to_simplified(text)
    if script == "hant":
        return to_traditional(text)
    return text


def cited_sentences(article: Article, start: int, end: int) -> list[int]:
    """The sentences a span rests on: those holding it, then the clause the first one continues.

    Why: `各項貸款餘額615.18億元；` answers a question about 2023年9月末 only with the clause before
    it (`截至2023年9月末，…；`), which a reader of the citation must see.
    """
    holding = [s.index for s in article.sentences if s.start < end and s.end > start]
    if not holding:  # a span in the gap between sentences: the sentence it starts nearest to
        holding = [min(article.sentences, key=lambda s: abs(s.start - start)).index]
    first = holding[0]
    if first > 0:
        previous = article.sentences[first - 1]
        gap = article.text[previous.end:article.sentences[first].start]
        if (previous.text.rstrip().endswith(RUNS_ON) and "\n" not in gap
                and previous.kind is not BlockKind.HEADING):
            holding.append(first - 1)
    return holding


def _cite(article: Article, start: int, end: int,
          score: float) -> tuple[tuple[Citation, ...], str]:
    """The citations of what `article.text[start:end]` rests on, and the cited text with markers."""
    citations = tuple(Citation.of(article, i, n, score)
                      for n, i in enumerate(cited_sentences(article, start, end), start=1))
    return citations, "\n".join(f"{c.text} [{c.n}]" for c in citations)


class Answerer:
    """Reads the retrieved passages with the trained reader and turns the best span into an answer."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._reader: Reader | None = None

    @property
    def reader(self) -> Reader:
        """The trained reader (loaded on first use, shared by the process)."""
        if self._reader is None:
            self._reader = shared_reader(self.settings)
        return self._reader

    def read(self, query: str, hits: list[Hit], snapshot: IndexSnapshot,
             taken: Collection[tuple[str, int, int]] = ()) -> list[Reading]:
        """The reader's best span in every context of the top passages read, widest margin first.

        The best `reader_first_passages` are read first; the rest only when no span there is sure
        (`_sure`; `reader_early_exit` None: always). Such a span is answered anyway (the early-exit
        margin is at least the abstention margin), and a full reading nearly always picks it too
        (bench/calibrate_reader.py measures how often on dev data).
        Spans in `taken` (given to another part of the same question) are left out, so they
        never stop the reading early.
        """
        contexts = reading_contexts(hits[: self.settings.reader_passages], snapshot)
        if not contexts:
            return []
        texts = [article.text[a:b] for article, a, b in contexts]

        def readings_of(batch: list[str], first_index: int) -> list[Reading]:
            found = []
            for span in self.reader.read(query, batch):
                index = first_index + span.context_index
                article, offset, _ = contexts[index]
                reading = Reading(article, offset + span.start, offset + span.end, span.margin,
                                  index)
                if (article.id, reading.start, reading.end) not in taken:
                    found.append(reading)
            return found

        first = self.settings.reader_first_passages
        if self.settings.reader_early_exit is None or len(texts) <= first:
            readings = readings_of(texts, 0)
        else:
            readings = readings_of(texts[:first], 0)
            if not self._sure(readings):
                readings += readings_of(texts[first:], first)
        readings.sort(key=lambda r: r.margin, reverse=True)
        return readings

    def _sure(self, readings: list[Reading]) -> bool:
        """Whether the best reading beats "no answer" by `reader_early_exit`, and by
        `reader_early_exit_lead` every rival: another passage's answer with other words that would
        itself be given (beats "no answer" by `reader_threshold`).

        Why the rivals: two passages offering different answers (青科大TOD's 總投資 and 閻家山TOD's)
        mean the question is not settled yet, and the passages not read may settle it.
        """
        if not readings:
            return False
        best = max(readings, key=lambda r: r.margin)
        rivals = [r.margin for r in readings if r.context != best.context and r.text != best.text
                  and r.margin >= self.settings.reader_threshold]
        return (best.margin >= self.settings.reader_early_exit
                and all(best.margin - m >= self.settings.reader_early_exit_lead for m in rivals))

    def decide(self, question: str, query: str, hits: list[Hit], snapshot: IndexSnapshot,
               taken: Collection[tuple[str, int, int]] = ()) -> Decision:
        """Answer with the best reading and cite what it rests on, or abstain.

        `taken` holds (article id, start, end) spans already given to other parts of the same
        question (`qa.compare`): a part is answered by its best reading elsewhere.
        """
        readings = self.read(query, hits, snapshot, taken) if hits else []
        best = readings[0] if readings else None
        if best is None or best.margin < self.settings.reader_threshold:
            return self._abstain(question, best)
        return self._span_answer(question, best)

    def decide_in_sentence(self, question: str, query: str, hits: list[Hit],
                           snapshot: IndexSnapshot, sentence: RankedSentence) -> Decision:
        """Answer from the sentence the sentence ranker puts first, or abstain as `decide` does.

        For a question in another script than the text (English over Chinese): the reader, trained
        on Chinese questions, finds the right sentence far less often than the ranker's
        dictionary glosses and cross-lingual cosines do (built-in dev English questions: 7 of 16
        against 12 of 16), but it still says well whether the passages answer at all, and where
        in a sentence the answer lies. So the short answer is the reader's best span inside that
        sentence (among the passages it read, else in the sentence read alone); without one sure
        enough, the sentence itself answers.
        """
        readings = self.read(query, hits, snapshot) if hits else []
        best = readings[0] if readings else None
        threshold = self.settings.reader_threshold
        if best is None or best.margin < threshold:
            return self._abstain(question, best)
        article, held = sentence.article, sentence.sentence
        inside = [r for r in readings if r.margin >= threshold and r.article.id == article.id
                  and held.start <= r.start and r.end <= held.end]
        if inside:
            return self._span_answer(question, inside[0])
        # No reading's span lies in it: the sentence read alone gives one.
        span = max(self.reader.read(query, [held.text]), key=lambda x: x.margin, default=None)
        if span is not None and span.margin >= threshold:
            return self._span_answer(question, Reading(article, held.start + span.start,
                                                       held.start + span.end, span.margin))
        citations, body = _cite(article, held.start, held.end, best.margin)
        return Decision(body, None, False, citations, best.margin, best)

    def _abstain(self, question: str, best: Reading | None) -> Decision:
        """"The articles do not say", in the question's language."""
        margin = best.margin if best is not None else float("-inf")
        return Decision(ABSTAIN_TEXT[detect_script(question)], None, True, (), margin, best)

    def _span_answer(self, question: str, reading: Reading) -> Decision:
        """The reading's span as the short answer, with the sentences it rests on cited."""
        citations, body = _cite(reading.article, reading.start, reading.end, reading.margin)
        short = to_question_script(reading.text, question)
        return Decision(f"{short}\n\n{body}", short, False, citations, reading.margin, reading)
