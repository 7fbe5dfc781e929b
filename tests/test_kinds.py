"""The kind classifier (qa.kinds), figures with units (qa.quantities) and the summary's centrality
(qa.summarize): pure logic, no model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from qa.kinds import Kind, Scope, analyse
from qa.quantities import comparable, parse_quantity
from qa.summarize import lexrank_scores, position_prior

GOLD = Path(__file__).resolve().parents[1] / "eval" / "gold"


@pytest.mark.parametrize("question,kind", [
    ("閻家山TOD項目總投資多少？", Kind.FACTOID),
    ("市北区最终想把自己建成一个怎样的城区？", Kind.FACTOID),  # `怎样的` asks for a noun phrase
    ("项目的定位是什么？", Kind.FACTOID),  # `項目的` holds no `目的`
    ("它同比增長多少？", Kind.FACTOID),  # `同比` is no comparison
    ("How many companies took part in the exchange sessions?", Kind.FACTOID),
    ("What is the planned site area of the Qingke University TOD project?", Kind.FACTOID),
    ("市北区是在哪个主题系列新闻发布会上提出推进项目建设的？", Kind.FACTOID),
    # `為什麼` / `為何` as `為` + `什麼`: a name is asked for, not a reason
    ("該路段後來改名為什麼？", Kind.FACTOID),
    ("他被追封為什麼官職？", Kind.FACTOID),
    ("分行的目標為何？", Kind.FACTOID),
    ("這種魚又叫做什麼？", Kind.FACTOID),  # `叫做` holds no `做 什麼`
    # a reason noun beside a question asking for a thing
    ("展期延長的原因和哪一項政策有關？", Kind.FACTOID),
    ("青島分行在什麼時候開展走訪活動？", Kind.FACTOID),
    # a coordination inside what is asked about: one answer, not parts
    ("哪一家銀行在青島和濟南都設有分行？", Kind.FACTOID),
    ("A公司和B公司都由哪家銀行貸款？", Kind.FACTOID),
    ("華為、小米等公司在哪一年進入印度？", Kind.FACTOID),
    ("新城和老城之間的距離是多少？", Kind.FACTOID),
    ("青島分行的存款比例是多少？", Kind.FACTOID),  # `比例` is no `比`
    ("誰的投資比閻家山TOD多？", Kind.FACTOID),
    ("為什麼要建設雁山科技生態城？", Kind.DESCRIPTIVE),
    ("平安银行青岛分行如何服务实体经济？", Kind.DESCRIPTIVE),
    ("分行有哪些措施支持小微企业？", Kind.DESCRIPTIVE),
    ("園區的發展目的是什麼？", Kind.DESCRIPTIVE),
    ("他為什麼辭職？", Kind.DESCRIPTIVE),
    ("項目延期的原因有哪些？", Kind.DESCRIPTIVE),
    ("Why does the branch visit so many firms?", Kind.DESCRIPTIVE),
    ("What measures did the bank take?", Kind.DESCRIPTIVE),
    ("總結一下這兩篇文章", Kind.SUMMARY),
    ("分行用哪句話總結了這一年的工作？", Kind.FACTOID),  # the verb in a factoid
    ("這項規則是什麼時候總結出來的？", Kind.FACTOID),
    ("这篇文章讲了什么", Kind.SUMMARY),
    ("Summarize the article about the port.", Kind.SUMMARY),
    ("What is this article about?", Kind.SUMMARY),
    ("青科大TOD和閻家山TOD，哪個項目的總投資更高？", Kind.COMPARISON),
    ("A公司和B公司分別投資多少？", Kind.COMPARISON),
    ("Which is larger, the east pier or the west pier?", Kind.COMPARISON),
    ("閻家山TOD項目佔地多少畝？總投資多少？", Kind.COMPARISON),
    ("青科大TOD和閻家山TOD投資多少？", Kind.COMPARISON),
    ("哪個項目的總投資更高，青科大TOD還是閻家山TOD？", Kind.COMPARISON),
    ("你好", Kind.SMALLTALK),
    ("谢谢你的回答！", Kind.SMALLTALK),
    ("你能做什麼？", Kind.SMALLTALK),
    ("Who are you?", Kind.SMALLTALK),
    ("Hi there!", Kind.SMALLTALK),
    ("thanks a lot", Kind.SMALLTALK),
])
def test_the_kind_is_recognised_from_the_wording(question: str, kind: Kind) -> None:
    assert analyse(question).kind is kind


@pytest.mark.parametrize("question,script", [("你好", "hant"), ("谢谢", "hans"), ("Hello", "en")])
def test_small_talk_replies_in_the_questions_script(question: str, script: str) -> None:
    assert analyse(question).script == script


def test_a_greeting_before_a_real_question_is_dropped() -> None:
    analysis = analyse("你好，請問閻家山TOD項目總投資多少？")
    assert analysis.kind is Kind.FACTOID and analysis.query == "閻家山TOD項目總投資多少？"


def test_a_comparison_is_split_into_standalone_parts() -> None:
    a = analyse("青科大TOD和閻家山TOD，哪個項目的總投資更高？")
    assert a.labels == ("青科大TOD", "閻家山TOD") and a.relation == "max"
    assert a.parts == ("青科大TOD的總投資是多少？", "閻家山TOD的總投資是多少？")
    choice = analyse("哪個項目的總投資更高，青科大TOD還是閻家山TOD？")
    assert choice.parts == a.parts and choice.relation == "max"
    three = analyse("青島分行的資產總額、各項存款餘額和各項貸款餘額分別是多少？")
    assert three.labels == ("資產總額", "各項存款餘額", "各項貸款餘額") and three.relation == ""
    assert three.parts[1] == "青島分行的各項存款餘額是多少？"
    than = analyse("閻家山TOD的總投資比青科大TOD多多少？")
    assert than.relation == "diff" and than.labels == ("閻家山TOD", "青科大TOD")
    english = analyse("Which project has the higher total investment, Qingke TOD or Yanjiashan TOD?")
    assert english.parts == ("What is the total investment of Qingke TOD?",
                             "What is the total investment of Yanjiashan TOD?")
    assert analyse("Which is lower, A or B?").relation == "min"
    plain = analyse("What is the total investment of Qingke TOD and Yanjiashan TOD?")
    assert plain.kind is Kind.COMPARISON and plain.labels == ("Qingke TOD", "Yanjiashan TOD")
    one_name = analyse("What role does Qingdao University of Science and Technology play?")
    assert one_name.kind is Kind.FACTOID


def test_two_questions_in_one_message_count_an_elliptical_second_one() -> None:
    both = analyse("閻家山TOD佔地多少畝？總投資多少？")
    assert both.kind is Kind.COMPARISON and both.chained and len(both.parts) == 2
    then = analyse("青科大TOD佔地多少？那閻家山呢？")
    assert then.kind is Kind.COMPARISON and then.chained
    assert then.parts == ("青科大TOD佔地多少？", "那閻家山呢？")
    assert then.labels == ("青科大TOD佔地多少", "閻家山")
    assert analyse("那閻家山呢？").kind is Kind.FACTOID  # alone it is a follow-up, not two questions


def test_a_summary_names_its_scope_and_article() -> None:
    assert analyse("總結一下所有文章").scope is Scope.LIBRARY
    assert analyse("這兩篇文章分別講了什麼？").scope is Scope.LIBRARY
    one = analyse("請總結一下平安銀行青島分行那篇文章的重點。")
    assert one.scope is Scope.ARTICLE and one.topics == ("平安銀行青島分行",)
    assert analyse("Summarize the article about Ping An Bank.").topics == ("Ping An Bank",)
    several = analyse("总结一下港口和机场的报道")
    assert several.scope is Scope.SEVERAL and several.topics == ("港口", "机场")


@pytest.mark.parametrize(("question", "topics"), [
    ("總結一下關於地鐵的文章", ("地鐵",)),  # 地 is filler only before the verb, not inside a word
    ("總結一下地方債那篇報道", ("地方債",)),
    ("簡單地總結一下平安銀行那篇", ("平安銀行",)),
    ("请简单地概括一下这篇文章", ()),
])
def test_a_summary_topic_keeps_words_that_hold_a_filler_character(question: str,
                                                                  topics: tuple[str, ...]) -> None:
    assert analyse(question).topics == topics


def test_factoid_gold_questions_stay_factoids_unless_they_ask_why_or_how() -> None:
    """The factoid gold set: only why/how wordings are taken for another kind."""
    moved = []
    for name in ("builtin-dev.jsonl", "builtin-test.jsonl"):
        for line in (GOLD / name).read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            analysis = analyse(item["question"])
            if analysis.kind is not Kind.FACTOID:
                moved.append((item["question"], analysis.kind))
    assert all(kind is Kind.DESCRIPTIVE for _, kind in moved), moved
    assert all(any(w in q for w in ("為什麼", "为什么", "怎樣", "怎样", "如何")) for q, _ in moved), moved


@pytest.mark.parametrize("text,value,unit", [
    ("26億元", 26e8, "元"), ("3.5亿元", 3.5e8, "元"), ("約15.7畝", 15.7, "亩"), ("18.49%", 18.49, "%"),
    ("3800萬元", 3.8e7, "元"), ("580戶", 580, "户"), ("1,200 yuan", 1200, "元"),
])
def test_figures_are_parsed_with_their_units(text: str, value: float, unit: str) -> None:
    quantity = parse_quantity(text)
    assert quantity is not None and quantity.value == pytest.approx(value) and quantity.unit == unit


def test_a_difference_is_written_in_the_sources_units() -> None:
    a, b = parse_quantity("26億元"), parse_quantity("3.5億元")
    assert a and b and comparable(a, b)
    assert a.format_like(a.value - b.value) == "22.5億元"
    assert not comparable(a, parse_quantity("150畝"))
    assert parse_quantity("沒有數字") is None


def test_lexrank_ranks_the_sentence_most_like_the_others_first() -> None:
    """Three sentences near one topic and one far off: the one between the others ranks first."""
    vectors = np.array([[1.0, 0.0, 0.0], [0.8, 0.6, 0.0], [0.6, 0.8, 0.0], [0.0, 0.0, 1.0]])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ranks = lexrank_scores(vectors)
    assert ranks.sum() == pytest.approx(1.0)
    assert int(np.argmax(ranks)) == 1 and int(np.argmin(ranks)) == 3


def test_the_position_prior_favours_early_sentences_among_equals() -> None:
    vectors = np.eye(4) + 0.5
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ranks = lexrank_scores(vectors, prior=position_prior(4))
    assert list(np.argsort(-ranks)) == [0, 1, 2, 3]
    assert np.allclose(lexrank_scores(vectors), 0.25)
