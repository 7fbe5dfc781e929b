"""Descriptive answers (why, how, what measures): the 1-3 cited sentences that answer, in reading
order, with no short span pulled out of them.

The anchor is the sentence holding the reader's best span (the reader points at the part of a
passage that answers, even when the span itself is a fragment), else the best-ranked sentence of
the retrieved passages (`qa.sentences`) when it holds enough of the question's words (else the
answer abstains). The best-ranked sentences of the same article join it while they score close
to the best one, up to `Settings.describe_sentences`; of those that come before the anchor, only
the ones that outrank it stay, so the answer opens with the sentence that answers rather than the
background ahead of it (reader-dev's 41 descriptive answers: the first cited sentence holds the
answer 16 → 24 times, and every answer found before is still found).
"""

from __future__ import annotations

from index import Article, BlockKind, Settings
from index.store import IndexSnapshot

from .answer import ABSTAIN_TEXT, Decision, Reading, cited_sentences
from .kinds import Analysis
from .records import Citation
from .sentences import MIN_COVERAGE, RankedSentence

#: A ranked sentence joins the anchor when its score is within this of the best one's (dev-chosen).
RANK_GAP = 0.15


def choose_sentences(article: Article, anchor: list[int], ranked: list[RankedSentence],
                     limit: int) -> list[int]:
    """The anchor sentences, then the best-ranked body sentences of the same article that score
    close to the best (two signals, the reader's and the ranking's, each adding what it found),
    at most `limit`, in reading order; of those ahead of the anchor, only the ones that outrank it
    stay (the rest is background the answer need not open with)."""
    chosen = list(dict.fromkeys(anchor))[:limit]
    best = ranked[0].score if ranked else 0.0
    for r in ranked:
        if len(chosen) >= limit or r.score < best - RANK_GAP:
            break
        index = r.sentence.index
        if r.article.id == article.id and index not in chosen and r.sentence.kind is BlockKind.BODY:
            chosen.append(index)
    score = {r.sentence.index: r.score for r in ranked if r.article.id == article.id}
    anchor_score = max((score.get(i, float("-inf")) for i in anchor), default=float("-inf"))
    first = min(anchor, default=0)
    return sorted(i for i in chosen if i >= first or score[i] > anchor_score)


def describe(analysis: Analysis, readings: list[Reading], ranked: list[RankedSentence],
             snapshot: IndexSnapshot, settings: Settings) -> Decision:
    """The descriptive answer: the sentences that answer, each cited, or an abstention."""
    script = analysis.script
    best = readings[0] if readings else None
    if best is not None and best.margin >= settings.reader_threshold:
        article = best.article
        anchor = cited_sentences(article, best.start, best.end)
        confidence = best.margin
    elif ranked and ranked[0].coverage >= MIN_COVERAGE:
        article = ranked[0].article
        anchor = [ranked[0].sentence.index]
        confidence = ranked[0].score
    else:
        return Decision(ABSTAIN_TEXT[script], None, True, (),
                        best.margin if best is not None else float("-inf"), best)
    indexes = choose_sentences(article, anchor, ranked, settings.describe_sentences)
    citations = tuple(Citation.of(article, i, n, confidence) for n, i in enumerate(indexes, start=1))
    body = "".join(f"{c.text} [{c.n}]" for c in citations)
    return Decision(body, None, False, citations, confidence, best)
