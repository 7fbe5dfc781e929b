"""The Milvus store's search indexes (index.milvus_search) on a real Milvus Lite database: dense
top-k as exact as brute force, BM25 equal to bm25s's, rows fetched in order, half-built or missing
generations refused, one process at a time on a Lite database."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import bm25s
import numpy as np
import pytest

from index.errors import IndexBusyError, IndexCorruptError
from index.lexical import LexicalIndex
from index.milvus_search import (
    MilvusSearch,
    bm25_sparse,
    close_client,
    collection_base,
    dense_index,
    query_sparse,
    search_params,
)
from index.search import LocalSearch, redact_uri

ROWS = 1500


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, list[list[str]]]:
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(ROWS, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    words = random.Random(3)
    vocabulary = [f"詞{i}" for i in range(800)]
    tokens = [[vocabulary[min(int(words.paretovariate(1.1)) - 1, 799)] for _ in range(words.randint(0, 40))]
              for _ in range(ROWS)]
    return vectors, tokens


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, data) -> MilvusSearch:
    vectors, tokens = data
    uri = str(tmp_path_factory.mktemp("milvus") / "milvus.db")
    search = MilvusSearch.build(uri, "gen-20261202T000000000001", vectors, tokens, vectors[:300])
    yield search
    close_client(uri)


def test_dense_top_k_is_the_exact_top_k(built: MilvusSearch, data) -> None:
    vectors, _ = data
    rng = np.random.default_rng(5)
    for row in rng.choice(ROWS, 10, replace=False):
        query = vectors[row] + 0.3 * rng.normal(size=384).astype(np.float32)
        query /= np.linalg.norm(query)
        positions, scores = built.dense(query, 10)
        exact = np.argsort(-(vectors @ query))[:10]
        assert len(set(positions) & set(exact)) >= 9
        assert np.allclose(scores, vectors[positions] @ query, atol=1e-4)
        assert np.all(np.diff(scores) <= 1e-6)


def test_a_small_lite_library_is_searched_exactly(built: MilvusSearch, data) -> None:
    vectors, _ = data
    assert built.index_type == "milvus-flat"
    query = vectors[7] + 0.5 * np.random.default_rng(6).normal(size=384).astype(np.float32)
    positions, _ = built.dense(query / np.linalg.norm(query), 50)
    assert list(positions) == list(np.argsort(-(vectors @ query))[:50])


def test_a_large_lite_library_is_searched_by_ivf_and_reopened_as_such(data, tmp_path: Path) -> None:
    """Above the approximation threshold Lite builds IVF_FLAT (it has no HNSW); a reopened
    generation reads back the index it was built with, and its top-k nearly matches the exact one."""
    vectors, tokens = data
    uri = str(tmp_path / "ivf.db")
    search = MilvusSearch.build(uri, "gen-ivf", vectors, tokens, vectors[:10], approximate_above=1000)
    assert search.index_type == "milvus-ivf_flat"
    again = MilvusSearch.open(uri, "gen-ivf", ROWS, 10)
    assert again.index_type == "milvus-ivf_flat"
    assert int(again.dense_build_params["nlist"]) == search.dense_build_params["nlist"]  # same probes
    rng = np.random.default_rng(8)
    found = 0
    for row in rng.choice(ROWS, 10, replace=False):
        query = vectors[row] + 0.3 * rng.normal(size=384).astype(np.float32)
        query /= np.linalg.norm(query)
        positions, scores = again.dense(query, 10)
        found += len(set(positions) & set(np.argsort(-(vectors @ query))[:10]))
        assert np.allclose(scores, vectors[positions] @ query, atol=1e-4)
    assert found >= 80  # random vectors are IVF's worst case; real passages cluster
    close_client(uri)


def test_bm25_scores_are_bm25s_scores(built: MilvusSearch, data) -> None:
    """The same candidates and scores as the local store's bm25s, duplicates in a query counted."""
    _, tokens = data
    local = LocalSearch(None, LexicalIndex.build(tokens))
    for query in (["詞1", "詞7", "詞7"], ["詞0"], ["詞250", "詞3", "未見"]):
        positions, scores = built.lexical(query, 10)
        want_positions, want_scores = local.lexical(query, 10)
        assert set(positions) == set(want_positions)
        assert np.allclose(np.sort(scores), np.sort(want_scores), atol=1e-4)
    assert len(built.lexical(["未見"], 10)[0]) == 0
    assert len(built.lexical([], 10)[0]) == 0


def test_bm25_weights_match_bm25s_exactly_on_small_lists() -> None:
    documents = [["甲", "乙", "乙"], ["乙", "丙"], [], ["甲", "甲", "丁", "戊"]]
    bm25 = bm25s.BM25(k1=1.2, b=0.75)
    bm25.index(documents, show_progress=False)
    weights = bm25_sparse(documents)
    for query in (["甲"], ["乙", "甲"], ["乙", "乙"]):
        want = bm25.get_scores_from_ids(bm25.get_tokens_ids(query))
        sparse = query_sparse(query)
        got = [sum(w * sparse.get(t, 0.0) for t, w in row.items()) for row in weights]
        assert np.allclose(got, want, atol=1e-6)


def test_rows_come_back_in_the_order_asked(built: MilvusSearch, data) -> None:
    vectors, _ = data
    rows = np.array([299, 0, 17, 17])
    assert np.allclose(built.sentence_vectors(rows), vectors[rows], atol=1e-6)
    assert np.allclose(built.passage_vectors(np.array([5, 1400])), vectors[[5, 1400]], atol=1e-6)


def test_missing_or_half_built_generations_are_refused(built: MilvusSearch, tmp_path: Path) -> None:
    with pytest.raises(IndexCorruptError, match="articleqa doctor"):
        MilvusSearch.open(built.uri, "gen-never-built", ROWS, 300)
    with pytest.raises(IndexCorruptError, match="rows"):  # a build killed mid-insert
        MilvusSearch.open(built.uri, "gen-20261202T000000000001", ROWS + 1, 300)
    uri = str(tmp_path / "gc.db")
    vectors = np.eye(4, 384, dtype=np.float32)
    for name in ("gen-a", "gen-b", "gen-c"):
        MilvusSearch.build(uri, name, vectors, [["x"]] * 4, vectors)
    MilvusSearch.drop_others(uri, keep={"gen-c"})
    from index.milvus_search import open_client

    left = open_client(uri).list_collections()
    assert sorted(left) == sorted(collection_base("gen-c") + s for s in ("_passages", "_sentences"))
    close_client(uri)


def test_an_empty_generation_searches_to_nothing(tmp_path: Path) -> None:
    uri = str(tmp_path / "empty.db")
    empty = np.zeros((0, 384), dtype=np.float32)
    search = MilvusSearch.build(uri, "gen-empty", empty, [], empty)
    assert len(search.dense(np.ones(384, dtype=np.float32) / 384**0.5, 5)[0]) == 0
    assert len(search.lexical(["x"], 5)[0]) == 0
    close_client(uri)


def test_a_lite_database_open_in_another_process_is_a_clear_error(tmp_path: Path) -> None:
    uri = str(tmp_path / "busy.db")
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from index.milvus_search import open_client
        open_client({uri!r}).list_collections()
        print("open", flush=True)
        time.sleep(60)
        """)], stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[1])
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        with pytest.raises(IndexBusyError, match="another articleqa process"):
            MilvusSearch.open(uri, "gen-x", 0, 0)
    finally:
        holder.kill()
        holder.wait()


def test_each_milvus_gets_the_dense_index_it_can_build() -> None:
    """A server: HNSW with `ef` at least k. Lite (no HNSW): exact FLAT up to the threshold, then
    IVF_FLAT with about 4 sqrt(n) lists, a sixteenth probed."""
    kind, params = dense_index("milvus://db:19530", 10, 50_000, 32)
    assert (kind, params["M"]) == ("HNSW", 32)
    assert search_params(kind, params, 128, 200) == {"ef": 200}
    assert dense_index("/x/milvus.db", 50_000, 50_000, 32) == ("FLAT", {})
    kind, params = dense_index("/x/milvus.db", 200_000, 50_000, 32)
    assert (kind, params) == ("IVF_FLAT", {"nlist": 1789})
    assert search_params(kind, params, 128, 200) == {"nprobe": 111}


def test_credentials_never_show_in_a_store_uri() -> None:
    assert redact_uri("milvus://admin:s3cret@db.example:19530") == "milvus://db.example:19530"
    assert redact_uri("https://user:pw@cloud.example/x") == "https://cloud.example/x"
    assert redact_uri("/data/index/milvus.db") == "/data/index/milvus.db"


def test_a_lite_servers_log_files_go_beside_its_database_not_to_the_temp_folder(
        tmp_path: Path) -> None:
    uri = tmp_path / "db" / "milvus.db"
    temp = tmp_path / "temp"  # glog's default folder is $TMPDIR (else /tmp)
    temp.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "GLOG_log_dir"} | {"TMPDIR": str(temp)}
    subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
        from index.milvus_search import close_client, open_client
        open_client({str(uri)!r}).list_collections()
        close_client({str(uri)!r})
        """)], check=True, env=env, cwd=Path(__file__).resolve().parents[1], timeout=120)
    assert not any(temp.iterdir())
    assert any(p.name.startswith("milvus.") for p in (uri.parent / "milvus-logs").iterdir())
