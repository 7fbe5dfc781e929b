"""What kind of request a question is, recognised from its wording, analysed once into a record.

No classifier model exists offline, so recognition is a few tables of patterns over the question's
search key (`index.text.aligned_key`: Simplified, lower case, one character per original character,
so a match's span points into the question as typed). Traditional, Simplified and English are all
matched through that one key. The order of the checks is the order of the table `_CHECKS`: small
talk, summary, comparison / multi-part, descriptive; anything else is a factoid.

The answer shapes live in one module each (`qa.smalltalk`, `qa.summarize`, `qa.compare`,
`qa.describe`); factoids go to the trained reader (`qa.answer`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum

from index.text import aligned_key, detect_script, tokenize

from .followup import elliptical_topic


class Kind(StrEnum):
    """The kinds of request, each with its own answer shape."""

    FACTOID = "factoid"
    DESCRIPTIVE = "descriptive"
    SUMMARY = "summary"
    COMPARISON = "comparison"
    SMALLTALK = "smalltalk"


class Scope(StrEnum):
    """What a summary covers."""

    ARTICLE = "article"  # the one article the question names (or the only one there is)
    SEVERAL = "several"  # the articles the question names
    LIBRARY = "library"  # every article, one line each


@dataclass(frozen=True)
class Analysis:
    """A question analysed once: its kind and the parts each answer shape needs.

    `query` is the standalone question (a follow-up already resolved) with any leading greeting
    dropped; `script` is the reply's language (`hant`, `hans`, `en`) from the question as typed.
    """

    question: str
    query: str
    script: str
    kind: Kind
    #: small talk: which table row matched (greeting, thanks, farewell, meta, identity)
    intent: str = ""
    #: summary: what it covers, and the words naming the article(s) ('' when none are named)
    scope: Scope | None = None
    topics: tuple[str, ...] = ()
    #: summary of `this article` in a conversation: the article the last cited reply rests on
    articles: tuple[str, ...] = ()
    #: comparison / multi-part: one standalone question per part, the label of each part (as the
    #: user wrote it), and the direction asked for (`max`, `min`, `diff`, or '' for a plain list)
    parts: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    relation: str = ""
    #: two questions in one (`…佔地多少畝？總投資多少？`): a later part leans on the earlier ones
    chained: bool = False


# --- small talk -----------------------------------------------------------------------------------

#: (intent, pattern) over a punctuation-free, lower-case, Simplified segment; the whole segment
#: must match. Order matters only for the reply chosen when several segments match.
_SMALLTALK: tuple[tuple[str, str], ...] = (
    ("greeting", r"(你好|您好|大家好|嗨|哈喽|哈啰|哈罗|早上好|上午好|下午好|晚上好|早安|早|在吗|在不在"
                 r"|hi|hello|hey|hiya|howdy|good (morning|afternoon|evening)|greetings)"
                 r"(呀|啊|哇|哦| there| all| everyone)?"),
    ("thanks", r"(好的|好|ok|okay)?(谢谢|谢啦|多谢|感谢|感恩|thanks?|thank you|thx|ty|cheers)"
               r"(你|您|你们|啦|了|哦|呀)?(的(回答|帮助|帮忙|解答))?"
               r"( (a lot|so much|very much|for (the|your) (help|answer|answers)))?"),
    ("farewell", r"(再见|拜拜|回头见|下次见|bye|goodbye|bye bye|see you( later)?)(啦|了|哦)?"),
    ("meta", r"(你|您)?(能|会|可以)(做|干|帮我做|帮我|帮我干)?(什么|啥|些什么|哪些事|什么事)(呀|啊|呢)?"
             r"|(你|您)?有(什么|哪些)(功能|用处|本领)(呀|啊|呢)?|(怎么|如何)(用|使用)(你|这个|这个系统)?"
             r"|(使用)?(帮助|说明)|help|what (can|do) you do|how (do|can) i use (you|this)"
             r"|what (can|should) i ask( you)?|what are you able to do"),
    ("identity", r"(你|您)(是|叫)(谁|什么|哪位|什么名字|啥)(呀|啊|呢)?|你叫什么名字|(who|what) are you"
                 r"|what is your name|what's your name"),
)
_SMALLTALK_RE = tuple((intent, re.compile(pattern)) for intent, pattern in _SMALLTALK)
#: Courtesy words that may lead a real question (`請問`, `麻煩你`) and are dropped with greetings.
_COURTESY = re.compile(r"^(请问|麻烦你|麻烦|劳驾|please|excuse me)[\s,，:：]*")
_SEGMENTS = re.compile(r"[，,。.！!？?；;～~、…\s]+")


def _smalltalk_intent(segment: str) -> str | None:
    text = segment.strip()
    if not text:
        return None
    for intent, pattern in _SMALLTALK_RE:
        if pattern.fullmatch(text):
            return intent
    return None


def _strip_smalltalk(key: str) -> tuple[int, list[str]]:
    """Where the question proper starts after leading small-talk segments, and their intents."""
    intents: list[str] = []
    pos = 0
    for m in re.finditer(r"[^，,。.！!？?；;～~…]+[，,。.！!？?；;～~…]*", key):
        segment = _SEGMENTS.sub(" ", m.group()).strip()
        intent = _smalltalk_intent(segment)
        if intent is None:
            break
        intents.append(intent)
        pos = m.end()
    return pos, intents


# --- summary ----------------------------------------------------------------------------------------

#: A request to summarise, whatever it names.
_SUMMARY_VERB = re.compile(
    r"总结|概括|归纳|摘要|概述|综述|梗概|提要|小结|summar|overview|\bgist\b|tl;?dr|recap|in a nutshell"
    r"|main points|key points|highlights")
#: A question about an article's content (`這篇文章講了什麼`, `What is the article about?`).
_ABOUT_ARTICLE = re.compile(
    r"(文章|这篇|那篇|这两篇|几篇|此文|本文|全文|报道)(主要|大概|大致|都|分别|各)?(讲|说|写|谈|介绍|报道)(了|的是|的)?"
    r"(些)?(什么|啥|哪些)|(文章|报道)的?(重点|要点|主要内容|大意|主旨|内容)|关于什么"
    r"|\bwhat('s| is| was| are| were)\b.*\b(articles?|stor(y|ies)|reports?|pieces?)\b.*\babout\s*\??$"
    r"|\bwhat do(es)? (the|this|that|these|those) (articles?|stor(y|ies)|reports?|pieces?) (say|cover|tell)"
    r"( us)?\s*\??$")
#: An article noun: with no other words left, a summary request names no article.
_ARTICLE_NOUN = re.compile(r"文章|这篇|那篇|此文|本文|全文|报道|\barticles?\b|\bstor(y|ies)\b"
                           r"|\bpieces?\b|\breports?\b")
#: Words that widen a summary to every article.
_LIBRARY = re.compile(r"所有|全部|这些|那些|这几篇|几篇|各篇|每篇|每一篇|整个|文库|资料库|两篇|三篇|两则|诸篇"
                      r"|\ball\b|\bevery\b|\bboth\b|\bthese\b|\bthose\b|\beach\b|library|the articles\b")
#: What is removed from a summary request to leave the words that name its article(s).
_SUMMARY_FILLER = re.compile(
    r"请问|请你|请|帮我|帮忙|给我|麻烦|能否|能不能|可以|可否|一下|简单|简要|简短|大致|地(?=总结|概括|归纳|概述|介绍|讲|说|谈)|的|了|吗|呢|吧|啊"
    r"|总结|概括|归纳|摘要|概述|综述|梗概|提要|小结|重点|要点|主要内容|内容|大意|主旨|主题|讲述|讲的是|讲了|讲|说了|说的是|说"
    r"|写了|写的是|谈了|介绍了|介绍|报道了|什么|啥|哪些|是|关于|有关|这篇|那篇|此文|本文|全文|文章|报道|新闻|稿子|篇"
    r"|分别|各自|主要|大概|一下子"
    r"|\b(please|can|could|would|you|me|give|short|brief|briefly|quick|summari[sz]e|summary|of|the|a|an|what"
    r"|is|are|was|were|does|do|did|article|articles|story|stories|piece|report|news|about|on|say|says"
    r"|cover|covers|tell|main|key|points|overview|gist|in|this|that|it|its|for|us|recap|highlights)\b")
_TOPIC_SPLIT = re.compile(r"和|与|跟|及|以及|、|,|，|\band\b|&")


def _summary_request(key: str) -> bool:
    return bool(_SUMMARY_VERB.search(key) or _ABOUT_ARTICLE.search(key))


def _summary_topics(question: str, key: str) -> tuple[Scope, tuple[str, ...]]:
    """The scope of a summary request and the words (as typed) naming its article(s)."""
    kept = list(question)
    for pattern in (_SUMMARY_FILLER, _LIBRARY):
        for m in pattern.finditer(key):
            if m.start() > 0 and question[m.start()].isupper():
                continue  # a capitalised English word names something (`Ping An Bank`)
            for i in range(m.start(), m.end()):
                kept[i] = " "
    text = "".join(kept)
    parts = [p.strip(" 「」『』“”\"'《》〈〉()（）:：?？.。!！") for p in _TOPIC_SPLIT.split(text)]
    topics = tuple(p for p in parts if sum(ch.isalnum() for ch in p) >= 2)
    if not topics and (_LIBRARY.search(key) or not _ARTICLE_NOUN.search(key)):
        return Scope.LIBRARY, ()
    if len(topics) > 1:
        return Scope.SEVERAL, topics
    return Scope.ARTICLE, topics


# --- comparison and multi-part ---------------------------------------------------------------------

#: `哪個…更高`, `誰的…較多`, `which … higher`: the direction asked for, by the word that asks it.
_MORE = "高多大长快早贵强好"
_LESS = "低少小短慢晚便宜弱"
_ZH_COMPARATIVE = re.compile(rf"(更|较|比较|最)(?P<dir>[{_MORE}{_LESS}])")
_ZH_WHICH = re.compile(r"哪个|哪一个|哪家|哪项|哪座|哪一项|哪一家|哪边|谁")
_ZH_THAN = re.compile(rf"^(?P<a>.{{2,}}?)(?P<attr>的[^比]+?)?(?<![同环对相无类正反占好])比"
                      r"(?!赛|例|重|率|如|分|喻|拟|照|对|较|值|划|画|武|方|利|邻|肩)"
                      rf"(?P<b>[^，,？?]{{2,}}?)(?P<dir>[{_MORE}{_LESS}])(了|出)?"
                      r"(多少|几倍|几|吗|么)?[？?。]?$")
_EN_COMPARATIVE = re.compile(
    r"\b(?P<dir>higher|more|larger|bigger|greater|longer|earlier|lower|less|fewer|smaller|shorter|later)\b"
    r"(?:\s+(?P<attr>[a-z][a-z -]*?))?(?=\s*(?:,|\?|$|\bthan\b|\bbetween\b|\bfor\b))")
_EN_LESS = {"lower", "less", "fewer", "smaller", "shorter", "later"}
#: `分別`, `各自`, `respectively`: the question asks each part on its own.
_EACH = re.compile(r"分别|各自|各是|各为|各有|各多少|respectively|\beach\b|\bboth\b")
_ZH_CONJ = re.compile(r"和|与|跟|及|以及|、|还是|或")
_EN_CONJ = re.compile(r",?\s+(?:and|or|versus|vs\.?)\s+|,\s+")
#: Where a Chinese conjunct ends: punctuation, `的`, `分別`, a question or copula word.
_ZH_STOP = re.compile(r"[，,。？?！!；;：:（）()“”「」]|的|分别|各自|各是|各为|各有|哪|谁|是|有|在|将|为"
                      r"|投资|占地|多少|几|什么|相比|比较|对比|共|一共|总共|合计|相差")
_ZH_QUESTION = re.compile(r"多少|几|什么|啥|哪|谁|如何|怎|吗")


def _zh_conjuncts(key: str) -> tuple[int, int, list[tuple[int, int]]] | None:
    """The coordination `A和B` / `A、B和C` in a Chinese key: its span and each conjunct's span."""
    for m in _ZH_CONJ.finditer(key):
        # left conjunct: back from the conjunction to the last stop word or the clause start
        left_end = m.start()
        head = key[:left_end]
        stops = [s.end() for s in _ZH_STOP.finditer(head)]
        left_start = stops[-1] if stops else 0
        if left_end - left_start < 2:
            continue
        spans = [(left_start, left_end)]
        pos = m.end()
        while True:
            rest = key[pos:]
            stop = _ZH_STOP.search(rest)
            nxt = _ZH_CONJ.search(rest)
            end = pos + (stop.start() if stop else len(rest))
            if nxt and pos + nxt.start() < end:
                end_here = pos + nxt.start()
                if end_here - pos >= 2:
                    spans.append((pos, end_here))
                pos = pos + nxt.end()
                continue
            if end - pos >= 2:
                spans.append((pos, end))
            break
        if len(spans) >= 2:
            # `A、B和C`: earlier conjuncts separated by 、 sit inside the first span
            first_start, first_end = spans[0]
            inner = [(first_start, first_end)]
            pieces = re.split(r"、", key[first_start:first_end])
            if len(pieces) > 1:
                inner, at = [], first_start
                for piece in pieces:
                    inner.append((at, at + len(piece)))
                    at += len(piece) + 1
            spans = inner + spans[1:]
            return spans[0][0], spans[-1][1], spans
    return None


def _plain_question(text: str) -> str:
    """Comparative wording made a plain question about one part: `哪個項目的總投資更高` ->
    `的總投資是多少？` (`哪個(項目)` dropped, the comparative asked as `是多少`)."""
    key = aligned_key(text)
    which = _ZH_WHICH.search(key)
    if which:
        m = re.match(r"[\u4e00-\u9fff]{0,4}?的", key[which.end():])
        cut = which.end() + (m.end() - 1 if m else 0)
        text = text[:which.start()] + text[cut:]
        key = aligned_key(text)
    comp = _ZH_COMPARATIVE.search(key)
    if comp:
        tail = text[comp.end():].lstrip("一些点呢？?")
        text = text[:comp.start()].rstrip("，, ") + "是多少？" + tail
    return text


def _zh_part_tail(question: str, key: str, start: int, end: int) -> tuple[str, str]:
    """The question around a coordination, with comparative or `分別` wording made a plain question
    (`A和B，哪個…更高` and `哪個…更高，A還是B` both ask `…是多少` of each part)."""
    before, after = question[:start], question[end:]
    if _ZH_WHICH.search(key[:start]) and _ZH_COMPARATIVE.search(key[:start]):
        return "", _plain_question(before.rstrip("，, "))
    after_key = key[end:]
    after = after[len(after_key) - len(after_key.lstrip("，, ")):]  # `A和B，哪個…` -> `哪個…`
    return before, re.sub(r"^(分別|分别|各自|各)", "", _plain_question(after))


def _zh_comparison(question: str, key: str) -> tuple[tuple[str, ...], tuple[str, ...], str] | None:
    """Parts, labels and relation of a Chinese comparison or multi-part question, or None.

    The wording that makes a comparison must be about the coordination `A和B`: the comparative
    and `哪個` after it (or a choice `A還是B`), `分別` after it, or, with no such word, named
    things followed by what is asked of them (`A和B的總投資是多少`, `A和B投資多少`). Otherwise
    the coordination is part of what is asked about (`防範誰而在新城和老城之間築聯城`, `東區、西區等二區`,
    `VHS和LD，均由哪個公司發行`) and the question is one factoid.
    """
    than = _ZH_THAN.match(key)
    if than and than.group("a") and than.group("b") and not _ZH_QUESTION.search(key[:than.start("b")]):
        a = question[than.start("a"):than.end("a")]
        b = question[than.start("b"):than.end("b")]
        attr = question[than.start("attr"):than.end("attr")] if than.group("attr") else ""
        return (f"{a}{attr}是多少？", f"{b}{attr}是多少？"), (a, b), "diff"
    found = _zh_conjuncts(key)
    if found is None:
        return None
    start, end, spans = found
    if any(_ZH_QUESTION.search(key[a:b]) for a, b in spans) or key[end:].startswith("等"):
        return None
    tail = key[end:]
    choice = bool(re.search(r"还是|或", key[start:end]))
    comp = _ZH_COMPARATIVE.search(key, end) or (_ZH_COMPARATIVE.search(key) if choice else None)
    which = bool(_ZH_WHICH.search(key, end) or (choice and _ZH_WHICH.search(key)))
    asks_each = bool(_EACH.search(key, start)) and not re.match(r"(的|有些|有)分别", tail)
    asked = _ZH_QUESTION.search(tail)
    shared = re.search(r"都|均|皆|同样|同时", tail[:asked.start() if asked else len(tail)])
    named = all(_looks_named(question[a:b]) for a, b in spans) and bool(
        tail.startswith("的") or re.match(r"[^，,在时又被受这那两]{0,4}(多少|几)", tail))
    if not ((comp and which) or asks_each or (comp and "比较" in key) or (named and not shared)):
        return None
    if not _ZH_QUESTION.search(tail) and not comp:
        return None
    before, after = _zh_part_tail(question, key, start, end)
    labels = tuple(question[a:b].strip() for a, b in spans)
    parts = tuple(f"{before}{label}{after}" for label in labels)
    relation = ""
    if comp:
        relation = "min" if comp.group("dir") in _LESS else "max"
    return parts, labels, relation


def _looks_named(text: str) -> bool:
    """A conjunct that names a thing: short (a clause is no name), with Latin letters or digits in
    it or a name-like ending."""
    text = text.strip()
    if len(text) > 12:
        return False
    return bool(re.search(r"[A-Za-z0-9]", text)) or text.endswith(
        ("项目", "項目", "银行", "銀行", "分行", "公司", "大学", "大學", "集团", "集團", "城", "区", "區"))


def _en_comparison(question: str, key: str) -> tuple[tuple[str, ...], tuple[str, ...], str] | None:
    """Parts, labels and relation of an English comparison or multi-part question, or None."""
    comp = _EN_COMPARATIVE.search(key)
    asks_each = bool(_EACH.search(key))
    asks = bool(comp or asks_each or re.search(r"\bcompare\b|\bdifference between\b", key))
    if not asks and not (re.search(r"\band\b", key) and re.match(r"\s*(what|how)\b", key)):
        return None
    body = question.rstrip(" ?？.!")
    # the conjuncts: after the last comma (`..., A or B?`), else after `of/between/for`
    m = re.search(r",\s*(?P<list>[^,]+?(?:,\s*[^,]+?)*\s+(?:and|or|vs\.?|versus)\s+[^,]+)$", body)
    if m is None:
        m = re.search(r"\b(?:of|between|for|in|at|did|do|does)\s+"
                      r"(?P<list>(?:the\s+)?\S.*?\s+(?:and|or)\s+.+?)"
                      r"(?:\s+(?:respectively|each|both))?$", body, flags=re.IGNORECASE)
    if m is None:
        return None
    raw = re.sub(r"\s+(respectively|each|both)$", "", m.group("list"), flags=re.IGNORECASE)
    labels = tuple(p.strip() for p in _EN_CONJ.split(raw) if p.strip())
    if len(labels) < 2 or not (asks or all(_EN_NAMED.search(label) for label in labels)):
        return None
    attr = (comp.group("attr") or "").strip() if comp else ""
    if comp and attr:
        parts = tuple(f"What is the {attr} of {label}?" for label in labels)
    else:
        prefix = body[:m.start("list")]
        prefix = re.sub(r"\b(respectively|each|both)\b\s*", "", prefix, flags=re.IGNORECASE)
        prefix = re.sub(r"^\s*compare\s+", "What is ", prefix, flags=re.IGNORECASE)
        parts = tuple(f"{prefix}{label}?" for label in labels)
    relation = ""
    if comp:
        relation = "min" if comp.group("dir") in _EN_LESS else "max"
    return parts, labels, relation


#: A plain `X and Y` splits only between named things: an acronym or a number in each, or a head
#: noun (`the Qingke TOD project and the Yanjiashan TOD project`), so that `University of Science
#: and Technology` stays one name.
_EN_NAMED = re.compile(r"\b[A-Z]{2,}\b|\d|\b(project|bank|branch|company|district|city|university|"
                       r"school|zone|park|fund|loans?|deposits?|assets)\s*$")


def _split_questions(question: str) -> tuple[str, ...]:
    """Two or more questions in one message (`…佔地多少畝？總投資多少？`, `…佔地多少？那閻家山呢？`),
    each ending in `?`; after the first, an elliptical follow-up is a question too."""
    pieces = [p.strip() for p in re.findall(r"[^？?]+[？?]", question)]
    asking = [p for i, p in enumerate(pieces) if _ZH_QUESTION.search(aligned_key(p))
              or re.search(r"\b(what|how|which|who|when|where)\b", p, re.IGNORECASE)
              or (i > 0 and elliptical_topic(p) is not None)]
    return tuple(asking) if len(asking) >= 2 and len(asking) == len(pieces) else ()


# --- descriptive ------------------------------------------------------------------------------------

#: Why / how / what measures / what for: asked for an explanation, answered with whole sentences.
#: Chinese words are matched as jieba words (so `項目的` is no `目的`), joined by spaces.
#: `為什麼` / `為何` closing the question, or after a naming verb, is `為` + `什麼` (`改名為什麼？`,
#: `被冊封為什麼官職？`, `目標為何？`): it asks for a name, not a reason; so does a closing `如何`
#: (`導電性如何？`: a state, not a method).
_WHY_HOW_ZH = re.compile(
    r"(^| )(为什么|为何|为啥|何以|如何|怎样|怎么|怎么样|怎么办)( |$)")
_NAMING_WHAT_ZH = re.compile(
    r"(^| )(为什么|为何)$"
    r"|(^| )(名|改名|更名|命名|称|译|被译|册封|追封|封|任命|当选|升) (为什么|为何) \S+$"
    r"|(^| )如何$")
#: What measures, what was done (`市北區做了什麼`), what plans: the answer is a list of actions.
_MEASURES_ZH = re.compile(
    r"(哪些|什么|啥) ?(措施|举措|做法|办法|方式|手段|行动|努力|打算|计划|步骤|安排|支持|帮助|事情|事)"
    r"( |$)|哪些 ?工作( |$)"
    r"|(^| )(做|干) ?(了|过)? ?(什么|哪些|啥) ?(事|事情|工作)?$")
#: Nouns asking for a reason or purpose (`原因`, `目的`): descriptive only when the question asks
#: for no thing besides (`與哪一個宰相有關`, `什麼物質對眼睛有好處` ask for a name).
_REASON_ZH = re.compile(r"(^| )(原因|缘由|目的|意义|用意|旨在|初衷|好处)( |$)")
_ASKS_THING_ZH = re.compile(
    r"(^| )(哪(?!些$)\S*|谁|多少|几\S*|何时|什么时候)( |$)"
    r"|(^| )(什么|甚么|啥) (?!(原因|缘由|目的|意义|用意|好处|措施|举措|做法|办法|方式|作用)( |$))\S")
#: `怎樣的城區`, `如何是好`: a description of a thing (a noun phrase answers it), not an explanation.
_NOT_DESCRIPTIVE_ZH = re.compile(r"(怎样|怎么样|什么样|如何) ?的|如何是好")
_DESCRIPTIVE_EN = re.compile(
    r"\bwhy\b|\bhow\b(?!\s+(many|much|long|old|far|often|big|large|high|tall|soon)\b)"
    r"|\bwhat (measures|steps|actions)\b|\bin what ways?\b|\bfor what purpose\b"
    r"|\bwhat (does|did|do|will|is|are) .+ (doing|do|plan|planning|aim|aiming) (to|at|for)?\b"
    r"|\bwhat (is|are|was|were) (the|its|their) (aims?|purposes?|goals?|reasons?|plans?)\b")


# --- the analysis -------------------------------------------------------------------------------------


#: A summary request asks for no particular thing: `用哪句話總結了…`, `是什麼時候總結出來的`,
#: `完成哪本著作，總結他…` use the verb in a factoid.
_ASKS_PARTICULAR = re.compile(r"哪|谁|什么时候|何时|^\s*(which|who|when)\b")


def _check_summary(question: str, key: str, script: str) -> Analysis | None:
    if not _summary_request(key) or _ASKS_PARTICULAR.search(key):
        return None
    scope, topics = _summary_topics(question, key)
    return Analysis(question, question, script, Kind.SUMMARY, scope=scope, topics=topics)


def _check_comparison(question: str, key: str, script: str) -> Analysis | None:
    found = _en_comparison(question, key) if script == "en" else _zh_comparison(question, key)
    if found is not None:
        parts, labels, relation = found
        return Analysis(question, question, script, Kind.COMPARISON, parts=parts, labels=labels,
                        relation=relation)
    split = _split_questions(question)
    if not split:
        return None
    labels = tuple(elliptical_topic(p) or p.rstrip("？? ") for p in split)
    return Analysis(question, question, script, Kind.COMPARISON, parts=split, labels=labels,
                    chained=True)


def _check_descriptive(question: str, key: str, script: str) -> Analysis | None:
    words = " ".join(tokenize(question))
    chinese = (
        (bool(_WHY_HOW_ZH.search(words)) and not _NAMING_WHAT_ZH.search(words))
        or bool(_MEASURES_ZH.search(words))
        or (bool(_REASON_ZH.search(words)) and not _ASKS_THING_ZH.search(words))
    ) and not _NOT_DESCRIPTIVE_ZH.search(words)
    if not chinese and not _DESCRIPTIVE_EN.search(key):
        return None
    return Analysis(question, question, script, Kind.DESCRIPTIVE)


#: The checks in order; the first that recognises the question decides its kind.
_CHECKS: tuple[Callable[[str, str, str], Analysis | None], ...] = (
    _check_summary, _check_comparison, _check_descriptive,
)


def analyse(question: str, query: str | None = None) -> Analysis:
    """The question's kind and parts. `query` is its standalone form when it was a follow-up
    (`qa.followup`); small talk, a summary of `this article` (the conversation's article, not a
    rewritten question) and the reply's script come from the question as typed."""
    script = detect_script(question)
    typed = aligned_key(question.strip())
    start, intents = _strip_smalltalk(typed)
    if intents and start >= len(typed.rstrip()):
        return Analysis(question, question.strip(), script, Kind.SMALLTALK, intent=intents[-1])
    this_article = _check_summary(question.strip(), typed, script)
    if this_article is not None and this_article.scope is Scope.ARTICLE and not this_article.topics:
        return this_article
    text = (query or question).strip()
    start, _ = _strip_smalltalk(aligned_key(text))
    rest = text[start:].strip() or text
    courtesy = _COURTESY.match(aligned_key(rest))
    if courtesy:
        rest = rest[courtesy.end():].strip() or rest
    rest_key = aligned_key(rest)
    for check in _CHECKS:
        found = check(rest, rest_key, script)
        if found is not None:
            return replace(found, question=question, query=rest)
    return Analysis(question, rest, script, Kind.FACTOID)
