"""Feedback votes on disk (safe appends) and their export as gold-set lines."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from eval.gold import load_gold
from index.errors import InputError
from qa.feedback import FeedbackStore, export_gold, feedback_record
from qa.records import Answer, Citation

SENTENCE = "閻家山TOD項目規劃佔地面積約150畝，總投資26億元。"


def _answer(question: str = "閻家山TOD項目總投資多少？", short: str | None = "26億元",
            abstained: bool = False, resolved: str = "") -> Answer:
    citations = () if abstained else (
        Citation(n=1, article_id="a1", title="雁山科技生態城發展願景發布", sentence_id="a1:21",
                 start=10, end=10 + len(SENTENCE), text=SENTENCE, score=1.3),)
    text = "The articles do not say." if abstained else f"{short}\n\n{SENTENCE} [1]" if short \
        else f"{SENTENCE} [1]"
    return Answer(question=question, answer=text, short_answer=None if abstained else short,
                  abstained=abstained, citations=citations, passages=(),
                  resolved_question=resolved or question)


def test_record_appends_one_durable_json_line(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "sub" / "feedback.jsonl")
    record = store.record(_answer(), True)
    store.record(_answer().as_dict(), "down")
    lines = store.path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert first == record
    assert first["vote"] == "up" and json.loads(lines[1])["vote"] == "down"
    assert set(first) >= {"timestamp", "question", "resolved_question", "answer", "short_answer",
                          "citations", "vote"}
    assert first["citations"][0]["text"] == SENTENCE
    assert "閻家山" in lines[0]  # stored as readable UTF-8, not \\u escapes


def test_votes_are_validated() -> None:
    assert feedback_record(_answer(), "Like")["vote"] == "up"
    assert feedback_record(_answer(), False)["vote"] == "down"
    with pytest.raises(InputError, match="'up' or 'down'"):
        feedback_record(_answer(), "maybe")
    with pytest.raises(InputError, match="question"):
        feedback_record({"answer": "x"}, "up")


def test_concurrent_writers_never_interleave_lines(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.jsonl")
    other = FeedbackStore(tmp_path / "feedback.jsonl")  # a second handle, as a second page would

    def write(s: FeedbackStore, n: int) -> None:
        for i in range(n):
            s.record(_answer(question=f"問題{i}？"), i % 2 == 0)

    threads = [threading.Thread(target=write, args=(s, 20)) for s in (store, other, store)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = store.path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 60
    assert all(json.loads(line)["question"].startswith("問題") for line in lines)


def test_read_skips_torn_lines(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.jsonl")
    assert store.read() == []
    store.record(_answer(), "up")
    with open(store.path, "a", encoding="utf-8") as handle:
        handle.write('{"vote": "up", "question": "half\n[]\n\n')
    store.record(_answer(question="第二題？"), "down")
    assert [r["question"] for r in store.read()] == ["閻家山TOD項目總投資多少？", "第二題？"]


def test_export_gold_writes_valid_gold_lines(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.jsonl")
    store.record(_answer(), "up")
    store.record(_answer(question="那青科大TOD呢？", short="3.5億元",
                         resolved="青科大TOD項目總投資多少？"), "up")
    store.record(_answer(question="平安銀行青島分行有多少名員工？", abstained=True), "up")
    store.record(_answer(question="錯的？", short="一級"), "down")
    store.record(_answer(question="沒有短答案？", short=None), "up")
    lines = export_gold(store.read())
    by_question = {line["question"]: line for line in lines}
    assert set(by_question) == {"閻家山TOD項目總投資多少？", "青科大TOD項目總投資多少？",
                                "平安銀行青島分行有多少名員工？", "沒有短答案？"}
    first = by_question["閻家山TOD項目總投資多少？"]
    assert first["answers"] == ["26億元"] and first["evidence"] == [SENTENCE]
    assert first["answerable"] is True and first["article"] == "雁山科技生態城發展願景發布"
    assert first["tags"] == ["feedback"] and first["id"].startswith("feedback-")
    assert by_question["沒有短答案？"]["answers"] == [SENTENCE]  # markers stripped
    unanswerable = by_question["平安銀行青島分行有多少名員工？"]
    assert unanswerable["answerable"] is False and unanswerable["answers"] == []
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines),
                    encoding="utf-8")
    assert len(load_gold(gold)) == 4  # the strict gold loader accepts every line


def test_export_gold_latest_vote_wins_and_negatives_on_request() -> None:
    up = feedback_record(_answer(), "up")
    down = feedback_record(_answer(), "down")
    assert export_gold([up, down]) == []
    assert len(export_gold([down, up])) == 1
    negatives = export_gold([down], only_positive=False)
    assert negatives[0]["tags"] == ["feedback", "downvoted"]
