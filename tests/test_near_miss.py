"""Near-miss unanswerable questions (`train.near_miss`): one name or number the passage holds,
swapped for one it lacks; the rest of the question untouched."""

from __future__ import annotations

import os
import random
import re

from index.text import aligned_key
from train.near_miss import NameBank, near_miss

CONTEXT = ("2012年的時候，《南華早報》的總編輯是王向偉。阿里巴巴集團於2015年宣布以20.6億港元"
           "收購南華早報集團的媒體業務。")
QUESTIONS = ["2012年的時候，當時《南華早報》的總編是誰?", "阿里巴巴集團宣布將以多少港元收購《南華早報》?",
             "忽必烈於何年宣布即蒙古大汗位?", "上海證券交易所成立於哪一年?", "台北市的市長是誰?"]


def _numbers(text: str) -> set[str]:
    return set(re.findall(r"\d+", text))


def test_a_near_miss_swaps_one_anchor_the_passage_holds_for_one_it_lacks() -> None:
    bank = NameBank(QUESTIONS)
    key = aligned_key(CONTEXT)
    seen = set()
    for seed in range(30):
        for question in QUESTIONS[:2]:
            missed = near_miss(question, CONTEXT, bank, random.Random(seed))
            assert missed is not None and missed != question
            prefix = len(os.path.commonprefix([question, missed]))
            suffix = len(os.path.commonprefix([question[prefix:][::-1], missed[prefix:][::-1]]))
            assert prefix + suffix >= len(question) - 6  # one word changed, the rest kept
            new_numbers = _numbers(missed) - _numbers(question)
            names = {w for words in bank.names.values() for w in words}
            new_names = {w for w in names if w in missed and w not in question}
            assert len(new_numbers) + len(new_names) == 1, (question, missed)
            new = (new_numbers | new_names).pop()
            assert new not in key  # the passage does not hold what the question now asks about
            seen.add(new)
    assert any(s.isdigit() for s in seen)  # years and amounts are swapped as well as names
    assert any(not s.isdigit() for s in seen)


def test_no_near_miss_without_an_anchor_in_the_passage() -> None:
    bank = NameBank(QUESTIONS)
    # Its only name (忽必烈) and no number appear in the passage: nothing to swap.
    assert near_miss("忽必烈於何年宣布即蒙古大汗位?", CONTEXT, bank, random.Random(0)) is None
    assert near_miss("總編輯是誰?", CONTEXT, bank, random.Random(0)) is None
