"""parse_document: raw pages to clean articles, on the built-in corpus and on synthetic pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.clean import parse_document
from index.errors import InputError
from index.records import BlockKind, ParsedArticle

CORPUS = Path(__file__).resolve().parents[1] / "index" / "data" / "qingdao-evening-news-page.txt"
TITLE_1 = "雁山科技生態城發展願景發布"
TITLE_2 = "平安銀行青島分行：堅持金融為民，服務實體經濟"


def check_invariants(article: ParsedArticle) -> None:
    """Offsets point at the sentence text; sentences are stripped, ordered and never span lines."""
    assert [s.index for s in article.sentences] == list(range(len(article.sentences)))
    previous_end = 0
    for s in article.sentences:
        assert article.text[s.start : s.end] == s.text
        assert s.text and s.text == s.text.strip()
        assert "\n" not in s.text
        assert s.start >= previous_end
        previous_end = s.end
    covered = "".join(s.text for s in article.sentences)
    assert "".join(covered.split()) == "".join(article.text.split())


def kinds(article: ParsedArticle) -> dict[str, BlockKind]:
    return {s.text: s.kind for s in article.sentences}


def texts(article: ParsedArticle, kind: BlockKind) -> list[str]:
    return [s.text for s in article.sentences if s.kind is kind]


def parse(text: str, fmt: str = "txt", stem: str = "stem") -> list[ParsedArticle]:
    articles = parse_document(text, fmt, stem)
    for article in articles:
        check_invariants(article)
    return articles


# --- the built-in corpus -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus() -> list[ParsedArticle]:
    return parse(CORPUS.read_text(encoding="utf-8"), "txt", CORPUS.stem)


def test_corpus_has_exactly_two_titled_articles(corpus: list[ParsedArticle]) -> None:
    assert [a.title for a in corpus] == [TITLE_1, TITLE_2]
    for article in corpus:
        assert not article.text.startswith(article.title)
        assert "\n\n\n" not in article.text


def test_corpus_broken_sentences_are_whole(corpus: list[ParsedArticle]) -> None:
    first, second = corpus
    ends_with = [s for s in first.sentences if s.text.endswith("是市北區“2+6”特色產業體系的重要組成部分。")]
    assert len(ends_with) == 1
    assert ends_with[0].text == "新材料產業系創新驅動的現代化產業，是市北區“2+6”特色產業體系的重要組成部分。"
    starts_with = [s for s in first.sentences if s.text.startswith("會議提出，雁山科技生態城將以")]
    assert len(starts_with) == 1
    assert starts_with[0].text.endswith("打造以校區、園區、社區相融合產業新域。")
    visits = [s for s in second.sentences if "開展了“走萬企 提信心 優服務”專項走訪活動。" in s.text]
    assert len(visits) == 1
    joined = [s for s in second.sentences if "積極聯合青島市民營經濟發展局" in s.text]
    assert len(joined) == 1


def test_corpus_caption_is_its_own_sentence_after_the_paragraph(corpus: list[ParsedArticle]) -> None:
    first = corpus[0]
    assert texts(first, BlockKind.CAPTION) == ["雁山科技生態城項目效果圖。"]
    caption = next(s for s in first.sentences if s.kind is BlockKind.CAPTION)
    before = first.sentences[caption.index - 1]
    assert before.kind is BlockKind.BODY
    assert "效果圖" not in first.text.replace(caption.text, "")
    # The caption follows the paragraph it interrupted, as a paragraph of its own.
    assert "重要組成部分" in first.text[: caption.start]
    assert first.text[caption.start - 2 : caption.start] == "\n\n"


def test_corpus_heads_and_bylines(corpus: list[ParsedArticle]) -> None:
    first, second = corpus
    assert texts(first, BlockKind.HEADING) == [
        "市北區搭建政校企產學研交流合作平台 建設三區融合產業新域",
        "打造高端新材料產業聚集地",
        "“一心雙核”成產業發展新藍本",
    ]
    assert texts(second, BlockKind.HEADING) == [
        "發揮自身優勢服務實體經濟成效显著",
        "開展“走萬企 提信心 優服務”活動",
        "開展專精特新中小企業特色服務活動",
    ]
    assert texts(first, BlockKind.BYLINE) == [
        "觀海新聞/青島晚報/掌上青島 記者于波",
        "責編/王亞梅 美編/高菲 審讀/孫勇",
    ]
    assert texts(second, BlockKind.BYLINE) == []
    # The editors' line closes the first article: nothing of it leaks into the second.
    assert first.sentences[-1].kind is BlockKind.BYLINE
    assert second.sentences[0].text == "平安銀行青島分行是平安銀行在青島地區設立的一級分行。"


def test_corpus_numbers_and_semicolons(corpus: list[ParsedArticle]) -> None:
    sentences = [s.text for s in corpus[1].sentences]
    assert "截至2023年9月末，青島分行資產總額合計807.42億元，同比增長18.49%；" in sentences
    assert "各項存款餘額777.61億元，同比增長19.85%；" in sentences


# --- synthetic plain-text pages -------------------------------------------------------------------

ENGLISH_PAGE = """\
Port of Qingdao Sets Container Record
By Jane Doe

The port handled 3.2 million containers in October, up 8.5% from a year earlier. Officials
said the U.S. and European routes drove the gain.

Dr. Li Wei, the port's director, said the new berths would help con-
tainer ships turn around faster and that traffic would keep

growing in 2024.

Reporting by Jane Doe; Editing by Mark Lee

City Library Opens New Wing

The library's new wing adds 2,000 square metres of reading space. It opens at 9 a.m. on weekdays.

Outlook

Mr. Smith expects visitor numbers to double.

By John Smith
"""


def test_english_page_with_two_articles_and_bylines() -> None:
    first, second = parse(ENGLISH_PAGE)
    assert first.title == "Port of Qingdao Sets Container Record"
    assert second.title == "City Library Opens New Wing"
    assert texts(first, BlockKind.BYLINE) == ["By Jane Doe", "Reporting by Jane Doe; Editing by Mark Lee"]
    assert [s.text for s in first.sentences if s.kind is BlockKind.BODY] == [
        "The port handled 3.2 million containers in October, up 8.5% from a year earlier.",
        "Officials said the U.S. and European routes drove the gain.",
        "Dr. Li Wei, the port's director, said the new berths would help container ships turn around "
        "faster and that traffic would keep growing in 2024.",
    ]
    assert texts(second, BlockKind.HEADING) == ["Outlook"]
    assert texts(second, BlockKind.BYLINE) == ["By John Smith"]
    assert "It opens at 9 a.m. on weekdays." in kinds(second)


CAPTION_PAGE = """\
港口吞吐量再創新高

今年前十個月，青島港累計完成集裝箱吞吐量2500萬標準箱，同比增長8.5%，其中外貿航線的貢

青島港前灣港區一角。資料圖

獻率超過六成。港口負責人表示，新航線將在明年陸續開通。

航線佈局持續優化

目前，港口已開通航線超過200條，覆蓋全球700多個港口，其中東南亞航線的

繁忙的碼頭

增幅最為明顯。

記者 王明
"""


def test_caption_inside_a_broken_sentence_is_moved_out() -> None:
    (article,) = parse(CAPTION_PAGE)
    assert article.title == "港口吞吐量再創新高"
    k = kinds(article)
    assert k[
        "今年前十個月，青島港累計完成集裝箱吞吐量2500萬標準箱，同比增長8.5%，其中外貿航線的貢獻率超過六成。"
    ] is (BlockKind.BODY)
    assert (
        k["目前，港口已開通航線超過200條，覆蓋全球700多個港口，其中東南亞航線的增幅最為明顯。"]
        is BlockKind.BODY
    )
    assert texts(article, BlockKind.CAPTION) == ["青島港前灣港區一角。", "資料圖", "繁忙的碼頭"]
    assert texts(article, BlockKind.HEADING) == ["航線佈局持續優化"]
    assert texts(article, BlockKind.BYLINE) == ["記者 王明"]
    # Each caption comes right after the paragraph it interrupted.
    assert article.text.index("陸續開通。\n\n青島港前灣港區一角。") > 0
    assert article.text.index("最為明顯。\n\n繁忙的碼頭") > 0


def test_english_caption_inside_a_sentence() -> None:
    page = (
        "Harbour Expands\n\nThe new terminal, which opened on Monday, will handle\n\n"
        "Photo: The terminal at dawn\n\nlarger ships than any other port in the region.\n"
    )
    (article,) = parse(page)
    assert kinds(article) == {
        "The new terminal, which opened on Monday, will handle larger ships than any other port in "
        "the region.": BlockKind.BODY,
        "Photo: The terminal at dawn": BlockKind.CAPTION,
    }


def test_title_broken_over_two_lines_and_a_second_article() -> None:
    page = (
        "第一篇報道\n\n市政府今天發布了新的交通規劃。\n\n記者 李華\n\n"
        "青島港集團：\n\n打造世界一流海洋港口\n\n青島港集團今年的吞吐量再創新高。\n"
    )
    first, second = parse(page)
    assert first.title == "第一篇報道"
    assert second.title == "青島港集團：打造世界一流海洋港口"
    assert [s.text for s in second.sentences] == ["青島港集團今年的吞吐量再創新高。"]


def test_spaces_inside_a_line_are_collapsed_not_removed() -> None:
    (article,) = parse("標題\n\n開展“走萬企　提信心   優服務”活動。\tEnglish  words\there.\n")
    assert [s.text for s in article.sentences] == ["開展“走萬企 提信心 優服務”活動。", "English words here."]


def test_hard_wrapped_lines_join() -> None:
    page = (
        "標題\n　　今年前十個月，青島港累計完成吞吐量2500萬標準箱，同比\n增長8.5%。\n\n"
        "Rates\n\nThe bank said\nrates would stay.\n"
    )
    (article,) = parse(page)
    assert "今年前十個月，青島港累計完成吞吐量2500萬標準箱，同比增長8.5%。" in kinds(article)
    assert "The bank said rates would stay." in kinds(article)


def test_fallback_title_when_none_is_found() -> None:
    (article,) = parse("今天天氣很好。我們去公園吧！\n", stem="notes")
    assert article.title == "notes"
    assert [s.text for s in article.sentences] == ["今天天氣很好。", "我們去公園吧！"]
    (single,) = parse("hello world", stem="one")
    assert single.title == "one" and single.text == "hello world"


def test_list_items_do_not_run_on() -> None:
    (article,) = parse("措施\n\n主要措施如下：\n\n一、加強監管\n\n二、優化服務\n\n下一步將繼續推進。\n")
    assert [s.text for s in article.sentences] == [
        "主要措施如下：",
        "一、加強監管",
        "二、優化服務",
        "下一步將繼續推進。",
    ]


# --- Markdown and HTML ---------------------------------------------------------------------------

MARKDOWN = """\
# 港口吞吐量再創新高

## 前十個月數據

今年前十個月，青島港累計完成集裝箱吞吐量**2500萬**標準箱，
同比增長8.5%。詳見[港口官網](https://example.com)。

![港口全景](port.jpg)

| 月份 | 吞吐量 |
|---|---|
| 9月 | 250萬 |

```
print("code stays")
```

# Library Opens *New* Wing

The new wing adds 2,000 square metres of _reading_ space. It opens at
9 a.m. on weekdays.
"""


def test_markdown_with_two_top_level_headings() -> None:
    first, second = parse(MARKDOWN, "md")
    assert first.title == "港口吞吐量再創新高"
    assert second.title == "Library Opens New Wing"
    assert texts(first, BlockKind.HEADING) == ["前十個月數據"]
    body = [s.text for s in first.sentences if s.kind is BlockKind.BODY]
    assert body[:2] == [
        "今年前十個月，青島港累計完成集裝箱吞吐量2500萬標準箱，同比增長8.5%。",
        "詳見港口官網。",
    ]
    assert "9月 250萬" in body and 'print("code stays")' in body
    assert "港口全景" not in first.text and "](" not in first.text and "**" not in first.text
    assert [s.text for s in second.sentences] == [
        "The new wing adds 2,000 square metres of reading space.",
        "It opens at 9 a.m. on weekdays.",
    ]


def test_markdown_single_heading_is_the_title() -> None:
    (article,) = parse("Intro line.\n\n# Only Title\n\nBody text here.\n", "md")
    assert article.title == "Only Title"
    assert [s.text for s in article.sentences] == ["Intro line.", "Body text here."]


HTML = """\
<!DOCTYPE html>
<html><head><title>News &amp; Views</title>
<style>p { color: red; }</style>
<script>var x = "不應出現。";</script></head>
<body>
<header><h1>Site Name</h1><nav><a href="/">首頁</a></nav></header>
<article>
  <h1>港口吞吐量再創新高</h1>
  <p>今年前十個月，青島港累計完成集裝箱吞吐量2500萬標準箱，其中外貿航線的貢</p>
  <figure><img src="a.jpg" alt="圖"><figcaption>青島港前灣港區一角</figcaption></figure>
  <p>獻率超過六成。港口負責人表示&ldquo;新航線將在明年陸續開通&rdquo;。</p>
  <p>記者 王明</p>
</article>
<article>
  <header><h2>Library Opens New Wing</h2></header>
  <p>The new wing adds 2,000 m&sup2; of reading space.<br>It opens at 9 a.m. on weekdays.</p>
  <script>document.write("hidden text.")</script>
  <h3>Hours</h3>
  <ul><li>Free entry</li><li>Open late on Fridays</li></ul>
</article>
<footer>Copyright 2024 版權所有</footer>
</body></html>
"""


def test_html_articles_scripts_and_entities() -> None:
    first, second = parse(HTML, "html")
    assert first.title == "港口吞吐量再創新高"
    assert second.title == "Library Opens New Wing"
    assert kinds(first) == {
        "今年前十個月，青島港累計完成集裝箱吞吐量2500萬標準箱，其中外貿航線的貢獻率超過六成。": (
            BlockKind.BODY
        ),
        "港口負責人表示“新航線將在明年陸續開通”。": BlockKind.BODY,
        "青島港前灣港區一角": BlockKind.CAPTION,
        "記者 王明": BlockKind.BYLINE,
    }
    assert [s.text for s in second.sentences] == [
        "The new wing adds 2,000 m² of reading space.",
        "It opens at 9 a.m. on weekdays.",
        "Hours",
        "Free entry",
        "Open late on Fridays",
    ]
    assert texts(second, BlockKind.HEADING) == ["Hours"]
    for article in (first, second):
        for hidden in ("不應出現", "hidden text", "Site Name", "首頁", "Copyright", "color"):
            assert hidden not in article.text


def test_html_without_articles_uses_h1_or_page_title() -> None:
    (article,) = parse(
        "<html><head><title>Page &amp; Title</title></head><body><p>正文。</p></body></html>", "html"
    )
    assert article.title == "Page & Title"
    two = parse("<body><h1>A</h1><p>First body.</p><h1>B</h1><p>Second body.</p></body>", "html")
    assert [a.title for a in two] == ["A", "B"]


def test_unsupported_format_and_empty_markup() -> None:
    with pytest.raises(InputError):
        parse_document("text", "pdf", "x")
    assert parse_document("<script>only()</script>", "html", "x") == []


@pytest.mark.parametrize(
    "line",
    [
        "觀海新聞/青島晚報/掌上青島 記者于波",
        "責編/王亞梅 美編/高菲 審讀/孫勇",
        "記者 李華 通訊員 張明",
        "（記者 李華）",
        "本報訊",
        "文/張三",
        "By John Smith",
        "By Jane Doe and Li Wei, Reuters",
        "Reporting by Jane Doe; Editing by Mark Lee",
        "Editor: Mark Lee",
    ],
)
def test_byline_lines(line: str) -> None:
    body = "正文第一句。" if any("\u4e00" <= ch <= "\u9fff" for ch in line) else "A body sentence."
    (article,) = parse(f"Title\n\n{body}\n\n{line}\n")
    assert kinds(article)[line] is BlockKind.BYLINE


@pytest.mark.parametrize(
    "line",
    [
        "記者從市北區獲悉，港口將擴建。",
        "By the end of the year, the port will expand.",
        "Editors say it works.",
    ],
)
def test_body_lines_that_mention_byline_words(line: str) -> None:
    (article,) = parse(f"Title\n\nFirst sentence.\n\n{line}\n")
    assert kinds(article)[line] is BlockKind.BODY


def test_markdown_inline_code_and_escapes_are_literal() -> None:
    (article,) = parse("## Only A Section Head\n\nUse `a*b*c` here, not \\*this\\*.\n", "md")
    assert article.title == "Only A Section Head"
    assert article.text == "Use a*b*c here, not *this*."
