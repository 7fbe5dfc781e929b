"""The gold JSON Lines format: valid files load, malformed lines name file, line and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.gold import GoldFormatError, GoldItem, conversation_history, dump_gold, load_gold
from index.errors import InputError

VALID = [
    {
        "id": "q1",
        "question": "總投資多少？",
        "answers": ["26億元"],
        "evidence": ["總投資26億元。"],
        "answerable": True,
        "article": "港珠澳大橋",
        "tags": ["hant", "number"],
    },
    {
        "id": "q2",
        "question": "什么时候完工？",
        "answers": [],
        "evidence": [],
        "answerable": False,
        "tags": ["hans", "unanswerable"],
    },
    {
        "id": "c1-2",
        "question": "And when did it open?",
        "answers": ["2018"],
        "evidence": ["The bridge opened in 2018."],
        "answerable": True,
        "conversation": "c1",
        "turn": 2,
    },
    {
        "id": "c1-1",
        "question": "How long is the bridge?",
        "answers": ["55 km"],
        "evidence": ["The bridge is 55 km long."],
        "answerable": True,
        "conversation": "c1",
        "turn": 1,
    },
    {"id": "c1-3", "question": "Who built it?", "answers": ["x"], "evidence": ["x built it."],
     "answerable": True, "conversation": "c1", "turn": 3},
]


def _write(path: Path, records: list[object], blank_after: int | None = None) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
    if blank_after is not None:
        lines.insert(blank_after, "   ")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_valid_file_loads(tmp_path: Path) -> None:
    items = load_gold(_write(tmp_path / "gold.jsonl", VALID, blank_after=1))
    assert [item.id for item in items] == ["q1", "q2", "c1-2", "c1-1", "c1-3"]
    first = items[0]
    assert first == GoldItem(
        id="q1",
        question="總投資多少？",
        answers=("26億元",),
        evidence=("總投資26億元。",),
        answerable=True,
        article="港珠澳大橋",
        tags=("hant", "number"),
    )
    assert items[1].answers == () and items[1].answerable is False
    assert items[2].conversation == "c1" and items[2].turn == 2


def test_round_trip(tmp_path: Path) -> None:
    items = load_gold(_write(tmp_path / "gold.jsonl", VALID))
    out = tmp_path / "out.jsonl"
    dump_gold(items, out)
    assert "總投資" in out.read_text(encoding="utf-8")  # not \u-escaped
    assert load_gold(out) == items


def test_conversation_history(tmp_path: Path) -> None:
    items = load_gold(_write(tmp_path / "gold.jsonl", VALID))
    by_id = {item.id: item for item in items}
    assert [i.id for i in conversation_history(items, by_id["c1-3"])] == ["c1-1", "c1-2"]
    assert conversation_history(items, by_id["c1-1"]) == []
    assert conversation_history(items, by_id["q1"]) == []


BASE = {"id": "bad", "question": "問題？", "answers": ["甲"], "evidence": ["甲。"],
        "answerable": True}

MALFORMED = [
    ({"answers": "甲"}, "answers"),
    ({"answers": ["甲", 3]}, "answers"),
    ({"answers": []}, "answers"),
    ({"evidence": []}, "evidence"),
    ({"evidence": "甲。"}, "evidence"),
    ({"answerable": False}, "answers"),
    ({"answerable": "yes"}, "answerable"),
    ({"question": "  "}, "question"),
    ({"id": 7}, "id"),
    ({"article": 12}, "article"),
    ({"tags": "hant"}, "tags"),
    ({"conversation": "c9", "turn": 0}, "turn"),
    ({"conversation": "c9", "turn": True}, "turn"),
    ({"conversation": "c9"}, "turn"),
    ({"turn": 2}, "conversation"),
]


@pytest.mark.parametrize(("change", "field"), MALFORMED)
def test_malformed_line_names_file_line_and_field(
    tmp_path: Path, change: dict[str, object], field: str
) -> None:
    bad = {**BASE, **change}
    path = _write(tmp_path / "gold.jsonl", [VALID[0], bad], blank_after=1)  # bad on line 3
    with pytest.raises(GoldFormatError) as info:
        load_gold(path)
    message = str(info.value)
    assert f"gold.jsonl:3: field '{field}'" in message
    assert isinstance(info.value, InputError)


def test_missing_required_field(tmp_path: Path) -> None:
    bad = {key: value for key, value in BASE.items() if key != "question"}
    with pytest.raises(GoldFormatError, match=r"gold\.jsonl:2: field 'question' is missing"):
        load_gold(_write(tmp_path / "gold.jsonl", [VALID[0], bad]))


def test_bad_json_and_non_object(tmp_path: Path) -> None:
    with pytest.raises(GoldFormatError, match=r"gold\.jsonl:2: not valid JSON"):
        load_gold(_write(tmp_path / "gold.jsonl", [VALID[0], '{"id": "x",']))
    with pytest.raises(GoldFormatError, match=r"gold\.jsonl:1: a line must be a JSON object"):
        load_gold(_write(tmp_path / "gold.jsonl", ["[1, 2]"]))


def test_duplicate_ids(tmp_path: Path) -> None:
    path = _write(tmp_path / "gold.jsonl", [VALID[0], VALID[1], VALID[0]])
    with pytest.raises(GoldFormatError) as info:
        load_gold(path)
    message = str(info.value)
    assert "gold.jsonl:3: field 'id'" in message and "'q1'" in message and "line 1" in message


def test_duplicate_turn(tmp_path: Path) -> None:
    again = {**VALID[3], "id": "c1-1b"}
    with pytest.raises(GoldFormatError, match=r"gold\.jsonl:3: field 'turn'"):
        load_gold(_write(tmp_path / "gold.jsonl", [VALID[3], VALID[2], again]))


def test_unknown_field_is_named(tmp_path: Path) -> None:
    bad = {**BASE, "answer": "甲", "notes": "x"}
    with pytest.raises(GoldFormatError) as info:
        load_gold(_write(tmp_path / "gold.jsonl", [bad]))
    message = str(info.value)
    assert "gold.jsonl:1:" in message and "'answer'" in message and "'notes'" in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        load_gold(tmp_path / "nope.jsonl")
