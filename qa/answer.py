"""The extractive answerer: choose the source sentences that answer a question, cite them, and
pull out the short answer; abstain when the support is too weak. No language model involved."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from index import Article, BlockKind, Sentence, Settings
from index.store import IndexSnapshot
from index.text import detect_script, is_han_text, search_key, tokenize

from .crosslingual import shared_scorer
from .extract import (
    ShortAnswer,
    answer_form_absent,
    answer_form_missing,
    answer_subject_mismatch,
    extract_short_answer,
    question_focus,
    to_question_script,
    type_fit,
    year_mismatch,
)
from .gloss import shared_glossary
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
    dense: float  # cosine of the question with the sentence
    coverage: float  # IDF-weighted share of the question's content words found in the sentence (across
    # scripts: the share its dictionary glosses hold, qa.gloss)
    fit: float  # how well the sentence's content fits the question type (qa.extract.type_fit)
    short: ShortAnswer | None  # the short answer this sentence would give
    score: float
    crosslingual: float = 0.0  # USE-multilingual cosine, for a question in another script only

    def citation(self, n: int) -> Citation:
        """This sentence as citation number `n` (exact offsets into its article's text)."""
        return Citation(n=n, article_id=self.article.id, title=self.article.title,
                        sentence_id=self.article.sentence_id(self.sentence.index),
                        start=self.sentence.start, end=self.sentence.end, text=self.sentence.text,
                        score=self.score)


@dataclass(frozen=True)
class Support:
    """How well the chosen sentence supports an answer; the abstention rule reads these."""

    dense: float
    coverage: float
    short_score: float
    focus_missing: float  # IDF-weighted share of the question's focus words its article never uses
    form_missing: float  # how far the answer falls short of the asked form (qa.extract.answer_form_missing)
    same_script: bool
    year_mismatch: float = 0.0  # asks about a year its context never names (qa.extract.year_mismatch)
    form_absent: float = 0.0  # the sentence holds nothing of the asked form (qa.extract.answer_form_absent)
    subject_mismatch: float = 0.0  # the amount is said of something else (qa.extract.answer_subject_mismatch)

    def confidence(self, settings: Settings) -> float:
        """One number compared with the abstention threshold."""
        year = settings.abstain_year_weight * self.year_mismatch  # digits read the same in any script
        if not self.same_script:  # lexical evidence and the short answer's score are weak across scripts
            return (self.dense + settings.abstain_cross_script_offset - year
                    - settings.abstain_cross_script_form_weight * self.form_missing)
        return (self.dense + settings.abstain_coverage_weight * self.coverage
                + settings.abstain_short_weight * self.short_score
                - settings.abstain_focus_weight * self.focus_missing
                - settings.abstain_form_weight * self.form_missing
                - settings.abstain_form_absent_weight * self.form_absent
                - settings.abstain_subject_weight * self.subject_mismatch - year)


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


def weighted_coverage(weights: dict[str, float], text: str) -> float:
    """Share (by weight) of the tokens found in `text`, as tokens or as substrings of its key."""
    total = sum(weights.values())
    if not total:
        return 0.0
    tokens = set(tokenize(text))
    key = search_key(text)
    found = sum(w for t, w in weights.items() if t in tokens or (len(t) > 1 and t in key))
    return found / total


#: A question about who wrote, edited or published a report: its byline answers it.
_ABOUT_BYLINE = re.compile(
    r"记者|作者|署名|撰稿|撰文|执笔|责编|编辑|美编|审读|通讯员|摄影|媒体|报社|"
    r"\b(?:reporter|author|byline|editor|wrote|written|photographer)s?\b"
)


def asks_about_byline(question: str) -> bool:
    """Whether a question asks who wrote, edited or published the report (`署名了哪些媒體？`).

    Why: bylines (`觀海新聞/青島晚報 記者于波`) share few words with such questions, so neither the
    dense nor the lexical score finds them; the answerer favours them for these questions only.
    """
    return bool(_ABOUT_BYLINE.search(search_key(question)))


#: A sentence that ends like this runs on into the next one (`餘額807億元；各項存款…`).
_RUNS_ON = ("；", ";", "：", ":")


def clause_context(article: Article, index: int, limit: int = 4) -> str:
    """The clauses before sentence `index` that it continues (the text up to it since the last
    full stop, same paragraph), or ''.

    Why: in `截至9月末，資產總額807億元；各項貸款餘額615億元；` the second clause answers
    `9月末的貸款餘額是多少？` though its date and subject sit in the clause before it.
    """
    first = index
    while first > 0 and index - first < limit:
        previous = article.sentences[first - 1]
        gap = article.text[previous.end:article.sentences[first].start]
        if not previous.text.rstrip().endswith(_RUNS_ON) or "\n" in gap:
            break
        first -= 1
    return "".join(article.sentences[i].text for i in range(first, index))


def section_heading(article: Article, index: int) -> str:
    """The heading of the section sentence `index` stands in, or '' (none before it).

    Why: a section's heading says what its sentences are about; `開展專精特新中小企業特色服務活動`
    heads the sentence answering `專精特新中小企業特色服務活動是從什麼時候開始的？`, which never
    repeats those words itself.
    """
    for i in range(index - 1, -1, -1):
        if article.sentences[i].kind is BlockKind.HEADING:
            return article.sentences[i].text
    return ""


class Answerer:
    """Ranks the sentences of the retrieved passages and turns the best into a cited answer."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._article_keys: dict[str, str] = {}  # article id (content-derived) -> its search key
        self.crosslingual = shared_scorer() if settings.crosslingual_weight > 0 else None

    def _weights(self, query: str, scores: QueryScores) -> dict[str, float]:
        return {t: scores.facts.idf(t) for t in content_tokens(query)}

    def candidates(self, query: str, hits: list[Hit], scores: QueryScores,
                   snapshot: IndexSnapshot) -> list[Candidate]:
        """Sentences of the top passages, each scored once, best first."""
        s = self.settings
        weights = self._weights(query, scores)
        byline_bonus = s.answer_byline_bonus if asks_about_byline(query) else 0.0
        seen: set[str] = set()
        found: list[Candidate] = []
        for hit in hits[: s.answer_passages]:
            article = snapshot.articles[hit.passage.article_id]
            penalty = s.answer_rank_penalty * (hit.rank - 1)
            for index in range(hit.passage.first_sentence, hit.passage.last_sentence + 1):
                sentence = article.sentences[index]
                sid = article.sentence_id(index)
                if sid in seen or sentence.kind is BlockKind.HEADING:
                    continue
                seen.add(sid)
                row = snapshot.sentence_row(article.id, index)
                dense = float(scores.sentence[row]) if row is not None and len(scores.sentence) else 0.0
                coverage = weighted_coverage(weights, clause_context(article, index) + sentence.text)
                fit = type_fit(query, sentence.text)
                short = extract_short_answer(query, sentence.text)
                short_score = short.score if short is not None else s.answer_no_short_score
                score = (dense + s.answer_coverage_weight * coverage + s.answer_fit_weight * fit
                         + s.answer_short_weight * short_score - penalty)
                if sentence.kind is BlockKind.BYLINE:
                    score += byline_bonus
                found.append(Candidate(article, sentence, hit.rank, dense, coverage, fit, short, score))
        found = self._add_crosslingual(query, found)
        found.sort(key=lambda c: c.score, reverse=True)
        return found

    def _add_crosslingual(self, query: str, found: list[Candidate]) -> list[Candidate]:
        """When some candidates are in another script than the question, every candidate gets
        USE-multilingual's cosine added (all of them, so that a same-script sentence of a mixed
        library competes on equal terms); for an English question, the sentences in Chinese also
        get the share of its words their dictionary glosses hold, as their lexical coverage."""
        query_han = is_han_text(query)
        if all(is_han_text(c.sentence.text) == query_han for c in found):
            return found
        s = self.settings
        if self.crosslingual is not None:
            cosines = self.crosslingual.cosines(query, [c.sentence.text for c in found])
            found = [replace(c, score=c.score + s.crosslingual_weight * float(cosine),
                             crosslingual=float(cosine))
                     for c, cosine in zip(found, cosines, strict=True)]
        if s.crosslingual_gloss_weight > 0 and not query_han:
            glossary = shared_glossary()
            glossed = []
            for c in found:
                if is_han_text(c.sentence.text):
                    cover = glossary.coverage(query, c.sentence.text)
                    c = replace(c, coverage=cover, score=c.score + s.crosslingual_gloss_weight * cover)
                glossed.append(c)
            found = glossed
        return found

    def _article_key(self, article: Article) -> str:
        key = self._article_keys.get(article.id)
        if key is None:
            if len(self._article_keys) > 4096:
                self._article_keys.clear()
            key = self._article_keys[article.id] = search_key(f"{article.title}\n{article.text}")
        return key

    def support(self, query: str, best: Candidate, scores: QueryScores) -> Support:
        """The abstention signals for the chosen sentence."""
        # The section heading counts as context here: what the section is about supports an answer
        # from it. (Not in ranking: it is the same for every sentence of the section.)
        heading = section_heading(best.article, best.sentence.index)
        context = heading + clause_context(best.article, best.sentence.index) + best.sentence.text
        # Whether lexical evidence can speak depends on the chosen sentence's script, not the corpus'.
        same_script = is_han_text(query) == is_han_text(best.sentence.text)
        coverage = best.coverage if not heading or not same_script else weighted_coverage(
            self._weights(query, scores), context)
        focus = {t: scores.facts.idf(t) for t in question_focus(query)}
        if best.sentence.kind is BlockKind.BYLINE:  # `署名`, `媒體` ask for the byline, as `誰` would
            focus = {t: w for t, w in focus.items() if not _ABOUT_BYLINE.search(t)}
        total = sum(focus.values())
        article_key = self._article_key(best.article)
        focus_missing = (sum(w for t, w in focus.items() if t not in article_key) / total) if total else 0.0
        sentence = best.sentence.text
        form_missing = answer_form_missing(query, sentence, best.short)
        short_score = best.short.score if best.short is not None else self.settings.answer_no_short_score
        return Support(best.dense, coverage, short_score, focus_missing, form_missing, same_script,
                       year_mismatch(query, context), float(answer_form_absent(query, sentence, best.fit)),
                       float(answer_subject_mismatch(query, sentence, best.short)))

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
        citations = tuple(c.citation(n) for n, c in enumerate(chosen, start=1))
        short = next((to_question_script(c.short.text, question) for c in chosen if c.short), None)
        body = "\n".join(f"{c.text} [{c.n}]" for c in citations)
        answer = f"{short}\n\n{body}" if short else body
        return Decision(answer, short, False, citations, confidence, support)
