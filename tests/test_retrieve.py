"""Candidate retrieval (qa.retrieve over index.search): the store's best passages by dense inner
product and by BM25 are scored exactly, and a small candidate depth keeps what every passage
scored would have ranked first."""

from __future__ import annotations

import numpy as np
import pytest

from eval.gold import load_gold
from index import Library
from index.store import VectorCache
from qa.retrieve import Retriever
from tests.conftest import STORES
from tests.test_gold_builtin import DEV


@pytest.fixture(scope="module")
def questions() -> list[str]:
    return [item.question for item in load_gold(DEV)]


@pytest.fixture(scope="module", params=STORES)
def library(request: pytest.FixtureRequest, builtin_library, tmp_path_factory):
    """The built-in corpus in each store (its vectors reused from the session's default index)."""
    if request.param == builtin_library.store.search_store:
        yield builtin_library
        return
    snapshot = builtin_library.snapshot
    cache = VectorCache()
    cache.add_passages(snapshot.embed_keys, snapshot.passage_tokens, snapshot.vectors)
    cache.add_sentences(snapshot.sentence_keys, snapshot.sentence_vectors)
    settings = builtin_library.settings.with_(index_dir=tmp_path_factory.mktemp("store") / "index",
                                              store=request.param)
    library = Library(settings, embedder=builtin_library.embedder, seed_builtin=False)
    report = library.apply(add=list(snapshot.articles.values()), prepared=cache)
    assert report.embedded == 0
    yield library
    library.close()


def test_both_stores_rank_alike(builtin_library, library, questions) -> None:
    """The same library in another store ranks the same passages first."""
    local, other = Retriever(builtin_library), Retriever(library)
    few_local = Retriever(builtin_library, builtin_library.settings.with_(retrieval_candidates=8))
    few_other = Retriever(library, library.settings.with_(retrieval_candidates=8))
    for question in questions[:20]:
        vector = builtin_library.embedder.embed_queries([question])[0]
        for a, b in ((local, other), (few_local, few_other)):
            top_a = a.rank(a.score(question, vector), 3, builtin_library.snapshot)
            top_b = b.rank(b.score(question, vector), 3, library.snapshot)
            assert [h.passage.id for h in top_a] == [h.passage.id for h in top_b]
            assert [h.score for h in top_a] == pytest.approx([h.score for h in top_b], abs=1e-5)


def test_a_small_library_scores_every_passage(library) -> None:
    retriever = Retriever(library)
    scores = retriever.score("閻家山TOD項目總投資多少？")
    assert list(scores.positions) == list(range(len(library.snapshot.passages)))


def test_few_candidates_keep_the_exact_top_passages(library, questions) -> None:
    """With 10 candidates from each side (of 43 passages) the best passage is the exact one for
    nearly every built-in dev question, and its fused score is identical."""
    exact = Retriever(library)
    few = Retriever(library, library.settings.with_(retrieval_candidates=10))
    same = 0
    for question in questions:
        vector = library.embedder.embed_queries([question])[0]
        top_exact = exact.rank(exact.score(question, vector), 1, library.snapshot)[0]
        scores = few.score(question, vector)
        assert len(scores.positions) < len(library.snapshot.passages)
        assert np.all(np.diff(scores.positions) > 0)
        top_few = few.rank(scores, 1, library.snapshot)[0]
        if top_few.passage.id == top_exact.passage.id:
            same += 1
            assert top_few.score == pytest.approx(top_exact.score, abs=1e-6)  # float32 rounding
    assert same / len(questions) >= 0.95


def test_an_article_filter_reaches_passages_outside_the_candidates(library) -> None:
    """Restricted to one article, a search ranks that article's passages even when none of them
    is among the store's best for the question."""
    snapshot = library.snapshot
    few = Retriever(library, library.settings.with_(retrieval_candidates=2))
    question = "閻家山TOD項目總投資多少？"
    unrestricted = {h.passage.article_id for h in few.search(question, 2)}
    other = next(a for a in snapshot.articles if a not in unrestricted)
    hits = few.search(question, 3, article_ids={other})
    assert hits and all(h.passage.article_id == other for h in hits)


def test_sentence_cosines_cover_the_candidates_sentences(library) -> None:
    snapshot = library.snapshot
    retriever = Retriever(library, library.settings.with_(retrieval_candidates=5))
    question = "閻家山TOD項目總投資多少？"
    vector = library.embedder.embed_queries([question])[0]
    scores = retriever.score(question, vector)
    for position in scores.positions:
        passage = snapshot.passages[int(position)]
        for index in range(passage.first_sentence, passage.last_sentence + 1):
            row = snapshot.sentence_row(passage.article_id, index)
            if row is not None:
                expected = float(snapshot.sentence_vectors[row] @ vector)
                assert scores.sentence(row) == pytest.approx(expected, abs=1e-6)
