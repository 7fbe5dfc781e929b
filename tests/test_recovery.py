"""Fault injection over a real index of 32 articles: whatever single file is damaged, following the
advice articleqa prints ends with every committed article present and searchable.

The articles are DRCD dev paragraphs (real text, read from the shared benchmarks folder), ingested
in two commits so the index holds an older generation too. Each fault runs on a copy.

The module runs on the int8 embedding backend: what survives a fault or a `kill -9` does not
depend on the backend, and an `articleqa ingest` process starts in about 3 s with it instead of
about 18 s with torch, which made the kill tests the slowest of the suite.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from articleqa import cli
from index import Library, Settings
from index.errors import ArticleQAError

pytestmark = pytest.mark.slow

BENCHMARKS = Path(__file__).resolve().parents[2] / "shared" / "benchmarks"
N_ARTICLES = 32


BACKEND = "onnx-int8"


@pytest.fixture(scope="module")
def settings(settings: Settings) -> Settings:
    """The session's settings on the int8 backend."""
    return settings.with_(embed_backend=BACKEND)


@pytest.fixture(scope="module")
def embedder(int8_embedder):
    """The session's int8 embedder, for the module's own libraries."""
    return int8_embedder


def _env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of an `articleqa` process over the module's home and backend."""
    return {**os.environ, "ARTICLEQA_HOME": str(settings.home), "ARTICLEQA_EMBED_BACKEND": BACKEND,
            **extra}


def _paragraphs() -> list[tuple[str, str]]:
    data = json.loads((BENCHMARKS / "drcd" / "DRCD_dev.json").read_text(encoding="utf-8"))
    out = []
    for article in data["data"]:
        for paragraph in article["paragraphs"][:1]:
            out.append((f"{article['title']}（{paragraph['id']}）", paragraph["context"]))
    return out


@pytest.fixture(scope="module")
def article_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """32 real articles as .txt files (title line, blank line, text)."""
    folder = tmp_path_factory.mktemp("drcd-articles")
    files = []
    for i, (title, text) in enumerate(_paragraphs()[: N_ARTICLES + 4]):
        path = folder / f"article-{i:02d}.txt"
        path.write_text(f"{title}\n\n{text}\n", encoding="utf-8")
        files.append(path)
    return files


@pytest.fixture(scope="module")
def pristine(settings: Settings, embedder, article_files: list[Path],
             tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """An index of 32 articles built in two commits; returns its folder and id -> first sentence."""
    folder = tmp_path_factory.mktemp("pristine") / "index"
    library = Library(settings.with_(index_dir=folder), embedder=embedder, seed_builtin=False)
    library.ingest_paths(article_files[:20])
    library.ingest_paths(article_files[20:N_ARTICLES])
    articles = library.snapshot.articles
    assert len(articles) == N_ARTICLES
    assert len(library.store.generations()) == 2
    return folder, {a.id: a.sentences[0].text for a in articles.values()}


@pytest.fixture
def use_session_embedder(monkeypatch: pytest.MonkeyPatch, embedder) -> None:
    """The CLI builds a Library per command; let it reuse the session's loaded model."""
    import index.library

    monkeypatch.setenv("ARTICLEQA_EMBED_BACKEND", BACKEND)
    monkeypatch.setattr(index.library, "Embedder", lambda _settings: embedder)


def _copy(pristine_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "index"
    shutil.copytree(pristine_dir, target)
    return target


def _advice(message: str) -> list[str]:
    """The command an error message advises, as CLI arguments (without `articleqa`)."""
    found = re.search(r"`articleqa ([^`]+)`", message)
    assert found, f"no advice in: {message}"
    return found.group(1).split()


def _follow_advice_until_it_opens(settings: Settings, embedder, capsys) -> Library:
    """Open the index; while that fails, run the command its error advises (at most twice)."""
    last = ""
    for _ in range(3):
        try:
            return Library(settings, embedder=embedder, seed_builtin=False)
        except ArticleQAError as exc:
            last = str(exc)
            advice = _advice(last)
            assert advice[0] in ("doctor", "ingest"), advice
            code = cli.main([*advice, "--home", str(settings.home), "--index", str(settings.index_dir)])
            out, err = capsys.readouterr()
            assert code == 0, f"{advice}: {out}{err}"
    raise AssertionError(f"the index still does not open after following the advice twice: {last}")


def _assert_all_present_and_searchable(library: Library, expected: dict[str, str]) -> None:
    from qa import ArticleQA

    assert set(library.snapshot.articles) == set(expected)
    engine = ArticleQA(library.settings, library=library)
    for article_id, sentence in expected.items():
        hits = engine.search(sentence, k=5)
        assert article_id in {h.passage.article_id for h in hits}, sentence


def _index_files(folder: Path) -> list[str]:
    live = (folder / "CURRENT").read_text().strip()
    files = sorted(str(p.relative_to(folder)) for p in (folder / live).rglob("*") if p.is_file())
    return files + ["articles.jsonl"]


def _faults(folder: Path) -> list[tuple[str, str]]:
    faults = [(name, how) for name in _index_files(folder) for how in ("delete", "truncate")]
    return faults + [("CURRENT", "empty"), ("CURRENT", "delete"), ("newest generation", "delete")]


def _inject(folder: Path, name: str, how: str) -> None:
    if name == "newest generation":
        shutil.rmtree(folder / (folder / "CURRENT").read_text().strip())
        return
    path = folder / name
    if how == "delete":
        path.unlink()
    elif how == "empty":
        path.write_text("")
    else:
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])


def test_every_single_fault_is_repaired_without_losing_an_article(
        pristine, settings: Settings, embedder, tmp_path: Path, capsys, use_session_embedder) -> None:
    pristine_dir, expected = pristine
    faults = _faults(pristine_dir)
    assert len(faults) >= 20
    results = []
    for i, (name, how) in enumerate(faults):
        folder = _copy(pristine_dir, tmp_path / f"fault-{i}")
        _inject(folder, name, how)
        local = settings.with_(index_dir=folder)
        library = _follow_advice_until_it_opens(local, embedder, capsys)
        lost = set(expected) - set(library.snapshot.articles)
        results.append((name, how, len(lost)))
        assert not lost, f"{how} {name}: lost {len(lost)} articles"
        assert library.check().healthy, f"{how} {name}: {library.check().problems}"
    _assert_all_present_and_searchable(library, expected)
    print(f"faults tried: {len(results)}, articles lost: {sum(r[2] for r in results)}")


def test_doctor_reports_then_repairs(pristine, settings: Settings, tmp_path: Path, capsys,
                                     use_session_embedder) -> None:
    pristine_dir, expected = pristine
    folder = _copy(pristine_dir, tmp_path)
    live = (folder / "CURRENT").read_text().strip()
    (folder / live / "vectors.npy").write_bytes(b"\0" * 100)
    args = ["--home", str(settings.home), "--index", str(folder)]
    code = cli.main(["doctor", "--check", *args])
    out, _ = capsys.readouterr()
    assert code == 1 and "vectors.npy" in out and "problem" in out
    assert (folder / live / "vectors.npy").stat().st_size == 100  # --check changed nothing
    code = cli.main(["doctor", *args])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert f"rebuilt from the article store, {N_ARTICLES} articles" in out
    code = cli.main(["doctor", *args])
    out, _ = capsys.readouterr()
    assert code == 0 and out.strip().endswith("every file matches its checksum")


def test_doctor_repairs_with_the_backend_the_index_was_built_with(
        pristine, settings: Settings, embedder, tmp_path: Path, capsys, monkeypatch) -> None:
    """A doctor run that names no backend repairs an int8 index with int8: the default backend
    would re-embed every article and turn the index into another backend's."""
    import index.library
    from index.store import IndexStore

    monkeypatch.delenv("ARTICLEQA_EMBED_BACKEND", raising=False)
    asked: list[str] = []

    def embedder_for(chosen: Settings):
        asked.append(chosen.embed_backend)
        return embedder

    monkeypatch.setattr(index.library, "Embedder", embedder_for)
    pristine_dir, _ = pristine
    folder = _copy(pristine_dir, tmp_path)
    live = (folder / "CURRENT").read_text().strip()
    (folder / live / "vectors.npy").write_bytes(b"\0" * 100)
    code = cli.main(["doctor", "--home", str(settings.home), "--index", str(folder)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert asked == [BACKEND] and f"with the {BACKEND} backend" in out
    assert IndexStore(folder).live_model()["backend"].startswith(BACKEND)


def test_damage_never_turns_into_an_empty_or_builtin_library(pristine, settings: Settings, embedder,
                                                             tmp_path: Path) -> None:
    """The default index (seeded with the built-in corpus when new) with a damaged CURRENT is an
    error, not the built-in corpus, and `list` says so instead of "the index is empty"."""
    pristine_dir, _ = pristine
    folder = _copy(pristine_dir, tmp_path)
    (folder / "CURRENT").write_text("")
    with pytest.raises(ArticleQAError, match="CURRENT.*empty.*articleqa doctor"):
        Library(settings.with_(index_dir=folder), embedder=embedder, seed_builtin=True)
    code = subprocess.run([sys.executable, "-m", "articleqa", "list", "--home", str(settings.home),
                           "--index", str(folder)], capture_output=True, text=True, timeout=120,
                          env=_env(settings))
    assert code.returncode == 1 and "articleqa doctor" in code.stderr and "Traceback" not in code.stderr


def test_a_damaged_model_folder_is_detected_and_rebuilt(e5_model_dir: Path, tmp_path: Path) -> None:
    from index.model_build import ensure_e5_model, model_dir_for

    models = tmp_path / "models"
    copy = model_dir_for(models)
    shutil.copytree(e5_model_dir, copy)
    weights = copy / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte, same size
    weights.write_bytes(bytes(data))
    rebuilt = ensure_e5_model(models)
    assert rebuilt == copy
    assert (copy / "model.safetensors").read_bytes() == (e5_model_dir / "model.safetensors").read_bytes()


def _start_ingest(command: list[str], env: dict[str, str]) -> tuple[subprocess.Popen, float]:
    """Start `articleqa ingest -v` and return it once it starts embedding, with that moment: the
    model is loaded by then, and nothing is written before it."""
    process = subprocess.Popen(command, env={**env, "PYTHONUNBUFFERED": "1"}, text=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    for line in process.stderr:
        if "new passages and sentences" in line:
            return process, time.monotonic()
    raise AssertionError(f"the ingest ended before embedding (exit {process.wait()})")


def test_kill_during_ingest_loses_no_committed_article(pristine, settings: Settings, embedder,
                                                       article_files: list[Path], tmp_path: Path,
                                                       capsys, use_session_embedder) -> None:
    """`kill -9` an ingest at 5 random moments spread over its embedding, writing, committing and
    exit; the articles committed before it are all there, and the index opens (or opens after
    the advised repair)."""
    pristine_dir, expected = pristine
    rng = random.Random(7)
    extra = article_files[N_ARTICLES:]
    env = _env(settings)
    command = [sys.executable, "-m", "articleqa", "ingest", *map(str, extra), "-v", "--index"]
    process, embedding = _start_ingest([*command, str(_copy(pristine_dir, tmp_path / "whole"))], env)
    assert process.wait(timeout=300) == 0  # one whole run first: how long the writing part takes
    span = time.monotonic() - embedding
    outcomes = []
    for attempt in range(5):  # one kill in each fifth of the span, the last one a little past it
        folder = _copy(pristine_dir, tmp_path / f"kill-{attempt}")
        process, _ = _start_ingest([*command, str(folder)], env)
        time.sleep(rng.uniform(attempt / 5, (attempt + 1.2) / 5) * span)
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert process.stderr is not None
        process.stderr.close()
        library = _follow_advice_until_it_opens(settings.with_(index_dir=folder), embedder, capsys)
        articles = set(library.snapshot.articles)
        assert set(expected) <= articles, f"attempt {attempt}: lost {set(expected) - articles}"
        assert len(articles) in (N_ARTICLES, N_ARTICLES + len(extra))
        outcomes.append(len(articles) - N_ARTICLES)
    print(f"kill -9 outcomes (articles added when killed, {span:.1f} s from embedding to exit): {outcomes}")


@pytest.fixture(scope="module")
def pristine_milvus(settings: Settings, embedder, article_files: list[Path],
                    tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The pristine index of 32 articles in two commits, with its search indexes in Milvus Lite."""
    folder = tmp_path_factory.mktemp("pristine-milvus") / "index"
    library = Library(settings.with_(index_dir=folder, store="milvus-lite"), embedder=embedder,
                      seed_builtin=False)
    library.ingest_paths(article_files[:20])
    library.ingest_paths(article_files[20:N_ARTICLES])
    articles = library.snapshot.articles
    assert len(articles) == N_ARTICLES
    library.close()  # copied while closed, and opened by other processes
    return folder, {a.id: a.sentences[0].text for a in articles.values()}


def test_kill_during_a_milvus_store_ingest_loses_no_committed_article(
        pristine_milvus, settings: Settings, embedder, article_files: list[Path], tmp_path: Path,
        capsys, use_session_embedder) -> None:
    """`kill -9` an ingest into a Milvus Lite store 3 times while (or just after) it builds the
    new generation's collections: the committed articles are all there and searchable, and the
    store, named once when the index was made, is the one the folder goes on using. (The kill at
    random moments of the FAISS store's test covers embedding, writing and committing.)"""
    pristine_dir, expected = pristine_milvus
    rng = random.Random(11)
    extra = article_files[N_ARTICLES:]
    env = _env(settings, PYTHONUNBUFFERED="1")
    command = [sys.executable, "-m", "articleqa", "ingest", *map(str, extra), "-v", "--index"]
    outcomes = []
    for attempt in range(3):
        folder = _copy(pristine_dir, tmp_path / f"kill-{attempt}")
        process = subprocess.Popen([*command, str(folder)], env=env, text=True,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        assert process.stderr is not None
        for line in process.stderr:
            if "building Milvus collections" in line:
                break
        time.sleep(rng.uniform(0.0, 0.5))
        process.send_signal(signal.SIGKILL)
        process.wait()
        process.stderr.close()
        library = _follow_advice_until_it_opens(settings.with_(index_dir=folder), embedder, capsys)
        assert library.store.search_store == "milvus-lite"
        articles = set(library.snapshot.articles)
        assert set(expected) <= articles, f"attempt {attempt}: lost {set(expected) - articles}"
        assert len(articles) in (N_ARTICLES, N_ARTICLES + len(extra))
        outcomes.append(len(articles) - N_ARTICLES)
        if attempt == 0:
            _assert_all_present_and_searchable(
                library, {k: v for k, v in expected.items()} if len(articles) == N_ARTICLES
                else {**expected, **{a: library.snapshot.articles[a].sentences[0].text
                                     for a in articles - set(expected)}})
        library.close()
    print(f"kill -9 outcomes in the Milvus store (articles added when killed): {outcomes}")


def test_lost_milvus_collections_are_rebuilt_by_doctor_from_the_articles(
        pristine_milvus, settings: Settings, embedder, tmp_path: Path, capsys,
        use_session_embedder) -> None:
    """The Milvus side is derived state: when the live generation's collections are gone (a
    wiped server, a deleted database), the index says so and `articleqa doctor` rebuilds them
    from the articles, embedding nothing."""
    from index.milvus_search import MilvusSearch, close_client

    pristine_dir, expected = pristine_milvus
    folder = _copy(pristine_dir, tmp_path / "lost")
    uri = str(folder / "milvus.db")
    MilvusSearch.drop_others(uri, keep=())
    close_client(uri)
    with pytest.raises(ArticleQAError, match="articleqa doctor"):
        Library(settings.with_(index_dir=folder), embedder=embedder, seed_builtin=False)
    library = _follow_advice_until_it_opens(settings.with_(index_dir=folder), embedder, capsys)
    _assert_all_present_and_searchable(library, expected)
    library.close()


def test_a_milvus_lite_3_database_is_moved_aside_and_rebuilt_by_doctor(
        pristine_milvus, settings: Settings, embedder, tmp_path: Path, capsys,
        use_session_embedder) -> None:
    """An index folder whose Lite database is a folder (milvus-lite 3, the pure-Python engine this
    project used before the native one) is not an opaque connection error: the folder is moved
    aside, kept, and `articleqa doctor` rebuilds the collections from the index folder."""
    pristine_dir, expected = pristine_milvus
    folder = _copy(pristine_dir, tmp_path / "lite3")
    (folder / "milvus.db").unlink()
    (folder / "milvus.db").mkdir()
    (folder / "milvus.db" / "LOCK").write_text("")
    with pytest.raises(ArticleQAError, match="articleqa doctor"):
        Library(settings.with_(index_dir=folder), embedder=embedder, seed_builtin=False)
    assert (folder / "milvus.db.milvus-lite-3" / "LOCK").is_file()
    library = _follow_advice_until_it_opens(settings.with_(index_dir=folder), embedder, capsys)
    assert (folder / "milvus.db").is_file()
    _assert_all_present_and_searchable(library, expected)
    library.close()
