"""Decoded text (plain, Markdown or HTML) to clean, sentence-addressable articles.

Markdown and HTML are first reduced to plain lines, keeping what their markup says for sure
(titles, section heads, captions, code). Every format then goes through the same raw-page
cleaning, because text pasted from newspaper pages is damaged the same way whatever its format:

* sentences and even words are broken across blank lines and are joined again;
* a figure caption that lands inside a broken sentence is moved out, after the joined paragraph;
* short unpunctuated lines between finished paragraphs are section heads;
* bylines and editors' lines are recognised, and one closing an article lets the next short
  line start a new article, so a page holding several articles yields several articles.

All rules look at the shape of a line (length, punctuation, script, a few generic keywords such
as 記者 or "By"), never at strings of any particular page.

Formats whose layout is read elsewhere (PDF, .docx: see `index.documents`) hand over `Block`s with
the role their fonts or styles gave them, and go through the same cleaner (`parse_blocks`).
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser

from .errors import InputError
from .records import BlockKind, ParsedArticle, Sentence
from .text import han_ratio, is_han_text, split_sentences

log = logging.getLogger(__name__)

# --- line shapes ---------------------------------------------------------------------------------

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")
_WORD = re.compile(r"[A-Za-z0-9\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff]+(?:['’.-][A-Za-z0-9]+)*")
_SPACES = re.compile(r"[^\S\n]+")
_INVISIBLE = re.compile(r"[\u200b-\u200d\u2060\ufeff\u00ad]|[\x00-\x08\x0b-\x1f\x7f]")
#: A line made only of decoration (`---`, `***`, `＊＊＊`, `======`): a separator, not text.
_DECORATION = re.compile(r"^[\s\-_=*~#·•.。＊—–─━=+]{3,}$")

#: Closing quotes and brackets that may follow the end of a sentence.
_CLOSERS = "」』”’\"')）]】》〉〗"
#: Punctuation that finishes a sentence (`.` is checked separately against abbreviations).
_FINAL = "。！？；!?…"
#: Punctuation inside a line that shows it is running text, not a head.
_INNER = "，、；;,。！？!?"
#: A line ending with one of these is unfinished: its sentence goes on.
_DANGLING = "，、：:,;—–-·/(（“「『《〈【"
_CJK_PUNCT = "，。、；：？！「」『』“”‘’（）《》〈〉【】…—·～"
#: Abbreviations that never end a line's sentence even before a break.
_NON_FINAL_ABBREVIATIONS = frozenset(
    ["Mr", "Mrs", "Ms", "Dr", "Prof", "St", "No", "Nos", "vs", "e.g", "i.e", "Fig", "Vol"]
)
#: English words that cannot end a title or a head.
# fmt: off
_FUNCTION_WORDS = frozenset((
    "a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "at", "by", "for", "from",
    "with", "as", "into", "than", "that", "which", "who",
))
# fmt: on

#: List items: bullets, `1.`, `1)`, `1、`, `（一）`, `一、`, `一是`, `第一，`.
_LIST_ITEM = re.compile(
    r"^(?:[-•·*●○▪■◆◇►▶]\s|\(?\d{1,2}[.)．、](?!\d)|[（(][一二三四五六七八九十\d]{1,3}[）)]"
    r"|[一二三四五六七八九十]{1,3}[、是]|第[一二三四五六七八九十]{1,3}[，,、是])"
)
_LIST_PREFIX = re.compile(r"^(?:[（(]?[一二三四五六七八九十\d]{1,3}[）)、.．]|[-•·*●○▪■◆◇►▶])\s*")

#: Captions by their wording: `…效果圖`, `圖為…`, `…攝`, `Photo: …`.
_CAPTION = re.compile(
    r"(?:效果|示意|資料|资料|供|規劃|规划|實景|实景|鳥瞰|鸟瞰|現場|现场|航拍|平面|設計|设计|渲染|"
    r"宣傳|宣传|新聞|新闻|網絡|网络|手繪|手绘|配)[圖图][。.）)]?$"
    r"|^[（(]?(?:圖為|图为|圖片|图片|上圖|下圖|左圖|右圖|上图|下图|左图|右图|組圖|组图|圖|图)[：:/／]"
    r"|^[（(]?(?:圖為|图为)|^[▲△↑↓◀▶]"
    r"|[攝摄](?:影)?[）)]?[。.]?$"
    r"|^[(（]?(?:photo|image|picture|pictured|illustration|file photo|credit|caption)s?\b"
    r"|^[(（]?(?:figure|fig\.)\s*\d+[a-z]?\s*[:.：]"
    r"|[(（](?:photo|image|picture|credit|illustration)s?\b[^)）]*[)）]\.?$",
    re.IGNORECASE,
)
#: Chinese bylines: a reporter marker followed by a name, or a role with a separator.
_BYLINE_CJK = re.compile(
    r"(?:特約記者|特约记者|見習記者|见习记者|記者|记者|通訊員|通讯员|實習生|实习生)[\s/／:：]*"
    r"[\u4e00-\u9fff]{2,4}"
    r"|(?:^|(?<=[\s/／|｜（(]))"
    r"(?:責任編輯|责任编辑|責編|责编|美編|美编|審讀|审读|審校|审校|校對|校对|編輯|编辑|主編|主编|"
    r"撰文|撰稿|作者|攝影|摄影|來源|来源|出品|監製|监制|策劃|策划|文字|文|圖|图)\s*[/／:：|｜]\s*\S"
    r"|^(?:本報訊|本报讯|本報記者|本报记者)"
)
#: English bylines and credit lines.
_BYLINE_EN = re.compile(
    r"^(?:By|BY)\s+(?:[A-Z][\w.'’-]*)(?:\s+(?:[A-Z][\w.'’-]*|and|&|de|da|van|von|der|la|le))*"
    r"\s*(?:[,|/–—-].{0,60})?$"
    r"|^[(（]?(?:Reporting|Reported|Additional reporting|Writing|Written|Editing|Edited|Compiled|"
    r"Graphics?|Translated)\s+by\b"
    r"|^(?:Editors?|Author|Authors|Source|Contact|Reporter|Correspondent|Translator|Copy editor)"
    r"\s*[:：]\s*\S"
)


def _norm_line(line: str) -> str:
    """One line with invisible characters gone and whitespace runs collapsed to one space."""
    return _SPACES.sub(" ", _INVISIBLE.sub("", line)).strip()


def _is_han(ch: str) -> bool:
    return bool(_HAN.match(ch))


def _units(text: str) -> int:
    """Length as a reader sees it: one per CJK character plus one per Latin word or number."""
    return len(_CJK_CHAR.findall(text)) + len(_WORD.findall(text))


def _is_latin(text: str) -> bool:
    return han_ratio(text) < 0.3 and any(ch.isalpha() for ch in text)


def _ends_closed(text: str) -> bool:
    """Whether the last sentence of a line is finished (final punctuation, maybe quoted)."""
    core = text.rstrip(_CLOSERS + " ")
    if not core:
        return False
    if core[-1] in _FINAL:
        return True
    if core[-1] == ".":
        token = core[:-1].rsplit(" ", 1)[-1]
        if token in _NON_FINAL_ABBREVIATIONS:
            return False
        return not (len(token) == 1 and token.isupper())
    return False


def _dangling(text: str) -> bool:
    """Whether a line visibly stops mid-phrase (trailing comma, colon, dash, opening quote, 'and')."""
    if not text:
        return False
    if text[-1] in _DANGLING:
        return True
    words = text.split()
    return _is_latin(text) and bool(words) and words[-1].lower() in _FUNCTION_WORDS


def _inner_punct(text: str, allowed: str = "") -> bool:
    """Whether a line holds running-text punctuation (list numbering like `一、` excluded)."""
    body = _LIST_PREFIX.sub("", text)
    return any(ch in _INNER and ch not in allowed for ch in body)


def _title_case(text: str) -> bool:
    words = [w for w in re.findall(r"[A-Za-z][\w'’-]*", text) if w.lower() not in _FUNCTION_WORDS]
    return bool(words) and sum(w[0].isupper() for w in words) >= 0.8 * len(words)


def _heading_like(text: str, limit: int = 30) -> bool:
    """A short line without sentence punctuation: a title, subtitle or section head."""
    if not text or _ends_closed(text) or _dangling(text) or not any(ch.isalnum() for ch in text):
        return False
    if _is_latin(text):
        allowed = "," if _title_case(text) else ""
        return len(text.split()) <= min(limit, 14) and not _inner_punct(text, allowed)
    return _units(text) <= limit and not _inner_punct(text)


def _title_like(text: str) -> bool:
    """A line that can be an article's title: short, no full stop (`?`, `!`, commas allowed)."""
    if not text or _is_byline(text) or not any(ch.isalnum() for ch in text):
        return False
    core = text.rstrip(_CLOSERS)
    if core and core[-1] in "。；;." or "。" in core:
        return False
    limit = 20 if _is_latin(text) else 40
    return (len(text.split()) if _is_latin(text) else _units(text)) <= limit


def _is_byline(text: str) -> bool:
    """Reporter, editor and credit lines: short, no sentence punctuation, a byline marker."""
    if _is_latin(text):
        return len(text) <= 120 and bool(_BYLINE_EN.search(text))
    if _units(text) > 50 or any(ch in "。！？，；" for ch in text):
        return False
    return bool(_BYLINE_CJK.search(text))


def _is_caption(text: str) -> bool:
    """A figure caption or photo credit by its wording, and short enough to be one."""
    size = len(text.split()) if _is_latin(text) else _units(text)
    return size <= 40 and bool(_CAPTION.search(text))


def _is_list_item(text: str) -> bool:
    return bool(_LIST_ITEM.match(text))


def _join(left: str, right: str) -> str:
    """Join two pieces of one broken sentence: no space in Chinese, one space between words.

    A word hyphenated at the break (`exam-` + `ple`) is joined back without the hyphen.
    """
    if not left or not right:
        return left + right
    a, b = left[-1], right[0]
    if a == "-" and len(left) > 1 and left[-2].isalpha() and b.islower():
        return left[:-1] + right
    if _is_han(a) or _is_han(b) or a in _CJK_PUNCT or b in _CJK_PUNCT or a in "-—–/":
        return left + right
    context = left[-40:] + right[:40]
    if not (a.isalpha() and b.isalpha()) and is_han_text(context):
        return left + right  # a number or symbol broken inside Chinese text: `15.` + `7畝`
    return f"{left} {right}"


# --- intermediate lines --------------------------------------------------------------------------

_TITLE, _HEADING, _CAPTION_HINT, _FIXED, _LIST = "title", "heading", "caption", "fixed", "list"


@dataclass
class _Line:
    """One line of text; `gap` means a blank line (or block boundary) came before it."""

    text: str
    gap: bool = True
    hint: str | None = None


@dataclass
class _Para:
    kind: BlockKind
    text: str


@dataclass
class _Draft:
    title: str | None
    paras: list[_Para] = field(default_factory=list)
    has_body: bool = False


def _plain_lines(text: str) -> list[_Line]:
    """Plain text to normalized non-empty lines, remembering where blank lines were."""
    lines: list[_Line] = []
    gap = True
    for raw in text.split("\n"):
        line = _norm_line(raw)
        if not line or _DECORATION.match(line):
            gap = True
            continue
        lines.append(_Line(line, gap))
        gap = False
    return lines


def _fixed_block(lines: list[str]) -> str:
    """Preformatted text (code, tables) as one paragraph: its lines kept, blank ones dropped."""
    return "\n".join(line for line in map(_norm_line, lines) if line)


# --- the raw-page cleaner ------------------------------------------------------------------------


class _Cleaner:
    """The line-by-line state machine that rebuilds paragraphs and splits articles."""

    def __init__(self, lines: list[_Line], title: str | None) -> None:
        self.lines = lines
        self.drafts: list[_Draft] = []
        self.cur = _Draft(title=title)
        self.want_title = title is None
        self.open: int | None = None  # index of the unfinished body paragraph in cur.paras
        self.soft = False  # the open paragraph is a list item: only a wrapped line continues it
        self.pending: list[str] = []  # captions waiting for the open paragraph to finish
        self.after_byline = False  # cur has body text and its last block was a byline

    # paragraph bookkeeping

    def _add(self, kind: BlockKind, text: str, *, may_stay_open: bool = False, soft: bool = False) -> None:
        self.close()
        self.cur.paras.append(_Para(kind, text))
        if kind is BlockKind.BODY:
            self.cur.has_body = True
            if may_stay_open and not _ends_closed(text):
                self.open = len(self.cur.paras) - 1
                self.soft = soft

    def _extend(self, text: str) -> None:
        assert self.open is not None
        para = self.cur.paras[self.open]
        para.text = _join(para.text, text)
        if _ends_closed(para.text):
            self.close()

    def close(self) -> None:
        """Finish the open paragraph and put the captions held back after it."""
        self.open = None
        for caption in self.pending:
            self.cur.paras.append(_Para(BlockKind.CAPTION, caption))
        self.pending = []

    def _new_article(self) -> None:
        self.close()
        self.drafts.append(self.cur)
        self.cur = _Draft(title=None)
        self.after_byline = False

    def _take_title(self, i: int) -> int:
        """Use line i as the title, joining a title broken over lines; returns the next index."""
        title = self.lines[i].text
        j = i + 1
        while (
            j < len(self.lines)
            and j <= i + 2
            and _dangling(title)
            and self.lines[j].hint is None
            and not _is_list_item(self.lines[j].text)
            and _title_like(self.lines[j].text)
            and _units(self.lines[j].text) <= 30
        ):
            title = _join(title, self.lines[j].text)
            j += 1
        self.cur.title = title
        self.want_title = False
        return j

    # the rules

    def _interposed(self, text: str, nxt: _Line | None) -> bool:
        """A short line without caption wording sitting between the two halves of a sentence."""
        if nxt is None or nxt.hint is not None or self.open is None:
            return False
        before = self.cur.paras[self.open].text
        after = nxt.text
        if not _heading_like(text, limit=20) or _is_byline(after) or _is_list_item(after):
            return False
        if _heading_like(after):
            return False
        a, b = before[-1], after[0]
        if _is_latin(before):
            return a.isalpha() and b.islower()
        return (_is_han(a) or a.isalpha()) and (_is_han(b) or b.isalpha())

    def _continues(self, nxt: _Line | None) -> bool:
        """Whether the next line, with no blank line before it, carries on a hard-wrapped line."""
        return (
            nxt is not None
            and not nxt.gap
            and nxt.hint is None
            and _is_latin(nxt.text)
            and nxt.text[:1].islower()
        )

    def run(self) -> list[_Draft]:
        """Walk all lines once; returns the article drafts in page order."""
        lines = self.lines
        i = 0
        while i < len(lines):
            line, nxt = lines[i], lines[i + 1] if i + 1 < len(lines) else None
            text = line.text
            i += 1

            if line.hint in (_HEADING, _TITLE):
                self._add(BlockKind.HEADING, text)
                self.after_byline = False
                continue
            if line.hint == _CAPTION_HINT:
                if self.open is not None:
                    self.pending.append(text)
                else:
                    self._add(BlockKind.CAPTION, text)
                continue
            if line.hint == _FIXED:
                self._add(BlockKind.BODY, text)
                self.after_byline = False
                continue

            if self.want_title and not self.cur.paras:
                self.want_title = False
                if _title_like(text) and not _is_caption(text) and nxt is not None:
                    i = self._take_title(i - 1)
                    continue

            if self.after_byline:
                if _is_byline(text) and not _is_caption(text):
                    self._add(BlockKind.BYLINE, text)
                    continue
                self.after_byline = False
                if _title_like(text) and not _is_caption(text) and nxt is not None:
                    self._new_article()
                    i = self._take_title(i - 1)
                    continue

            if line.hint is None and _is_caption(text):
                if self.open is not None:
                    self.pending.append(text)
                else:
                    self._add(BlockKind.CAPTION, text)
                continue
            if _is_byline(text):
                self._add(BlockKind.BYLINE, text)
                self.after_byline = self.cur.has_body
                continue

            if line.hint == _LIST or _is_list_item(text):
                self._add(BlockKind.BODY, text, may_stay_open=True, soft=True)
                continue

            if self.open is not None and self.soft and line.gap:
                self.close()  # a list item does not run on into the next block
            if self.open is not None:
                if line.gap and _heading_like(text):
                    if self._interposed(text, nxt):
                        self.pending.append(text)
                        continue
                    if not self._continues(nxt):
                        self._add(BlockKind.HEADING, text)
                        continue
                self._extend(text)
                continue

            if not self.cur.paras and self.cur.title is not None and _heading_like(text, 50):
                self._add(BlockKind.HEADING, text)  # a subtitle right under the title
            elif _heading_like(text) and not self._continues(nxt):
                self._add(BlockKind.HEADING, text)
            else:
                self._add(BlockKind.BODY, text, may_stay_open=True)
        self.close()
        self.drafts.append(self.cur)
        return self.drafts


# --- Markdown ------------------------------------------------------------------------------------

_MD_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_MD_ATX = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_MD_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_MD_RULE = re.compile(r"^\s{0,3}([-*_])(?:\s*\1){2,}\s*$")
_MD_LIST = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+(.*)$")
_MD_QUOTE = re.compile(r"^\s{0,3}>\s?")
_MD_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_MD_REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*\S+")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~<])")
_MD_CODE = re.compile(r"(`+)(.+?)\1")
_MD_INLINE = (
    (re.compile(r"<!--.*?-->"), ""),
    (re.compile(r"!\[[^\]]*\]\([^)]*\)|!\[[^\]]*\]\[[^\]]*\]"), ""),
    (re.compile(r"\[([^\]]+)\]\([^)]*\)|\[([^\]]+)\]\[[^\]]*\]"), r"\1\2"),
    (re.compile(r"<((?:https?|mailto):[^>\s]+)>"), r"\1"),
    (re.compile(r"</?[A-Za-z][^>]*>"), ""),
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"(?<![A-Za-z0-9*])\*(?=\S)(.+?)(?<=\S)\*(?![A-Za-z0-9*])"), r"\1"),
    (re.compile(r"(?<![A-Za-z0-9_])_(?=\S)(.+?)(?<=\S)_(?![A-Za-z0-9_])"), r"\1"),
    (re.compile(r"~~(.+?)~~"), r"\1"),
)


def _md_inline(text: str) -> str:
    """Markdown inline syntax to its text: links to their text, images dropped, emphasis removed."""
    kept: list[str] = []

    def protect(m: re.Match[str]) -> str:
        kept.append(m.group(m.lastindex or 0))
        return f"\ue000{len(kept) - 1}\ue001"

    # Escaped characters and code spans are literal text: hide them from the other rules.
    text = _MD_ESCAPE.sub(protect, text)
    text = _MD_CODE.sub(protect, text)
    for pattern, repl in _MD_INLINE:
        text = pattern.sub(repl, text)
    text = re.sub("\ue000(\\d+)\ue001", lambda m: kept[int(m.group(1))], text)
    return _norm_line(html.unescape(text))


def _markdown_lines(text: str) -> list[_Line]:
    """Markdown to lines: `#` is a title, `##`+ a section head, code and tables kept as text."""
    raw_lines = text.split("\n")
    out: list[_Line] = []
    front_title: str | None = None
    if raw_lines and raw_lines[0].strip() == "---":
        for k in range(1, min(len(raw_lines), 60)):
            if raw_lines[k].strip() in ("---", "..."):
                for meta in raw_lines[1:k]:
                    key, _, value = meta.partition(":")
                    if key.strip().lower() == "title" and value.strip():
                        front_title = value.strip().strip("\"'")
                raw_lines = raw_lines[k + 1 :]
                break
    gap = True
    fence: str | None = None
    block: list[str] = []
    table: list[str] = []

    def flush_table() -> None:
        nonlocal gap
        if table:
            out.append(_Line("\n".join(table), True, _FIXED))
            table.clear()
            gap = True

    for raw in raw_lines:
        if fence is not None:
            if raw.strip().startswith(fence):
                code = _fixed_block(block)
                if code:
                    out.append(_Line(code, True, _FIXED))
                fence, block, gap = None, [], True
            else:
                block.append(raw)
            continue
        m = _MD_FENCE.match(raw)
        if m:
            flush_table()
            fence = m.group(1)[0] * 3
            continue
        line = raw
        while _MD_QUOTE.match(line):
            line = _MD_QUOTE.sub("", line, count=1)
        stripped = line.strip()
        if stripped.startswith("|") or (table and "|" in stripped):
            if not _MD_TABLE_SEP.match(stripped):
                cells = [_md_inline(c) for c in stripped.strip("|").split("|")]
                row = " ".join(c for c in cells if c)
                if row:
                    table.append(row)
            continue
        flush_table()
        if not stripped or _MD_REF_DEF.match(line):
            gap = True
            continue
        setext = _MD_SETEXT.match(line)
        if setext and out and not gap and out[-1].hint is None:
            out[-1].hint = _TITLE if setext.group(1)[0] == "=" else _HEADING
            gap = True
            continue
        if _MD_RULE.match(line):
            gap = True
            continue
        atx = _MD_ATX.match(line)
        if atx:
            heading = _md_inline(atx.group(2))
            if heading:
                out.append(_Line(heading, True, _TITLE if len(atx.group(1)) == 1 else _HEADING))
            gap = True
            continue
        hint = None
        item = _MD_LIST.match(line)
        if item:
            line, hint = item.group(1), _LIST
        content = _md_inline(line)
        if content:
            out.append(_Line(content, gap or hint is not None, hint))
            gap = False
    flush_table()
    if fence is not None and _fixed_block(block):
        out.append(_Line(_fixed_block(block), True, _FIXED))
    if front_title and not any(ln.hint == _TITLE for ln in out):
        out.insert(0, _Line(_norm_line(front_title), True, _TITLE))
    return out


# --- HTML ----------------------------------------------------------------------------------------

# fmt: off
_HTML_SKIP = frozenset((
    "script", "style", "noscript", "template", "nav", "aside", "svg", "math", "iframe", "object",
    "canvas", "button", "select", "textarea",
))
# fmt: on
_HTML_PAGE_CHROME = frozenset({"header", "footer"})  # dropped outside an <article> only
# fmt: off
_HTML_BLOCK = frozenset((
    "p", "div", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "tr",
    "table", "thead", "tbody", "tfoot", "section", "article", "main", "blockquote", "pre",
    "figure", "figcaption", "address", "header", "footer", "hr", "caption", "details", "summary",
    "center", "form", "fieldset", "legend",
))
# fmt: on
_HTML_VOID = frozenset(
    ("br", "hr", "img", "meta", "link", "input", "wbr", "col", "area", "base", "source", "track")
)
_HTML_HINTS = {
    "h1": _TITLE,
    "h2": _HEADING,
    "h3": _HEADING,
    "h4": _HEADING,
    "h5": _HEADING,
    "h6": _HEADING,
    "figcaption": _CAPTION_HINT,
    "pre": _FIXED,
    "tr": _FIXED,
    "li": _LIST,
}


class _HtmlText(HTMLParser):
    """Collects visible text as lines, by article, with the hints the markup gives."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.skip: list[str] = []
        self.buf: list[str] = []
        self.gap = True
        self.page_title: list[str] = []
        self.in_title = False
        self.article_depth = 0
        self.outside: list[_Line] = []
        self.articles: list[list[_Line]] = []

    def _target(self) -> list[_Line]:
        return self.articles[-1] if self.article_depth and self.articles else self.outside

    def _hint(self) -> str | None:
        for tag in reversed(self.stack):
            if tag in _HTML_HINTS:
                return _HTML_HINTS[tag]
        return None

    def _flush(self, *, soft: bool = False) -> None:
        raw = "".join(self.buf)
        self.buf = []
        hint = self._hint()
        # Preformatted text keeps its lines; everything else is one line of running text.
        text = _fixed_block(raw.split("\n")) if "pre" in self.stack else _norm_line(raw)
        if text:
            self._target().append(_Line(text, self.gap, hint))
            self.gap = False
        if not soft:
            self.gap = True

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Open a block (flushing the text before it), or start skipping page chrome."""
        if self.skip:
            if tag not in _HTML_VOID:
                self.skip.append(tag)
            return
        if tag == "title":
            self.in_title = True
            return
        if tag in _HTML_SKIP or (tag in _HTML_PAGE_CHROME and not self.article_depth):
            if tag not in _HTML_VOID:
                self.skip.append(tag)
            return
        if tag == "br":
            self._flush(soft=True)
            return
        if tag in ("td", "th"):
            self.buf.append(" ")
            return
        if tag in _HTML_BLOCK:
            self._flush()
            if tag == "article":
                if not self.article_depth:
                    self.articles.append([])
                self.article_depth += 1
            if tag not in _HTML_VOID:
                self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        """Close a block (flushing its text) or the skipped element."""
        if self.skip:
            if tag == self.skip[-1] or (tag in self.skip and tag not in _HTML_VOID):
                while self.skip and self.skip.pop() != tag:
                    pass
            return
        if tag == "title":
            self.in_title = False
            return
        if tag in ("td", "th"):
            self.buf.append(" ")
            return
        if tag in _HTML_BLOCK and tag in self.stack:
            self._flush()
            while self.stack:
                top = self.stack.pop()
                if top == "article":
                    self.article_depth = max(0, self.article_depth - 1)
                if top == tag:
                    break

    def handle_data(self, data: str) -> None:
        """Keep visible text; whitespace runs collapse except inside <pre>."""
        if self.skip:
            return
        if self.in_title:
            self.page_title.append(data)
            return
        self.buf.append(data if "pre" in self.stack else re.sub(r"\s+", " ", data))

    def close(self) -> None:
        """Flush what is left at the end of the document."""
        super().close()
        self._flush()


def _html_segments(text: str) -> list[tuple[str | None, list[_Line]]]:
    """HTML to (title, lines) per article: several <article> elements make several articles."""
    parser = _HtmlText()
    parser.feed(text)
    parser.close()
    page_title = _norm_line("".join(parser.page_title)) or None
    articles = [lines for lines in parser.articles if lines]
    if articles:
        segments: list[tuple[str | None, list[_Line]]] = []
        for lines in articles:
            title, body = _pop_title(lines, fallback=page_title if len(articles) == 1 else None)
            segments.extend(_segments_by_title(body, title))
        return segments
    return _segments_by_title(parser.outside, None, page_title=page_title)


def _pop_title(lines: list[_Line], fallback: str | None) -> tuple[str | None, list[_Line]]:
    """An article's title: its <h1>, else a head that opens it, else `fallback` (the <title>)."""
    for k, line in enumerate(lines):
        if line.hint == _TITLE:
            return line.text, lines[:k] + lines[k + 1 :]
    if lines and lines[0].hint == _HEADING:
        return lines[0].text, lines[1:]
    return fallback, lines


def _segments_by_title(
    lines: list[_Line], title: str | None, page_title: str | None = None
) -> list[tuple[str | None, list[_Line]]]:
    """Split lines at title lines: each title starts an article; text before the first joins it."""
    starts = [k for k, line in enumerate(lines) if line.hint == _TITLE]
    if title is not None or not starts:
        title = title if title is not None else page_title
        if title is None and lines and lines[0].hint == _HEADING:
            return [(lines[0].text, lines[1:])]  # a section head opening the text is its title
        return [(title, lines)]
    segments: list[tuple[str | None, list[_Line]]] = []
    for n, k in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        body = lines[k + 1 : end]
        if n == 0:
            body = lines[:k] + body
        segments.append((lines[k].text, body))
    return segments


# --- blocks from laid-out documents (PDF, .docx) -------------------------------------------------

#: The roles a laid-out document can give a block for sure (from its fonts, styles or images).
BLOCK_ROLES = frozenset({_TITLE, _HEADING, _CAPTION_HINT, _FIXED, _LIST})


@dataclass(frozen=True)
class Block:
    """A paragraph of a laid-out document, with the role its layout gave it (None: let the rules
    decide). `continues` marks the rest of a paragraph broken by a column or page break."""

    text: str
    role: str | None = None
    continues: bool = False


def join_broken(left: str, right: str) -> str:
    """Join two pieces of a sentence broken across lines (no space in Chinese, dehyphenated)."""
    return _join(left, right)


def ends_sentence(text: str) -> bool:
    """Whether a line's last sentence is finished, so a following line starts a new one."""
    return _ends_closed(text)


def looks_like_caption(text: str) -> bool:
    """Whether a line reads as a figure caption or photo credit (`圖：…`, `Photo: …`, `…攝`)."""
    return _is_caption(_norm_line(text))


def looks_like_byline(text: str) -> bool:
    """Whether a line reads as a reporter's, editor's or credit line."""
    return _is_byline(_norm_line(text))


def text_units(text: str) -> int:
    """Length as a reader sees it: one per CJK character plus one per Latin word or number."""
    return _units(text)


def parse_blocks(blocks: Sequence[Block], fallback_title: str) -> list[ParsedArticle]:
    """Turn the paragraphs of a laid-out document into cleaned articles with sentence offsets.

    Why: a PDF's or a Word file's paragraphs are damaged like any pasted page (sentences broken
    by columns and pages, captions between their halves), so they get the same cleaning; a
    `title` block starts an article, as `#` does in Markdown.
    """
    lines: list[_Line] = []
    for block in blocks:
        if block.role is not None and block.role not in BLOCK_ROLES:
            raise ValueError(f"unknown block role {block.role!r}")
        if block.role == _FIXED:
            text = _fixed_block(block.text.split("\n"))
        else:
            text = _norm_line(block.text.replace("\n", " "))
        if text and not (block.role is None and _DECORATION.match(text)):
            lines.append(_Line(text, gap=not (block.continues and lines), hint=block.role))
    drafts: list[_Draft] = []
    for title, segment in _segments_by_title(lines, None):
        if segment or title:
            drafts.extend(_Cleaner(segment, title).run())
    articles = _finish(drafts, fallback_title)
    log.debug("parsed %d block(s) into %d article(s)", len(blocks), len(articles))
    return articles


# --- assembly ------------------------------------------------------------------------------------

_FORMATS = {"txt": "txt", "text": "txt", "md": "md", "markdown": "md", "html": "html", "htm": "html"}


def _finish(drafts: list[_Draft], fallback_title: str) -> list[ParsedArticle]:
    """Drafts to articles: titles filled in, paragraphs joined by blank lines, sentences indexed."""
    kept: list[_Draft] = []
    for draft in drafts:
        if not draft.paras:
            if draft.title is None:
                continue
            # A lone title with nothing under it is the text itself.
            draft = _Draft(title=None, paras=[_Para(BlockKind.BODY, draft.title)])
        elif all(p.kind is BlockKind.HEADING for p in draft.paras):
            # Short lines with nothing else around them are text, not section heads.
            draft.paras = [_Para(BlockKind.BODY, p.text) for p in draft.paras]
        kept.append(draft)
    articles: list[ParsedArticle] = []
    for n, draft in enumerate(kept, start=1):
        title = draft.title
        if not title:
            title = fallback_title if len(kept) == 1 else f"{fallback_title} ({n})"
        parts: list[str] = []
        sentences: list[Sentence] = []
        offset = 0
        for para in draft.paras:
            if parts:
                offset += 2  # the "\n\n" between paragraphs
            for start, end in split_sentences(para.text):
                s, e = offset + start, offset + end
                sentences.append(Sentence(len(sentences), s, e, para.text[start:end], para.kind))
            parts.append(para.text)
            offset += len(para.text)
        articles.append(ParsedArticle(title=title, text="\n\n".join(parts), sentences=tuple(sentences)))
    return articles


def parse_document(text: str, fmt: str, fallback_title: str) -> list[ParsedArticle]:
    """Turn a decoded document into cleaned articles with sentence offsets.

    `fmt` is "txt", "md" or "html". A page holding several articles (or several `#` headings or
    <article> elements) yields several articles; `fallback_title` (the file's stem) names an
    article whose title cannot be found. Returns an empty list when there is no text at all.
    """
    kind = _FORMATS.get(fmt.lower().lstrip("."))
    if kind is None:
        raise InputError(f"unsupported format {fmt!r}: use txt, md or html")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if kind == "txt":
        segments: list[tuple[str | None, list[_Line]]] = [(None, _plain_lines(text))]
    elif kind == "md":
        segments = _segments_by_title(_markdown_lines(text), None)
    else:
        segments = _html_segments(text)
    drafts: list[_Draft] = []
    for title, lines in segments:
        if lines or title:
            drafts.extend(_Cleaner(lines, title).run())
    articles = _finish(drafts, fallback_title)
    log.debug("parsed %s document into %d article(s)", kind, len(articles))
    return articles
