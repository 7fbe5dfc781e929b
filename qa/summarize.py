"""Extractive summaries: the key sentences of an article, of several, or one line per article.

Key sentences are chosen by centrality (LexRank, Erkan & Radev 2004) over the sentence vectors the
index already stores: each body sentence's vector is centred on its article's mean (e5's cosines
are all high; centring spreads them), the positive cosines form a graph, and PageRank on it ranks
the sentences; the best ones that do not repeat a chosen one are shown in reading order, each
cited. `lead` (the first sentences) is the baseline `bench/summary_bench.py` compares it with.
By default the walk restarts at early sentences more often (biased LexRank with a 1/position
prior): news puts what matters first, and on the gold key sentences that beats both plain LexRank
and the lead (`docs/bench/summary.json`). The named article is found by its title, else by
retrieval over its content.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from index import Article, BlockKind, Settings
from index.store import IndexSnapshot
from index.text import search_key

from .answer import ABSTAIN_TEXT, Decision, to_script
from .kinds import Analysis, Scope
from .records import Citation
from .sentences import content_tokens

#: A body sentence shorter than this (letters and digits) is no key sentence (`時隔兩天，…`).
MIN_SENTENCE_CHARS = 12
#: A candidate this similar (raw cosine) to a chosen sentence repeats it and is skipped.
REDUNDANT_COSINE = 0.95
#: Share of the topic's words an article's title must hold to be the named article by title.
TITLE_MATCH = 0.6

HEAD = {
    "hant": "「{title}」的重點：", "hans": "「{title}」的重点：", "en": "Key points of “{title}”:",
}
LIBRARY_HEAD = {
    "hant": "資料庫中 {n} 篇文章的重點，每篇一行：", "hans": "资料库中 {n} 篇文章的重点，每篇一行：",
    "en": "The {n} articles of the library, one line each:",
}
NOT_FOUND = {
    "hant": "資料庫中沒有關於「{topic}」的文章。", "hans": "资料库中没有关于「{topic}」的文章。",
    "en": "The library has no article about “{topic}”.",
}
MORE = {"hant": "（另有 {n} 篇未列出）", "hans": "（另有 {n} 篇未列出）", "en": "({n} more not listed)"}


def candidates(article: Article) -> list[int]:
    """The sentences a summary may use: body text of some length (no heads, captions, bylines)."""
    return [s.index for s in article.sentences if s.kind is BlockKind.BODY
            and sum(ch.isalnum() for ch in s.text) >= MIN_SENTENCE_CHARS]


def lexrank_scores(vectors: np.ndarray, damping: float = 0.85, prior: np.ndarray | None = None,
                   iterations: int = 200) -> np.ndarray:
    """Continuous LexRank: PageRank over the positive cosines of the centred sentence vectors.

    `prior` (biased LexRank) is where the random walk restarts, in proportion; uniform by default.
    """
    n = len(vectors)
    if n == 0:
        return np.zeros(0)
    centred = vectors - vectors.mean(axis=0, keepdims=True)
    norms = np.linalg.norm(centred, axis=1, keepdims=True)
    centred = centred / np.where(norms > 0, norms, 1.0)
    similarity = np.clip(centred @ centred.T, 0.0, None)
    np.fill_diagonal(similarity, 0.0)
    rows = similarity.sum(axis=1, keepdims=True)
    transition = np.where(rows > 0, similarity / np.where(rows > 0, rows, 1.0), 1.0 / n)
    restart = np.full(n, 1.0 / n) if prior is None else prior / prior.sum()
    rank = np.full(n, 1.0 / n)
    for _ in range(iterations):
        updated = (1 - damping) * restart + damping * transition.T @ rank
        if np.abs(updated - rank).sum() < 1e-10:
            return updated
        rank = updated
    return rank


def position_prior(n: int) -> np.ndarray:
    """Restart weights 1, 1/2, 1/3, ... by reading order: news puts what matters first."""
    return 1.0 / np.arange(1, n + 1, dtype=np.float64)


def key_sentences(article: Article, snapshot: IndexSnapshot, count: int,
                  method: str = "lexrank-position", damping: float = 0.85) -> list[int]:
    """The indexes of `count` key sentences of an article, in reading order.

    `lexrank`: centrality alone; `lexrank-position`: centrality with the walk restarting at
    early sentences more often (biased LexRank); `lead`: the first sentences (the baseline).
    """
    pool = candidates(article)
    if method == "lead" or snapshot.sentence_vectors is None:
        return pool[:count]
    rows = [snapshot.sentence_row(article.id, i) for i in pool]
    pool = [i for i, r in zip(pool, rows, strict=True) if r is not None]
    vectors = snapshot.sentence_vectors[[r for r in rows if r is not None]].astype(np.float64)
    prior = position_prior(len(pool)) if method == "lexrank-position" else None
    ranks = lexrank_scores(vectors, damping, prior)
    chosen: list[int] = []
    for j in np.argsort(-ranks, kind="stable"):
        if len(chosen) == count:
            break
        if any(float(vectors[j] @ vectors[k]) >= REDUNDANT_COSINE for k in chosen):
            continue
        chosen.append(int(j))
    return sorted(pool[j] for j in chosen)


def title_match(topic: str, articles: Sequence[Article]) -> Article | None:
    """The article whose title holds most of the topic's words (at least TITLE_MATCH of them)."""
    words = content_tokens(topic)
    if not words:
        return None
    best, best_share = None, 0.0
    for article in articles:
        title = search_key(article.title)
        share = sum(len(w) for w in words if w in title) / sum(len(w) for w in words)
        if share > best_share:
            best, best_share = article, share
    return best if best_share >= TITLE_MATCH else None


def named_articles(analysis: Analysis, snapshot: IndexSnapshot,
                   search: Callable[[str], str | None]) -> tuple[list[Article], list[str]]:
    """The articles a summary request names, and the topics no article covers: each topic by
    title, else by retrieval over content (`search` gives the article id whose text covers it, or
    None); no topic: the article the conversation points at, else the only one, or every one."""
    articles = list(snapshot.articles.values())
    previous = [snapshot.articles[a] for a in analysis.articles if a in snapshot.articles]
    if previous:
        return previous, []
    if analysis.scope is Scope.LIBRARY or not analysis.topics:
        found = articles if analysis.scope is Scope.LIBRARY or len(articles) != 1 else articles[:1]
        return found, []
    found: list[Article] = []
    missing: list[str] = []
    for topic in analysis.topics:
        article = title_match(topic, articles)
        if article is None:
            article_id = search(topic)
            article = snapshot.articles.get(article_id) if article_id else None
        if article is None:
            missing.append(topic)
        elif article not in found:
            found.append(article)
    return found, missing


def _citations(article: Article, indexes: Sequence[int], first_n: int) -> list[Citation]:
    return [Citation.of(article, i, first_n + k, 1.0) for k, i in enumerate(indexes)]


def summarize(analysis: Analysis, snapshot: IndexSnapshot, settings: Settings,
              search: Callable[[str], str | None]) -> Decision:
    """The summary answer: key sentences per named article (one line each for the library)."""
    script = analysis.script
    articles, missing = named_articles(analysis, snapshot, search)
    absent = "".join(NOT_FOUND[script].format(topic=topic) for topic in missing)
    if not articles:
        return Decision(absent or ABSTAIN_TEXT[script], None, True, (), float("-inf"))
    method, damping = settings.summary_method, settings.summary_damping
    citations: list[Citation] = []
    blocks: list[str] = []
    if len(articles) > 1 and analysis.scope is Scope.LIBRARY:
        shown = articles[: settings.summary_library_articles]
        # one line per article; with few articles, more sentences each so that >= 3 are cited
        each = max(1, min(settings.summary_sentences, math.ceil(3 / len(shown))))
        lines = [LIBRARY_HEAD[script].format(n=len(articles))]
        for article in shown:
            cited = _citations(article, key_sentences(article, snapshot, each, method, damping),
                               len(citations) + 1)
            citations += cited
            title = to_script(article.title, script)
            lines.append(f"- {title}：" + "".join(f"{c.text} [{c.n}]" for c in cited))
        if len(articles) > len(shown):
            lines.append(MORE[script].format(n=len(articles) - len(shown)))
        blocks.append("\n".join(lines))
    else:
        for article in articles:
            cited = _citations(article, key_sentences(article, snapshot, settings.summary_sentences,
                                                      method, damping), len(citations) + 1)
            citations += cited
            title = to_script(article.title, script)
            body = "\n".join(f"{c.text} [{c.n}]" for c in cited)
            blocks.append(f"{HEAD[script].format(title=title)}\n{body}")
    if not citations:
        return Decision(absent or ABSTAIN_TEXT[script], None, True, (), float("-inf"))
    return Decision("\n\n".join(blocks + ([absent] if absent else [])), None, False,
                    tuple(citations), 1.0)
