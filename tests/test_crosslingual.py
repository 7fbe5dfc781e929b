"""qa.crosslingual: USE-multilingual cosines for questions in another script than the text."""

from __future__ import annotations

import numpy as np

from qa.crosslingual import CrossLingualScorer


def test_cosines_rank_the_matching_chinese_sentence_first_and_are_cached() -> None:
    scorer = CrossLingualScorer(cache_size=8)
    sentences = ["今天天氣晴朗，適合出遊。", "閻家山TOD項目總投資26億元。"]
    first = scorer.cosines("What is the total investment of the Yanjiashan TOD project?", sentences)
    assert first.shape == (2,) and first[1] > first[0]
    cached = len(scorer)
    assert cached == 3  # the question's vector is kept as well as the sentences'
    again = scorer.cosines("What is the total investment of the Yanjiashan TOD project?", sentences)
    assert np.array_equal(first, again) and len(scorer) == cached
    assert scorer.cosines("anything", []).shape == (0,)


def test_the_cache_stays_within_its_size() -> None:
    scorer = CrossLingualScorer(cache_size=2)
    values = scorer.cosines("Where is the museum?", ["博物館在青島。", "展覽十月開幕。", "門票免費。"])
    assert values.shape == (3,) and len(scorer) == 2
