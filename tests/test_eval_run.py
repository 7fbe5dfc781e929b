"""`articleqa eval`: config parsing, ordering and relevance (pure), then real runs with the model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.gold import GoldFormatError, GoldItem, dump_gold, load_gold
from eval.run import (
    MAX_RANK,
    Relevance,
    limit_items,
    load_gold_source,
    order_items,
    parse_config,
    parse_configs,
    recall_curve,
    run_eval,
)
from index import Settings
from index.errors import ConfigError, InputError

REPO = Path(__file__).resolve().parents[1]
BUILTIN_DEV = REPO / "eval" / "gold" / "builtin-dev.jsonl"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def base(tmp_path: Path) -> Settings:
    """Settings that load nothing (parsing needs only the field defaults)."""
    return Settings(home=tmp_path)


# --- configs (pure) --------------------------------------------------------------------------


def test_modes_and_the_hybrid_alias(base: Settings) -> None:
    assert parse_config("dense", base).changes == {"retrieval_mode": "dense"}
    hybrid = parse_config("hybrid", base)
    assert hybrid.name == "hybrid" and hybrid.changes == {"retrieval_mode": "weighted"}
    assert parse_config("hybrid", base).settings(base).retrieval_mode == Settings().retrieval_mode


def test_overrides_take_the_field_type(base: Settings) -> None:
    config = parse_config("dense:sentence_weight=0, answer_passages=3", base)
    assert config.name == "dense:sentence_weight=0, answer_passages=3"
    assert config.changes == {"retrieval_mode": "dense", "sentence_weight": 0.0,
                              "answer_passages": 3}
    assert isinstance(config.changes["sentence_weight"], float)
    assert isinstance(config.changes["answer_passages"], int)
    labelled = parse_config("w10:lexical_weight=0.1", base)
    assert labelled.changes == {"lexical_weight": 0.1}
    assert labelled.settings(base).retrieval_mode == base.retrieval_mode
    assert parse_config("x:retrieval_mode=rrf", base).settings(base).retrieval_mode == "rrf"


def test_default_is_the_settings_mode(base: Settings) -> None:
    configs = parse_configs([], base.with_(retrieval_mode="lexical"))
    assert [(c.name, c.changes) for c in configs] == [("lexical", {})]
    assert [c.name for c in parse_configs(["weighted", "dense", "lexical", "rrf"], base)] == [
        "weighted", "dense", "lexical", "rrf"]


@pytest.mark.parametrize(("spec", "words"), [
    ("bm42", "unknown retrieval mode"),
    ("x:nope=1", "unknown setting 'nope'"),
    ("x:passage_chars=100", "shapes the index"),
    ("x:answer_passages=many", "needs a value of type int"),
    ("x:answer_passages=0", "answer_passages must be a positive integer"),
    ("x:lexical_weight", "expected key=value"),
    (":lexical_weight=1", "has no name"),
])
def test_bad_configs_say_what_is_wrong(base: Settings, spec: str, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        parse_config(spec, base)


def test_duplicate_configs_are_refused(base: Settings) -> None:
    with pytest.raises(ConfigError, match="given twice"):
        parse_configs(["dense", "rrf", "dense"], base)


# --- gold sources, ordering, recall (pure) ---------------------------------------------------


def _item(item_id: str, conversation: str | None = None, turn: int | None = None) -> GoldItem:
    return GoldItem(id=item_id, question=f"{item_id}?", answers=("a",), evidence=("a",),
                    answerable=True, conversation=conversation, turn=turn)


def test_conversations_are_kept_together_in_turn_order() -> None:
    items = [_item("a"), _item("c2", "c", 2), _item("b"), _item("c1", "c", 1), _item("d")]
    assert [i.id for i in order_items(items)] == ["a", "c1", "c2", "b", "d"]
    assert [i.id for i in limit_items(items, 2)] == ["a", "c1"]  # a prefix: no orphan follow-up
    assert [i.id for i in limit_items(items, 4)] == ["a", "c1", "c2", "b"]
    with pytest.raises(InputError, match="--limit"):
        limit_items(items, 0)


def test_recall_counts_gold_units_covered() -> None:
    evidence = Relevance(covers={"p1": frozenset({0}), "p2": frozenset({0, 1})}, units=2)
    curve = recall_curve(["x", "p1", "p2"], evidence)
    assert curve is not None and len(curve) == MAX_RANK
    assert curve[:3] == [0.0, 0.5, 1.0] and curve[-1] == 1.0
    paragraph = Relevance(covers={"7-1": frozenset({0})}, units=1, by_id=True)
    assert recall_curve(["7-2", "7-1"], paragraph)[:2] == [0.0, 1.0]
    assert recall_curve(["x"], Relevance(covers={}, units=0)) is None


def test_gold_source_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="drcd-dev"):  # names the valid benchmarks
        load_gold_source("no-such-benchmark")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "question": "q?"}\n', encoding="utf-8")
    with pytest.raises(GoldFormatError, match="bad.jsonl:1"):
        load_gold_source(bad)
    with pytest.raises(InputError, match="not a SQuAD-style"):
        (tmp_path / "x.json").write_text("[]", encoding="utf-8")
        load_gold_source(tmp_path / "x.json")


def test_cli_errors_are_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from articleqa.cli import main

    for argv in (["eval", "no-such-benchmark"], ["eval", str(BUILTIN_DEV), "--compare", "bm42"],
                 ["eval", str(BUILTIN_DEV), "--limit", "0"]):
        code = main([*argv, "--home", str(tmp_path)])
        out, err = capsys.readouterr()
        assert code == 1 and out == "", argv
        assert err.startswith("articleqa: error:") and err.count("\n") == 1, err


# --- real runs -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def builtin_subset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A slice of the built-in dev set: standalone questions, a 3-turn conversation whose last
    turn is unanswerable, and two unanswerable questions."""
    items = {i.id: i for i in load_gold(BUILTIN_DEV)}
    ids = ["yanshan-001", "yanshan-002", "yanshan-003", "yanshan-004", "yanshan-006",
           "yanshan-007", "yanshan-009", "yanshan-010", "yanshan-011", "yanshan-012",
           "yanshan-046", "yanshan-047", "yanshan-048", "yanshan-u01", "yanshan-u02",
           "yanshan-014", "yanshan-015"]
    path = tmp_path_factory.mktemp("gold") / "builtin-slice.jsonl"
    dump_gold([items[i] for i in ids], path)
    return path


@pytest.mark.slow
def test_builtin_run_writes_a_full_report(settings, embedder, builtin_library, builtin_subset: Path,
                                          tmp_path: Path) -> None:
    from eval.report import FILES, summary_text, write_report

    configs = parse_configs(["weighted", "dense"], settings)
    result = run_eval(load_gold_source(builtin_subset), settings, configs, limit=15,
                      embedder=embedder)
    assert len(result.records) == 15
    assert result.counts["unanswerable"] == 3 and result.counts["follow_ups"] == 2
    follow_up = next(r for r in result.records if r["id"] == "yanshan-047")
    assert follow_up["history_turns"] == 1 and follow_up["query"] != follow_up["question"]
    for record in result.records:
        passage = record["retrieval"]["dense"]["passage"]
        assert (passage["hit@1"] is None) == (not record["answerable"])

    paths = write_report(result, tmp_path / "report", "articleqa eval test")
    assert set(paths) == set(FILES) and all(p.is_file() for p in paths.values())
    metrics = json.loads(paths["metrics.json"].read_text(encoding="utf-8"))
    assert {"gold", "corpus", "counts", "primary", "configs", "retrieval", "answer", "citations",
            "abstention", "latency_ms", "tags", "command"} <= set(metrics)
    assert metrics["primary"] == "weighted" and set(metrics["retrieval"]) == {"weighted", "dense"}
    assert len(metrics["models"]["reader"]["sha256"]) == 64  # what produced the answers is named
    assert metrics["models"]["embedding"]
    passage = metrics["retrieval"]["weighted"]["passage"]
    assert {"hit@1", "hit@5", "hit@20", "recall@1", "recall@5", "recall@20", "mrr@10", "ndcg@10",
            "latency_ms", "recall_curve"} <= set(passage)
    assert passage["n"] == 12 and len(passage["recall_curve"]) == MAX_RANK
    assert 0.5 <= passage["recall@5"] <= 1.0
    assert {"resolve", "embed", "retrieve", "answer", "total", "wall"} <= set(metrics["latency_ms"])
    assert {"precision", "recall", "false_abstention_rate", "rate"} <= set(metrics["abstention"])
    assert "hant" in metrics["tags"]
    lines = paths["results.jsonl"].read_text(encoding="utf-8").splitlines()
    assert len(lines) == 15 and json.loads(lines[0])["id"] == "yanshan-001"
    for name in ("recall_at_k.png", "latency.png"):
        data = paths[name].read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 10_000, name
    report = paths["report.md"].read_text(encoding="utf-8")
    for heading in ("## Comparison", "## Retrieval, passage level", "## Answers", "## Latency",
                    "## By tag", "worst answers", "articleqa eval test"):
        assert heading in report
    assert "dense" in summary_text(metrics)

    # Scored again from the saved answers (python -m eval.rescore): the same figures, and an
    # answer edited in results.jsonl is scored as written.
    from eval.report import rounded
    from eval.rescore import rescore_report

    again = rounded(rescore_report(paths["metrics.json"].parent).metrics)
    assert again["answer"] == metrics["answer"] and again["abstention"] == metrics["abstention"]
    records = [json.loads(line) for line in lines]
    right = next(r for r in records if r["answerable"] and r["answer"]["exact_match"] == 1.0)
    right["answer"].update(short_answer="無關的文字", answer="無關的文字", citations=[])
    paths["results.jsonl"].write_text("".join(json.dumps(r, ensure_ascii=False) + "\n"
                                              for r in records), encoding="utf-8")
    edited = rescore_report(paths["metrics.json"].parent).metrics["answer"]
    assert edited["exact_match"] == pytest.approx(metrics["answer"]["exact_match"] - 1 / 15, abs=1e-5)


CONTEXTS = {
    "tide": ("北港潮汐報告", "北港今天的高潮時間是早上六點四十分。低潮出現在中午十二點五十分。"
             "港務局提醒漁民注意風浪，傍晚可能有大霧。"),
    "rice": ("稻米收成", "今年全縣稻米收成達到八萬噸，比去年增加百分之五。農會表示，"
             "新品種耐旱稻在南部試種成功。" + "農民在秋收後會把稻草翻入田中，讓土壤更加肥沃。" * 6),
    "train": ("高鐵新站", "高鐵新站將在明年三月啟用，總投資四十二億元。新站設有六個月台，"
              "每天可服務三萬名旅客。"),
}
QUESTIONS = [
    ("q-tide", "tide", "北港今天的高潮是幾點？", "早上六點四十分"),
    ("q-rice", "rice", "今年全縣稻米收成多少噸？", "八萬噸"),
    ("q-train", "train", "高鐵新站總投資多少？", "四十二億元"),
    ("q-train2", "train", "高鐵新站設有幾個月台？", "六個月台"),
]


def _tiny_squad(path: Path) -> Path:
    paragraphs = {key: {"id": f"p-{key}", "context": text, "qas": []}
                  for key, (_, text) in CONTEXTS.items()}
    for qid, key, question, answer in QUESTIONS:
        context = CONTEXTS[key][1]
        paragraphs[key]["qas"].append({"id": qid, "question": question, "answers": [
            {"text": answer, "answer_start": context.index(answer)}]})
    data = {"data": [{"title": CONTEXTS[key][0], "paragraphs": [paragraphs[key]]}
                     for key in CONTEXTS]}
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.slow
def test_benchmark_relevance_is_by_paragraph(settings, embedder, tmp_path: Path) -> None:
    from eval.run import benchmark_corpus

    gold = load_gold_source(_tiny_squad(tmp_path / "tiny-zh.json"))
    assert gold.benchmark is not None and gold.name == "tiny-zh"
    home = settings.with_(home=tmp_path / "home")  # its own benchmark cache ...
    home.home.mkdir()
    (home.home / "models").symlink_to(settings.models_dir)  # ... and the session's built models
    result = run_eval(gold, home, parse_configs(["weighted", "lexical"], home), embedder=embedder)
    assert result.counts["documents"] == 3 and result.counts["passages"] > 3  # rice splits
    assert result.corpus.startswith("benchmark tiny-zh")
    again = benchmark_corpus(gold.benchmark, home, embedder)  # the cached index is reused
    assert again.ingest is not None and again.ingest.embedded == 0 and not again.ingest.changed
    for record in result.records:
        for config in ("weighted", "lexical"):
            passage = record["retrieval"][config]["passage"]
            ranked = passage["ranked"]
            assert set(ranked) <= {"p-tide", "p-rice", "p-train"}
            assert len(ranked) == len(set(ranked)) == 3  # deduplicated by paragraph
            assert passage["first_relevant_rank"] == ranked.index(record["article"]) + 1
            assert passage["hit@1"] == (1.0 if ranked[0] == record["article"] else 0.0)
            sentence = record["retrieval"][config]["sentence"]
            gold_articles = set(again.articles_of[record["article"]])
            for rank, sentence_id in enumerate(sentence["ranked"], start=1):
                if sentence_id.split(":")[0] not in gold_articles:  # other paragraph: irrelevant
                    assert rank != sentence["first_relevant_rank"]
    assert result.metrics["retrieval"]["weighted"]["passage"]["hit@1"] == 1.0
    assert result.metrics["retrieval"]["weighted"]["sentence"]["hit@5"] == 1.0
    assert result.metrics["answer"]["answerable"]["contains_answer"] >= 0.5


@pytest.mark.slow
def test_cli_eval_in_process(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                             aqa_home: Path, embedder, builtin_library, tmp_path: Path) -> None:
    import eval.run
    from articleqa.cli import main

    monkeypatch.setattr(eval.run, "Embedder", lambda settings: embedder)  # load the model once
    report = tmp_path / "cli-report"
    code = main(["eval", str(BUILTIN_DEV), "--limit", "4", "--compare", "weighted", "lexical",
                 "--report", str(report), "--home", str(aqa_home)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "passage retrieval" in out and "weighted" in out and "lexical" in out
    assert "answers (weighted)" in out and f"report: {report}" in out
    metrics = json.loads((report / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["counts"]["questions"] == 4
    assert metrics["command"].startswith("articleqa eval ") and "--limit 4" in metrics["command"]
