"""Metrics against hand-computed values: retrieval, answers, citations, abstention, latency."""

from __future__ import annotations

import math

import pytest

from eval.metrics import (
    AbstentionScores,
    LatencySummary,
    abstention_scores,
    char_f1,
    citation_precision,
    citation_recall,
    contains_answer,
    exact_match,
    hit_at_k,
    latency_summary,
    mean_metric,
    mrr_at_k,
    ndcg_at_k,
    normalize_answer,
    recall_at_k,
    texts_overlap,
)

# --- retrieval -------------------------------------------------------------------------------

RANKED = ["a", "b", "c", "a", "d"]
RELEVANT = {"c", "d"}


def test_hit_at_k() -> None:
    assert hit_at_k(RANKED, RELEVANT, 2) == 0.0
    assert hit_at_k(RANKED, RELEVANT, 3) == 1.0
    assert hit_at_k(RANKED, RELEVANT, 100) == 1.0


def test_recall_at_k() -> None:
    assert recall_at_k(RANKED, RELEVANT, 2) == 0.0
    assert recall_at_k(RANKED, RELEVANT, 3) == 0.5
    assert recall_at_k(RANKED, RELEVANT, 5) == 1.0


def test_mrr_at_k() -> None:
    assert mrr_at_k(RANKED, RELEVANT) == pytest.approx(1 / 3)
    assert mrr_at_k(RANKED, RELEVANT, k=2) == 0.0
    assert mrr_at_k(["x", "c"], ["c"], k=10) == 0.5


def test_ndcg_at_k() -> None:
    # DCG = 1/log2(4) + 1/log2(6); ideal = 1/log2(2) + 1/log2(3).
    expected = (0.5 + 1 / math.log2(6)) / (1 + 1 / math.log2(3))
    assert ndcg_at_k(RANKED, RELEVANT, k=5) == pytest.approx(expected)
    assert ndcg_at_k(RANKED, RELEVANT, k=5) == pytest.approx(0.543771, abs=1e-6)
    assert ndcg_at_k(["c", "d"], RELEVANT) == pytest.approx(1.0)
    # Only one relevant fits in the top 1, so the ideal is 1 as well.
    assert ndcg_at_k(["c"], RELEVANT, k=1) == pytest.approx(1.0)


def test_repeated_ids_count_once() -> None:
    # Passages mapped to one article: the article gains only at its first rank.
    assert ndcg_at_k(["x", "x", "y"], {"x"}) == pytest.approx(1.0)
    assert recall_at_k(["x", "x", "y"], {"x"}, 3) == 1.0


def test_retrieval_undefined_and_bad_k() -> None:
    assert hit_at_k(RANKED, set(), 3) is None
    assert recall_at_k(RANKED, [], 3) is None
    assert mrr_at_k(RANKED, []) is None
    assert ndcg_at_k(RANKED, []) is None
    assert hit_at_k([], {"a"}, 3) == 0.0
    with pytest.raises(ValueError):
        hit_at_k(RANKED, RELEVANT, 0)


def test_mean_metric_skips_none() -> None:
    assert mean_metric([1.0, None, 0.0, 0.5]) == pytest.approx(0.5)
    assert mean_metric([None, None]) is None
    assert mean_metric([]) is None


# --- answers ---------------------------------------------------------------------------------


def test_normalize_answer() -> None:
    assert normalize_answer("總投資26億元。") == "总投资26亿元"
    assert normalize_answer(" 总投资 26 亿元 ") == "总投资26亿元"
    assert normalize_answer("「ＡＢＣ，Ｄ」") == "abcd"  # full width folded by NFKC
    assert normalize_answer("《战国无双3》") == "战国无双3"
    assert normalize_answer("") == ""


def test_exact_match_traditional_vs_simplified() -> None:
    assert exact_match("總投資26億元", ["总投资26亿元"]) == 1.0
    assert exact_match("总投资26亿元。", ["總投資26億元"]) == 1.0
    assert exact_match("总投资26亿", ["总投资26亿元"]) == 0.0


def test_exact_match_multiple_golds_and_english() -> None:
    assert exact_match("歐洲", ["亚洲", "欧洲"]) == 1.0
    assert exact_match("the Denver Broncos", ["Denver Broncos"]) == 1.0
    assert exact_match("Denver Broncos!", ["Carolina Panthers", "Denver Broncos"]) == 1.0
    assert exact_match("Broncos", ["Denver Broncos"]) == 0.0


def test_char_f1_chinese_is_longest_common_substring() -> None:
    # LCS 6 of pred 6 / gold 7: P = 1, R = 6/7, F1 = 12/13.
    assert char_f1("總投資26億", ["总投资26亿元"]) == pytest.approx(12 / 13)
    # "投资额为26亿元" (8) vs "总投资26亿元" (7): LCS "26亿元" = 4, P = 1/2, R = 4/7, F1 = 8/15
    # (a bag of characters would give 0.8: the CMRC/DRCD scripts use the LCS).
    assert char_f1("投资额为26亿元", ["总投资26亿元"]) == pytest.approx(8 / 15)
    assert char_f1("總投資26億元", ["总投资26亿元"]) == pytest.approx(1.0)


def test_char_f1_best_over_golds() -> None:
    # vs "光荣" (2): LCS 2, P = 2/5, R = 1 -> 4/7; vs "光荣和ω-force" exact -> 1.0.
    assert char_f1("光荣和ωforce", ["光荣", "光荣和ω-force"]) == pytest.approx(1.0)
    assert char_f1("光荣公司", ["光荣", "任天堂"]) == pytest.approx(2 * 0.5 / 1.5)


def test_char_f1_english_is_word_level() -> None:
    # ["broncos", "won"] vs ["denver", "broncos"]: 1 common, P = R = 1/2.
    assert char_f1("The Broncos won", ["Denver Broncos"]) == pytest.approx(0.5)
    # Articles and punctuation dropped: exact.
    assert char_f1("the Denver Broncos.", ["Denver Broncos"]) == pytest.approx(1.0)
    # A number gold follows the prediction's language: words here (P = 1/2, R = 1) ...
    assert char_f1("308 points", ["308"]) == pytest.approx(2 / 3)
    # ... characters here (LCS 3, P = 3/4, R = 1 -> 6/7).
    assert char_f1("308分", ["308"]) == pytest.approx(6 / 7)


def test_empty_prediction_and_unanswerable() -> None:
    assert exact_match("", ["欧洲"]) == 0.0
    assert char_f1("  ", ["欧洲"]) == 0.0
    assert contains_answer("", ["欧洲"]) is False
    # No golds: only an empty prediction (an abstention) is right.
    assert exact_match("", []) == 1.0
    assert char_f1("", []) == 1.0
    assert contains_answer("", []) is True
    assert exact_match("欧洲", []) == 0.0
    assert char_f1("欧洲", []) == 0.0
    assert contains_answer("欧洲", []) is False


def test_contains_answer() -> None:
    assert contains_answer("據報導，總投資26億元，明年完工。", ["总投资26亿元"])
    assert not contains_answer("據報導，總投資26億", ["总投资26亿元"])
    assert contains_answer("The art museum opened in 1990.", ["Art"])
    assert not contains_answer("He started early.", ["art"])  # whole words for English
    assert contains_answer("It was the Denver Broncos.", ["Carolina", "Denver Broncos"])


def test_a_latin_gold_is_a_word_of_the_chinese_text_around_it() -> None:
    # Chinese writes Latin words with no space around them; each Han character is a word.
    assert contains_answer("乙二醛是一個有機化合物，化學式為OCHCHO，由兩個醛基相連。", ["OCHCHO"])
    assert contains_answer("2009年開始以YouTube為主要平台。", ["YouTube"])
    assert contains_answer("Mozilla Firefox在2004年推出了即時書籤", ["Mozilla Firefox"])
    assert not contains_answer("化學式為OCHCHO2。", ["OCHCHO"])  # still whole words
    # A span with Chinese around the gold: 1 of its 6 words, all of the gold's (P = 1/6, R = 1).
    assert char_f1("YouTube為主要平台", ["YouTube"]) == pytest.approx(2 / 7)
    assert exact_match("YouTube", ["YouTube"]) == 1.0


# --- citations -------------------------------------------------------------------------------

EVIDENCE = ["黑豹隊的防守只丟了308分，在聯賽中排名第六。"]


def test_texts_overlap() -> None:
    assert texts_overlap("黑豹队的防守只丢了 308分", EVIDENCE[0])  # contained, across scripts
    assert texts_overlap("abc", "xxabcxx")  # short: containment
    assert texts_overlap("xyzabcdefghijklq", "abcdefghijklmnop")  # shares 12 chars
    assert not texts_overlap("xyzabcdefghijkq", "abcdefghijklmnop")  # only 11
    assert not texts_overlap("。", "。")  # empty keys never overlap


def test_citation_precision() -> None:
    cited = ["黑豹队的防守只丢了308分", "同时也以24次拦截领先国家橄榄球联盟"]
    assert citation_precision(cited, EVIDENCE) == 0.5
    assert citation_precision(cited[:1], EVIDENCE) == 1.0
    assert citation_precision([], EVIDENCE) == 0.0
    assert citation_precision(cited, []) is None


def test_citation_recall() -> None:
    evidence = ["abcdefghijklmnop", "甲乙丙丁"]
    assert citation_recall(["xyzabcdefghijklq"], evidence) == 0.5
    assert citation_recall(["xyzabcdefghijklq", "甲乙丙丁戊己"], evidence) == 1.0
    assert citation_recall([], evidence) == 0.0
    assert citation_recall(["anything"], []) is None


# --- abstention ------------------------------------------------------------------------------


def test_abstention_scores() -> None:
    scores = abstention_scores(
        abstained=[True, True, False, False, True],
        answerable=[False, True, False, True, True],
    )
    # 3 abstentions, 1 on an unanswerable item; 2 unanswerable items; 3 answerable, 2 abstained.
    assert scores == AbstentionScores(
        precision=pytest.approx(1 / 3),
        recall=pytest.approx(1 / 2),
        false_abstention_rate=pytest.approx(2 / 3),
    )


def test_abstention_undefined_and_mismatch() -> None:
    scores = abstention_scores([False, False], [True, True])
    assert scores == AbstentionScores(precision=None, recall=None, false_abstention_rate=0.0)
    assert abstention_scores([], []) == AbstentionScores(None, None, None)
    with pytest.raises(ValueError):
        abstention_scores([True], [True, False])


# --- speed -----------------------------------------------------------------------------------


def test_latency_summary() -> None:
    summary = latency_summary([40.0, 10.0, 100.0, 20.0, 30.0])
    # Sorted 10 20 30 40 100; p95 at position 0.95 * 4 = 3.8 -> 40 + 0.8 * 60 = 88.
    assert summary == LatencySummary(p50=30.0, p95=pytest.approx(88.0), max=100.0, mean=40.0,
                                     count=5)
    assert latency_summary([]) == LatencySummary(None, None, None, None, 0)
    assert latency_summary([7.0]) == LatencySummary(7.0, 7.0, 7.0, 7.0, 1)
