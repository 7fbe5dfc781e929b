"""The `articleqa` command, in-process and as a real subprocess."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from articleqa.cli import main
from index import Library, Settings

pytestmark = pytest.mark.slow


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("question", ["閻家山TOD項目總投資多少？", "闫家山TOD项目总投资多少？"])
def test_search_ranks_the_answer_passage_first(capsys, aqa_home: Path, question: str) -> None:
    code, out, err = _run(capsys, "search", question, "-k", "3", "--home", str(aqa_home))
    assert code == 0, err
    first = out.split("\n[2]")[0]
    assert first.startswith("[1]") and "總投資26億元" in first


def test_search_json(capsys, aqa_home: Path) -> None:
    import json

    code, out, _ = _run(capsys, "search", "平安銀行青島分行資產總額", "--json", "-k", "2",
                        "--home", str(aqa_home))
    hits = json.loads(out)
    assert code == 0 and [h["rank"] for h in hits] == [1, 2]
    assert {"title", "score", "text", "passage_id", "article_id", "start", "end"} <= set(hits[0])


@pytest.mark.parametrize("query", ["", "   \n"])
def test_empty_query_is_one_clear_line(capsys, aqa_home: Path, query: str) -> None:
    code, out, err = _run(capsys, "search", query, "--home", str(aqa_home))
    assert code == 1 and out == ""
    assert err.strip().count("\n") == 0 and "empty" in err and "Traceback" not in err


def test_ingest_bad_inputs_exit_nonzero_and_list_them(capsys, aqa_home: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.md"
    good.write_text("# Tide Report\n\nHigh tide today is at 6:40 a.m. at the north pier.\n",
                    encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n", encoding="utf-8")
    index_dir = tmp_path / "idx"
    code, out, err = _run(capsys, "ingest", str(good), str(empty), str(tmp_path / "nope.html"),
                          "--home", str(aqa_home), "--index", str(index_dir))
    assert code == 1
    assert "empty.txt" in err and "nope.html" in err and "Traceback" not in err
    assert "1 added" in out
    code, out, _ = _run(capsys, "ingest", str(good), "--home", str(aqa_home), "--index",
                        str(index_dir))
    assert code == 0 and "nothing changed" in out and "nothing embedded" in out


def test_ingest_needs_paths_unless_it_rebuilds(capsys, aqa_home: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "idx"
    code, out, err = _run(capsys, "ingest", "--home", str(aqa_home), "--index", str(index_dir))
    assert code == 1 and "give the files or folders" in err and "Traceback" not in err
    doc = tmp_path / "tide.md"
    doc.write_text("# Tide Report\n\nHigh tide today is at 6:40 a.m. at the north pier.\n",
                   encoding="utf-8")
    assert _run(capsys, "ingest", str(doc), "--home", str(aqa_home), "--index", str(index_dir))[0] == 0
    code, out, err = _run(capsys, "ingest", "--rebuild", "--home", str(aqa_home), "--index",
                          str(index_dir))
    assert code == 0 and "rebuilt from the article store" in out and "index: 1 articles" in out, err


def test_help_explains_every_command(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    out = capsys.readouterr().out
    assert exc.value.code == 0
    for command in ("ingest", "remove", "list", "search"):
        assert command in out


def _write_articles(folder: Path, count: int) -> None:
    folder.mkdir()
    for i in range(count):
        body = "".join(f"第{i}號報道的第{j}句話記錄了本市第{j}項工程的進展情況。" for j in range(16))
        (folder / f"article{i:03d}.txt").write_text(f"測試新聞第{i}號\n\n{body}\n", encoding="utf-8")


def test_sigkill_during_ingest_leaves_previous_index(aqa_home: Path, tmp_path: Path,
                                                     int8_embedder, store: str) -> None:
    """On the int8 backend, whose process starts in about 3 s (torch: about 18 s); what a kill
    leaves does not depend on the backend."""
    index_dir = tmp_path / "idx"
    first = tmp_path / "first.txt"
    first.write_text("第一篇\n\n這是索引裡原有的文章，內容不應在中斷後改變。\n", encoding="utf-8")
    settings = Settings(home=aqa_home, index_dir=index_dir, store=store, embed_backend="onnx-int8")
    before = Library(settings, embedder=int8_embedder)
    before.ingest_paths([first])
    generation = before.store.current_generation()
    before.close()  # a Milvus Lite database admits one process at a time
    batch = tmp_path / "batch"
    _write_articles(batch, 12)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "articleqa", "ingest", str(batch), "-v", "--home", str(aqa_home),
         "--index", str(index_dir), "--store", store, "--embed-backend", "onnx-int8"],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env)
    assert proc.stderr is not None
    deadline = time.monotonic() + 120
    for line in proc.stderr:  # wait until it is busy embedding, then kill it
        if "embedding" in line or time.monotonic() > deadline:
            break
    time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    after = Library(settings, embedder=int8_embedder)
    assert after.store.current_generation() == generation
    assert [a.title for a in after.snapshot.articles.values()] == ["第一篇"]
    # and the next ingest works normally over the leftovers
    report = after.ingest_paths([batch])
    assert len(report.added) == 12
    after.close()


def test_ask_json_has_the_documented_fields(capsys, aqa_home: Path) -> None:
    import json

    code, out, err = _run(capsys, "ask", "閻家山TOD項目總投資多少？", "--json", "--home", str(aqa_home))
    assert code == 0, err
    answer = json.loads(out)
    assert {"question", "kind", "answer", "short_answer", "abstained", "citations", "passages",
            "timings_ms"} <= set(answer)
    assert answer["kind"] == "factoid"
    assert not answer["abstained"] and "26億元" in answer["answer"]
    first = answer["citations"][0]
    assert {"n", "article_id", "title", "sentence_id", "start", "end", "text", "score"} <= set(first)
    assert "[1]" in answer["answer"]


def test_ask_prints_the_whole_answer_of_other_kinds(capsys, aqa_home: Path) -> None:
    code, out, err = _run(capsys, "ask", "你好", "--home", str(aqa_home))
    assert code == 0, err
    assert out.startswith("您好") and "可以試著問" in out and "[1]" not in out


@pytest.mark.parametrize("question,message", [("  ", "empty"), ("問" * 2001, "limit is 2000")])
def test_ask_rejects_bad_questions_cleanly(capsys, aqa_home: Path, question: str, message: str) -> None:
    code, out, err = _run(capsys, "ask", question, "--home", str(aqa_home))
    assert code == 1 and out == "" and message in err and "Traceback" not in err


def test_ask_conversation_in_the_terminal_keeps_history(aqa_home: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "articleqa", "ask", "--home", str(aqa_home)],
        input="閻家山TOD項目總投資多少？\n那青科大TOD呢？\n\n", capture_output=True, text=True,
        timeout=300, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.returncode == 0, proc.stderr
    assert "26億元" in proc.stdout and "3.5億元" in proc.stdout


def test_an_index_moves_to_another_store_without_embedding_again(capsys, aqa_home: Path,
                                                                  tmp_path: Path, embedder) -> None:
    """`--store` is named once; `ingest --rebuild --store X` moves the search indexes to X from
    the vectors the folder holds; naming the old store afterwards is refused with the fix."""
    story = tmp_path / "story.txt"
    story.write_text("潮汐新聞\n\n週六早上6點40分是高潮。下午1點05分是低潮。\n", encoding="utf-8")
    index = tmp_path / "idx"
    common = ["--home", str(aqa_home), "--index", str(index)]
    assert main(["ingest", str(story), *common]) == 0
    capsys.readouterr()
    assert main(["ingest", "--rebuild", "--store", "milvus-lite", *common]) == 0
    out = capsys.readouterr().out
    assert "nothing embedded" in out or ("passages: 0 embedded" in out and "sentences: 0 embedded" in out)
    assert (index / "milvus.db").is_file()
    assert main(["search", "高潮是幾點？", "-k", "1", *common]) == 0  # the folder's own store
    assert "6點40分" in capsys.readouterr().out
    assert main(["search", "高潮是幾點？", *common, "--store", "faiss"]) == 1
    err = capsys.readouterr().err
    assert "milvus-lite" in err and "articleqa ingest --rebuild" in err and "Traceback" not in err
    Library(Settings(home=aqa_home, index_dir=index), embedder=embedder).close()
