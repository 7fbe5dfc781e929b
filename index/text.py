"""All text handling in one place: normalization, script detection and tokenization.

Every package (ingest, lexical search, answer extraction, metrics) normalizes through here, so the
same text always becomes the same key. Display text and offsets always stay on the original.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_MEANINGFUL = re.compile(r"[\w]", re.UNICODE)


@lru_cache(maxsize=4)
def _opencc(config: str):
    """The process's one OpenCC converter for a configuration (`t2s`, `s2t`, `t2tw`, `t2hk`)."""
    import opencc

    return opencc.OpenCC(config)


def to_simplified(text: str) -> str:
    """Traditional (and mixed) Chinese to Simplified; other text passes through."""
    return _opencc("t2s").convert(text) if text else text


def to_traditional(text: str) -> str:
    """Simplified (and mixed) Chinese to Traditional; other text passes through.

    OpenCC's Traditional is a standard of its own: it writes `臺` for `台`, `羣` for `群` and `爲` for
    `为`. A character Taiwan or Hong Kong writes as it is stays, so Traditional text stays as
    written (`台灣` is not made `臺灣`); a Simplified one becomes what Taiwan writes (`为` -> `為`,
    `基础` -> `基礎`).
    """
    if not text:
        return text
    converted = _opencc("s2t").convert(text)
    if len(converted) != len(text):  # a phrase changed length (rare): OpenCC's form as it is
        return converted
    return "".join(a if a == b else _regional_form(a, b)
                   for a, b in zip(text, converted, strict=True))


def search_key(text: str) -> str:
    """The normalized form used for lexical matching: NFKC, Simplified, lower case."""
    return to_simplified(unicodedata.normalize("NFKC", text)).lower()


def aligned_key(text: str) -> str:
    """The search key of `text` with one character per original character (so spans carry over)."""
    nfkc = "".join(
        ch if len(n := unicodedata.normalize("NFKC", ch)) != 1 else n for ch in text
    )
    key = to_simplified(nfkc).lower()
    if len(key) == len(text):
        return key
    return "".join(c if len(c := to_simplified(ch).lower()) == 1 else ch for ch in nfkc)


def meaningful_chars(text: str) -> int:
    """How many letters or digits a text holds (punctuation, markup and spaces do not count)."""
    return sum(1 for ch in text if ch.isalnum())


def han_ratio(text: str) -> float:
    """Share of Han characters among letters: 1.0 for pure Chinese, 0.0 for pure English."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 0.0
    return sum(1 for ch in letters if _HAN.match(ch)) / len(letters)


#: Text with at least this share of Han letters counts as Chinese script.
HAN_SCRIPT_RATIO = 0.3


def is_han_text(text: str) -> bool:
    """Whether a text is written mostly in Chinese characters (decides script agreement)."""
    return han_ratio(text) >= HAN_SCRIPT_RATIO


def detect_script(text: str) -> str:
    """`hant`, `hans` or `en` (anything mostly non-Han): picks the language of a reply."""
    if not is_han_text(text):
        return "en"
    simplified = to_simplified(text)
    traditional = to_traditional(text)
    changed_if_simplified = sum(a != b for a, b in zip(text, simplified, strict=False))
    changed_if_traditional = sum(a != b for a, b in zip(text, traditional, strict=False))
    return "hans" if changed_if_simplified < changed_if_traditional else "hant"


@lru_cache(maxsize=8192)
def _regional_form(original: str, opencc_form: str) -> str:
    """The Traditional character for `original`, which OpenCC writes `opencc_form`: `original`
    itself when Taiwan or Hong Kong write it so (`台` for `臺`), else Taiwan's form (`為` for `爲`)."""
    taiwan = _opencc("t2tw").convert(opencc_form)
    return original if original in (taiwan, _opencc("t2hk").convert(opencc_form)) else taiwan


@contextmanager
def quiet_pkg_resources() -> Iterator[None]:
    """Hide the deprecation warning that importing setuptools' `pkg_resources` gives: jieba and
    milvus-lite use it at import time (we pin setuptools < 81, which still has it, for
    milvus-lite), and a user has nothing to act on there."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
        yield


@lru_cache(maxsize=1)
def jieba_segmenter():
    """jieba, initialised once and quiet; every module segments Chinese through this one instance."""
    import logging

    with quiet_pkg_resources():
        import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def tokenize(text: str) -> list[str]:
    """Lexical tokens of a text: jieba words over the search key, without spaces or punctuation."""
    key = search_key(text)
    return [tok for tok in jieba_segmenter().lcut(key) if any(ch.isalnum() for ch in tok)]


# --- sentence splitting ------------------------------------------------------------------------

#: Punctuation that always ends a Chinese sentence (the full-width semicolon too, by requirement).
_CJK_ENDERS = "。！？；"
#: Runs of terminators are one boundary: `？！`, `……`, `!!`, `...`.
_ENDER_RUN = "。！？；!?…."
#: Closing quotes and brackets stay with the sentence they close.
_CLOSERS = "」』”’\"')）]】》〉〗"
#: Opening quotes and brackets that may come before the first letter of the next sentence.
_OPENERS = "「『“‘\"'(（[【《〈〖"
#: Punctuation after a terminator that shows the sentence goes on (`……，` or `?!,`).
_CONTINUERS = "，、,:：;"
#: Tokens whose final `.` is an abbreviation, not a full stop (case-sensitive).
# fmt: off
_ABBREVIATIONS = frozenset((
    "Mr", "Mrs", "Ms", "Mx", "Dr", "Prof", "Sr", "Jr", "St", "Mt", "Ft", "Gen", "Gov", "Sen",
    "Rep", "Col", "Lt", "Sgt", "Capt", "Cmdr", "Adm", "Rev", "Hon", "Pres", "Supt", "Messrs", "No",
    "Nos", "Fig", "Figs", "Vol", "Vols", "Ch", "Sec", "Art", "Op", "Ed", "Eds", "Jan", "Feb",
    "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec", "Inc", "Corp", "Co",
    "Ltd", "Bros", "Dept", "Univ", "Assn", "Ave", "Blvd", "Rd", "vs", "etc", "cf", "al", "approx",
    "est", "fig", "vol", "pp", "ed", "eds", "no", "nos",
))
# fmt: on
_DOTTED_ABBREVIATION = re.compile(r"^(?:[A-Za-z]\.)+[A-Za-z]$")


def _is_han(ch: str) -> bool:
    return bool(_HAN.match(ch))


def _skip(text: str, i: int, chars: str) -> int:
    while i < len(text) and text[i] in chars:
        i += 1
    return i


def _skip_spaces(text: str, i: int) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    return i


def _next_starts_sentence(text: str, j: int) -> bool:
    """After whitespace at `j`: does a new sentence begin (capital letter or CJK, not lower case)?"""
    k = _skip(text, _skip_spaces(text, j), _OPENERS)
    if k >= len(text):
        return True
    ch = text[k]
    return ch.isupper() or _is_han(ch) or (ch.isalpha() and not ch.islower())


def _latin_run_ends(text: str, j: int, *, need_capital: bool) -> bool:
    """Whether a Latin-style terminator run ending at `j` (closers included) ends the sentence."""
    if j >= len(text):
        return True
    ch = text[j]
    if ch.isspace():
        k = _skip_spaces(text, j)
        if k >= len(text):
            return True
        nxt = text[k]
        if nxt in _CONTINUERS:
            return False
        if need_capital:
            return _next_starts_sentence(text, j)
        return not (nxt.isascii() and nxt.islower())
    # No space: only a directly following Chinese character (or quote) starts a new sentence.
    return _is_han(ch) or ch in "「『“"


def _token_before(text: str, i: int, start: int) -> str:
    """The whitespace-delimited token that ends right before position `i` (within the sentence)."""
    k = i
    while k > start and not text[k - 1].isspace():
        k -= 1
    return text[k:i].lstrip(_OPENERS)


def _period_ends(text: str, i: int, j: int, start: int) -> bool:
    """Whether the `.` at `i` (closers up to `j`) is a full stop rather than a decimal or abbreviation."""
    if j < len(text) and not text[j].isspace():
        # `807.42`, `U.S.`, `example.com` go on; a Chinese character right after a word may start anew.
        if not _is_han(text[j]):
            return False
    elif j < len(text) and not _latin_run_ends(text, j, need_capital=True):
        return False
    token = _token_before(text, i, start)
    if not token:
        return True
    if token in _ABBREVIATIONS or _DOTTED_ABBREVIATION.match(token):
        return False
    if len(token) == 1 and token.isalpha() and token.isupper():
        return False  # an initial: `J. Smith`
    # A list number at the start of a sentence (`1. First`) is not a full stop.
    return not (token.isdigit() and not text[start : i - len(token)].strip())


def _line_sentences(line: str) -> list[tuple[int, int]]:
    """Sentence spans of one line (no newline inside), before whitespace is stripped."""
    spans: list[tuple[int, int]] = []
    start = 0
    i = 0
    n = len(line)
    while i < n:
        ch = line[i]
        if ch not in _ENDER_RUN:
            i += 1
            continue
        run_end = _skip(line, i, _ENDER_RUN)
        run = line[i:run_end]
        j = _skip(line, run_end, _CLOSERS)
        if any(c in _CJK_ENDERS for c in run):
            k = _skip_spaces(line, j)
            ends = k >= n or line[k] not in _CONTINUERS
        elif run == ".":
            ends = _period_ends(line, i, j, start)
        elif "." in run and set(run) == {"."} and len(run) == 2:
            ends = False  # `..` is not an ellipsis
        else:  # `!`, `?`, `...`, `…` and their runs
            ends = _latin_run_ends(line, j, need_capital=False)
        if ends:
            spans.append((start, j))
            start = j
        i = j if j > i else i + 1
    spans.append((start, n))
    return spans


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences of `text`, stripped, never crossing a line break.

    Chinese ends at 。！？； (and …… runs); English `.` ends only before a capital, a Chinese
    character or the end, never in decimals or abbreviations such as `U.S.`, `Mr.`, `J. Smith`.
    Closing quotes and brackets stay with the sentence they close. Together the spans cover all
    non-space characters, so citation offsets can always point at whole sentences.
    """
    result: list[tuple[int, int]] = []
    offset = 0
    for line in text.split("\n"):
        for s, e in _line_sentences(line):
            while s < e and line[s].isspace():
                s += 1
            while e > s and line[e - 1].isspace():
                e -= 1
            if s < e:
                result.append((offset + s, offset + e))
        offset += len(line) + 1
    return result
