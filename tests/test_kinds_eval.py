"""Per-kind scores (eval.kinds) on hand-made answers: each can fail for the reason it names."""

from __future__ import annotations

from eval.gold import GoldItem
from eval.kinds import kind_metrics, kind_scores

ARTICLES = {"a1": "甲項目總投資3億元。甲項目佔地10畝。", "a2": "乙項目總投資5億元。"}


def item(kind: str, **fields) -> GoldItem:
    base = {"id": "x", "question": fields.pop("question", "問題？"), "answers": (), "evidence": (),
            "answerable": kind != "smalltalk"}
    return GoldItem(**{**base, **fields}, kind=kind)


def answer(kind: str, text: str = "", short: str | None = None, cited=()) -> dict:
    return {"kind": kind, "answer": text, "short_answer": short,
            "citations": [{"text": t, "article_id": a} for a, t in cited]}


def test_descriptive_needs_the_evidence_cited_and_no_short_span() -> None:
    gold = item("descriptive", evidence=("佔地10畝",))
    good = kind_scores(gold, answer("descriptive", cited=[("a1", "甲項目佔地10畝。")]), ARTICLES)
    assert good["evidence_cited"] and good["no_short_span"] and good["recognised"]
    span = kind_scores(gold, answer("factoid", short="10畝", cited=[("a1", "甲項目總投資3億元。")]),
                       ARTICLES)
    assert not span["evidence_cited"] and not span["no_short_span"] and not span["recognised"]


def test_summary_counts_citations_from_the_named_article_and_key_sentences() -> None:
    gold = item("summary", evidence=("甲項目總投資3億元。", "甲項目佔地10畝。"))
    cited = [("a1", "甲項目總投資3億元。"), ("a1", "甲項目佔地10畝。"), ("a2", "乙項目總投資5億元。")]
    scores = kind_scores(gold, answer("summary", cited=cited), ARTICLES)
    assert not scores["all_from_named"] and scores["at_least_3"]
    assert abs(scores["key_precision"] - 2 / 3) < 1e-9 and scores["key_recall"] == 1.0
    assert scores["article_coverage"] == 1.0


def test_comparison_needs_every_figure_and_the_right_winner() -> None:
    gold = item("comparison", answers=("3億元", "5億元"), conclusion=("乙項目",))
    cited = [("a1", "甲項目總投資3億元。"), ("a2", "乙項目總投資5億元。")]
    right = kind_scores(gold, answer("comparison", short="乙項目", cited=cited), ARTICLES)
    assert right["parts_cited"] and right["comparison_right"]
    wrong = kind_scores(gold, answer("comparison", short="甲項目", cited=cited), ARTICLES)
    assert wrong["parts_cited"] and not wrong["comparison_right"]
    half = kind_scores(gold, answer("comparison", short="乙項目", cited=cited[:1]), ARTICLES)
    assert not half["parts_cited"] and not half["comparison_right"]


def test_small_talk_needs_no_citation_and_the_questions_language() -> None:
    gold = item("smalltalk", question="謝謝")
    good = kind_scores(gold, answer("smalltalk", "不客氣！還有問題隨時問我。\n\n- 例子"), ARTICLES)
    assert good["no_citation"] and good["reply_language"]
    english = kind_scores(gold, answer("smalltalk", "You're welcome!"), ARTICLES)
    assert not english["reply_language"]
    simplified = kind_scores(gold, answer("smalltalk", "不客气！还有问题随时问我。"), ARTICLES)
    assert not simplified["reply_language"]
    cited = kind_scores(gold, answer("smalltalk", "不客氣！", cited=[("a1", "甲項目佔地10畝。")]),
                        ARTICLES)
    assert not cited["no_citation"]


def test_kind_metrics_average_per_gold_kind() -> None:
    records = [{"kind": "smalltalk", "kind_scores": {"recognised": True, "no_citation": True,
                                                    "reply_language": False, "cited_count": 0.0}},
               {"kind": "smalltalk", "kind_scores": {"recognised": False, "no_citation": True,
                                                    "reply_language": True, "cited_count": 0.0}}]
    metrics = kind_metrics(records)
    assert metrics == {"smalltalk": {"n": 2, "recognised": 0.5, "no_citation": 1.0,
                                     "reply_language": 0.5}}
