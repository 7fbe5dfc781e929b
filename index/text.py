"""All text handling in one place: normalization, script detection and tokenization.

Every package (ingest, lexical search, answer extraction, metrics) normalizes through here, so the
same text always becomes the same key. Display text and offsets always stay on the original.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_MEANINGFUL = re.compile(r"[\w]", re.UNICODE)


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _s2t():
    import opencc

    return opencc.OpenCC("s2t")


def to_simplified(text: str) -> str:
    """Traditional (and mixed) Chinese to Simplified; other text passes through."""
    return _t2s().convert(text) if text else text


def to_traditional(text: str) -> str:
    """Simplified (and mixed) Chinese to Traditional; other text passes through."""
    return _s2t().convert(text) if text else text


def search_key(text: str) -> str:
    """The normalized form used for lexical matching: NFKC, Simplified, lower case."""
    return to_simplified(unicodedata.normalize("NFKC", text)).lower()


def meaningful_chars(text: str) -> int:
    """How many letters or digits a text holds (punctuation, markup and spaces do not count)."""
    return sum(1 for ch in text if ch.isalnum())


def han_ratio(text: str) -> float:
    """Share of Han characters among letters: 1.0 for pure Chinese, 0.0 for pure English."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 0.0
    return sum(1 for ch in letters if _HAN.match(ch)) / len(letters)


def detect_script(text: str) -> str:
    """`hant`, `hans` or `en` (anything mostly non-Han): picks the language of a reply."""
    if han_ratio(text) < 0.3:
        return "en"
    simplified = to_simplified(text)
    traditional = to_traditional(text)
    changed_if_simplified = sum(a != b for a, b in zip(text, simplified, strict=False))
    changed_if_traditional = sum(a != b for a, b in zip(text, traditional, strict=False))
    return "hans" if changed_if_simplified < changed_if_traditional else "hant"


@lru_cache(maxsize=1)
def _jieba():
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def tokenize(text: str) -> list[str]:
    """Lexical tokens of a text: jieba words over the search key, without spaces or punctuation."""
    key = search_key(text)
    return [tok for tok in _jieba().lcut(key) if any(ch.isalnum() for ch in tok)]
