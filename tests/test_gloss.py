"""The CC-CEDICT bridge for English questions over Chinese text (real dictionary, no mocks)."""

from __future__ import annotations

import pytest

from qa.gloss import english_terms, shared_glossary, stem

RELEASE = ("會上，青島科技大學匯報了大學及國家大學科技園建設與發展報告，市北區發布了雁山科技生態城發展願景"
           "及產業引導基金，首批合作企業與引導基金進行了簽約。")
CAMPAIGN = "2023年8月，為深入貫徹黨的二十大精神，嚴格落實各級監管部門關於開展活動的決策部署。"


@pytest.mark.parametrize(("word", "stemmed"), [
    ("investments", "investment"), ("financing", "financ"), ("finance", "financ"),
    ("companies", "company"), ("released", "releas"), ("release", "releas"), ("class", "class"),
])
def test_stem_brings_word_forms_together(word: str, stemmed: str) -> None:
    assert stem(word) == stemmed


def test_english_terms_drop_question_and_function_words() -> None:
    assert english_terms("What did Shibei District release at the meeting?") == [
        "shibei", "district", "releas", "meet"]
    assert english_terms("你好") == []


def test_glosses_read_chinese_words_in_english() -> None:
    glossary = shared_glossary()
    assert "releas" in glossary.glosses("发布")
    assert "president" in glossary.glosses("行长")
    assert glossary.glosses("不是一个词语的东西") == frozenset()


def test_terms_hold_glosses_and_pinyin_of_names() -> None:
    terms = shared_glossary().terms(RELEASE)
    assert {"releas", "district", "shibei", "yanshan", "fund"} <= terms  # 發布, 市北區, 雁山, 基金
    assert "president" not in terms


def test_coverage_tells_the_sentence_that_speaks_of_the_question() -> None:
    glossary = shared_glossary()
    question = "What did Shibei District release at the meeting?"
    assert glossary.coverage(question, RELEASE) == 1.0
    assert glossary.coverage(question, CAMPAIGN) == 0.0
    assert glossary.coverage("Who is the president of the bank?", RELEASE) < 0.5
    assert glossary.coverage("", RELEASE) == 0.0
