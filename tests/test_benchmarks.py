"""Benchmark loaders: small synthetic files always, the real shared sets when they are present."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.benchmarks import (
    BENCHMARKS,
    Benchmark,
    load_benchmark,
    load_squad_benchmark,
    load_xquad_crosslingual,
)
from index.errors import InputError

ROOT = (Path(__file__).resolve().parents[1] / ".." / "shared" / "benchmarks").resolve()
needs_data = pytest.mark.skipif(
    not ROOT.is_dir(), reason=f"shared benchmarks folder not found at {ROOT}"
)


def _squad(path: Path, paragraphs: list[dict[str, object]], title: str = "T") -> Path:
    path.write_text(
        json.dumps({"data": [{"title": title, "paragraphs": paragraphs}]}, ensure_ascii=False),
        encoding="utf-8",
    )
    return path


# --- synthetic -------------------------------------------------------------------------------

CONTEXT = "第一句講歐洲。第二句說總投資26億元！第三句？ 最後一句沒有句號"


def test_synthetic_offsets_sentences_and_ids(tmp_path: Path) -> None:
    start = CONTEXT.index("26億元")
    path = _squad(tmp_path / "tiny.json", [{
        "context": CONTEXT,
        "qas": [
            {"id": "q1", "question": "總投資多少？", "answers": [
                {"text": "26億元", "answer_start": start},
                {"text": "26億元", "answer_start": start + 2},  # wrong offset: re-found
                {"text": "二十六億元", "answer_start": -1},  # free form: answer string only
            ]},
            {"id": "q2", "question": "哪一句沒有句號？", "answers": [
                {"text": " 最後一句", "answer_start": CONTEXT.index("最後") - 1},
            ]},
            {"id": "q3", "question": "Which continent?", "answers": [
                {"text": "歐洲", "answer_start": CONTEXT.index("歐洲")},
                {"text": "總投資", "answer_start": CONTEXT.index("總投資")},
            ]},
        ],
    }])
    bench = load_squad_benchmark(path)
    assert bench.name == "tiny"
    assert [(d.id, d.title) for d in bench.documents] == [("0-0", "T")]
    q1, q2, q3 = bench.items
    assert q1.answers == ("26億元", "二十六億元")
    assert q1.evidence == ("第二句說總投資26億元！",)
    assert q1.article == "0-0" and q1.answerable
    assert q1.tags == ("hant", "tiny")
    assert q2.answers == ("最後一句",)
    assert q2.evidence == ("最後一句沒有句號",)
    assert q3.evidence == ("第一句講歐洲。", "第二句說總投資26億元！")  # document order
    assert q3.tags[0] == "en"


def test_answer_across_sentences_gives_one_joined_evidence(tmp_path: Path) -> None:
    context = "甲乙。丙丁。戊己。"
    path = _squad(tmp_path / "x.json", [{"id": "p-1", "context": context, "qas": [
        {"id": "q", "question": "什么？", "answers": [{"text": "乙。丙", "answer_start": 1}]},
    ]}])
    (item,) = load_squad_benchmark(path, name="x").items
    assert item.evidence == ("甲乙。丙丁。",)
    assert item.article == "p-1"


def test_crosslingual_alignment_is_checked(tmp_path: Path) -> None:
    zh = _squad(tmp_path / "zh.json", [{"context": "甲是乙。", "qas": [
        {"id": "a", "question": "甲是什么？", "answers": [{"text": "乙", "answer_start": 2}]},
    ]}])
    en_ok = _squad(tmp_path / "en.json", [{"context": "A is B.", "qas": [
        {"id": "a", "question": "What is A?", "answers": [{"text": "B", "answer_start": 5}]},
    ]}])
    en_bad = _squad(tmp_path / "bad.json", [{"context": "A is B.", "qas": [
        {"id": "other", "question": "What is A?", "answers": [{"text": "B", "answer_start": 5}]},
    ]}])
    (item,) = load_xquad_crosslingual(zh, en_ok).items
    assert item.question == "What is A?" and item.answers == ("乙",)
    assert item.evidence == ("甲是乙。",) and item.tags == ("en", "xquad-en-zh")
    with pytest.raises(InputError, match="'other'"):
        load_xquad_crosslingual(zh, en_bad)


def test_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        load_benchmark("no-such-benchmark", root=tmp_path)
    assert "drcd-dev" in str(info.value) and "xquad-en-zh" in str(info.value)
    with pytest.raises(InputError, match="drcd-dev"):
        load_benchmark(tmp_path / "missing.json", root=tmp_path)
    with pytest.raises(InputError, match="not found"):
        load_benchmark("drcd-dev", root=tmp_path)  # folder exists, file does not
    broken = tmp_path / "broken.json"
    broken.write_text('{"data": [{"paragraphs": [{"qas": []}]}]}', encoding="utf-8")
    with pytest.raises(InputError, match="SQuAD"):
        load_squad_benchmark(broken)


# --- the real shared files -------------------------------------------------------------------


def _check_evidence(bench: Benchmark) -> None:
    """Every item's gold paragraph exists; every evidence is in it and holds an answer."""
    documents = {doc.id: doc.text for doc in bench.documents}
    assert len(documents) == len(bench.documents)
    for item in bench.items:
        assert item.article in documents
        assert item.answerable and item.answers and item.evidence, item.id
        for sentence in item.evidence:
            assert sentence in documents[item.article], item.id
            assert any(answer in sentence for answer in item.answers), item.id


@pytest.fixture(scope="module")
def drcd_dev() -> Benchmark:
    return load_benchmark("drcd-dev", root=ROOT)


@needs_data
def test_drcd_dev(drcd_dev: Benchmark) -> None:
    assert len(drcd_dev.documents) == 1000
    assert len(drcd_dev.items) == 3524
    assert drcd_dev.documents[0].id == "1147-5"
    assert drcd_dev.items[0].article == "1147-5" and drcd_dev.items[0].id == "1147-5-1"
    assert drcd_dev.items[0].answers == ("歐洲",)
    assert all("drcd-dev" in item.tags for item in drcd_dev.items)
    assert sum("hant" in item.tags for item in drcd_dev.items) > 3500
    _check_evidence(drcd_dev)


@needs_data
def test_drcd_test_counts() -> None:
    bench = load_benchmark("drcd-test", root=ROOT)
    assert (len(bench.documents), len(bench.items)) == (1000, 3493)


@needs_data
def test_cmrc2018_dev_handles_bad_offsets() -> None:
    bench = load_benchmark("cmrc2018-dev", root=ROOT)
    assert (len(bench.documents), len(bench.items)) == (848, 3219)
    _check_evidence(bench)
    raw = json.loads((ROOT / "cmrc2018" / "cmrc2018_dev.json").read_text(encoding="utf-8"))
    items = {item.id: item for item in bench.items}
    documents = {doc.id: doc.text for doc in bench.documents}
    free_form = 0
    for article in raw["data"]:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                for answer in qa["answers"]:
                    if answer["answer_start"] == -1:
                        free_form += 1
                        text = answer["text"].strip()
                        assert text in items[qa["id"]].answers  # kept as a gold string
                        assert text not in documents[paragraph["id"]]
    assert free_form == 193
    # One of the 7 offsets that are too high: '灭司马家族' given at 175, really at 174.
    shifted = [item for item in bench.items if "灭司马家族" in item.answers]
    assert shifted and all("消灭司马家族" in item.evidence[0] for item in shifted)


@needs_data
def test_expmrc_human_evidence() -> None:
    cmrc = load_benchmark("expmrc-cmrc2018-dev", root=ROOT)
    squad = load_benchmark("expmrc-squad-dev", root=ROOT)
    assert (len(cmrc.documents), len(cmrc.items)) == (369, 515)
    assert (len(squad.documents), len(squad.items)) == (319, 501)
    first = cmrc.items[0]
    assert first.id == "DEV_0_QUERY_1"
    assert first.evidence == (
        "战国无双 编年史的原创男女主角亦有专属声优。此模式是任天堂游戏谜之村雨城改编的新增模式。",
        "2.战国无双 编年史的原创男女主角亦有专属声优。此模式是任天堂游戏谜之村雨城改编的新增模式。",
    )
    for bench in (cmrc, squad):
        documents = {doc.id: doc.text for doc in bench.documents}
        for item in bench.items:
            assert item.evidence and all(e in documents[item.article] for e in item.evidence)
    assert all(item.tags[0] == "en" for item in squad.items)


@needs_data
def test_xquad_crosslingual() -> None:
    bench = load_benchmark("xquad-en-zh", root=ROOT)
    zh = load_benchmark("xquad-zh", root=ROOT)
    assert (len(bench.documents), len(bench.items)) == (240, 1190)
    assert bench.documents == zh.documents
    assert [i.id for i in bench.items] == [i.id for i in zh.items]
    assert [i.answers for i in bench.items] == [i.answers for i in zh.items]
    assert [i.article for i in bench.items] == [i.article for i in zh.items]
    assert all(item.tags == ("en", "xquad-en-zh") for item in bench.items)
    assert all(item.question.isascii() for item in bench.items[:50])
    _check_evidence(bench)


def test_registry_names() -> None:
    assert set(BENCHMARKS) == {
        "drcd-dev", "drcd-test", "cmrc2018-dev", "expmrc-cmrc2018-dev", "expmrc-squad-dev",
        "xquad-zh", "xquad-en-zh",
    }
