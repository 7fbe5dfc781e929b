"""Near-miss unanswerable questions, made from the train pool's own questions.

Why: the reader learned "no answer" only from passages about something else (other passages of the
article, retrieved passages of other articles). Users' unanswerable questions are mostly near
misses instead: the passage is about the right thing, but the question names a year, a number or a
name the passage does not hold (`2021年的淨利潤` over a passage giving 2023's figures), and the
reader answered them with the nearest span. SQuAD 2.0 built its unanswerable questions the same
way: a plausible question about the passage, made unanswerable by a changed name or number.

A near miss is the question with one of its anchors (a name, place, organisation, year or number
that the passage holds) swapped for one the passage lacks: a name of the same kind from another
question of the pool, or another number. Read over its own answer context, it is labelled "no
answer". Only names and numbers are swapped, never common nouns, so the changed question cannot
turn into another answerable one by chance.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Iterable

from index.text import aligned_key, jieba_segmenter, quiet_pkg_resources

#: jieba part-of-speech tags of the words that may be swapped: person, place, organisation, other
#: proper name, English word.
NAME_TAGS = ("nr", "ns", "nt", "nz", "eng")
_DIGITS = re.compile(r"\d+")


def _posseg():
    jieba_segmenter()  # initialised once, quietly
    with quiet_pkg_resources():
        import jieba.posseg

    return jieba.posseg


def _tagged(question: str) -> list[tuple[int, int, str, str]]:
    """(start, end, word, tag) of the question's words, over its one-to-one search key."""
    key = aligned_key(question)
    out, at = [], 0
    for pair in _posseg().lcut(key):
        word, tag = pair.word, pair.flag
        out.append((at, at + len(word), word, tag))
        at += len(word)
    return out


def _name_tag(tag: str) -> str | None:
    return next((t for t in NAME_TAGS if tag.startswith(t)), None)


class NameBank:
    """The names of the pool's questions by kind: what a swapped-in name is drawn from."""

    def __init__(self, questions: Iterable[str]) -> None:
        bank: dict[str, set[str]] = defaultdict(set)
        for question in questions:
            for _, _, word, tag in _tagged(question):
                kind = _name_tag(tag)
                if kind and len(word) >= 2:
                    bank[kind].add(word)
        self.names = {kind: sorted(words) for kind, words in bank.items()}

    def draw(self, kind: str, absent_from: str, rng: random.Random, tries: int = 20) -> str | None:
        """A name of this kind that `absent_from` (a search key) does not hold."""
        words = self.names.get(kind, [])
        for _ in range(tries if words else 0):
            word = rng.choice(words)
            if word not in absent_from:
                return word
        return None


def _other_number(digits: str, absent_from: str, rng: random.Random) -> str | None:
    value = int(digits)
    for _ in range(20):
        if len(digits) == 4 and 1000 <= value <= 2100:  # a year: a near one
            candidate = value + rng.choice([-1, 1]) * rng.randint(1, 12)
        else:
            candidate = max(1, round(value * rng.choice([0.5, 0.7, 1.3, 1.5, 2, 3]))) + rng.randint(0, 3)
        text = str(candidate)
        if candidate != value and text not in absent_from:
            return text
    return None


def near_miss(question: str, context: str, bank: NameBank, rng: random.Random) -> str | None:
    """`question` with one anchor the context holds swapped for one it lacks, or None when the
    question has no such anchor. The rest of the question keeps its original characters."""
    key = aligned_key(context)
    anchors: list[tuple[int, int, str]] = []
    for start, end, word, tag in _tagged(question):
        kind = _name_tag(tag)
        if kind and len(word) >= 2 and word in key:
            swap = bank.draw(kind, key, rng)
            if swap:
                anchors.append((start, end, swap))
        for match in _DIGITS.finditer(word):
            if match.group() in key:
                swap = _other_number(match.group(), key, rng)
                if swap:
                    anchors.append((start + match.start(), start + match.end(), swap))
    if not anchors:
        return None
    start, end, swap = rng.choice(anchors)
    return question[:start] + swap + question[end:]
