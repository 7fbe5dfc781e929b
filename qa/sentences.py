"""The sentences of the retrieved passages, ranked for search results (no reading involved).

`ArticleQA.search_sentences` and `search_with_sentences` show, for a query, the sentences most
likely to matter: the query's cosine with each sentence (computed by retrieval anyway), plus the
IDF-weighted share of the query's content words the sentence (with the clauses it continues) holds,
minus a little per passage rank. For an English query over Chinese sentences the share is that of
the query's words their CC-CEDICT glosses hold (`qa.gloss`). Factoid answers to Chinese questions
do not use this ranking (the trained reader, `qa.answer`, reads the passages itself); it picks the
sentence an English question over Chinese text is answered in, and the sentences that join the
reader's in a descriptive answer (`qa.describe`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from index import Article, BlockKind, Sentence, Settings
from index.store import IndexSnapshot
from index.text import is_han_text, search_key, tokenize

from .crosslingual import shared_scorer
from .gloss import shared_glossary
from .records import Citation, Hit
from .retrieve import QueryScores

_STOP_TOKENS = frozenset(
    "的 是 在 了 和 与 及 或 为 于 被 由 将 把 从 对 以 而 也 都 就 又 还 并 之 其 这 那 个 有 所 "
    "多少 几 什么 哪 哪些 哪里 谁 何 吗 呢 如何 怎么 怎样 为什么 是否 "
    "what which who whom when where why how is are was were the a an of in on at "
    "to for by with does do did".split()
)

#: The share of a text's words the best-ranked sentence must hold for the library to count as
#: covering it: a descriptive answer without the reader's word, a summary's named topic (dev:
#: answerable questions 0.37 and up, off-topic ones such as `為什麼平安銀行要收購青島銀行？` 0.16).
MIN_COVERAGE = 0.3

#: A sentence that ends like this runs on into the next one (`餘額807億元；各項存款…`).
RUNS_ON = ("；", ";", "：", ":")


@dataclass(frozen=True)
class RankedSentence:
    """A sentence of a retrieved passage, with the signals that rank it."""

    article: Article
    sentence: Sentence
    passage_rank: int
    dense: float  # cosine of the query with the sentence
    coverage: float  # IDF-weighted share of the query's content words the sentence holds
    score: float
    crosslingual: float = 0.0  # USE-multilingual cosine, for a query in another script only

    def citation(self, n: int) -> Citation:
        """This sentence as citation number `n` (exact offsets into its article's text)."""
        return Citation.of(self.article, self.sentence.index, n, self.score)


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
        if not previous.text.rstrip().endswith(RUNS_ON) or "\n" in gap:
            break
        first -= 1
    return "".join(article.sentences[i].text for i in range(first, index))


class SentenceRanker:
    """Ranks the sentences of retrieved passages by cosine and word coverage."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.crosslingual = shared_scorer() if settings.crosslingual_weight > 0 else None

    def rank(self, query: str, hits: list[Hit], scores: QueryScores,
             snapshot: IndexSnapshot) -> list[RankedSentence]:
        """The sentences of the given passages, each scored once, best first."""
        s = self.settings
        weights = {t: scores.facts.idf(t) for t in content_tokens(query)}
        seen: set[str] = set()
        found: list[RankedSentence] = []
        for hit in hits:
            article = snapshot.articles[hit.passage.article_id]
            penalty = s.answer_rank_penalty * (hit.rank - 1)
            for index in range(hit.passage.first_sentence, hit.passage.last_sentence + 1):
                sentence = article.sentences[index]
                sid = article.sentence_id(index)
                if sid in seen or sentence.kind is BlockKind.HEADING:
                    continue
                seen.add(sid)
                row = snapshot.sentence_row(article.id, index)
                dense = scores.sentence(row)
                coverage = weighted_coverage(weights, clause_context(article, index) + sentence.text)
                score = dense + s.answer_coverage_weight * coverage - penalty
                found.append(RankedSentence(article, sentence, hit.rank, dense, coverage, score))
        found = self._add_crosslingual(query, found)
        found.sort(key=lambda c: c.score, reverse=True)
        return found

    def _add_crosslingual(self, query: str, found: list[RankedSentence]) -> list[RankedSentence]:
        """When some sentences are in another script than the query, every one gets USE-multilingual's
        cosine added (all of them, so that a same-script sentence of a mixed library competes on
        equal terms); for an English query, the Chinese sentences also get the share of its words
        their dictionary glosses hold, as their lexical coverage."""
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
