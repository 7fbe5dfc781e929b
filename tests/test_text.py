"""Text helpers: sentence splitting, normalization keys, tokenization and script detection."""

from __future__ import annotations

import pytest

from index.text import (
    detect_script,
    han_ratio,
    meaningful_chars,
    search_key,
    split_sentences,
    to_simplified,
    to_traditional,
    tokenize,
)


def sentences(text: str) -> list[str]:
    return [text[start:end] for start, end in split_sentences(text)]


# --- split_sentences -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("今天天氣很好。我們去公園吧！你呢？", ["今天天氣很好。", "我們去公園吧！", "你呢？"]),
        ("一是加強監管；二是優化服務。", ["一是加強監管；", "二是優化服務。"]),
        ("市北區，雁山科技生態城，青島。", ["市北區，雁山科技生態城，青島。"]),
        ("他說：“我們走吧。”然後離開了。", ["他說：“我們走吧。”", "然後離開了。"]),
        ("「真的嗎？」她問。", ["「真的嗎？」", "她問。"]),
        ("（完。）下一篇。", ["（完。）", "下一篇。"]),
        ("等等……他來了。", ["等等……", "他來了。"]),
        ("真的嗎？！太好了", ["真的嗎？！", "太好了"]),
        ("資產總額807.42億元，同比增長18.49%；", ["資產總額807.42億元，同比增長18.49%；"]),
        ("Prices rose. Then they fell!", ["Prices rose.", "Then they fell!"]),
        ("Is it true? Yes.", ["Is it true?", "Yes."]),
        ("Wait... what? Yes!", ["Wait... what?", "Yes!"]),
        ('He said "yes." Then he left.', ['He said "yes."', "Then he left."]),
        ("It fell (sharply.) After that", ["It fell (sharply.)", "After that"]),
        ("The index rose 18.49% to 807.42 points.", ["The index rose 18.49% to 807.42 points."]),
        ("The U.S. economy grew. Exports rose.", ["The U.S. economy grew.", "Exports rose."]),
        ("Use tools, e.g. Python. Done.", ["Use tools, e.g. Python.", "Done."]),
        ("Mr. Smith met Dr. Lee today.", ["Mr. Smith met Dr. Lee today."]),
        ("See No. 5 for details.", ["See No. 5 for details."]),
        ("It opens at 9 a.m. Monday.", ["It opens at 9 a.m. Monday."]),
        ("J. Smith wrote it. It sold well.", ["J. Smith wrote it.", "It sold well."]),
        ("growth was strong. it went on", ["growth was strong. it went on"]),
        ("A record in 2023. 2024 looks weaker.", ["A record in 2023. 2024 looks weaker."]),
        ("1. First item here. Second.", ["1. First item here.", "Second."]),
        ("He moved to Qingdao. 他搬到了青島。", ["He moved to Qingdao.", "他搬到了青島。"]),
        ("visit example.com now", ["visit example.com now"]),
        ("no end punctuation", ["no end punctuation"]),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_split_never_crosses_a_line_break() -> None:
    text = "第一行沒有句號\n第二行。\n\nThird line continues\nhere."
    assert sentences(text) == ["第一行沒有句號", "第二行。", "Third line continues", "here."]


def test_split_strips_whitespace_and_skips_blank() -> None:
    text = "  前面有空格。  後面也有。   \n   \n\t"
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == ["前面有空格。", "後面也有。"]
    assert split_sentences("") == []
    assert split_sentences("  \n ") == []


@pytest.mark.parametrize(
    "text",
    [
        "在“感受身邊變化 共享城市美好”主題系列新聞發布會上，市北區提出……時隔兩天。會上！",
        'Mr. Smith said: "It\'s fine." The U.S. rose 3.5%... (Really?) Yes!\n\n第二段；第三句',
        "。。。！！",
        "a. b. c.",
    ],
)
def test_spans_cover_all_non_space_text_in_order(text: str) -> None:
    spans = split_sentences(text)
    covered = "".join(text[s:e] for s, e in spans)
    assert "".join(covered.split()) == "".join(text.split())
    for (_, e1), (s2, _) in zip(spans, spans[1:], strict=False):
        assert e1 <= s2
    for s, e in spans:
        assert s < e and "\n" not in text[s:e]
        assert text[s:e] == text[s:e].strip()


# --- normalization, tokens, script ---------------------------------------------------------------


def test_search_key_folds_width_script_and_case() -> None:
    assert search_key("青島ＡＢＣ") == "青岛abc"
    assert search_key("銀行") == search_key("银行")
    assert search_key("Ｑ３") == "q3"


def test_conversion_round_trip() -> None:
    assert to_simplified("雁山科技生態城") == "雁山科技生态城"
    assert to_traditional("生态城") == "生態城"
    assert to_simplified("") == ""


def test_tokenize_drops_spaces_and_punctuation() -> None:
    tokens = tokenize("平安銀行青島分行，服務 實體經濟！")
    assert "，" not in tokens and " " not in tokens and "！" not in tokens
    assert "银行" in tokens or "平安银行" in tokens
    assert all(tok == tok.lower() for tok in tokenize("The Port OF Qingdao"))
    assert "qingdao" in tokenize("The Port OF Qingdao")


def test_detect_script() -> None:
    assert detect_script("平安銀行青島分行堅持金融為民") == "hant"
    assert detect_script("平安银行青岛分行坚持金融为民") == "hans"
    assert detect_script("What did the bank do in 2023?") == "en"
    assert detect_script("") == "en"


@pytest.mark.parametrize(("text", "traditional"), [
    ("國立台灣大學的群眾", "國立台灣大學的群眾"),  # Traditional stays as written: not 臺灣, 羣眾
    ("与会者为何离开台湾", "與會者為何離開台灣"),  # Simplified becomes what Taiwan writes: 為, not 爲
    ("戰略性、基础性產業", "戰略性、基礎性產業"),  # Simplified mixed into Traditional text
])
def test_to_traditional_keeps_what_taiwan_and_hong_kong_write(text: str, traditional: str) -> None:
    assert to_traditional(text) == traditional


@pytest.mark.parametrize(("text", "script"), [
    ("台北有多少人？", "hant"),  # OpenCC writes 臺 and 羣, but Taiwan and Hong Kong write 台 and 群
    ("群眾聚集在台北車站", "hant"),
    ("台湾在哪里？", "hans"),
    ("与会者为何离开", "hans"),
])
def test_characters_regional_traditional_keeps_do_not_read_as_simplified(text: str,
                                                                          script: str) -> None:
    assert detect_script(text) == script


def test_meaningful_chars_and_han_ratio() -> None:
    assert meaningful_chars("，。 ！ -- ") == 0
    assert meaningful_chars("A1 青") == 3
    assert han_ratio("青島") == 1.0
    assert han_ratio("Qingdao") == 0.0
