"""The extractive answerer: choose the source sentences that answer a question, cite them, and
pull out the short answer; abstain when the support is too weak. No language model involved."""

from __future__ import annotations

from dataclasses import dataclass

from index import Article, BlockKind, Sentence, Settings
from index.store import IndexSnapshot
from index.text import detect_script, tokenize

from .extract import extract_short_answer, to_question_script, type_fit
from .records import Citation, Hit
from .retrieve import QueryScores

#: What an abstention says, in the question's language.
ABSTAIN_TEXT = {
    "hant": "文章中沒有提到這個問題的答案。",
    "hans": "文章中没有提到这个问题的答案。",
    "en": "The articles do not say.",
}

_STOP_TOKENS = frozenset(
    "的 是 在 了 和 与 及 或 为 于 被 由 将 把 从 对 以 而 也 都 就 又 还 并 之 其 这 那 个 有 所 "
    "多少 几 什么 哪 哪些 哪里 谁 何 吗 呢 如何 怎么 怎样 为什么 是否 "
    "what which who whom when where why how is are was were the a an of in on at "
    "to for by with does do did".split()
)


@dataclass(frozen=True)
class Candidate:
    """A sentence that might answer the question, with the signals that rank it."""

    article: Article
    sentence: Sentence
    passage_rank: int
    dense: float
    overlap: float
    fit: float
    score: float


@dataclass(frozen=True)
class Support:
    """How well the best candidate supports an answer; the abstention rule reads these."""

    dense: float  # cosine of the question with the best sentence
    coverage: float  # IDF-weighted share of the question's content tokens found in its passage
    unknown: float  # IDF-weighted share of question tokens that occur nowhere in the corpus
    same_script: bool

    def confidence(self, settings: Settings) -> float:
        """One number compared with the abstention threshold."""
        if not self.same_script:  # lexical evidence cannot speak across scripts
            return self.dense + settings.abstain_cross_script_offset
        return (self.dense + settings.abstain_coverage_weight * self.coverage
                - settings.abstain_unknown_weight * self.unknown)


@dataclass(frozen=True)
class Decision:
    """What the answerer concluded for one question."""

    answer: str
    short_answer: str | None
    abstained: bool
    citations: tuple[Citation, ...]
    confidence: float
    support: Support | None = None


def content_tokens(text: str) -> set[str]:
    """The tokens of a text that carry meaning (question words and particles dropped)."""
    return {t for t in tokenize(text) if t not in _STOP_TOKENS}


def overlap_share(query_tokens: set[str], text: str) -> float:
    """Share of the query's content tokens that occur in `text` (as tokens or substrings)."""
    if not query_tokens:
        return 0.0
    tokens = set(tokenize(text))
    from index.text import search_key

    key = search_key(text)
    hits = sum(1 for t in query_tokens if t in tokens or (len(t) > 1 and t in key))
    return hits / len(query_tokens)


class Answerer:
    """Ranks the sentences of the retrieved passages and turns the best into a cited answer."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def candidates(self, query: str, hits: list[Hit], scores: QueryScores,
                   snapshot: IndexSnapshot) -> list[Candidate]:
        """Sentences of the top passages, each scored once, best first."""
        s = self.settings
        query_tokens = content_tokens(query)
        seen: set[str] = set()
        found: list[Candidate] = []
        for hit in hits[: s.answer_passages]:
            article = snapshot.articles[hit.passage.article_id]
            for index in range(hit.passage.first_sentence, hit.passage.last_sentence + 1):
                sentence = article.sentences[index]
                sid = article.sentence_id(index)
                if sid in seen or sentence.kind is BlockKind.HEADING:
                    continue
                seen.add(sid)
                row = snapshot.sentence_row(article.id, index)
                dense = float(scores.sentence[row]) if row is not None and len(scores.sentence) else 0.0
                overlap = overlap_share(query_tokens, sentence.text)
                fit = type_fit(query, sentence.text)
                score = (dense + s.answer_overlap_weight * overlap + s.answer_fit_weight * fit
                         - s.answer_rank_penalty * (hit.rank - 1))
                found.append(Candidate(article, sentence, hit.rank, dense, overlap, fit, score))
        found.sort(key=lambda c: c.score, reverse=True)
        return found

    def support(self, query: str, best: Candidate, scores: QueryScores) -> Support:
        """The abstention signals for the best candidate."""
        facts = scores.facts
        tokens = content_tokens(query)
        weights = {t: facts.idf(t) for t in tokens}
        total = sum(weights.values())
        if not total:
            return Support(best.dense, 0.0, 0.0, scores.same_script)
        article = best.article
        window = article.text[max(0, best.sentence.start - 150): best.sentence.end + 150]
        present = set(tokenize(window))
        from index.text import search_key

        window_key = search_key(window)
        covered = sum(w for t, w in weights.items() if t in present or (len(t) > 1 and t in window_key))
        unknown = sum(w for t, w in weights.items() if t not in facts.document_frequency)
        return Support(best.dense, covered / total, unknown / total, scores.same_script)

    def decide(self, question: str, query: str, candidates: list[Candidate],
               scores: QueryScores | None = None) -> Decision:
        """Cite the best sentence(s) and extract the short answer, or abstain."""
        script = detect_script(question)
        if not candidates or scores is None:
            return Decision(ABSTAIN_TEXT[script], None, True, (), 0.0)
        best = candidates[0]
        support = self.support(query, best, scores)
        confidence = support.confidence(self.settings)
        if confidence < self.settings.abstain_threshold:
            return Decision(ABSTAIN_TEXT[script], None, True, (), confidence, support)
        chosen = [best]
        for other in candidates[1: self.settings.max_citations]:
            if best.score - other.score <= self.settings.second_citation_margin:
                chosen.append(other)
        citations = tuple(
            Citation(n=n, article_id=c.article.id, title=c.article.title,
                     sentence_id=c.article.sentence_id(c.sentence.index), start=c.sentence.start,
                     end=c.sentence.end, text=c.sentence.text, score=c.score)
            for n, c in enumerate(chosen, start=1)
        )
        short = None
        for citation in citations:
            found = extract_short_answer(query, citation.text)
            if found is not None:
                short = to_question_script(found.text, question)
                break
        body = "\n".join(f"{c.text} [{c.n}]" for c in citations)
        answer = f"{short}\n\n{body}" if short else body
        return Decision(answer, short, False, citations, confidence, support)


def top_sentence_ids(candidates: list[Candidate], k: int) -> list[str]:
    """Ids of the k best candidate sentences (sentence-level retrieval for evaluation)."""
    return [c.article.sentence_id(c.sentence.index) for c in candidates[:k]]
