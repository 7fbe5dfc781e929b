"""Rule-based follow-up resolution: turn `那貸款呢？` or `它下轄幾家分行？` into a standalone question.

Retrieval and answer extraction see one question at a time, so a follow-up that leans on the
conversation (ellipsis, pronouns, a bare attribute) is rewritten from the earlier turns first. No
language model is involved: the rules use jieba words and part-of-speech tags over the Simplified
search key (`index.text`), question words, copulas and a few generic head nouns, in Traditional,
Simplified and English. Topic text is copied from the earlier question as the user wrote it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from index.text import aligned_key, detect_script, jieba_segmenter, to_simplified, to_traditional


@dataclass(frozen=True)
class Turn:
    """One earlier turn: what was asked, the reply, and (if known) the standalone form of the question."""

    question: str
    answer: str | None = None
    resolved: str | None = None
    #: the articles the reply cited, first cited first (what `這篇文章` then points at)
    articles: tuple[str, ...] = ()

    @property
    def standalone(self) -> str:
        """The best standalone form of this turn's question."""
        return (self.resolved or self.question).strip()


@dataclass(frozen=True)
class Resolution:
    """The question to retrieve and answer with, whether it was rewritten, and a short note why."""

    query: str
    rewritten: bool
    reason: str


def _words(text: str) -> list[str]:
    """Whitespace-separated words of a literal list."""
    return text.split()


# --- word lists (Simplified, lower case: compared against the search key) ---------------------------

#: A token holding one of these asks the question (`多少`, `几家`, `什么`, `哪`, ...).
_QUESTION = re.compile(r"多少|几|什么|啥|哪|谁|如何|怎|为什么|是否|吗|多大|多长|多久|多高|多远|多重|第几")
_NOT_QUESTION = frozenset({"任何", "几乎", "何况", "如何是好"})
#: Copulas and auxiliaries that end a Chinese subject (`X是多少`, `X在...中排第几`, `X已走访`).
_COPULAS = frozenset(_words(
    """是 为 有 在 将 已 已经 要 会 能 可 可以 被 把 于 共 约 达 还 也 都 就 又 曾 正 正在 预计 计划
    共有 拥有 位于 属于 成为 达到 大约 总共 一共""")
)
#: Copulas that may stand right before the question word and belong to the question phrase.
_TAIL_COPULAS = frozenset({"是", "为", "有", "约", "达", "共", "共有", "大约", "总共", "一共", "达到"})
#: Leading request phrases and locatives that are not the subject (`请问`, `文中`).
_LEAD_FILLERS = frozenset(_words("请问 请 问 我 想 想知道 知道 告诉 一下 文中 文章 报道 根据 据"))
#: Words that, before the first comma, mark a time or source preamble (`截至目前，`).
_PREAMBLE_WORDS = frozenset(_words(
    """截至 截止 到 自 从 据 根据 按照 今年 去年 目前 近年 近年来 近日 此外 另外 同时 当前 现在 如今
    日前 前不久 其中""")
)
#: Trailing characters jieba sometimes glues to a noun (`城要` in `...生态城要深耕`).
_AUX_CHARS = "要将已会在是有为"
#: Multi-character endings that make a token a named thing even when jieba tags it a verb (`分行`).
_ENTITY_SUFFIXES = (
    "银行", "分行", "支行", "总行", "公司", "集团", "项目", "大学", "学院", "学校", "中学", "小学", "医院",
    "中心", "园区", "新区", "片区", "基地", "平台", "工程", "协会", "政府", "街道",
)
#: Single-character endings of place and organisation names (`生态城`, `市北区`, `财政局`).
_ENTITY_CHARS = "城区市省县镇村园局厅院站港馆厂队岛府所会"
_ENTITY_TAGS = frozenset({"nr", "nrt", "nrfg", "ns", "nt", "nz", "eng"})
_FUNCTION = frozenset({"的", "之", "了", "和", "与", "及", "或", "呢", "吗", "啊", "吧"})
#: Chinese demonstratives that, with a following noun, point back at the topic (`这个项目`).
_DEMONSTRATIVES = frozenset(_words(
    """这 这个 这家 这些 这项 这位 这笔 这座 这所 这条 这间 这种 这批 这只 这场 这块
    那个 那家 那些 那项 那位 那座 该 此""")
)
_NOT_DEMONSTRATIVE = frozenset(_words(
    """此外 此次 因此 此前 此时 如此 从此 此后 这里 这样 这么 那么 那里 那样 这时 那时
    该当 应该 本该""")
)
_CH_PRONOUN = re.compile(r"它们|他们|她们|它|他|她|(?<![尤极与])其(?![中他它实次余])")

_EN_STOP = frozenset(_words(
    """a an the of for in on at to by with from and or about what which who whom whose when where why how
    is are was were be been do does did can could will would should has have had much many tell me
    please this that these those it its they their them he she his her him than as into""")
)
_EN_QWORDS = frozenset(
    _words("what which who whom whose when where why how is are was were do does did can will")
)
_EN_PRONOUN = re.compile(r"\b(it|its|they|them|their|he|him|his|she|her)\b", re.IGNORECASE)
_EN_DEMONSTRATIVE = re.compile(r"\b(this|that|these|those|the)\s+([A-Za-z][A-Za-z-]*)", re.IGNORECASE)
#: English head nouns that name a thing a demonstrative can point back to (`this project`).
_EN_HEADS = frozenset(_words(
    """project bank branch company group firm city district zone park university college school hospital
    area center centre station line plan program programme fund office government county province town
    village port airport road bridge organisation organization institution enterprise business""")
)
#: `What is the <attribute> of <topic>?`: the attribute a bare `What about X?` replaces.
_EN_ATTRIBUTE = re.compile(
    r"(?P<head>.*?\b(?:is|are|was|were)\s+)(?:the\s+)?(?P<attr>.+?)\s+(?P<rest>(?:of|for|at|in)\s+.+)$",
    re.IGNORECASE,
)
#: `What is the floor area?`: an English question that names only an attribute.
_EN_BARE = re.compile(r"(?:what|how much|how many)\s+(?:is|are|was|were)\s+(?:the\s+)?[a-z][a-z -]*\??\s*",
                      re.IGNORECASE)
_EN_ELLIPSIS = (
    re.compile(r"\s*(?:(?:and|so|then|ok|okay|well)[\s,]+)?(?:what|how)\s+about\s+(?P<x>.+?)\s*[?？.!！]*\s*",
               re.IGNORECASE),
    re.compile(r"\s*and\s+(?P<x>.+?)\s*[?？]+\s*", re.IGNORECASE),
)
_CH_ELLIPSIS = (
    re.compile(r"\s*(?:那么|那(?![个家些项位座场块])|还有|而|再问)?\s*(?P<x>.+?)\s*呢\s*[?？!！。.]*\s*"),
    # Without `呢` only after `那`: `那X如何？` (a bare `X如何？` is a question of its own).
    re.compile(r"\s*(?:那么|那(?![个家些项位座场块])|还有)\s*(?P<x>[^，,。]+?)\s*(?:怎么样|又如何|如何|又怎样)?"
               r"\s*[?？]+\s*"),
)


# --- tokens ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Tok:
    """One jieba word: its search-key text, part-of-speech tag and span in the original text."""

    key: str
    flag: str
    start: int
    end: int


@lru_cache(maxsize=512)
def _tokens(text: str) -> tuple[_Tok, ...]:
    """jieba words with tags and original spans; whitespace is dropped."""
    jieba_segmenter()  # initialised once, quietly, before posseg uses it
    import jieba.posseg as posseg

    key = aligned_key(text)
    toks: list[_Tok] = []
    pos = 0
    for pair in posseg.lcut(key):
        word, flag = pair.word, pair.flag
        if word.strip():
            toks.append(_Tok(word, flag, pos, pos + len(word)))
        pos += len(word)
    return tuple(toks)


def _is_alnum(tok: _Tok) -> bool:
    return any(ch.isalnum() for ch in tok.key)


def _is_question(tok: _Tok) -> bool:
    return tok.key not in _NOT_QUESTION and bool(_QUESTION.search(tok.key))


def _is_entity(tok: _Tok) -> bool:
    """A named thing: a name tag, Latin letters, or a generic place/organisation ending."""
    if not _is_alnum(tok) or tok.key in _FUNCTION or tok.key in _DEMONSTRATIVES:
        return False
    if tok.flag in _ENTITY_TAGS and tok.key not in _EN_STOP:
        return True
    if tok.key.endswith(_ENTITY_SUFFIXES):
        return True
    return len(tok.key) >= 2 and tok.key[-1] in _ENTITY_CHARS and not tok.flag.startswith(("v", "d", "p"))


def _named(tok: _Tok, text: str) -> bool:
    """A named word of `text`: a capitalised or numbered Latin word, or a Chinese name (`_is_entity`)."""
    if tok.key.isascii():
        return tok.key not in _EN_STOP and (text[tok.start].isupper() or text[tok.start].isdigit())
    return _is_entity(tok)


def _is_boundary(tok: _Tok) -> bool:
    """Whether a word ends the subject: a question word, copula, adverb, preposition or punctuation."""
    if _is_entity(tok):
        return False
    if not _is_alnum(tok) or _is_question(tok) or tok.key in _COPULAS:
        return True
    return tok.flag[:1] in {"p", "d"} or (tok.flag == "c" and tok.key not in {"和", "与", "及"})


def _chunk_word(tok: _Tok) -> bool:
    """A word that can sit inside a noun phrase (not a function word, boundary or English stop word)."""
    return _is_alnum(tok) and tok.key not in _FUNCTION and tok.key not in _EN_STOP and not _is_boundary(tok)


def _stem(word: str) -> str:
    """A crude English singular (`loans` -> `loan`, `branches` -> `branch`); Chinese passes through."""
    if not word.isascii() or len(word) <= 3:
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _content(tok: _Tok) -> bool:
    return _is_alnum(tok) and len(tok.key) >= 2 and tok.key not in _FUNCTION and tok.key not in _EN_STOP


def _is_han(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


# --- the shape of an earlier question --------------------------------------------------------------


@dataclass(frozen=True)
class _Frame:
    """Where an earlier question's parts lie: preamble end, subject, its named part, question phrase."""

    text: str
    toks: tuple[_Tok, ...]
    body: int  # index of the first token after a preamble such as `截至目前，`
    subject: tuple[int, int]  # char span of the subject (may be empty)
    entity_end: int  # char end of the named part of the subject (`平安银行青岛分行` of `...各项存款余额`)
    tail: int | None  # char start of a reusable question phrase (`是多少？`), if the question ends in one
    counts: bool  # whether it asks `多少`/`几`

    def subject_text(self) -> str:
        return self.text[self.subject[0]:self.subject[1]]

    def entity_text(self) -> str:
        return self.text[self.subject[0]:self.entity_end]


def _preamble_end(toks: Sequence[_Tok]) -> int:
    """Index after a leading time or source clause ending in a comma (`截至2023年9月末，`), else 0."""
    for i, tok in enumerate(toks):
        if tok.key in {"，", ","}:
            head = toks[:i]
            if any(t.key in _PREAMBLE_WORDS or t.flag == "t" or t.key in {"年", "月", "日"} for t in head):
                return i + 1
            return 0
    return 0


def _english_topic(text: str) -> tuple[int, int]:
    """Char span of the first capitalised run (plus a generic head noun: `Yanjiashan TOD project`)."""
    words = list(re.finditer(r"[A-Za-z][\w'-]*|\d[\w.]*|[\u3400-\u9fff]+", text))
    start = end = -1
    for i, m in enumerate(words):
        word = m.group()
        named = word[0].isupper() or word[0].isdigit() or _is_han(word)
        if i == 0 and word.lower() in _EN_STOP | _EN_QWORDS:
            named = False
        if named:
            if start < 0:
                start = m.start()
            end = m.end()
        elif start >= 0:
            if word.lower() in _EN_HEADS or _stem(word.lower()) in _EN_HEADS:
                end = m.end()
            break
    return (start, end) if start >= 0 else (0, 0)


def _frame(text: str) -> _Frame:
    """Split an earlier question into preamble, subject (with its named part) and question phrase."""
    toks = _tokens(text)
    if detect_script(text) == "en":
        span = _english_topic(text)
        return _Frame(text, toks, 0, span, span[1], None, bool(re.search(r"\bhow (much|many)\b", text, re.I)))
    body = _preamble_end(toks)
    i = body
    while i < len(toks) and (toks[i].key in _LEAD_FILLERS or toks[i].flag == "s"):
        i += 1
    first = i
    while i < len(toks) and not _is_boundary(toks[i]):
        i += 1
    subj = list(toks[first:i])
    end = subj[-1].end if subj else 0
    while subj and not _is_entity(subj[-1]) and not subj[-1].flag.startswith(("n", "j")):
        last = subj[-1]
        if len(last.key) >= 2 and last.key[-1] in _AUX_CHARS:
            end = last.end - 1
            break
        subj.pop()
        end = subj[-1].end if subj else 0
    while subj and subj[0].flag in {"r", "uj", "c", "x"}:
        subj.pop(0)
    start = subj[0].start if subj else 0
    if not subj:
        start = end = 0
    named = [t for t in subj if _is_entity(t)]
    entity_end = min(named[-1].end, end) if named else end
    tail, counts = _question_tail(toks, body)
    return _Frame(text, toks, body, (start, end), entity_end, tail, counts)


def _question_tail(toks: Sequence[_Tok], body: int) -> tuple[int | None, bool]:
    """Start of a reusable closing question phrase (`是多少？`, `多少亩？`) and whether it counts."""
    q = next((i for i in range(body, len(toks)) if _is_question(toks[i])), None)
    if q is None:
        return None, False
    counts = "多少" in toks[q].key or "几" in toks[q].key
    rest = toks[q + 1:]
    if any(_is_alnum(t) and t.flag[:1] not in {"m", "q", "y", "u"} for t in rest):
        return None, counts
    while q > body and toks[q - 1].key in _TAIL_COPULAS:
        q -= 1
    return toks[q].start, counts


def _topic(history: Sequence[str], head: str | None = None, *, named: bool = False) -> str | None:
    """The latest earlier subject (its named part if `named`; up to a word ending in `head` if given)."""
    for text in reversed(history):
        frame = _frame(text)
        s, e = frame.subject
        if s == e:
            continue
        if head is not None:
            words = [t for t in frame.toks if s <= t.start < e]
            tail = head[-1] if _is_han(head) else head  # `这家银行` also fits `...分行`
            hits = [t for t in words if _stem(t.key).endswith(tail) or head.endswith(t.key)]
            if hits:
                return text[s:min(hits[-1].end, e)]
            continue
        return frame.entity_text() if named else frame.subject_text()
    return None


# --- the rules -----------------------------------------------------------------------------------


def elliptical_topic(question: str) -> str | None:
    """The new topic of an elliptical follow-up (`那X呢？` -> `X`, `What about X?`), which asks
    again what the previous question asked; None for any other question."""
    return _ellipsis(question.strip())


def _ellipsis(question: str) -> str | None:
    """The new topic of an elliptical follow-up (`那X呢？`, `X呢`, `What about X?`, `And X?`), else None."""
    for pattern in _EN_ELLIPSIS:
        m = pattern.fullmatch(question)
        if m:
            x = m.group("x").strip()
            first = x.split()[0].lower() if x.split() else ""
            if x and first not in _EN_QWORDS and not _EN_PRONOUN.fullmatch(x) and not any(
                    _is_question(t) for t in _tokens(x)):
                return x
    key = aligned_key(question)
    for pattern in _CH_ELLIPSIS:
        m = pattern.fullmatch(key)
        if m:
            x = question[m.start("x"):m.end("x")].strip(" ，,")
            toks = _tokens(x)
            if (x and len(x) <= 24 and not any(_is_question(t) for t in toks)
                    and not _CH_PRONOUN.fullmatch(aligned_key(x))):
                return x
    return None


def _align(xtoks: Sequence[_Tok], ptoks: Sequence[_Tok], body: int) -> list[tuple[int, int, str]]:
    """Monotonic word matches (x index, previous index, kind) between a new topic and the earlier question.

    Kinds: `exact` (same word or English singular), `contains` (`招商银行` ends with `银行`, or the
    reverse), `suffix` (two Chinese words ending alike: `贷款`/`存款`).
    """
    matches: list[tuple[int, int, str]] = []
    after = body
    for xi, xt in enumerate(xtoks):
        if not _content(xt):
            continue
        xs = _stem(xt.key)
        found: tuple[int, str] | None = None
        for kind in ("exact", "contains", "suffix"):
            for pi in range(after, len(ptoks)):
                pt = ptoks[pi]
                if not _content(pt):
                    continue
                ps = _stem(pt.key)
                if kind == "exact":
                    ok = xs == ps
                elif kind == "contains":
                    ok = _is_han(xs) and _is_han(ps) and (xs.endswith(ps) or ps.endswith(xs))
                else:
                    ok = _is_han(xs) and _is_han(ps) and xs[-1] == ps[-1]
                if ok:
                    found = (pi, kind)
                    break
            if found:
                break
        if found:
            matches.append((xi, found[0], found[1]))
            after = found[0] + 1
    return matches


def _splice(text: str, start: int, end: int, new: str) -> str:
    """Replace text[start:end] with `new`, adding a space where two Latin words would touch."""
    before, after = text[:start], text[end:]

    def touch(a: str, b: str) -> bool:
        return a.isalnum() and b.isalnum() and a.isascii() and b.isascii()

    if before and new and touch(before[-1], new[0]):
        new = " " + new
    if after and new and touch(new[-1], after[0]):
        new = new + " "
    return before + new + after


def _resolve_ellipsis(x: str, history: Sequence[str]) -> tuple[str, str]:
    """Put the new topic `x` into the previous question: aligned words, its subject, or its attribute."""
    prev = history[-1]
    frame = _frame(prev)
    ptoks = frame.toks
    bare = re.sub(r"^(?:the|a|an)\s+", "", x, flags=re.IGNORECASE)
    xtoks = _tokens(bare)
    matches = _align(xtoks, ptoks, frame.body)
    strong = [m for m in matches if m[2] != "suffix"]
    if detect_script(bare) == "en":
        x_named = bool(re.search(r"(?:^|\s)[A-Z0-9]|[\u3400-\u9fff]", bare))
    else:
        x_named = any(_is_entity(t) for t in xtoks)
    s, e = frame.subject
    if strong or (matches and not x_named):
        first, last = matches[0], matches[-1]
        lead = sum(1 for t in xtoks[:first[0]] if _chunk_word(t))
        if first[2] == "contains" and len(xtoks[first[0]].key) > len(ptoks[first[1]].key):
            lead += 1
        trail = sum(1 for t in xtoks[last[0] + 1:] if _chunk_word(t))
        lo, hi = first[1], last[1]
        if s < e <= ptoks[lo].start and any(_named(t, bare) for t in xtoks[:first[0]]):
            # A new name before the shared words (`招商银行的存款`) replaces the old subject too.
            lo = next(i for i, t in enumerate(ptoks) if t.start >= s)
            lead = 0
        while lead and lo - 1 >= frame.body and _chunk_word(ptoks[lo - 1]):
            lo, lead = lo - 1, lead - 1
        while trail and hi + 1 < len(ptoks) and _chunk_word(ptoks[hi + 1]):
            hi, trail = hi + 1, trail - 1
        old = prev[ptoks[lo].start:ptoks[hi].end]
        return (_splice(prev, ptoks[lo].start, ptoks[hi].end, bare),
                f"ellipsis: replaced '{old}' of the previous question with '{bare}'")
    if x_named:
        named = [i for i, t in enumerate(xtoks) if _named(t, bare)]
        if named and any(_content(t) for t in xtoks[named[-1] + 1:]):
            # Its own name and attribute (`那平安銀行的貸款餘額呢？`): ask it the previous way.
            reason = "ellipsis: the new topic names its own subject and attribute"
            if detect_script(bare) == "en" or detect_script(prev) == "en":
                m = _EN_ATTRIBUTE.match(prev)
                return (f"{m.group('head')}{bare}?" if m else f"What about {bare}?"), reason
            tail = prev[frame.tail:] if frame.tail is not None else "呢？"
            return bare + tail, reason
        if s < frame.entity_end:
            old = prev[s:frame.entity_end]
            return (_splice(prev, s, frame.entity_end, bare),
                    f"ellipsis: put the new topic '{bare}' in place of '{old}'")
        return f"{bare} {prev}", "ellipsis: added the new topic to the previous question"
    # A new attribute of the same topic (`總投資呢？`, `What about the loans?`).
    if detect_script(prev) == "en":
        m = _EN_ATTRIBUTE.match(prev)
        noun = x if re.match(r"(?:the|a|an)\s", x, re.IGNORECASE) else f"the {x}"
        if m and s >= m.start("rest"):
            return (f"{m.group('head')}{noun} {m.group('rest')}",
                    f"ellipsis: asked about '{x}' instead of '{m.group('attr')}'")
        topic = prev[s:e] or _topic(history[:-1]) or prev.rstrip("?？ ")
        return f"What about {noun} of {topic}?", f"ellipsis: asked about '{x}' of '{topic}'"
    entity = prev[s:frame.entity_end] if s < frame.entity_end else _topic(history, named=True)
    if not entity:
        return f"{prev.rstrip('?？。 ')} {x}", "ellipsis: kept the previous question as context"
    preamble = prev[:ptoks[frame.body - 1].end] if frame.body else ""
    if frame.tail is not None:
        query = preamble + entity + bare + prev[frame.tail:]
    else:
        query = preamble + entity + bare + ("是多少？" if frame.counts else "呢？")
    return query, f"ellipsis: asked about '{bare}' of '{entity}'"


def _own_subject_named(question: str) -> bool:
    """Whether the question's own subject holds a named thing (so it stands alone)."""
    if detect_script(question) == "en":
        s, e = _english_topic(question)
        return e > s
    frame = _frame(question)
    s, e = frame.subject
    return any(_is_entity(t) for t in frame.toks if s <= t.start < e)


def _replace_pronouns_ch(question: str, history: Sequence[str],
                         person: str | None = None) -> tuple[str, list[str]]:
    """Replace Chinese pronouns and demonstratives (`它`, `其`, `该行`, `这个项目`) with the topic.

    `person` (the answer to an earlier `谁` question) stands in for `他`/`她`.
    """
    toks = _tokens(question)
    key = aligned_key(question)
    edits: list[tuple[int, int, str]] = []
    i = 0
    while i < len(toks):
        tok = toks[i]
        if any(_is_entity(t) for t in toks[:i]) and not edits:
            break  # the question names its own subject before any pronoun
        span: tuple[int, int] | None = None
        head: str | None = None
        named = False
        if tok.key in _DEMONSTRATIVES and tok.key not in _NOT_DEMONSTRATIVE:
            nxt = toks[i + 1] if i + 1 < len(toks) else None
            if nxt is not None and _is_alnum(nxt) and not _is_question(nxt) and (
                    nxt.flag.startswith(("n", "j", "vn")) or _is_entity(nxt)):
                span, head = (tok.start, nxt.end), nxt.key
                i += 1
        elif (tok.key[:1] in {"该", "此"} and len(tok.key) >= 2 and tok.key not in _NOT_DEMONSTRATIVE
              and tok.flag == "r"):
            span, head = (tok.start, tok.end), tok.key[1:]
        elif tok.key in {"它们", "他们", "她们", "它", "他", "她", "其"} and not any(
                t.flag.startswith("n") for t in toks[:i]):  # else a noun just before is the referent
            # A person, or a predicate naming an organisation (`它下辖几家二级分行`), wants the named
            # part of the topic; otherwise the whole subject (`它同比增长多少` -> `...贷款余额`).
            span = (tok.start, tok.end)
            named = tok.key[0] in "他她" or any(_is_entity(t) for t in toks[i + 1:])
        if span is not None:
            # A demonstrative's noun must fit the topic (`这家银行` ~ `...分行`); else it is left alone.
            topic = _topic(history, head) if head is not None else _topic(history, named=named)
            if head is None and person and tok.key[0] in "他她":
                topic = person
            if topic:
                end = span[1]
                topic_key = aligned_key(topic)
                m = re.match(r"的([^\W_]+)", key[end:])
                if m:
                    for k in range(len(m.group(1)), 1, -1):
                        if topic_key.endswith(m.group(1)[:k]):
                            end += 1 + k  # `它的增幅` with topic `...贷款增幅`: drop the repeat
                            break
                edits.append((span[0], end, topic))
        i += 1
    query = question
    for start, end, topic in sorted(edits, reverse=True):
        query = _splice(query, start, end, topic)
    return query, [question[s:e] for s, e, _ in edits]


def _replace_pronouns_en(question: str, history: Sequence[str],
                         person: str | None = None) -> tuple[str, list[str]]:
    """Replace English pronouns and `this project`/`the bank` with the earlier topic.

    `person` (the answer to an earlier `who` question) stands in for he/she/him/her/his.
    """
    topic = _topic(history)
    if not topic:
        return question, []
    topic_stems = {_stem(w.lower()) for w in re.findall(r"[A-Za-z]+", topic)}
    own_s, own_e = _english_topic(question)
    edits: list[tuple[int, int, str]] = []
    for m in _EN_DEMONSTRATIVE.finditer(question):
        det, noun = m.group(1).lower(), _stem(m.group(2).lower())
        if own_e > own_s and own_s < m.start():
            break
        if noun in topic_stems or (det != "the" and noun in _EN_HEADS):
            edits.append((m.start(), m.end(), topic))
    for m in _EN_PRONOUN.finditer(question):
        if own_e > own_s and own_s < m.start() or any(s <= m.start() < e for s, e, _ in edits):
            continue
        word = m.group(1).lower()
        possessive = word in {"its", "their", "his"} or (
            word == "her" and re.match(r"\s+[a-z]", question[m.end():]) is not None)
        ref = person if person and word in {"he", "him", "his", "she", "her"} else topic
        edits.append((m.start(), m.end(), f"{ref}'s" if possessive else ref))
    query = question
    for start, end, text in sorted(edits, reverse=True):
        query = query[:start] + text + query[end:]
    return query, [question[s:e] for s, e, _ in edits]


def _bare_attribute(question: str) -> bool:
    """A short question with no subject of its own: `佔地面積是多少？`, `下轄幾家分行？`, `What is the area?`.

    Only two shapes count, so standalone questions about another thing (`研討會以什麼為主題？`) stay
    as they are: a few plain words right before a closing question phrase, or a leading verb.
    """
    if detect_script(question) == "en":
        words = question.split()
        return (len(words) <= 7 and _EN_ATTRIBUTE.match(question) is None
                and _EN_BARE.fullmatch(question.strip()) is not None
                and not re.search(r"\s[A-Z0-9]", question) and not _EN_PRONOUN.search(question))
    if sum(ch.isalnum() for ch in question) > 12 or _CH_PRONOUN.search(aligned_key(question)):
        return False
    frame = _frame(question)
    toks = frame.toks
    q = next((i for i, t in enumerate(toks) if _is_question(t)), len(toks))
    if any(_is_entity(t) for t in toks[:q]):
        return False
    if frame.tail is not None:
        before = [t for t in toks if t.start < frame.tail]
        return 0 < len(before) <= 3 and not any(_is_boundary(t) for t in before)
    first = toks[0] if toks else None
    return (first is not None and first.flag.startswith("v") and frame.subject[0] == frame.subject[1]
            and sum(ch.isalnum() for ch in question) <= 10)


def _in_script(query: str, question: str) -> str:
    """The query in the follow-up's Chinese script when the follow-up clearly uses one."""
    if not _is_han(question):
        return query
    has_traditional = to_simplified(question) != question
    has_simplified = to_traditional(question) != question
    if has_simplified and not has_traditional:
        return to_simplified(query)
    if has_traditional and not has_simplified:
        return to_traditional(query)
    return query


def resolve_followup(question: str, history: Sequence[Turn]) -> Resolution:
    """The standalone form of `question` given the earlier turns (oldest first).

    Without history, or when the question already names its own topic, it comes back unchanged.
    Otherwise, in order: ellipsis (`那X呢？`), `其中` (keep the earlier question as context),
    pronouns and demonstratives, and finally a subjectless question gets the earlier topic prefixed.
    """
    q = question.strip()
    earlier = [t.standalone for t in history if t.standalone]
    if not q or not earlier:
        return Resolution(question, False, "standalone: no history")
    english = detect_script(q) == "en"

    x = _ellipsis(q)
    if x is not None:
        query, reason = _resolve_ellipsis(x, earlier)
        return Resolution(_in_script(query, q), True, reason)

    if not english and "其中" in aligned_key(q) and not _own_subject_named(q):
        context = next((t for t in reversed(earlier) if re.search(r"(多少|几)\S*[^\W\d_]", aligned_key(t))
                        and _frame(t).tail is None), earlier[-1])
        query = f"{context.rstrip('?？。 ')}，{q}"
        return Resolution(_in_script(query, q), True, "其中: kept the earlier question as context")

    person = None
    last = history[-1]
    if last.answer and len(last.answer.strip()) <= 20 and re.search(
            r"谁|誰|\bwho(?:m)?\b", last.standalone, re.IGNORECASE):
        person = last.answer.strip().rstrip("。.!！")
    query, replaced = (_replace_pronouns_en if english else _replace_pronouns_ch)(q, earlier, person)
    if replaced:
        names = "', '".join(replaced)
        return Resolution(_in_script(query, q), True, f"pronoun: replaced '{names}' with the earlier topic")

    if not _bare_attribute(q):
        reason = "names its own topic" if _own_subject_named(q) else "no follow-up marker"
        return Resolution(question, False, f"standalone: {reason}")
    topic = _topic(earlier, named=True)
    if not topic:
        return Resolution(question, False, "standalone: no earlier topic to add")
    query = f"{q.rstrip('?？ ')} of {topic}?" if english else _splice(q, 0, 0, topic)
    return Resolution(_in_script(query, q), True, f"no subject: added the earlier topic '{topic}'")
