"""English renderings of the train pool's Chinese questions, word by word from CC-CEDICT.

Why: the train pool's questions are all Chinese, so the reader never learns to read an English
question over a Chinese passage, and on the built-in dev split's English questions it says "no
answer" to nearly all of them. No English-Chinese QA data may train here (XQuAD is held out), but a
dictionary rendering of a Chinese question (`平安银行青岛分行的行长是谁？` -> `who is safe and sound
bank Qingdao branch of bank or store bank president`) carries the same content words in English, and
teaching the reader to find the span from those is what lets it read real English questions
(dictionary code-switching, as in CoSDA-ML, Qin et al. 2020). Names the dictionary lacks are written
in pinyin, as English news writes them (`Yanshan`).
"""

from __future__ import annotations

import random

from index.text import is_han_text, to_simplified, tokenize
from qa.gloss import Glossary

#: Question words as English asks them (CC-CEDICT lists them among other senses).
QUESTION_WORDS = {
    "谁": "who", "哪位": "who", "什么": "what", "何": "what", "多少": "how many", "几": "how many",
    "哪": "which", "哪些": "which", "哪个": "which", "哪家": "which", "哪一年": "which year",
    "何时": "when", "什么时候": "when", "哪里": "where", "哪儿": "where", "何地": "where",
    "为什么": "why", "为何": "why", "如何": "how", "怎么": "how", "怎样": "how", "多久": "how long",
    "多大": "how big", "多长": "how long", "多高": "how high",
}
#: Particles an English question leaves out.
DROPPED = frozenset("的 了 吗 呢 吧 啊 之 其 所 着 过 地 得".split())


def english_question(question: str, glossary: Glossary, rng: random.Random) -> str:
    """A Chinese question rendered in English words, the question word first."""
    wh: list[str] = []
    words: list[str] = []
    for token in tokenize(to_simplified(question)):
        if not is_han_text(token):
            if any(ch.isalnum() for ch in token):
                words.append(token)
            continue
        if token in QUESTION_WORDS:
            wh.append(QUESTION_WORDS[token])
            continue
        for word in glossary.words(token):
            if word in DROPPED:
                continue
            if word in QUESTION_WORDS:
                wh.append(QUESTION_WORDS[word])
                continue
            options = glossary.renderings(word)
            if word == "是":
                options = ["is"]
            if options:
                # Mostly the first sense, sometimes the second: real questions do not always
                # use a word's commonest English.
                words.append(options[0] if len(options) == 1 or rng.random() < 0.7 else options[1])
            else:
                name = glossary.pinyin(word)
                if name:
                    words.append(name)
    if wh and words and words[-1] == "is":  # `…是谁` -> `who is …`
        words = ["is", *words[:-1]]
    text = " ".join(wh[:1] + words)
    return (text[:1].upper() + text[1:] + "?") if text else question
