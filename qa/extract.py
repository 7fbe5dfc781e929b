"""Question typing and short-answer extraction from one supporting sentence (rule based, no model).

The answerer cites whole sentences; this module adds the crisp part a reader wants first (`26億元`,
`2002年5月28日`, `賽輪集團`). It works in three steps:

1. `classify_question` finds the question word (哪一年, 多少, 誰, what year, who, ...) and so the
   answer type, the *slot* of the question (where the answer would stand) and, after the question
   word, the head noun (哪一個**部隊**) or unit (多少**億元**) the answer should carry.
2. The question's words are aligned to the sentence (runs of equal characters on the search key,
   so Traditional matches Simplified; whole words for English). Text the question does not share
   is where the answer lies: candidates are those uncovered stretches (and their word-bounded
   parts) plus typed spans (numbers with units, dates, quoted names, enumerations).
3. Each candidate is scored by how well it sits in the slot: right after the words that precede
   the question word, right before the words that follow it, with the expected type and unit, and
   short. The best one is returned, or None when nothing crisp fits (then the caller shows the
   sentence).

All functions are pure and fast (compiled patterns and per-text analyses are cached).
"""

from __future__ import annotations

import operator
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from index.text import detect_script, to_simplified, to_traditional, tokenize


class QuestionType(StrEnum):
    """What kind of answer a question asks for."""

    AMOUNT = "amount"  # 多少 / 幾 / how many / how much / what percentage
    DATE = "date"  # 何時 / 哪一年 / when / what year
    PLACE = "place"  # 哪裡 / 何處 / where
    PERSON = "person"  # 誰 / 何人 / who
    ORG = "org"  # 哪家 / 哪所 / 哪個機構 / which company
    LIST = "list"  # 哪些 / 哪幾 / which three
    QUOTE = "quote"  # 叫什麼 / 名稱 / 主題 / 口號 / what is the name (a name, often quoted)
    WHAT = "what"  # 什麼 / 何 / 哪個 / what / which (definitions and other nouns)
    REASON = "reason"  # 為什麼 / 為何 / why
    HOW = "how"  # 如何 / 怎樣 / how
    YESNO = "yesno"  # 是否 / 嗎 / is / does / did
    OTHER = "other"  # no question word (`那貸款呢？`)


#: Types whose answer is usually a description rather than a crisp span.
DESCRIPTIVE = frozenset({QuestionType.REASON, QuestionType.HOW, QuestionType.YESNO})


@dataclass(frozen=True)
class ShortAnswer:
    """A crisp answer span: `sentence[start:end] == text`, found for a question of type `qtype`."""

    text: str
    start: int
    end: int
    qtype: QuestionType
    score: float = 0.0


# ---------------------------------------------------------------------------------------------
# Keys with offsets
# ---------------------------------------------------------------------------------------------


def _one(ch: str, mapped: str) -> str:
    """A one-character mapping, or the character itself when the mapping changes the length."""
    return mapped if len(mapped) == 1 else ch


@lru_cache(maxsize=4096)
def _key(text: str) -> str:
    """The search key of `text` (NFKC, Simplified, lower case) with the same length as `text`.

    Per character, so offsets into the key are offsets into the text; a character whose folding
    would change the length stays as it is.
    """
    nfkc = "".join(_one(ch, unicodedata.normalize("NFKC", ch)) for ch in text)
    simple = to_simplified(nfkc)
    if len(simple) != len(nfkc):
        simple = "".join(_one(ch, to_simplified(ch)) for ch in nfkc)
    return "".join(_one(ch, ch.lower()) for ch in simple)


_HAN_CLASS = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN = re.compile(f"[{_HAN_CLASS}]")
_WORD_CLASS = r"0-9a-z\u00c0-\u024f"
_UNIT = re.compile(rf"[{_WORD_CLASS}]+(?:[.,'’][{_WORD_CLASS}]+)*|\S")


def _is_latin(text: str) -> bool:
    """Whether a key is mostly not Han (English or other Latin-script text)."""
    letters = [ch for ch in text if ch.isalpha()]
    return not letters or sum(1 for ch in letters if _HAN.match(ch)) / len(letters) < 0.3


# ---------------------------------------------------------------------------------------------
# Question analysis
# ---------------------------------------------------------------------------------------------

# Units a Chinese number may carry, Simplified (the key is Simplified). Longest first.
_UNIT_WORDS = sorted(
    """亿元 万元 千元 百万元 亿美元 万美元 美元 港元 港币 新台币 台币 日元 日圆 欧元 英镑 人民币 元 块
    个百分点 百分点 % ‰ 倍 成 亩 公顷 平方公里 平方千米 平方米 平方公尺 平方英里 英亩 立方米 公里 千米 米 公尺
    公分 厘米 毫米 英里 英尺 海里 吨 公吨 公斤 千克 克 磅 升 毫升 千瓦 瓦 伏 度 摄氏度 人次 人 名 位 户 家
    个 座 所 项 件 种 次 届 场 年 个月 月 日 天 周 星期 小时 分钟 秒 岁 层 楼 架 艘 辆 部 本 册 页 条 枚 只 头
    匹 床 票 分 号 集 首 篇 章 卷 栋 间 处 套 台 组 批 支 队 期 代 世纪 里 尺 寸 斤 两 字 例 株 棵 颗 张 门
    份 段 等 级 强 大 所 站 区 县 省 国 线 路 块 席 席位 款 笔 宗 单 起 轮 球 分 点""".split(),
    key=len,
    reverse=True,
)
_UNITS_RE = "|".join(re.escape(unit) for unit in dict.fromkeys(_UNIT_WORDS))

_MONEY_UNITS = frozenset(
    "亿元 万元 千元 百万元 亿美元 万美元 美元 港元 港币 新台币 台币 日元 日圆 欧元 英镑 人民币 元 块".split()
)
_PERCENT_UNITS = frozenset("% ‰ 个百分点 百分点 成 倍".split())
_AREA_UNITS = frozenset("亩 公顷 平方公里 平方千米 平方米 平方公尺 平方英里 英亩".split())
_COUNT_UNITS = frozenset("人 名 位 户 家 个 人次".split())

# Words that imply a unit class when the question names none.
_IMPLIED_MONEY = re.compile(
    r"投资|金额|资金|收入|营收|税收|利润|余额|放款|贷款|存款|价格|价值|费用|成本|预算|资产|市值|融资|"
    r"销售额|营业额|产值|gdp|总额|薪|工资|奖金|票价|造价|经费|补贴|募集|拨款|money|cost|price|invest|revenue|"
    r"fund|budget|income|profit|loan|deposit|worth"
)
_IMPLIED_PERCENT = re.compile(
    r"增幅|增长率|增速|同比|环比|比例|比率|占比|百分比|率|降幅|涨幅|百分之|"
    r"percent|percentage|rate|share|proportion"
)
_IMPLIED_AREA = re.compile(r"面积|占地|area")

_ENGLISH_UNITS = {
    "household": "户", "households": "户", "people": "人", "persons": "人", "person": "人",
    "employees": "人", "staff": "人", "companies": "家", "company": "家", "enterprises": "家",
    "firms": "家", "businesses": "家", "branches": "家", "outlets": "家", "distributors": "户",
    "percent": "%", "percentage": "%", "yuan": "元", "rmb": "元", "dollars": "美元", "acres": "亩",
    "mu": "亩", "years": "年", "year": "年", "months": "个月", "days": "天", "times": "次",
    "hectares": "公顷", "kilometers": "公里", "kilometres": "公里", "meters": "米", "metres": "米",
    "tons": "吨", "tonnes": "吨", "projects": "项", "cases": "个",
    "square kilometers": "平方公里", "square kilometres": "平方公里", "square miles": "平方英里",
    "square meters": "平方米", "square metres": "平方米", "miles": "英里", "feet": "英尺",
    "kilograms": "公斤", "hours": "小时", "weeks": "周", "minutes": "分钟", "centuries": "世纪",
    "members": "人", "students": "人", "workers": "人", "residents": "人", "soldiers": "人",
    "troops": "人", "children": "人", "men": "人", "women": "人", "deaths": "人", "victims": "人",
    "visitors": "人", "passengers": "人", "votes": "票", "seats": "席", "schools": "所",
    "universities": "所", "species": "种", "languages": "种", "episodes": "集", "games": "场",
    "matches": "场", "books": "本", "ships": "艘", "aircraft": "架", "floors": "层", "stories": "层",
}


def _english_unit(word: str, following: str | None) -> str | None:
    """The Chinese unit of an English counted noun (`square kilometers` -> 平方公里), else None."""
    for noun in (f"{word} {following}" if following else None, word, f"{word}s"):
        if noun and noun in _ENGLISH_UNITS:
            return _ENGLISH_UNITS[noun]
    return None

_CLASSIFIER = "个种位条座家所部项间名支只本首门类样件套批届场次份张艘架辆栋处"

# Question-word patterns, on the question key. Each: (pattern, type, priority); higher wins.
_ZH_PATTERNS: list[tuple[str, QuestionType, int]] = [
    (r"为什么|为甚么|为何|何故|何以|什么原因|甚么原因|什么缘故|原因(?:是|为)?(?:什么|甚么|何)?(?=[?]?$)|"
     r"目的(?:是|为)?(?:什么|甚么|何)?(?=[?]?$)|缘故(?=[?]?$)|起因(?:是|为)?(?=[?]?$)|"
     r"是因为(?=[?]?$)", QuestionType.REASON, 9),
    (r"如何|怎么样?(?!的)|怎样(?!的)|怎麽|用什么方法|用甚么方法", QuestionType.HOW, 5),
    (r"是否|是不是|有没有|能不能|可不可以|会不会|要不要|对不对|吗(?=[?]?$)", QuestionType.YESNO, 4),
    (r"何时|何年|何日|何月|何年代|哪一?年(?:代)?|哪一?天|哪一?日|哪一?个?月|几月|几号|几点|几时|"
     r"什么时候|甚么时候|什么时间|甚么时间|什么时期|甚么时期|哪一?个?时期|哪一?个?时候|何时期|哪一?个?朝代|"
     r"哪一?个?世纪|哪一?个?年代|什么年代|什么朝代|何朝|哪一?段时间|哪一?个?时间",
     QuestionType.DATE, 8),
    (r"百分之几|百分之多少|多少|第几|几(?![乎])|多久|多长|多大|多高|多远|多重|多深|多宽|多厚|多快|多少钱|"
     r"多少年|多少人", QuestionType.AMOUNT, 7),
    (r"谁|何人|哪一?位|哪一?名|哪一?个人(?!口)|什么人|甚么人", QuestionType.PERSON, 8),
    (r"哪里|哪儿|哪边|那里(?=[?]?$)|何处|何地|何方|在哪|什么地方|甚么地方|哪一?个?地方|哪一?个?地区|"
     r"哪一?个?(?:国家?|城市|城|省份?|州|县|市|岛屿?|山脉?|河流?|湖泊?|海域?|区域?|洲|村|镇|大陆|港口?|地点|"
     r"位置|方位|方向|半岛|流域|平原|盆地|沙漠|海峡|岛)|何国",
     QuestionType.PLACE, 6),
    (r"哪一?(?:家|所|间)|哪一?个?(?:机构|单位|部门|公司|组织|企业|大学|学校|学院|政党|党派?|政府|报纸?|"
     r"报社|媒体|球队|队伍?|集团|银行|委员会|协会|团体|工业区|机关|法院|军队|部队|王朝|国家机构|电视台|"
     r"出版社|医院|基金会|联盟|教会|宗派|家族)|何机构|什么机构|甚么机构|什么单位|什么组织|什么部门|"
     r"什么公司|什么企业",
     QuestionType.ORG, 6),
    (r"哪些|哪几|哪[两二三四五六七八九十]|有哪|什么和什么", QuestionType.LIST, 7),
    (r"(?:叫|叫做|称为|称作|称之为|名为|名叫|命名为|取名为?|被称为|又称|简称|俗称|号称|昵称|全称)"
     r"(?:什么|甚么|啥|何)?(?:名字|名称)?(?=[?]?$)|"
     r"(?:叫|叫做|称为|称作|名为|名叫|命名为|取名|称|简称)(?:什么|甚么|啥)|"
     r"(?:什么|甚么|何)(?:名字|名称|称号|口号|主题|名号|称呼|绰号|别称|别名|奖项?|荣誉|头衔|书名|标题)|"
     r"(?:名字|名称|称号|口号|主题|称呼|绰号|别称|别名|奖项|荣誉|头衔|书名|标题)(?:是|为)?"
     r"(?:什么|甚么|何)?(?=[?]?$)",
     QuestionType.QUOTE, 7),
    (r"什么样的?|甚么样的?|怎样的|怎么样的|什么|甚么|啥|何种|何类|何物|何者|何为|为何物|"
     r"哪一?[" + _CLASSIFIER + r"]?|何", QuestionType.WHAT, 3),
]

_EN_PATTERNS: list[tuple[str, QuestionType, int]] = [
    (r"\bwhy\b|\bwhat (?:was|is|were|are) the (?:reason|cause|purpose)", QuestionType.REASON, 9),
    (r"\bhow (?:many|much|long|old|far|big|large|tall|high|often|deep|wide|heavy)\b|"
     r"\bwhat (?:percentage|percent|proportion|share|number|amount|sum|fraction)\b|"
     r"\bwhich (?:percentage|number)\b", QuestionType.AMOUNT, 8),
    # `when` asks for a time when it opens the question or an auxiliary follows it (`how and when
    # did`), not when it opens a clause (`what happens when ...`, `When X, what is ...`).
    (r"\bwhen\b(?= (?:did|does|do|was|were|is|are|will|would|has|have|had|can|could|should|may|might)\b)|"
     r"^when\b(?![^,]*,\s*(?:what|which|who|whom|how|where|why)\b)|"
     r"\b(?:what|which) (?:year|years|date|day|month|time|decade|century|period|era|season)\b|"
     r"\bhow long ago\b", QuestionType.DATE, 8),
    (r"\bwho\b|\bwhom\b|\bwhose\b|\b(?:what|which) (?:person|man|woman|people|author|writer|king|queen|"
     r"president|leader|journalist|reporter|editor|scientist|player)\b", QuestionType.PERSON, 8),
    (r"\bwhere\b|\b(?:what|which) (?:place|city|cities|country|countries|area|region|province|district|"
     r"town|village|river|rivers|mountain|island|state|location|street|site|continent|port|"
     r"industrial area)\b",
     QuestionType.PLACE, 6),
    (r"\b(?:what|which) (?:company|companies|organi[sz]ations?|institutions?|university|universities|"
     r"bank|banks|agency|agencies|department|departments|firm|firms|school|party|group|team|newspaper|"
     r"media|outlets?|government|ministry|body|bodies|enterprises?)\b", QuestionType.ORG, 6),
    (r"\b(?:what|which) (?:two|three|four|five|six|seven|eight|nine|ten|\d+|several)\b|"
     r"\bwhat are (?:the )?(?!name\b)|\bwhich (?:\w+ )?(?:things|aspects|areas|fields|services|elements|"
     r"sectors|industries|cases|projects|functions|units|items)\b|\bwhat (?:\w+ )?(?:things|aspects|"
     r"services|elements|fields|sectors|industries)\b", QuestionType.LIST, 7),
    (r"\bwhat (?:is|was|are|were) (?:the |its |his |her |their )?(?:name|title|theme|slogan|motto)\b|"
     r"\b(?:called|named|theme|slogan|motto|title)\b", QuestionType.QUOTE, 7),
    (r"^(?:is|are|was|were|do|does|did|can|could|will|would|has|have|had|should|may|might)\b",
     QuestionType.YESNO, 4),
    (r"\bhow\b", QuestionType.HOW, 5),
    (r"\bwhat\b|\bwhich\b", QuestionType.WHAT, 3),
]

_ZH_COMPILED = [(re.compile(p), t, pr) for p, t, pr in _ZH_PATTERNS]
_EN_COMPILED = [(re.compile(p), t, pr) for p, t, pr in _EN_PATTERNS]

# A question with no question word that ends on 為/是/叫 asks for what follows: `德國的第一大邦為？`
_END_SLOT = re.compile(r"(?:为|是|叫|叫做|称为|在|于|有|指|包括|等于|位于|之一)?[?]?\s*$")
_FOLLOW_UP = re.compile(r"呢[?]?\s*$")
_AMOUNT_UNIT_AFTER = re.compile(rf"(?:多少|几|百分之几|多少万|多少亿)(?:多)?({_UNITS_RE})")
_EN_UNIT_AFTER = re.compile(r"\bhow (?:many|much) (?:of )?(?:the )?([a-z]+)(?: ([a-z]+))?")
# `what is the total investment of ...` asks for an amount as `how much` would: the noun the
# question asks about names a quantity. Its unit class comes from that noun, not the whole question.
_EN_WHAT_NOUN = re.compile(
    r"\b(?:what|which) (?:is|was|are|were|will be|would be) (?:the |its |their |his |her )?"
    r"((?:[a-z'’-]+ ){0,3}?[a-z'’-]+)(?= of\b| in\b| for\b| at\b| by\b| on\b| from\b| to\b|\s*[?.!]?\s*$)"
)
_EN_PERCENT_NOUN = re.compile(r"\b(?:rate|percentage|proportion|share)$")
_EN_MONEY_NOUN = re.compile(
    r"\b(?:investment|cost|costs|price|revenue|revenues|income|profit|profits|budget|value|worth|salary|"
    r"wage|wages|fee|fees|loan|loans|deposit|deposits|turnover|gdp|balance|tax|taxes|money|funding)$"
)
_EN_AREA_NOUN = re.compile(r"\barea$")
# Quantities of no money, percent or area class (those nouns are quantities too).
_EN_OTHER_QUANTITY_NOUN = re.compile(
    r"\b(?:population|size|length|height|distance|depth|width|weight|temperature|capacity|speed|age|"
    r"number|amount|total|sum|count|output|scale)$"
)
# `how much did the bank lend` asks for money when the question speaks of it; word by word, so
# that `Qingdao area` or `corporate` imply nothing.
_EN_MONEY_WORD = re.compile(
    r"\b(?:money|cost|price|invest\w*|revenue|fund\w*|budget|income|profit|loan\w*|lend\w*|lent|"
    r"deposit\w*|worth|tax\w*|spen[dt]\w*|paid|pay|yuan|rmb|dollars?)\b"
)


def _english_noun_class(noun: str) -> str | None:
    """money, percent or area for a noun that names such a quantity (`investment`, `rate`), else None."""
    for pattern, unit_class in ((_EN_PERCENT_NOUN, "percent"), (_EN_MONEY_NOUN, "money"),
                                (_EN_AREA_NOUN, "area")):
        if pattern.search(noun):
            return unit_class
    return None


def _english_quantity(key: str) -> str | None:
    """For `what is the <noun> of ...` whose noun names a quantity: its unit class (money, percent,
    area) or '' for another quantity (population, height); None when the question asks no quantity."""
    match = _EN_WHAT_NOUN.search(key)
    if match is None:
        return None
    noun = match.group(1)
    unit_class = _english_noun_class(noun)
    if unit_class is None and not _EN_OTHER_QUANTITY_NOUN.search(noun):
        return None
    return unit_class or ""


_STOP_HEAD = set("的是在被于为将了把对和与及由从向以所也都就而又还并且中上下里内外之")


@dataclass(frozen=True)
class _Question:
    """A question, analysed once: type, slot (question word) and head noun, on its key."""

    text: str
    key: str
    qtype: QuestionType
    english: bool
    wh_start: int  # slot in key offsets; wh_start == wh_end == len(key) for an end slot
    wh_end: int
    head: str  # noun after the question word (`部队` in 哪一个部队), key text, may be ''
    unit: str | None
    unit_class: str | None  # money / percent / area / count / None
    bounds: frozenset[int]  # word boundaries of the key (jieba)
    ordinal: bool  # asks for a rank (第幾, what place)


def _first_token(text: str) -> str:
    """The first jieba word of a key (used for the head noun after a question word)."""
    text = text.strip()
    if not text:
        return ""
    tokens = tokenize(text)
    return tokens[0] if tokens and text.startswith(tokens[0]) else ""


def _unit_class(unit: str | None) -> str | None:
    """money / percent / area / count for a unit, else None."""
    if unit is None:
        return None
    if unit in _MONEY_UNITS:
        return "money"
    if unit in _PERCENT_UNITS:
        return "percent"
    if unit in _AREA_UNITS:
        return "area"
    if unit in _COUNT_UNITS:
        return "count"
    return None


def _find_wh(key: str, english: bool) -> tuple[QuestionType, int, int]:
    """The best question-word match: (type, start, end) on the key; OTHER with an end slot if none."""
    best: tuple[int, int, QuestionType, int, int] | None = None
    for pattern, qtype, priority in _EN_COMPILED if english else _ZH_COMPILED:
        for match in pattern.finditer(key):
            if match.end() == match.start() and not english:
                continue
            rank = (priority, -match.start())
            if best is None or rank > (best[0], best[1]):
                best = (priority, -match.start(), qtype, match.start(), match.end())
    if best is not None:
        return best[2], best[3], best[4]
    end = len(key.rstrip(" ?？.!。"))
    if not english:
        follow = _FOLLOW_UP.search(key)
        if follow:
            return QuestionType.OTHER, follow.start(), follow.start()
        slot = _END_SLOT.search(key[:end + 1])
        if slot is not None and slot.end() > slot.start():
            return QuestionType.WHAT, end, end
    return QuestionType.OTHER, end, end


_DETERMINER = re.compile(rf"^(?:哪一?[{_CLASSIFIER}]?|什么样?的?|甚么样?的?|何种|何类|啥|怎样的|怎么样的)$")
_WH_PREFIX = re.compile(rf"^(?:哪[一二两三四五六七八九十几]?[{_CLASSIFIER}]?|(?:什么|甚么)(?:样的?)?|何)")


def _head_noun(key: str, start: int, end: int) -> str:
    """The noun the answer should end on: inside the question word (`国家` in 哪一个国家, `年` in
    哪一年) or the word right after a bare determiner (`部队` in 哪一个部队, `交通优势` in 什么交通优势)."""
    wh_text = key[start:end]
    inner = _WH_PREFIX.sub("", wh_text) if wh_text.startswith(("哪", "什么", "甚么", "何")) else ""
    if inner and _HAN.match(inner[0]) and inner not in ("些", "几", "里", "儿", "边", "时", "处", "人", "为"):
        return inner
    if _DETERMINER.match(wh_text) or wh_text in ("多少", "几"):
        head = _first_token(key[end:])
        if head and _HAN.match(head[0]) and head[0] not in _STOP_HEAD and _is_nounish(head):
            return head
    return ""


def _is_nounish(word: str) -> bool:
    """Whether a word may be a head noun (a noun, a name or an unknown word; not a verb)."""
    return _pos_table().get(word, "oov") in _NOUN_POS


# Head nouns that say what kind of thing is asked for (哪一種組織 -> ORG, ...的單位為？ -> ORG).
_NOUN_TYPES: list[tuple[re.Pattern[str], QuestionType]] = [
    (re.compile(r"(?:原因|目的|理由|起因|缘故|动机|缘由)$"), QuestionType.REASON),
    (re.compile(r"(?:时间|年份|日期|时期|年代|时候|朝代|世纪|月份|季节|时代|年)$"), QuestionType.DATE),
    (re.compile(r"(?:数量|人数|数目|面积|人口|距离|长度|高度|比例|比率|速度|温度|重量|价格|金额|年龄|次数|"
                r"票数|总数|规模|产量|深度|宽度|周长|半径|直径|海拔|年限|寿命|时长|期限)$"),
     QuestionType.AMOUNT),
    (re.compile(r"(?:人|人物|领导人|领导者|领袖|总统|作者|国王|皇帝|首相|人士|君主|统治者|创始人|创办人|发明者|"
                r"发明人|发现者|设计师|设计者|导演|演员|歌手|画家|诗人|作家|学者|科学家|将领|将军|教练|球员|选手|"
                r"主席|总理|校长|市长|首领|儿子|女儿|父亲|母亲|妻子|丈夫|老师|弟子|继承人|皇后|王子|公主|主教|"
                r"教宗|教皇|国君|君王|太子|宰相|大臣|负责人|建筑师|编剧|作曲家|指挥官|司令)$"),
     QuestionType.PERSON),
    (re.compile(r"(?:单位|机构|组织|公司|部门|政党|大学|学校|学院|团体|机关|企业|报纸|报社|媒体|银行|集团|"
                r"政府|协会|委员会|球队|军队|部队|俱乐部|出版社|电视台|法院|医院|基金会|联盟|教会|厂商)$"),
     QuestionType.ORG),
    (re.compile(r"(?:地方|地点|城市|国家|首都|位置|地区|省份|省|州|县|城|岛|岛屿|山|山脉|河|河流|湖|湖泊|港|"
                r"港口|区域|首府|都城|故乡|家乡|出生地|发源地|所在地|市|镇|村|大陆|大洲|洲|海域|流域|半岛)$"),
     QuestionType.PLACE),
]
_COPULA_END = re.compile(r"(?:是|为|乃|叫|叫做|称为|被称为|又称为|指)$")


def _noun_before(key: str, position: int) -> str:
    """The last word before a slot, past a copula: `单位` in `...的单位为？`."""
    text = _COPULA_END.sub("", key[:position].rstrip(" ?"))
    tokens = tokenize(text) if text else []
    if tokens and text.endswith(tokens[-1]) and _is_nounish(tokens[-1]):
        return tokens[-1]
    return ""


def _type_of_noun(noun: str) -> QuestionType | None:
    """The answer type a head noun asks for, if it is a telling one."""
    if not noun:
        return None
    for pattern, qtype in _NOUN_TYPES:
        if pattern.search(noun):
            return qtype
    return None


def _word_bounds(key: str) -> frozenset[int]:
    """Offsets where the jieba words of a key start or end (a run must not cut a word in two)."""
    bounds = {0, len(key)}
    position = 0
    for token in tokenize(key):
        found = key.find(token, position)
        if found < 0:
            continue
        bounds.add(found)
        bounds.add(found + len(token))
        position = found + len(token)
    return frozenset(bounds)


@lru_cache(maxsize=2048)
def _analyse(question: str) -> _Question:
    """Analyse a question once (cached): its type, slot, head noun and expected unit."""
    key = _key(question)
    english = _is_latin(key)
    qtype, start, end = _find_wh(key, english)
    head = ""
    unit: str | None = None
    english_quantity: str | None = None
    if english:
        if qtype is QuestionType.WHAT:
            english_quantity = _english_quantity(key)
            if english_quantity is not None:
                qtype = QuestionType.AMOUNT
        match = _EN_UNIT_AFTER.search(key)
        if match:
            unit = _english_unit(match.group(1), match.group(2))
            if unit is None and english_quantity is None:
                english_quantity = _english_noun_class(match.group(1))  # how much tax
        if unit is None and re.search(r"\bwhat (?:percentage|percent|proportion)\b", key):
            unit = "%"
        if (unit is None and english_quantity is None and qtype is QuestionType.AMOUNT
                and re.search(r"\bhow much\b", key) and _EN_MONEY_WORD.search(key)):
            english_quantity = "money"
    else:
        match = _AMOUNT_UNIT_AFTER.search(key)
        if match and qtype is QuestionType.AMOUNT:
            unit = match.group(1)
        elif re.search(r"百分之(?:几|多少)", key):
            unit = "%"
        if qtype not in DESCRIPTIVE and qtype is not QuestionType.AMOUNT and start < end:
            head = _head_noun(key, start, end)
        if qtype is QuestionType.WHAT:
            noun = head or _noun_before(key, start)
            retyped = _type_of_noun(noun)
            if retyped is not None:
                qtype = retyped
        if not head and start == end and not english:
            head = _noun_before(key, start)
    unit_class = _unit_class(unit) or english_quantity or None
    if unit_class is None and not english and qtype in (QuestionType.AMOUNT, QuestionType.OTHER):
        if _IMPLIED_PERCENT.search(key):
            unit_class = "percent"
        elif _IMPLIED_MONEY.search(key):
            unit_class = "money"
        elif _IMPLIED_AREA.search(key):
            unit_class = "area"
    if qtype is QuestionType.AMOUNT and unit and not english and not head:
        head = unit
    ordinal = bool(re.search(r"第几|排名|名次|\bwhat (?:place|rank|position)\b|\branked?\b", key))
    return _Question(
        question, key, qtype, english, start, end, head, unit, unit_class, _word_bounds(key), ordinal
    )


def classify_question(question: str) -> QuestionType:
    """The answer type a question asks for (Traditional, Simplified or English).

    Why: the answerer prefers sentences that can answer this type, and extraction looks for spans
    of this kind.
    """
    return _analyse(question).qtype


def expected_unit(question: str) -> str | None:
    """The unit a question names (`多少億元` -> `亿元`, `幾家` -> `家`, `how many households` -> `户`).

    Units come back Simplified (the key form); English units map to their Chinese counterpart when
    known. When the question names no unit but implies one, `元` (money: 投資, 金額, 稅收 ...) or `%`
    (rates: 增幅, 比例, percentage) is returned; otherwise None.
    """
    analysed = _analyse(question)
    if analysed.unit is not None:
        return analysed.unit
    if analysed.qtype in (QuestionType.AMOUNT, QuestionType.OTHER):
        return {"money": "元", "percent": "%"}.get(analysed.unit_class or "")
    return None


# ---------------------------------------------------------------------------------------------
# Typed spans in a sentence
# ---------------------------------------------------------------------------------------------

_DIGITS = r"\d+(?:,\d{3})*(?:\.\d+)?"
_CNUM = r"[零〇一二三四五六七八九十百千万亿两半数几]+"
_AMOUNT_RE = re.compile(
    r"第[\d零〇一二三四五六七八九十百千]+(?:名|位|大|次|届|个|号|级)?|"
    rf"(?:约|近|超过?|逾|多达|高达|将近|大约|不足|不到|仅)?"
    rf"(?:{_DIGITS}/{_DIGITS}|[零〇一二三四五六七八九十百千]+分之[零〇一二三四五六七八九十百千]+"
    rf"|{_DIGITS}(?:\s?(?:-|~|—|–|至|到)\s?{_DIGITS})?(?:多|余)?(?:\s?[万亿千百]+)?(?:多|余)?(?:\s?(?:{_UNITS_RE}))?"
    rf"|(?![万亿])[零〇一二三四五六七八九十百千万亿两半数几]+(?:多|余)?(?:{_UNITS_RE}))"
    r"(?:以上|左右|之多|多|余)?"
)
# (Digits and their unit may stand a space apart: `1817 年 8 月`.)
_DATE_RE = re.compile(
    r"(?:(?:公元前?|西元前?|前)\s?)?\d{1,4}\s?(?:-|—|–|~|至|到)\s?\d{1,4}\s?年|"
    r"(?:(?:公元前?|西元前?|前)\s?)?\d{1,4}\s?年(?:代)?"
    r"(?:\s?\d{1,2}(?:-|—|至|到)?\d{0,2}\s?月(?:\s?\d{1,2}\s?(?:日|号))?)?"
    r"(?:[初末底中]|上半年|下半年|以来|起|前|后)?|"
    r"\d{1,2}(?:-|—|–|~|至|到)\d{1,2}\s?月|\d{1,2}\s?月\s?\d{1,2}\s?(?:日|号)|\d{1,2}\s?月(?:[初末底中]|份)?|"
    r"(?:公元前?|西元前?)?\d{1,2}世纪(?:\d0年代|[初末中]叶?|[初末中]期)?|[一二三四五六七八九十]+世纪(?:[初末中]叶?)?|"
    r"[上下]半年|年[初底末]|[今去明前]年|[零〇一二三四五六七八九十]{4}年(?:[一二三四五六七八九十]+月)?"
)
_CHINESE_DIGIT = re.compile(r"[一二三四五六七八九十百千万亿两半几数]")
_EN_MONTH = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december|"
    r"jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\.?"
)
_EN_DATE_RE = re.compile(
    rf"\b(?:{_EN_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?|\d{{1,2}}\s+{_EN_MONTH}(?:\s+\d{{4}})?|"
    rf"{_EN_MONTH}\s+\d{{4}}|(?:the\s+)?\d{{4}}s|\d{{1,2}}(?:st|nd|rd|th)\s+century|(?:1[0-9]|20)\d{{2}})\b"
)
_EN_NUMBER_RE = re.compile(
    r"(?:about |around |over |more than |nearly |almost |some |up to )?[$€£¥]?\d[\d,]*(?:\.\d+)?"
    r"(?:\s?(?:%|percent|per cent|million|billion|thousand|trillion|hundred))?"
    r"(?:\s(?:[a-z]+))?|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
    r"forty|fifty|hundred|thousand|million)\b(?:\s(?:[a-z]+))?"
)
_QUOTE_RE = re.compile(r"“[^“”]{1,60}”(?:“[^“”]{1,60}”)*|「[^「」]{1,60}」(?:「[^「」]{1,60}」)*|"
                       r"『[^『』]{1,60}』|《[^《》]{1,60}》|\"[^\"]{1,60}\"|‘[^‘’]{1,60}’")
_LIST_SEP = re.compile(r"、|,\s|和|及|与|以及|或")
_PERSON_CUE = re.compile(
    r"记者|主任|书记|局长|市长|区长|省长|县长|部长|院长|校长|董事长|总经理|经理|行长|主席|总统|总理|教授|博士|"
    r"先生|女士|委员|主编|编辑|责编|作者|导演|演员|歌手|国王|皇帝|王子|公主|将军|队长|教练|创始人|负责人|"
    r"发言人|代表|总裁|首相|大臣|议员|法官|律师|医生|科学家|画家|诗人|作家|[王帝后公侯伯]"
)
_EN_PERSON_RE = re.compile(r"\b[A-Z][a-z]+(?:\s+(?:[A-Z]\.|[A-Z][a-z]+|van|von|de|da|der|del|la)){1,3}\b")
_PLACE_SUFFIX = re.compile(
    r"(?:国|省|市|县|区|州|岛|山|河|江|湖|海|洋|湾|港|村|镇|乡|城|路|街|岸|峡|洲|半岛|平原|盆地|高原|"
    r"沙漠|流域|地区|北部|南部|东部|西部|中部|一带|附近|中心)$"
)
_ORG_SUFFIX = re.compile(
    r"(?:公司|集团|银行|分行|大学|学院|学校|中学|小学|医院|研究院|研究所|研究中心|中心|局|部|厅|署|委员会|"
    r"委|会|协会|学会|基金会|联盟|组织|机构|党|政府|法院|检察院|军|部队|队|社|报|台|馆|院|所|处|办|厂|店|"
    r"企业|俱乐部|工作室|事务所|联合会|理事会|议会|国会|内阁|王朝|教会|教团)$"
)


_NOT_AMOUNTS = frozenset({"一个", "一种", "一位", "一些", "一次", "一年", "一起", "一点"})


def _amount_spans(key: str) -> list[tuple[int, int]]:
    """Number-with-unit spans (`26亿元`, `约150亩`, `11.20%`, `百余家`) in a key."""
    spans: list[tuple[int, int]] = []
    for match in _AMOUNT_RE.finditer(key):
        text = match.group()
        if text.startswith("第"):
            spans.append((match.start(), match.end()))
            continue
        # Chinese numerals need a unit that is not a common word part (一体, 一心).
        if not re.search(r"\d", text) and (len(text) < 2 or text in _NOT_AMOUNTS):
            continue
        if text.strip():
            spans.append((match.start(), match.end()))
    return spans


_CONJUNCTIONS = frozenset({"和", "与", "及", "以及", "或", "或者", "跟", "同"})


def _enum_word(token: _Token) -> bool:
    """Whether a word may continue the last item of an enumeration (not 等, a number, 於, 的 ...)."""
    if token.text in ("等", "等等") or token.pos in _FUNCTION_POS or token.pos in _NUMBER_POS:
        return False
    return not (token.pos == "oov" and token.text[0] in "零一二三四五六七八九十百千两几数")


def _enumerations(s: _Sentence) -> list[tuple[int, int]]:
    """Enumerations in a Chinese sentence (`煙台、日照、威海、青島自貿區`, `A和B`), as key spans.

    Items are split by 、 and by 和/與/及/或; the first item reaches back and the last item
    forward only over noun-like words, so `下轄煙台、...、青島自貿區四家二級分行` gives the four
    places, and a trailing 等 stays out.
    """
    if s.english:
        return []
    tokens = s.tokens
    key = s.key
    spans: list[tuple[int, int]] = []
    chain: list[list[int]] = []  # items, each a list of token indices
    current: list[int] = []

    def close_chain() -> None:
        items = [item for item in chain + [current] if item]
        if len(items) >= 2:
            first, last = items[0], items[-1]
            begin = len(first)
            while begin > 0 and tokens[first[begin - 1]].pos not in _ENUM_STOP_POS and (
                tokens[first[-1]].end - tokens[first[begin - 1]].start <= 14
            ):
                begin -= 1
            stop = 0
            while stop < len(last) and _enum_word(tokens[last[stop]]) and (
                tokens[last[stop]].end - tokens[last[0]].start <= 14
            ):
                stop += 1
            if begin < len(first) and stop > 0:
                spans.append((tokens[first[begin]].start, tokens[last[stop - 1]].end))

    for index, token in enumerate(tokens):
        gap = key[tokens[index - 1].end:token.start] if index else ""
        if index and any(
            s.hard[i] and key[i] not in "()[]" for i in range(tokens[index - 1].end, token.start)
        ):
            close_chain()
            chain, current = [], []
        elif "、" in gap:
            chain.append(current)
            current = []
        if token.text in _CONJUNCTIONS:
            if current:
                chain.append(current)
            current = []
            continue
        current.append(index)
    close_chain()
    return spans


def _date_spans(key: str, english: bool) -> list[tuple[int, int]]:
    """Date and period spans (`2002年5月28日`, `11月29日`, `9-12月`, `1960年代`, `May 3, 2001`)."""
    pattern = _EN_DATE_RE if english else _DATE_RE
    spans = [(m.start(), m.end()) for m in pattern.finditer(key) if m.end() > m.start()]
    if not english:
        spans += [(m.start(), m.end()) for m in _EN_DATE_RE.finditer(key) if re.search(r"[a-z]", m.group())]
    return spans


# ---------------------------------------------------------------------------------------------
# Sentence analysis and alignment
# ---------------------------------------------------------------------------------------------

_EN_STOP = frozenset(
    """a an the of in on at to for by with from and or as is are was were be been being it its this that
    these those which what who whom whose when where why how do does did has have had not no than then
    there their they them he she his her we our you your i me my into over under about after before
    during between through up down out off more most also s""".split()
)
_STOP_CHARS = frozenset("的是在了和与及或为于被由将把从对以而也都就又还并且之其这那个一有所")
_FUNCTION_GAP = frozenset("的是为于在被由了将把从对向以与和及即乃又还也都就中上之所 ")
_HARD_PUNCT = frozenset(",.;:!?()[]，。；：！？（）【】")
_OPENERS = "「『“《‘\""
_CLOSERS = "」』”》’\""
_WORD_RE = re.compile(r"[0-9a-z\u00c0-\u024f]+(?:[.,'’\-][0-9a-z\u00c0-\u024f]+)*")
# POS groups (jieba tags): function words make bad answer edges; names are likely answers.
_FUNCTION_POS = frozenset("p c u uj ul uz ud ug uv d r y e o k h zg dg rr rz rg df".split())
_VERB_POS = frozenset("v vd vg vi vq".split())
_NOUN_POS = frozenset("n nr nrt nrfg ns nt nz ng nl vn an j l i s oov eng x".split())
_NAME_POS = frozenset("nr nrt nrfg ns nt nz oov eng".split())
_NUMBER_POS = frozenset({"m", "q", "mq", "uj", "ul", "f"})
_ENUM_STOP_POS = _FUNCTION_POS | _VERB_POS | _NUMBER_POS


@lru_cache(maxsize=1)
def _pos_table() -> dict[str, str]:
    """jieba's word -> part-of-speech table (loaded once; lookup is far cheaper than posseg.cut)."""
    import jieba.posseg

    return jieba.posseg.dt.word_tag_tab


@dataclass(frozen=True)
class _Unit:
    """One alignment unit of a key: a Han character, a word or number, or a punctuation mark."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class _Token:
    """A word of the sentence: key offsets, key text and a part-of-speech tag."""

    start: int
    end: int
    text: str
    pos: str


def _units(key: str) -> list[_Unit]:
    """Alignment units of a key."""
    return [_Unit(m.group(), m.start(), m.end()) for m in _UNIT.finditer(key)]


def _is_word(unit: str) -> bool:
    """A unit that may align on its own: a Latin word that is not a stop word, or a number."""
    return bool(re.match(rf"[{_WORD_CLASS}]", unit)) and unit not in _EN_STOP and (
        len(unit) > 1 or unit.isdigit()
    )


def _is_content(unit: str) -> bool:
    """A unit that can be part of an alignment run (not punctuation or a space)."""
    return bool(re.match(rf"[{_WORD_CLASS}{_HAN_CLASS}]", unit))


@dataclass(frozen=True)
class _Sentence:
    """A sentence analysed once: key, alignment units, words with tags, clause of each character."""

    text: str
    key: str
    english: bool
    units: tuple[_Unit, ...]
    tokens: tuple[_Token, ...]
    clause: tuple[int, ...]  # clause number of each key character (clauses end at hard punctuation)
    hard: tuple[bool, ...]  # clause punctuation (not the `.` or `,` inside a number like 16,487)
    cost: tuple[float, ...]  # prefix sums of the gap cost of each character (see _gap_cost)


def _tag(token: str, original: str) -> str:
    """Part of speech of a token: jieba's table, else number / Latin / unknown word (often a name)."""
    if token[0].isdigit():
        return "m"
    if re.match(rf"[{_WORD_CLASS}]", token):
        if token in _EN_STOP:
            return "u"
        return "nr" if original[:1].isupper() else "eng"
    return _pos_table().get(token, "oov")


@lru_cache(maxsize=2048)
def _sentence(text: str) -> _Sentence:
    """Analyse a sentence once (cached): key, units, tagged words and clauses."""
    key = _key(text)
    english = _is_latin(key)
    units = tuple(_units(key))
    tokens: list[_Token] = []
    if english:
        for match in _WORD_RE.finditer(key):
            tokens.append(_Token(match.start(), match.end(), match.group(),
                                 _tag(match.group(), text[match.start():match.end()])))
    else:
        position = 0
        for token in tokenize(text):
            found = key.find(token, position)
            if found < 0:
                continue
            tokens.append(_Token(found, found + len(token), token,
                                 _tag(token, text[found:found + len(token)])))
            position = found + len(token)
    clause: list[int] = []
    hard: list[bool] = []
    cost = [0.0]
    number = 0
    depth = 0
    for i, ch in enumerate(key):
        if ch in "「『“《":
            depth += 1
        elif ch in "」』”》" and depth:
            depth -= 1
        clause.append(number)
        is_hard = ch in _HARD_PUNCT and not (
            ch in ".," and 0 < i < len(key) - 1 and key[i - 1].isdigit() and key[i + 1].isdigit()
        )
        hard.append(is_hard)
        cost.append(cost[-1] + (_char_cost(ch) if is_hard or ch not in _HARD_PUNCT else 0.15))
        if is_hard and depth == 0:
            number += 1
    return _Sentence(text, key, english, units, tuple(tokens), tuple(clause), tuple(hard), tuple(cost))


@dataclass(frozen=True)
class _Run:
    """A stretch the question shares with the sentence: key offsets in both, and its side.

    `left` is True when the words stand before the question word in the question; `q_gap` is how
    far (in gap cost) they stand from the question word there (0 = right next to it).
    """

    s_start: int
    s_end: int
    q_start: int
    q_end: int
    units: int
    left: bool
    q_gap: float


def _char_cost(ch: str) -> float:
    """Gap cost of one character: function words are cheap, punctuation is expensive."""
    if ch in _HARD_PUNCT:
        return 1.5
    if ch in _FUNCTION_GAP or ch.isspace() or ch in _OPENERS or ch in _CLOSERS or ch in "·、-":
        return 0.15
    return 0.5


def _gap_cost(gap: str) -> float:
    """How far apart two stretches are (the sum of `_char_cost`)."""
    return sum(_char_cost(ch) for ch in gap)


def _cuts_name(s: _Sentence, start: int, end: int) -> bool:
    """Whether a stretch starts or ends inside a name-like word (`继光` inside `戚继光`)."""
    for token in s.tokens:
        if token.end <= start:
            continue
        if token.start >= end:
            break
        inside = token.start < start < token.end or token.start < end < token.end
        if inside and token.pos in _NAME_POS:
            return True
    return False


def _whole_token(s: _Sentence, start: int, end: int) -> bool:
    """Whether a stretch is exactly one word of the sentence."""
    return any(t.start == start and t.end == end for t in s.tokens)


def _align(q: _Question, s: _Sentence) -> list[_Run]:
    """Runs of equal units between question and sentence, on each side of the question word.

    A run counts when it has two units or more (not all stop characters), or one content word,
    or one character right next to the question word (`被` in 被哪個單位), which anchors the slot.
    """
    q_all = _units(q.key)
    sides = (
        [u for u in q_all if u.end <= q.wh_start],
        [u for u in q_all if u.start >= q.wh_end],
    )
    s_units = s.units
    n_s = len(s_units)
    runs: list[_Run] = []
    for side, q_units in enumerate(sides):
        left = side == 0
        n_q = len(q_units)
        positions: dict[str, list[int]] = {}
        for index, unit in enumerate(q_units):
            if _is_content(unit.text):
                positions.setdefault(unit.text, []).append(index)
        for p, s_unit in enumerate(s_units):
            for r in positions.get(s_unit.text, ()):
                if p > 0 and r > 0 and s_units[p - 1].text == q_units[r - 1].text:
                    continue  # not maximal on the left
                length = 1
                while (
                    p + length < n_s and r + length < n_q
                    and s_units[p + length].text == q_units[r + length].text
                    and _is_content(q_units[r + length].text)
                ):
                    length += 1
                texts = [s_units[p + k].text for k in range(length)]
                q_start, q_end = q_units[r].start, q_units[r + length - 1].end
                s_start, s_end = s_units[p].start, s_units[p + length - 1].end
                q_gap = _gap_cost(q.key[q_end:q.wh_start]) if left else _gap_cost(q.key[q.wh_end:q_start])
                keep = False
                if length >= 2:
                    keep = not all(t in _STOP_CHARS or t in _EN_STOP for t in texts)
                elif _is_word(texts[0]) or _HAN.match(texts[0]) and q_gap == 0:
                    keep = True
                if keep and length < 3 and not s.english and (
                    _cuts_name(s, s_start, s_end)
                    or q_start not in q.bounds or q_end not in q.bounds
                ):
                    keep = False
                if keep and length == 1 and not s.english and not _whole_token(s, s_start, s_end):
                    keep = False
                if keep:
                    runs.append(_Run(s_start, s_end, q_start, q_end, length, left, q_gap))
    return runs


# ---------------------------------------------------------------------------------------------
# Candidates and features
# ---------------------------------------------------------------------------------------------

_TYPE_LENGTH = {
    QuestionType.AMOUNT: 5, QuestionType.DATE: 6, QuestionType.PLACE: 5, QuestionType.PERSON: 4,
    QuestionType.ORG: 7, QuestionType.LIST: 16, QuestionType.QUOTE: 10, QuestionType.WHAT: 6,
    QuestionType.REASON: 14, QuestionType.HOW: 12, QuestionType.YESNO: 4, QuestionType.OTHER: 6,
}
_TYPE_TOKENS = {
    QuestionType.AMOUNT: 3, QuestionType.DATE: 4, QuestionType.PLACE: 4, QuestionType.PERSON: 4,
    QuestionType.ORG: 5, QuestionType.LIST: 16, QuestionType.QUOTE: 8, QuestionType.WHAT: 6,
    QuestionType.REASON: 10, QuestionType.HOW: 10, QuestionType.YESNO: 3, QuestionType.OTHER: 5,
}

# Common Chinese surnames (Simplified): a 2-4 character name starting with one is likely a person.
_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚"
    "卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
    "常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单"
    "季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚"
    "娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘"
    "池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠"
    "豆朴盖练廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰"
    "赫杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富"
    "尧闭由诸葛欧阳司马上官夏侯东方皇甫尉迟公孙慕容长孙宇文司徒"
)

_FAMILY = {
    QuestionType.AMOUNT: 0, QuestionType.DATE: 0, QuestionType.PERSON: 1, QuestionType.PLACE: 1,
    QuestionType.ORG: 1, QuestionType.QUOTE: 2, QuestionType.LIST: 2, QuestionType.WHAT: 2,
    QuestionType.REASON: 2, QuestionType.HOW: 2, QuestionType.YESNO: 2, QuestionType.OTHER: 0,
}
_COPULA_AFTER = re.compile(r"\s*(?:是|为|乃|即|系|称为|被称为|被誉为|被视为|作为|就是|成为)")
_COPULA_BEFORE = re.compile(r"(?:是|为|乃|即|系|称为|叫做|叫|名为|就是|成为)\s*$")

FEATURES = (
    "la_same", "ra_same", "la_any", "ra_any", "both", "prox_same", "prox_other", "clause", "len",
    "len_over", "short", "form_num", "form_ent", "form_text", "unit", "head", "first_fn", "last_fn",
    "first_v", "last_v", "noun_end", "named", "number", "covered", "punct", "seg_whole", "seg_edge",
    "no_runs", "cop_right", "cop_left", "cop_right_front", "cop_left_back", "typed_num", "typed_ent",
    "typed_text", "enum_whole", "enum_cut", "enum_list", "clause_start", "clause_start_front",
    "q_overlap", "lc_sim", "rc_sim", "lc_far", "rc_far", "clause_chars",
    "person_like", "sent_start", "sent_start_front", "is_time", "head_left",
)


def _form_fit(
    q: _Question, s: _Sentence, start: int, end: int, tokens: Sequence[_Token], has_digit: bool
) -> tuple[float, float]:
    """How well a span's form fits the question type, and whether it carries the expected unit."""
    text = s.key[start:end]
    qtype = q.qtype
    unit = 0.0
    if qtype is QuestionType.AMOUNT or (qtype is QuestionType.OTHER and q.unit_class):
        if s.english:
            form = 1.0 if _EN_NUMBER_RE.fullmatch(text) else (0.4 if has_digit else -0.6)
        elif _AMOUNT_RE.fullmatch(text) and (has_digit or _CHINESE_DIGIT.search(text)):
            form = 1.0
        elif has_digit or re.search(r"[一二三四五六七八九十百千万亿两半几]", text):
            form = 0.4
        else:
            form = -0.8
        if q.unit and q.unit in text:
            unit = 1.0
        elif q.unit_class == "percent":
            unit = 1.0 if re.search(r"%|百分|percent", text) else -0.5
        elif q.unit_class == "money":
            unit = 1.0 if re.search(r"元|币|镑|\$|dollar|yuan", text) else -0.5
        elif q.unit_class == "area":
            unit = 1.0 if re.search(r"亩|平方|公顷|acre|square", text) else -0.5
        elif q.unit:
            unit = -0.5 if re.search(_UNITS_RE, text) else 0.0
        if re.fullmatch(r"\d{4}年?", text) and q.unit != "年":
            form -= 0.5
        if text.startswith("第") and not q.ordinal:
            form -= 1.0
        return form, unit
    if qtype is QuestionType.DATE:
        pattern = _EN_DATE_RE if s.english else _DATE_RE
        if pattern.fullmatch(text):
            return 1.2, 0.0
        if pattern.search(text):
            return 0.6, 0.0
        if re.search(r"时期|时代|年间|朝|世纪|年代|时候|之后|之前|期间|初期|末期|时$|年$", text):
            return 0.4, 0.0
        if any(t.pos in ("t", "tg") for t in tokens):
            return 0.4, 0.0
        return -0.4, 0.0
    if qtype is QuestionType.PERSON:
        form = 0.0
        if has_digit:
            form -= 0.8
        if any(t.pos in ("nr", "nrt", "nrfg") for t in tokens):
            form += 0.6
        elif any(t.pos == "oov" for t in tokens):
            form += 0.3
        if "·" in text or "‧" in text or "•" in text:
            form += 0.4
        if _PERSON_CUE.search(text):
            form += 0.2
        return form, 0.0
    if qtype is QuestionType.PLACE:
        form = 0.0
        if _PLACE_SUFFIX.search(text):
            form += 0.5
        if any(t.pos == "ns" for t in tokens):
            form += 0.5
        if has_digit:
            form -= 0.5
        return form, 0.0
    if qtype is QuestionType.ORG:
        form = 0.0
        if _ORG_SUFFIX.search(text):
            form += 0.5
        if any(t.pos == "nt" for t in tokens):
            form += 0.5
        if has_digit:
            form -= 0.3
        return form, 0.0
    if qtype is QuestionType.QUOTE:
        if _QUOTE_RE.fullmatch(text):
            return 1.2, 0.0
        return (0.4 if _QUOTE_RE.search(text) else 0.0), 0.0
    if qtype is QuestionType.LIST:
        separators = len(_LIST_SEP.findall(text))
        return (min(1.2, 0.6 * separators) if separators else -0.4), 0.0
    if qtype in (QuestionType.REASON, QuestionType.HOW):
        if re.search(r"因为|由于|为了|以便|因此|所以|原因|目的|because|due to|in order|so that", text):
            return 0.6, 0.0
        return 0.0, 0.0
    if qtype is QuestionType.WHAT and _QUOTE_RE.fullmatch(text):
        return 0.3, 0.0
    return 0.0, 0.0


_PAIRS = ("「」", "『』", "“”", "《》", "()", "‘’", "【】")
_PAIR_CHARS = frozenset("".join(_PAIRS))


def _balanced(key: str, start: int, end: int) -> bool:
    """Whether quotes and brackets in a span are balanced (no half of a 「...」 pair)."""
    return all(key.count(left, start, end) == key.count(right, start, end) for left, right in _PAIRS)


_QUOTE_TYPES = frozenset({
    QuestionType.QUOTE, QuestionType.LIST, QuestionType.WHAT, QuestionType.ORG, QuestionType.PLACE,
})


def _alnum(text: str) -> str:
    """The letters and digits of a text, without spaces and punctuation."""
    return "".join(ch for ch in text if ch.isalnum())


def _spans(
    q: _Question, s: _Sentence, covered: list[bool]
) -> dict[tuple[int, int], tuple[int, bool, bool]]:
    """Candidate spans -> (segment id, whole segment?, typed?): word spans inside uncovered
    stretches, and typed spans (amounts, dates, quotes) anywhere."""
    key = s.key
    qtype = q.qtype
    list_like = qtype in (QuestionType.LIST, QuestionType.QUOTE)
    long_like = qtype in (QuestionType.LIST, QuestionType.QUOTE, QuestionType.REASON, QuestionType.HOW)
    max_tokens = _TYPE_TOKENS[qtype]
    max_chars = 40 if long_like else 24
    # Uncovered word stretches: consecutive words not aligned to the question, not split by
    # clause punctuation (nor by 、 unless a list is asked for).
    segments: list[list[_Token]] = []
    current: list[_Token] = []
    previous_end = None
    for token in s.tokens:
        token_covered = sum(covered[token.start:token.end]) * 2 > token.end - token.start
        gap = key[previous_end:token.start] if previous_end is not None else ""
        breaks = (previous_end is not None and any(s.hard[previous_end:token.start])) or (
            not list_like and "、" in gap
        )
        if token_covered or breaks:
            if current:
                segments.append(current)
            current = []
        if not token_covered:
            current.append(token)
        previous_end = token.end
    if current:
        segments.append(current)
    spans: dict[tuple[int, int], tuple[int, bool, bool]] = {}
    pairs_sum = _prefix(ch in _PAIR_CHARS for ch in key)
    # A span that starts or ends on a function word (於, 的, 也 ...) is never the best one, except
    # for reasons and ways, which may start with 因為 / 通過.
    prune = qtype not in (QuestionType.REASON, QuestionType.HOW)
    for seg_id, segment in enumerate(segments):
        n = len(segment)
        for i in range(n):
            if prune and segment[i].pos in _FUNCTION_POS and n > 1:
                continue
            for j in range(i, min(n, i + max_tokens)):
                start, end = segment[i].start, segment[j].end
                if end - start > max_chars:
                    break
                if prune and segment[j].pos in _FUNCTION_POS and j > i:
                    continue
                if pairs_sum[end] == pairs_sum[start] or _balanced(key, start, end):
                    spans[(start, end)] = (seg_id, i == 0 and j == n - 1, False)
    typed: list[tuple[int, int]] = []
    if qtype in (QuestionType.AMOUNT, QuestionType.OTHER) or q.unit_class:
        typed += _amount_spans(key)
        if s.english:
            typed += [(m.start(), m.end()) for m in _EN_NUMBER_RE.finditer(key)]
    if qtype is QuestionType.DATE:
        typed += _date_spans(key, s.english)
    if qtype in _QUOTE_TYPES:
        for match in _QUOTE_RE.finditer(key):
            typed.append((match.start(), match.end()))
            typed.append((match.start() + 1, match.end() - 1))
    if qtype in (QuestionType.LIST, QuestionType.QUOTE):
        typed += _enumerations(s)
    said = _alnum(q.key)
    for start, end in typed:
        if sum(covered[start:end]) * 5 >= (end - start) * 4:
            continue  # the question already says it (`“生態”二字...`)
        if said and (inner := _alnum(key[start:end])) and inner in said:
            continue  # ... though the alignment matched it elsewhere (a quoted name said twice)
        while start < end and key[start].isspace():
            start += 1
        while end > start and key[end - 1].isspace():
            end -= 1
        if end > start:
            seg_id, whole, _ = spans.get((start, end), (-1, False, True))
            spans[(start, end)] = (seg_id, whole, True)
    return spans


def _anchor_tables(
    q: _Question, s: _Sentence, runs: list[_Run], starts: set[int], ends: set[int]
) -> tuple[dict[int, tuple[float, float]], dict[int, tuple[float, float]]]:
    """For each span start (end): the best (same-side, any-side) adjacent anchor value."""
    prefix = s.cost
    left: dict[int, tuple[float, float]] = {}
    right: dict[int, tuple[float, float]] = {}
    for position in starts:
        same = anything = 0.0
        for run in runs:
            if run.s_end <= position:
                cost = prefix[position] - prefix[run.s_end]
                if cost >= 1.5:
                    continue
                value = min(1.0, 0.45 + 0.2 * run.units) * (1.0 - cost / 1.5)
                anything = max(anything, value)
                if run.left:
                    same = max(same, value / (1.0 + run.q_gap))
        left[position] = (same, anything)
    for position in ends:
        same = anything = 0.0
        for run in runs:
            if run.s_start >= position:
                cost = prefix[run.s_start] - prefix[position]
                if cost >= 1.5:
                    continue
                value = min(1.0, 0.45 + 0.2 * run.units) * (1.0 - cost / 1.5)
                anything = max(anything, value)
                if not run.left:
                    same = max(same, value / (1.0 + run.q_gap))
        right[position] = (same, anything)
    return left, right


def _context_weights(q_context: str, reverse: bool) -> dict[str, float]:
    """Weights of the question's characters next to its question word: 1 next to it, then 1/2, 1/3..."""
    if reverse:
        q_context = q_context[::-1]
    weights: dict[str, float] = {}
    for i, ch in enumerate(q_context):
        if ch.isalnum() and ch not in _STOP_CHARS and ch not in weights:
            weights[ch] = 1.0 / (1 + i)
    return weights


def _context_sim(context: str, weights: dict[str, float], reverse: bool) -> float:
    """Soft match of the text next to a span with the text next to the question word: shared
    characters, weighted by how close to the span (and to the question word) they stand."""
    if not context or not weights:
        return 0.0
    if reverse:
        context = context[::-1]
    total = 0.0
    seen: set[str] = set()
    for i, ch in enumerate(context):
        weight = weights.get(ch)
        if weight is not None and ch not in seen:
            seen.add(ch)
            total += weight / (1 + i)
    return min(1.0, total)


def _prefix(flags: Iterable[bool | int | float]) -> list[float]:
    """Prefix sums: `p[b] - p[a]` is the total over `[a, b)`."""
    total = 0.0
    sums = [0.0]
    for flag in flags:
        total += flag
        sums.append(total)
    return sums


def _features(q: _Question, s: _Sentence) -> list[tuple[int, int, list[float]]]:
    """Every candidate span of the sentence with its feature vector (see FEATURES).

    Features that depend only on where a span starts (anchors and context on its left) or ends
    are computed once per position; the rest per span, with prefix sums where they count.
    """
    runs = _align(q, s)
    key = s.key
    covered = [False] * len(key)
    for run in runs:
        covered[run.s_start:run.s_end] = [True] * (run.s_end - run.s_start)
    spans = _spans(q, s, covered)
    if not spans:
        return []
    # Head-noun variants: the span plus the head noun that follows it (漢中 + 盆地).
    head_pieces = [p for p in dict.fromkeys((q.head, q.head[-2:], q.head[-1:])) if p] if q.head else []
    if head_pieces and not q.english:
        for (start, end), info in list(spans.items()):
            for piece in head_pieces:
                if key.startswith(piece, end):
                    spans.setdefault((start, end + len(piece)), (info[0], False, info[2]))
                    break
    # The span without a head noun it ends on: anchors on the right are looked up there.
    effective: dict[tuple[int, int], int] = {}
    for start, end in spans:
        effective[(start, end)] = end
        for piece in head_pieces:
            if end - start > len(piece) and key.endswith(piece, start, end):
                effective[(start, end)] = end - len(piece)
                break
    qtype = q.qtype
    ideal = _TYPE_LENGTH[qtype]
    family = _FAMILY[qtype]
    is_list = 1.0 if qtype is QuestionType.LIST else 0.0
    no_runs = 0.0 if runs else 1.0
    # Is the slot at the front of the question (the answer is a subject) or at its end?
    front = 1.0 if len(re.sub(r"\W", "", q.key[:q.wh_start])) <= 1 else 0.0
    q_chars = {ch for ch in q.key[:q.wh_start] + q.key[q.wh_end:] if ch.isalnum() and ch not in _STOP_CHARS}
    matched = sum(run.units for run in runs)
    clause_units: dict[int, int] = {}
    for run in runs:
        clause_units[s.clause[run.s_start]] = clause_units.get(s.clause[run.s_start], 0) + run.units
    clause_text: dict[int, list[str]] = {}
    for ch, clause_id in zip(key, s.clause, strict=True):
        clause_text.setdefault(clause_id, []).append(ch)
    clause_chars = {
        clause_id: sum(1 for ch in q_chars if ch in set(chars)) / max(1, len(q_chars))
        for clause_id, chars in clause_text.items()
    }
    covered_sum = _prefix(covered)
    hard_sum = _prefix(s.hard)
    alnum_sum = _prefix(ch.isalnum() for ch in key)
    q_char_sum = _prefix(ch in q_chars for ch in key)
    digit_sum = _prefix(ch.isdigit() for ch in key)
    starts = {a for a, _ in spans}
    ends = set(effective.values())
    left_table, right_table = _anchor_tables(q, s, runs, starts, ends)
    q_left = _context_weights(q.key[max(0, q.wh_start - 8):q.wh_start], reverse=True)
    q_left_far = _context_weights(q.key[max(0, q.wh_start - 20):q.wh_start], reverse=True)
    q_right = _context_weights(q.key[q.wh_end:q.wh_end + 8], reverse=False)
    q_right_far = _context_weights(q.key[q.wh_end:q.wh_end + 20], reverse=False)
    first_alnum = next((i for i, ch in enumerate(key) if ch.isalnum()), 0)
    # Per start: anchors, context, clause and position on the left of a span.
    at_start: dict[int, tuple[float, ...]] = {}
    for start in starts:
        same = other = 0.0
        for run in runs:
            if run.s_end <= start:
                value = min(1.0, 0.3 + 0.2 * run.units) * 2.0 ** (-(start - run.s_end) / 6)
                if run.left:
                    same += value
                else:
                    other += value
        clause_id = s.clause[start]
        before = len(key[:start].rstrip(" " + _OPENERS))
        clause_start = 1.0 if not before or s.hard[before - 1] else 0.0
        sent_start = 1.0 if start <= first_alnum else 0.0
        at_start[start] = (
            *left_table[start], same, other,
            clause_units.get(clause_id, 0) / matched if matched else 0.0, clause_chars[clause_id],
            _context_sim(key[max(0, start - 8):start], q_left, reverse=True),
            _context_sim(key[max(0, start - 20):start], q_left_far, reverse=True),
            clause_start, sent_start,
            1.0 if _COPULA_BEFORE.search(key[max(0, start - 4):start]) else 0.0,
            1.0 if key[start - 1:start] == "、" else 0.0,
        )
    # Per (body end, end): anchors and context on the right of a span.
    at_end: dict[tuple[int, int], tuple[float, ...]] = {}
    for (_, end), body_end in effective.items():
        if (body_end, end) in at_end:
            continue
        same = other = 0.0
        for run in runs:
            if run.s_start >= body_end:
                value = min(1.0, 0.3 + 0.2 * run.units) * 2.0 ** (-max(0, run.s_start - end) / 6)
                if run.left:
                    other += value
                else:
                    same += value
        at_end[(body_end, end)] = (
            *right_table[body_end], same, other,
            _context_sim(key[body_end:body_end + 8], q_right, reverse=False),
            _context_sim(key[body_end:body_end + 20], q_right_far, reverse=False),
            1.0 if _COPULA_AFTER.match(key, end) else 0.0,
            1.0 if key[end:end + 1] == "、" else 0.0,
        )
    tokens_all = s.tokens
    starts_at = {t.start: i for i, t in enumerate(tokens_all)}
    ends_at = {t.end: i for i, t in enumerate(tokens_all)}
    segment_bounds: dict[int, tuple[int, int]] = {}
    for (start, end), (seg_id, whole, _) in spans.items():
        if whole:
            segment_bounds[seg_id] = (start, end)
    list_like = qtype in (QuestionType.LIST, QuestionType.QUOTE)
    is_person = qtype is QuestionType.PERSON
    result: list[tuple[int, int, list[float]]] = []
    for (start, end), (seg_id, whole, typed) in spans.items():
        text = key[start:end]
        first_index = starts_at.get(start)
        last_index = ends_at.get(end)
        if first_index is not None and last_index is not None:
            tokens = tokens_all[first_index:last_index + 1]
        else:
            tokens = tuple(t for t in tokens_all if t.start < end and t.end > start)
        body_end = effective[(start, end)]
        (la_same, la_any, prox_l_same, prox_l_other, clause_share, clause_q, lc_sim, lc_far,
         clause_start, sent_start, cop_left, enum_left) = at_start[start]
        ra_same, ra_any, prox_r_same, prox_r_other, rc_sim, rc_far, cop_right, enum_right = at_end[
            (body_end, end)
        ]
        length = len(text.split()) * 2 if s.english else alnum_sum[end] - alnum_sum[start]
        has_digit = digit_sum[end] > digit_sum[start]
        form, unit = _form_fit(q, s, start, end, tokens, has_digit)
        first_pos = tokens[0].pos if tokens else "x"
        last_pos = tokens[-1].pos if tokens else "x"
        has_enum = "、" in text
        punct = hard_sum[end] > hard_sum[start] or (has_enum and not list_like)
        bounds = segment_bounds.get(seg_id)
        enum_whole = 1.0 if has_enum and not enum_left and not enum_right else 0.0
        person_like = 0.0
        if is_person and (
            (2 <= len(text) <= 4 and text[0] in _SURNAMES and all(_HAN.match(ch) for ch in text))
            or "·" in text or "‧" in text or "•" in text
        ):
            person_like = 1.0
        typed_value = 1.0 if typed else 0.0
        is_time = 1.0 if family != 0 and tokens and all(t.pos in ("t", "tg") for t in tokens) else 0.0
        head_left = 1.0 if any(key.endswith(piece, 0, start) for piece in head_pieces[:2]) else 0.0
        result.append((start, end, [
            la_same, ra_same, la_any, ra_any, min(la_any, ra_any),
            min(prox_l_same + prox_r_same, 2.0), min(prox_l_other + prox_r_other, 2.0), clause_share,
            min(length / ideal, 3.0), max(0.0, length / ideal - 1.0), 1.0 if length <= 1 else 0.0,
            form if family == 0 else 0.0, form if family == 1 else 0.0, form if family == 2 else 0.0,
            unit, 1.0 if body_end < end else 0.0,
            1.0 if first_pos in _FUNCTION_POS else 0.0, 1.0 if last_pos in _FUNCTION_POS else 0.0,
            1.0 if first_pos in _VERB_POS else 0.0, 1.0 if last_pos in _VERB_POS else 0.0,
            1.0 if last_pos in _NOUN_POS else 0.0,
            1.0 if any(t.pos in _NAME_POS for t in tokens) else 0.0,
            1.0 if has_digit else 0.0,
            (covered_sum[body_end] - covered_sum[start]) / max(1, end - start),
            1.0 if punct else 0.0, 1.0 if whole else 0.0,
            1.0 if bounds and (start == bounds[0] or end == bounds[1]) else 0.0,
            no_runs, cop_right, cop_left, cop_right * front, cop_left * (1.0 - front),
            typed_value if family == 0 else 0.0, typed_value if family == 1 else 0.0,
            typed_value if family == 2 else 0.0,
            enum_whole, 1.0 if enum_left or enum_right else 0.0, enum_whole * is_list,
            clause_start, clause_start * front,
            (q_char_sum[end] - q_char_sum[start]) / max(1, end - start),
            lc_sim, rc_sim, lc_far, rc_far, clause_q, person_like, sent_start, sent_start * front,
            is_time, head_left,
        ]))
    return result


# Weights of FEATURES, tuned on DRCD dev and the built-in dev gold (bench/extract_dev.py --fit).
WEIGHTS: dict[str, float] = {
    "la_same": 0.190, "ra_same": 0.230, "la_any": 0.008, "ra_any": 0.251, "both": -0.225,
    "prox_same": 0.185, "prox_other": 0.040, "clause": 0.587, "len": 0.411, "len_over": -0.666,
    "short": -0.366, "form_num": 1.965, "form_ent": 1.036, "form_text": 0.570, "unit": 0.354,
    "head": 1.142, "first_fn": -0.671, "last_fn": -0.548, "first_v": -0.505, "last_v": -0.507,
    "noun_end": 0.376, "named": 0.510, "number": -0.219, "covered": 0.062, "punct": 0.395,
    "seg_whole": 0.144, "seg_edge": 0.047, "no_runs": 0.000, "cop_right": 0.481, "cop_left": 0.328,
    "cop_right_front": -0.059, "cop_left_back": -0.106, "typed_num": 0.294, "typed_ent": 1.039,
    "typed_text": 1.001, "enum_whole": -0.186, "enum_cut": -0.185, "enum_list": -0.083,
    "clause_start": -0.056, "clause_start_front": 0.144, "q_overlap": -0.706, "lc_sim": 0.995,
    "rc_sim": 0.308, "lc_far": 0.326, "rc_far": 0.482, "clause_chars": 0.392, "person_like": 0.940,
    "sent_start": 0.697, "sent_start_front": 0.073, "is_time": -0.350, "head_left": -0.039,
}
_WEIGHT_VECTOR = [WEIGHTS.get(name, 0.0) for name in FEATURES]


def _score(vector: list[float], weights: dict[str, float]) -> float:
    """Linear score of a feature vector."""
    if weights is WEIGHTS:
        return sum(map(operator.mul, _WEIGHT_VECTOR, vector))
    return sum(weights.get(name, 0.0) * value for name, value in zip(FEATURES, vector, strict=True))


def candidate_features(question: str, sentence: str) -> list[tuple[int, int, list[float]]]:
    """Candidate answer spans (`start`, `end` into the sentence) with their feature vectors.

    Why: the benchmark script fits `WEIGHTS` on these; the answerer needs only
    `extract_short_answer`.
    """
    return _features(_analyse(question), _sentence(sentence))


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------

#: Below these scores the answer is not crisp enough: the caller shows the sentence instead.
_FORM_NUM, _UNIT_FIT = FEATURES.index("form_num"), FEATURES.index("unit")
MIN_SCORE = {
    QuestionType.REASON: 1.0, QuestionType.HOW: 1.0,
}
#: Types whose answer can only be placed by the question's own words (no form to look for).
_NEEDS_ALIGNMENT = frozenset({
    QuestionType.WHAT, QuestionType.HOW, QuestionType.REASON, QuestionType.OTHER, QuestionType.PLACE,
    QuestionType.ORG,
})
_A_NOT_A = re.compile(r"(.)[不没](\1)(.?)")


def _yes_no(q: _Question, sentence: str) -> ShortAnswer | None:
    """`可不可以` / `是不是` / `有沒有`: the form the sentence uses (`不可以` or `可以`), else None."""
    match = _A_NOT_A.search(q.key)
    if not match:
        return None
    tail = match.group(3)
    positive = match.group(1) + tail if tail and _HAN.match(tail) else match.group(1)
    key = _key(sentence)
    negation = "没" if "没" in match.group() else "不"
    for form in (negation + positive, positive):
        found = key.find(form)
        if found >= 0:
            return ShortAnswer(sentence[found:found + len(form)], found, found + len(form), q.qtype, 1.0)
    return None


#: Times that are no calendar date: a dynasty or era, a geological period, a festival, a season, a
#: cyclical year (庚申年), a month in Chinese numerals.
_ERA = re.compile(
    r"[夏商周秦汉晋隋唐宋元明清][代朝初末]|[东西南北][汉晋周魏宋]|三国|五代|战国|春秋时|"
    r"(?:寒武|奥陶|志留|泥盆|石炭|二叠|三叠|侏罗|白垩|古近|新近|第四)纪|"
    r"春节|元宵|端午|中秋|重阳|清明|除夕|七夕|冬至|农历|[春夏秋冬][季天]|"
    r"[甲乙丙丁戊己庚辛壬癸][子丑寅卯辰巳午未申酉戌亥]年|"
    r"(?<![一二三四五六七八九十])(?:[一二三四五六七八九]|十[一二]?)月[一二三四五六七八九十初廿]{0,3}[日号]?"
)
#: A share: a percentage, a fraction (`1/3`, `三分之一`), tenths (`七成`), a half.
_SHARE = r"%|百分|percent|分之|\d/\d|[\d一二三四五六七八九]成|一半|半数"
_TIME_UNIT = r"年|月|天|日|周|小时|世纪|year|month|day|week|hour|centur"
_CHINESE_MAGNITUDE = re.compile(r"[一二三四五六七八九两几数]+[十百千万亿][一二三四五六七八九十百千万亿]*")


def type_fit(question: str, sentence: str) -> float:
    """How well a sentence can answer this type of question, in [0, 1].

    Why: the answerer mixes it with dense and lexical scores to pick the sentence it cites, so that
    an AMOUNT question cites a sentence with a number in the right unit, a DATE question one with a
    date, a QUOTE question one with a quoted name, a LIST question an enumeration.
    """
    q = _analyse(question)
    key = _key(sentence)
    english = _is_latin(key)
    qtype = q.qtype
    if qtype is QuestionType.AMOUNT or (qtype is QuestionType.OTHER and q.unit_class):
        spans = [key[a:b] for a, b in _amount_spans(key)]
        if english:
            spans += [m.group() for m in _EN_NUMBER_RE.finditer(key)]
        else:  # a round number in Chinese numerals needs no unit (`不到三千`)
            spans += _CHINESE_MAGNITUDE.findall(key)
        if not spans:
            return 0.1
        digits = any(ch.isdigit() for span in spans for ch in span)
        if q.unit and any(q.unit in span for span in spans):
            return 1.0
        if q.unit_class == "money" and any(re.search(r"元|币|\$|dollar|yuan", span) for span in spans):
            return 1.0
        if q.unit_class == "percent" and any(re.search(_SHARE, span) for span in spans):
            return 1.0
        if _DURATION.search(q.key) and any(re.search(_TIME_UNIT, span) for span in spans):
            return 1.0  # `四十三年`, `三個月` answer `多久`
        if q.unit_class == "area" and any(re.search(r"亩|平方|公顷", span) for span in spans):
            return 1.0
        if q.unit_class == "count" and not english:
            dates = _date_spans(key, english)
            if all(any(a < d_end and d_start < b for d_start, d_end in dates)
                   or re.search(r"[元%‰亩年月日号]|平方|公顷|百分", key[a:b]) for a, b in _amount_spans(key)):
                return 0.2  # only dates, money or shares: no count of people or things
        if not digits:  # only Chinese numerals (三線, 兩核): weak evidence of an amount
            return 0.3
        return 0.6 if (q.unit or q.unit_class) else 0.8
    if qtype is QuestionType.DATE:
        if _date_spans(key, english):
            return 1.0
        if not english and _ERA.search(key):
            return 0.8  # a time that is no calendar date: 唐代, 白堊紀中期, 元宵節前後
        # Weaker: an era word, or what may be a reign year (嘉禾二年) or a count of years (連續三年).
        weak = r"时期|时代|年间|世纪|年代|朝|[\u4e00-\u9fff]{2}[元一二三四五六七八九十]年"
        return 0.4 if re.search(weak, key) else 0.1
    if qtype is QuestionType.PERSON:
        if _PERSON_CUE.search(key) or (english and _EN_PERSON_RE.search(sentence)):
            return 0.9
        return 0.5
    if qtype is QuestionType.QUOTE:
        return 1.0 if _QUOTE_RE.search(key) else 0.4
    if qtype is QuestionType.LIST:
        separators = len(_LIST_SEP.findall(key))
        if "、" in key or (english and separators >= 2):
            return 1.0
        return 0.7 if separators else 0.3
    if qtype is QuestionType.PLACE:
        return 0.8 if re.search(_PLACE_SUFFIX.pattern.rstrip("$"), key) else 0.5
    if qtype is QuestionType.ORG:
        return 0.8 if re.search(_ORG_SUFFIX.pattern.rstrip("$"), key) else 0.5
    if qtype is QuestionType.REASON:
        cue = r"因为|由于|为了|因此|所以|原因|目的|以便|because|due to|so that|in order"
        return 0.9 if re.search(cue, key) else 0.5
    return 0.5


#: Question types whose answer has a form a span visibly holds or lacks (a date, an amount).
_FORMED_TYPES = frozenset({QuestionType.DATE, QuestionType.AMOUNT})
_YEAR_RE = re.compile(r"\d{3,4}|年|世纪|century|\d0s")  # 1857, 庚申年, 元年, 1990s
# A time that is no calendar date still answers `何時`: an era (宋朝, 啟蒙時代), a reign year
# (嘉定十四年), a season or a moment (秋季, 傍晚時份, 一局比賽結束之後).
_TIME_WORD = re.compile(
    r"年|月|日|天|号|时|期|代|朝|世纪|纪|季|节|旬|初|末|前|后|间|晚|早|午|夜|春|夏|秋|冬|周|星期|"
    r"\b(?:year|month|day|week|century|era|age|period|dynasty|spring|summer|autumn|fall|winter|"
    r"morning|evening|night|before|after|during)s?\b"
)
_DURATION = re.compile(r"多久|多长时间|多少年|多少个?月|多少天|\bhow long\b")
_PEOPLE_UNITS = frozenset("人 名 位 人次 员".split())


def _asks_form(q: _Question) -> bool:
    """Whether the answer has a form a span visibly holds or lacks (a date, an amount)."""
    return q.qtype in _FORMED_TYPES or (q.qtype is QuestionType.OTHER and q.unit_class is not None)


def answer_form_absent(question: str, sentence: str, fit: float | None = None) -> bool:
    """Whether the sentence holds nothing of the form the question asks for: no date at all for
    `何時`, only dates or sums of money for `有多少人` (type fit <= 0.2; pass `fit` when the caller
    has already computed type_fit(question, sentence)).

    Why: stronger evidence than a short answer of the wrong form (which may be the extractor's
    slip): for DRCD dev's date and amount questions it holds for 1.5% of the sentences that answer
    and 4% of the on-topic ones that don't.
    """
    if not _asks_form(_analyse(question)):
        return False
    return (type_fit(question, sentence) if fit is None else fit) <= 0.2


def _names(tokens: Iterable[_Token], unknown: bool = False) -> list[str]:
    """The names among the tokens (_NAME_POS); an unknown word counts only when `unknown` (in a
    question it is mostly a name the dictionary lacks, 雁山; in a long sentence often a mis-cut)."""
    wanted = _NAME_POS if unknown else _NAME_POS - {"oov"}
    return [t.text for t in tokens if t.pos in wanted and len(t.text) >= 2]


def _mentions(name: str, text: str) -> bool:
    """Whether `text` holds any two neighbouring characters of `name` (`英宗` mentions `元英宗`)."""
    return any(name[i:i + 2] in text for i in range(len(name) - 1))


def answer_subject_mismatch(question: str, sentence: str, short: ShortAnswer | None) -> bool:
    """Whether an amount is said of something else: the clause holding it names, before it, a thing
    the question never mentions, and none of the names the question does mention.

    Why: `雁山科技生態城的總規劃面積是多少？` finds `據雁山科技生態城規劃，青科大TOD項目規劃佔地面積
    約15.7畝`: the right attribute, in the asked unit, of one project inside the city. On DRCD dev's
    amount questions it holds for 2 of 119 sentences that answer and 17 of 130 on-topic ones that don't.
    """
    q = _analyse(question)
    if q.qtype is not QuestionType.AMOUNT or q.english or short is None:
        return False
    s = _sentence(sentence)
    if s.english or s.key[short.start:short.end] != _key(short.text):
        return False
    asked = _names((t for t in _sentence(question).tokens if t.end <= q.wh_start or t.start >= q.wh_end),
                   unknown=True)
    if not asked:
        return False  # nothing to compare with
    clause = s.clause[short.start]
    first = s.clause.index(clause)
    last = len(s.clause) - s.clause[::-1].index(clause)
    before = _names(t for t in s.tokens if first <= t.start and t.end <= short.start)
    foreign = [name for name in before if not _mentions(name, q.key)]
    return bool(foreign) and not any(_mentions(name, s.key[first:last]) for name in asked)


_CLAUSE_END = re.compile(r"[，。；：、,;:？?！!（(]")


def _after_count(key: str, end: int) -> str:
    """The few characters after a count that say what it counts, up to the clause's end
    (`二级分行` after `四家` in `四家二级分行，37家网点`)."""
    return _CLAUSE_END.split(key[end:end + 8], maxsplit=1)[0]


def _counts_in(key: str, unit: str) -> Iterator[re.Match[str]]:
    """The numbers in `unit` a key holds (`37家`, `四家`)."""
    return re.finditer(rf"(?:{_DIGITS}|{_CNUM}){re.escape(unit)}", key)


def _counted_word(key: str, end: int) -> str:
    """What the count ending at `end` is of, when the word right after it is a noun or a modifier of
    one (`網點` in `37家網點中`, `二級` in `四家二級分行`); '' when the count ends its clause or a
    preposition or verb follows (`幾家在青島`)."""
    words = tokenize(_after_count(key, end))
    word = words[0] if words else ""
    if word and _HAN.match(word[0]) and (_is_nounish(word) or _pos_table().get(word) == "b"):
        return word
    return ""


def _asked_count_noun(q: _Question) -> str:
    """The noun a Chinese count question counts: the word after its unit (`幾家網點` -> 网点), or,
    when the unit ends the question (`37家網點中，青島市內有幾家`), the word after another number in
    that unit in the question. '' when there is none."""
    if q.english or q.unit not in _COUNT_UNITS:
        return ""
    unit = q.unit
    if q.key.startswith(unit, q.wh_end) and (noun := _counted_word(q.key, q.wh_end + len(unit))):
        return noun
    for match in _counts_in(q.key, unit):
        if not match.start() <= q.wh_start < match.end() and (noun := _counted_word(q.key, match.end())):
            return noun
    return ""


def _counts_another_noun(q: _Question, s: _Sentence, end: int) -> bool:
    """Whether the count ending at `end` is of another thing than the question counts, while the
    sentence counts the asked thing elsewhere (`四家二級分行，37家網點` for how many 網點)."""
    noun = _asked_count_noun(q)
    if not noun or noun in _after_count(s.key, end):
        return False
    if not _counted_word(s.key, end):
        return False  # `網點共37家`: what it counts comes before it
    return any(m.end() != end and noun in _after_count(s.key, m.end())
               for m in _counts_in(s.key, q.unit or ""))


def answer_form_missing(question: str, sentence: str, short: ShortAnswer | None) -> float:
    """How far the answer falls short of the form the question asks for, in [0, 1]: 0 when the
    short answer is a date for `何時`, a year for `哪一年`, a number in the asked unit for
    `多少名員工`; 1 when it is not (`11月` for `有多少人`, `11月29日` for `哪一年`, `四家二級分行`
    for how many of the `37家網點`). Other questions get 0; without a short answer, the sentence's
    type fit decides.

    Why: a sentence on the right topic that cannot give an answer of the asked form is the commonest
    near-miss of an unanswerable question; the abstention rule reads this.
    """
    q = _analyse(question)
    if not _asks_form(q):
        return 0.0
    if short is None or sentence[short.start:short.end] != short.text:
        return 1.0 - type_fit(question, sentence)
    s = _sentence(sentence)
    start, end = short.start, short.end  # key offsets are text offsets (see _key)
    key = s.key[start:end]
    tokens = tuple(t for t in s.tokens if t.start < end and t.end > start)
    has_digit = any(ch.isdigit() for ch in key)
    form, unit = _form_fit(q, s, start, end, tokens, has_digit)
    if q.qtype is QuestionType.DATE:
        asks_year = q.head == "年" or re.search(r"\b(?:what|which) year\b", q.key)
        if asks_year and not _YEAR_RE.search(key):
            return 1.0  # `11月29日` does not say which year
        if form >= 1.0 or _TIME_WORD.search(key if s.english else key[-2:]):
            return 0.0  # (a Chinese time ends on its time word: 宋朝時, 元宵節前後, 晉末宋初)
        return 0.4 if form > 0 else 1.0
    if q.ordinal and key.startswith(("第", "首")):
        return 0.0  # a rank (第6, 首款) answers `第幾` whatever the unit
    if _DURATION.search(q.key):
        if (has_digit or _CHINESE_DIGIT.search(key)) and re.search(_TIME_UNIT, key):
            return 0.0  # `1500年`, `三個月` answer `多久`
    elif (_EN_DATE_RE if s.english else _DATE_RE).fullmatch(key) and not re.search(
            r"年|月|天|日|周|世纪|year|month|day|week|century", q.unit or ""):
        return 1.0  # a date is no head count and no sum of money
    if q.unit_class == "percent" and re.search(_SHARE, key):
        unit = 1.0  # a share written as a fraction (1/3, 三分之一) or in tenths (七成)
    if q.unit in _PEOPLE_UNITS and any(word in key for word in _PEOPLE_UNITS):
        unit = 1.0  # 名, 位 and 人 all count people
    if unit < 0 or _counts_another_noun(q, s, end):
        return 1.0
    if form >= 1.0:
        return 0.0
    if form > 0 and _amount_spans(key):
        return 0.4  # holds an amount among other words
    return 1.0


_ZH_YEAR = re.compile(r"(?<!\d)(\d{4})\s?(?:(年代)|(?=\s?(?:-|—|–|~|至|到)\s?\d{4}\s?年|年))")
_EN_YEAR = re.compile(r"(?<![\d.,$])\b(1[0-9]{3}|20[0-9]{2})(s)?\b(?![.,]\d)")


def _year_spans(text: str) -> list[tuple[int, int]]:
    """The calendar years a text names, as (first, last) year: `2021年` -> (2021, 2021), a decade
    (`1980年代`, `1980s`) -> (1980, 1989)."""
    key = _key(text)
    pattern = _EN_YEAR if _is_latin(key) else _ZH_YEAR
    return [(int(year), int(year) + (9 if decade else 0)) for year, decade in pattern.findall(key)]


def years_named(text: str) -> frozenset[int]:
    """The calendar years a text names (`2021年`, `1750-1760年`, `in 2010`; a decade by its first year)."""
    return frozenset(first for first, _ in _year_spans(text))


def year_mismatch(question: str, context: str) -> float:
    """1.0 when the question asks about a year (`2021年的淨利潤`) and the text answering it speaks of
    other years only (`截至2023年9月末`), else 0.0. A year inside the span the text covers
    (1755 for a text on 1750 and 1759; 1984 for the 1980s) is no mismatch.

    Why: a figure for the wrong year is a confident wrong answer; the abstention rule reads this.
    """
    asked = _year_spans(question)
    named = _year_spans(context)
    if not asked or not named:
        return 0.0
    low, high = min(first for first, _ in named), max(last for _, last in named)
    if any(first <= high and low <= last for first, last in asked):
        return 0.0
    return 1.0


def extract_short_answer(question: str, sentence: str) -> ShortAnswer | None:
    """The crisp answer span of `sentence` for `question`, or None when nothing crisp fits.

    Why: a reader wants `26億元`, not the whole cited sentence; None (descriptive questions, or no
    span of the expected kind) tells the caller to show the sentence instead.
    """
    if not question.strip() or not sentence.strip():
        return None
    q = _analyse(question)
    if q.qtype is QuestionType.YESNO:
        return _yes_no(q, sentence)
    s = _sentence(sentence)
    candidates = _features(q, s)
    if q.english != s.english and _asks_form(q):
        # Across scripts nothing aligns the question with the sentence; the asked form (a date, a
        # number in the asked unit) is the evidence left, so a span of that form goes first.
        formed = [c for c in candidates if c[2][_FORM_NUM] >= 1.0 and c[2][_UNIT_FIT] >= 0.0]
        in_unit = [c for c in formed if q.unit and q.unit in s.key[c[0]:c[1]]]
        candidates = _counting_the_asked_noun(q, s, in_unit) or in_unit or formed or candidates
    best: tuple[float, int, int] | None = None
    for start, end, vector in candidates:
        score = _score(vector, WEIGHTS)
        if best is None or (score, -start) > (best[0], -best[1]):
            best = (score, start, end)
    if best is None or best[0] < MIN_SCORE.get(q.qtype, -99.0):
        return None
    if q.qtype in _NEEDS_ALIGNMENT and q.english != s.english and not _align(q, s):
        return None  # an English question over Chinese text: nothing places the answer
    score, start, end = best
    return ShortAnswer(sentence[start:end], start, end, q.qtype, round(score, 4))


def _counting_the_asked_noun(q: _Question, s: _Sentence,
                             spans: list[tuple[int, int, list[float]]]) -> list[tuple[int, int, list[float]]]:
    """Of several counts in a Chinese sentence, those followed by a word whose dictionary glosses
    hold the noun an English question counts (`how many outlets` -> `37家网点`, not `四家二级分行`)."""
    match = _EN_UNIT_AFTER.search(q.key) if len(spans) > 1 else None
    if match is None:
        return []
    from .gloss import shared_glossary, stem  # the dictionary loads once, for English questions only

    glossary = shared_glossary()
    wanted = stem(match.group(1))
    return [span for span in spans if wanted in glossary.terms(_after_count(s.key, span[1]))]


#: Words that point at the conversation or the text rather than name something (這場, 該行, 文中).
_DEICTIC = re.compile(r"^(?:这|那|此|该|本|其|文中|文章|报道|本文|全文|上文|下文)")
#: Parts of speech that carry no fact of their own: function words, numerals, classifiers, time
#: and place words (`m q mq t f`).
_NO_FACT_POS = _FUNCTION_POS | frozenset({"m", "q", "mq", "t", "f"})


@lru_cache(maxsize=2048)
def question_focus(question: str) -> tuple[str, ...]:
    """The words a passage must mention to answer the question (simplified key forms).

    Why: an answer rests on text that speaks of what was asked. `青島科技大學的校長是誰？` needs
    `校長`; an article about the university that never names its president does not answer it.
    The question word and the noun it asks for (`哪個部門` -> 部門), function words, pronouns,
    numerals and one-letter Chinese words are left out: they are not facts the text must repeat.
    """
    q = _analyse(question)
    found: list[str] = []
    position = 0
    for token in tokenize(q.key):
        start = q.key.find(token, position)
        if start < 0:
            continue
        position = start + len(token)
        if start < q.wh_end and position > q.wh_start:  # part of the question word
            continue
        if token == q.head or token in found:
            continue
        if _HAN.match(token[0]):
            if len(token) < 2 or _DEICTIC.match(token) or all(ch in _STOP_CHARS for ch in token):
                continue
            if _pos_table().get(token, "oov") in _NO_FACT_POS:
                continue
        elif not token.isalnum() or token in _EN_STOP:
            continue
        found.append(token)
    return tuple(found)


def to_question_script(text: str, question: str) -> str:
    """The answer text in the question's script (Simplified or Traditional; English keeps the source).

    Why: a reply reads in one script even when the source article mixes them.
    """
    script = detect_script(question)
    if script == "hans":
        return to_simplified(text)
    if script == "hant":
        return to_traditional(text)
    return text
