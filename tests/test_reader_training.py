"""The reader's training path: data from the train pool only, and a few real training steps."""

from __future__ import annotations

import dataclasses
import json
import pathlib
import random
from pathlib import Path

import pytest

from train.data import HELD_OUT, TRAIN_POOL, build_examples, read_examples, write_examples

BENCHMARKS = Path(__file__).resolve().parents[2] / "shared" / "benchmarks"


@pytest.fixture(scope="module")
def tiny_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A benchmarks folder holding the first articles of each train-pool file (real data), and
    every held-out file as it ships."""
    root = tmp_path_factory.mktemp("benchmarks")
    for relative in TRAIN_POOL.values():
        data = json.loads((BENCHMARKS / relative).read_text(encoding="utf-8"))
        data["data"] = data["data"][:4]
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    for held in ("drcd/DRCD_test.json", "xquad/xquad.zh.json", "expmrc/expmrc-squad-dev.json"):
        (root / held).parent.mkdir(parents=True, exist_ok=True)
        (root / held).write_bytes((BENCHMARKS / held).read_bytes())
    return root


def test_training_data_never_reads_a_held_out_set(tiny_root: Path, monkeypatch) -> None:
    opened: list[str] = []
    original = pathlib.Path.open

    def recording_open(self, *args, **kwargs):
        opened.append(str(self))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "open", recording_open)
    examples = list(build_examples(tiny_root))
    benchmark_files = [p for p in opened if p.startswith(str(tiny_root))]
    assert sorted(benchmark_files) == sorted(str(tiny_root / r) for r in TRAIN_POOL.values())
    assert not [p for p in opened for held in HELD_OUT if held in p]
    assert {e.source for e in examples} == set(TRAIN_POOL)


@pytest.mark.parametrize(("question", "wh", "words"), [
    ("平安銀行青島分行的行長是誰？", "Who is", {"bank", "Qingdao", "bank president"}),
    ("雁山科技生態城項目預計哪一年全部建成？", "Which year", {"Yanshan", "project"}),
    ("截至2023年9月末，各项贷款余额是多少？", "How many", {"2023", "loan"}),
])
def test_glossed_questions_are_english_words_with_the_question_word_first(question: str, wh: str,
                                                                          words: set[str]) -> None:
    from qa.gloss import shared_glossary
    from train.glossed import english_question

    text = english_question(question, shared_glossary(), random.Random(0))
    assert text.startswith(wh) and text.endswith("?"), text
    assert all(w in text for w in words), text
    assert not any("\u3400" <= ch <= "\u9fff" for ch in text), text  # no Chinese left
    assert english_question(question, shared_glossary(), random.Random(0)) == text  # reproducible


def test_examples_split_by_article_with_answers_and_negatives(tiny_root: Path) -> None:
    examples = list(build_examples(tiny_root))
    sides: dict[str, set[str]] = {}
    for example in examples:
        sides.setdefault(example.article, set()).add(example.split)
        assert example.positives, example.id
        for positive in example.positives:
            span = positive.text[positive.start:positive.end]
            assert span and any(span in a or a in span for a in example.answers)
        for negative in example.negatives:
            assert negative.start is None
            assert not any(a in negative.text for a in example.answers)
    assert all(len(s) == 1 for s in sides.values())  # no article on both sides of the split
    assert any(e.negatives for e in examples)


@pytest.mark.slow
def test_a_few_training_steps_write_loadable_weights(tiny_root: Path, tmp_path: Path,
                                                     e5_model_dir: Path) -> None:
    from qa.reader import ReaderConfig, read_spans
    from qa.reader_onnx import load_torch_reader
    from qa.reader_runtime import WEIGHTS_NAME, read_meta
    from train.reader import META_NAME, Recipe, torch_forward, train

    data = tmp_path / "data"
    counts = write_examples(data, tiny_root)
    assert counts["train"] > 0 and counts["dev"] >= 0
    if not counts["dev"]:  # the tiny pool may put no article on the dev side: reuse a few
        (data / "dev.jsonl").write_text((data / "train.jsonl").read_text().split("\n", 3)[0] + "\n")
    recipe = Recipe(batch_size=4, checkpoint_every=2, eval_every=1000)
    meta = train(data, tmp_path / "work", tmp_path / "out", e5_model_dir, recipe, max_steps=3, limit=12,
                 progress=False)
    assert meta["steps"] == 3 and (tmp_path / "work" / "checkpoint.pt").exists()
    assert 0.0 <= meta["reader_dev"]["f1"] <= 1.0
    again = train(data, tmp_path / "work", tmp_path / "out", e5_model_dir, recipe, max_steps=3, limit=12,
                  progress=False)  # resumes at step 3: nothing left to do
    assert again["steps"] == 3
    glossed = train(data, tmp_path / "work", tmp_path / "out", e5_model_dir,
                    dataclasses.replace(recipe, glossed_share=1.0), max_steps=4, limit=12, progress=False)
    assert glossed["steps"] == 4  # resumed with glossed questions from here on: recorded as such
    assert glossed["rescheduled"][-1]["to"] == {"glossed_share": 1.0}
    assert 0.0 <= glossed["reader_dev_glossed"]["f1"] <= 1.0
    shipped_sha = json.loads((tmp_path / "out" / META_NAME).read_text())["sha256"]
    assert shipped_sha
    # Going on from those weights (no checkpoint) with near misses: more windows, all the extra
    # ones labelled "no answer", and the start recorded.
    from train.reader import epoch_batches, load_base

    _, tokenizer = load_base(e5_model_dir)
    examples = read_examples(data / "train.jsonl")[:12]
    plain = epoch_batches(examples, tokenizer, ReaderConfig(), recipe, 0)
    with_misses = dataclasses.replace(recipe, near_miss_share=1.0)
    missed = epoch_batches(examples, tokenizer, ReaderConfig(), with_misses, 0)
    extra = sum(len(b.ids) for b in missed) - sum(len(b.ids) for b in plain)
    assert extra > 0
    no_answer = (sum(s == 0 for b in missed for s in b.starts) - sum(s == 0 for b in plain for s in b.starts))
    assert no_answer == extra
    further = train(data, tmp_path / "work-further", tmp_path / "out-further", e5_model_dir,
                    dataclasses.replace(recipe, near_miss_share=1.0), max_steps=1, limit=12, progress=False,
                    init=tmp_path / "out")
    assert further["started_from"]["sha256"] == shipped_sha and further["steps"] == 1
    # The shipped files load as the runtime loads them (meta and checksum, then the weights over
    # the base model) and read. The ONNX export of loaded weights is the same for any weights and
    # is tested on the shipped ones (test_reader_runtime), so it is not paid for again here.
    meta = read_meta(tmp_path / "out")
    model = load_torch_reader(tmp_path / "out" / WEIGHTS_NAME, e5_model_dir)
    forward = torch_forward(model, tokenizer.pad_token_id, bf16=False)
    example = read_examples(data / "train.jsonl")[0]
    spans = read_spans(forward, tokenizer, example.question, [example.positives[0].text],
                       ReaderConfig(**meta["config"]))
    assert spans and all(0 <= s.start < s.end <= len(example.positives[0].text) for s in spans)
