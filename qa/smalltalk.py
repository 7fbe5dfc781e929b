"""Small talk and questions about the assistant itself: a short reply in the user's language, no
citations, and two or three example questions built from the titles of the current library."""

from __future__ import annotations

from index import Article
from index.store import IndexSnapshot

from .answer import Decision, to_script
from .kinds import Analysis

#: The reply to each small-talk intent (`qa.kinds`), per script. Simplified replies are written
#: here in full rather than converted, so that each reads naturally.
REPLIES: dict[str, dict[str, str]] = {
    "greeting": {
        "hant": "您好！我可以回答關於資料庫中新聞文章的問題，並附上出處句子。",
        "hans": "您好！我可以回答关于资料库中新闻文章的问题，并附上出处句子。",
        "en": "Hello! I answer questions about the news articles in this library, citing the sentences "
              "I rely on.",
    },
    "thanks": {
        "hant": "不客氣！還有其他問題，隨時問我。",
        "hans": "不客气！还有其他问题，随时问我。",
        "en": "You're welcome! Ask me anything else about the articles.",
    },
    "farewell": {
        "hant": "再見！歡迎隨時回來提問。",
        "hans": "再见！欢迎随时回来提问。",
        "en": "Goodbye! Come back with more questions any time.",
    },
    "meta": {
        "hant": "我能回答關於這些文章的問題：數字和事實、為什麼與如何、比較兩件事，也能總結文章。"
                "每個答案都引用原文句子。",
        "hans": "我能回答关于这些文章的问题：数字和事实、为什么与如何、比较两件事，也能总结文章。"
                "每个答案都引用原文句子。",
        "en": "I answer questions about these articles: facts and figures, why and how, comparisons, "
              "and summaries. Every answer cites the source sentences.",
    },
    "identity": {
        "hant": "我是 articleqa，一個離線的新聞文章問答助手，只根據資料庫裡的文章回答。",
        "hans": "我是 articleqa，一个离线的新闻文章问答助手，只根据资料库里的文章回答。",
        "en": "I am articleqa, an offline assistant that answers from the news articles in this "
              "library only.",
    },
}
#: The line before the example questions, and the reply when the library is empty.
TRY_THESE = {"hant": "可以試著問：", "hans": "可以试着问：", "en": "You could ask:"}
EMPTY = {
    "hant": "資料庫裡還沒有文章；用 articleqa ingest 加入文章後再問我。",
    "hans": "资料库里还没有文章；用 articleqa ingest 加入文章后再问我。",
    "en": "The library holds no articles yet; add some with articleqa ingest, then ask me.",
}
#: Example questions, by what they ask; `{title}` is an article's title in the reply's script.
EXAMPLES = {
    "one": {"hant": "請總結一下「{title}」這篇文章。", "hans": "请总结一下「{title}」这篇文章。",
            "en": "Summarize the article “{title}”."},
    "about": {"hant": "「{title}」講了什麼？", "hans": "「{title}」讲了什么？",
              "en": "What is the article “{title}” about?"},
    "all": {"hant": "總結一下所有文章。", "hans": "总结一下所有文章。", "en": "Summarize all the articles."},
}


def example_questions(articles: list[Article], script: str, limit: int = 3) -> list[str]:
    """Two or three questions the library can answer: built from its newest articles' titles."""
    newest = sorted(articles, key=lambda a: a.ingested_at, reverse=True)
    titled = [a for a in newest if a.title.strip()]
    questions = []
    for pattern, article in zip(("one", "about"), titled, strict=False):
        title = to_script(article.title.strip(), script)
        questions.append(EXAMPLES[pattern][script].format(title=title))
    if len(articles) > 1 or not questions:
        questions.append(EXAMPLES["all"][script])
    return questions[:limit]


def reply(analysis: Analysis, snapshot: IndexSnapshot) -> Decision:
    """The small-talk reply: one or two sentences, then example questions; never a citation."""
    script = analysis.script
    articles = list(snapshot.articles.values())
    if not articles:
        text = f"{REPLIES[analysis.intent][script]}\n\n{EMPTY[script]}"
        return Decision(text, None, False, (), 1.0)
    examples = example_questions(articles, script)
    lines = "\n".join(f"- {q}" for q in examples)
    text = f"{REPLIES[analysis.intent][script]}\n\n{TRY_THESE[script]}\n{lines}"
    return Decision(text, None, False, (), 1.0)
