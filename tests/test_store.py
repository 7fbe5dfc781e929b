"""The index folder: atomic generations, manifest checks, clear errors."""

import json
from pathlib import Path

import numpy as np
import pytest

from index.embed import ModelFingerprint
from index.errors import IndexCorruptError, IndexMismatchError
from index.lexical import LexicalIndex
from index.records import Article, BlockKind, Passage, Sentence
from index.store import FORMAT_VERSION, IndexSnapshot, IndexStore, build_faiss_index

FP = ModelFingerprint(name="m", dimension=4, normalized=True, query_prompt="q: ", passage_prompt="p: ")


def _snapshot(n: int = 3, hnsw_threshold: int = 1000) -> IndexSnapshot:
    text = "甲乙丙。丁戊己。"
    article = Article(id="a", title="T", text=text, source="s", content_hash="h",
                      sentences=(Sentence(0, 0, 4, "甲乙丙。", BlockKind.BODY),
                                 Sentence(1, 4, 8, "丁戊己。", BlockKind.BODY)))
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(n, 4)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    passages = [Passage(id=f"p{i}", article_id="a", title="T", first_sentence=0, last_sentence=1,
                        start=0, end=8, text=text) for i in range(n)]
    index, kind = build_faiss_index(vectors, hnsw_threshold, 8, 16)
    tokens = [["甲乙", f"t{i}"] for i in range(n)]
    return IndexSnapshot(articles={"a": article}, passages=passages,
                         embed_keys=[f"k{i}" for i in range(n)], vectors=vectors,
                         fingerprint=FP.as_dict(), passage_tokens=tokens,
                         sentence_ids=["a:0", "a:1"], sentence_keys=["s0", "s1"],
                         sentence_vectors=vectors[:2].copy(), index_type=kind, faiss_index=index,
                         lexical=LexicalIndex.build(tokens))


def test_round_trip_keeps_everything(tmp_path: Path) -> None:
    store = IndexStore(tmp_path / "idx")
    assert store.read(FP) is None
    snap = _snapshot()
    with store.write_lock():
        store.write(snap, ef_search=16)
    back = store.read(FP)
    assert back is not None
    assert back.articles["a"].sentences[1].text == "丁戊己。"
    assert [p.id for p in back.passages] == ["p0", "p1", "p2"]
    assert back.embed_keys == ["k0", "k1", "k2"]
    assert back.passage_tokens[2] == ["甲乙", "t2"]
    assert back.sentence_row("a", 1) == 1 and back.sentence_row("a", 9) is None
    np.testing.assert_array_equal(back.sentence_vectors, snap.vectors[:2])
    assert back.lexical is not None and int(np.argmax(back.lexical.scores(["t1"]))) == 1
    np.testing.assert_array_equal(back.vectors, snap.vectors)
    scores, pos = back.search(snap.vectors[1:2], 1)
    assert pos[0][0] == 1 and scores[0][0] == pytest.approx(1.0, abs=1e-5)
    manifest = json.loads((store.path / back.generation / "manifest.json").read_text())
    assert manifest["counts"] == {"articles": 1, "passages": 3, "sentences": 2}
    assert manifest["model"]["name"] == "m" and manifest["format_version"] == FORMAT_VERSION


def test_large_corpora_use_hnsw(tmp_path: Path) -> None:
    store = IndexStore(tmp_path / "idx")
    with store.write_lock():
        store.write(_snapshot(n=40, hnsw_threshold=10), ef_search=16)
    back = store.read(FP)
    assert back is not None and back.index_type == "hnsw"
    _, pos = back.search(back.vectors[5:6], 3)
    assert pos[0][0] == 5


def test_other_model_is_refused_with_the_fix(tmp_path: Path) -> None:
    store = IndexStore(tmp_path / "idx")
    with store.write_lock():
        store.write(_snapshot(), ef_search=16)
    other = ModelFingerprint(name="other", dimension=8, normalized=True, query_prompt="",
                             passage_prompt="")
    with pytest.raises(IndexMismatchError, match="ingest --rebuild"):
        store.read(other)


def test_other_format_version_is_refused(tmp_path: Path) -> None:
    store = IndexStore(tmp_path / "idx")
    with store.write_lock():
        name = store.write(_snapshot(), ef_search=16)
    manifest_path = store.path / name / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["format_version"] = 99
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match="format version 99"):
        store.read(FP)


def test_corrupt_generation_is_a_clear_error(tmp_path: Path) -> None:
    store = IndexStore(tmp_path / "idx")
    with store.write_lock():
        name = store.write(_snapshot(), ef_search=16)
    (store.path / name / "vectors.npy").write_bytes(b"garbage")
    with pytest.raises(IndexCorruptError, match="vectors.npy.*articleqa doctor"):
        store.read(FP)
    assert [source.name for source in store.article_sources()] == ["the article store",
                                                                  f"generation {name}"]


def test_a_format_2_generation_still_gives_its_articles_to_a_rebuild(tmp_path: Path) -> None:
    """An index written before checksums (format 2) is refused with the fix, and the fix finds its
    articles: an upgrade never loses them."""
    store = IndexStore(tmp_path / "idx")
    with store.write_lock():
        name = store.write(_snapshot(), ef_search=16)
    manifest_path = store.path / name / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["format_version"] = 2
    del manifest["files"], manifest["seq"]
    manifest_path.write_text(json.dumps(manifest))
    (store.path / "articles.jsonl").unlink()
    with pytest.raises(IndexMismatchError, match="ingest --rebuild"):
        store.read(FP)
    (source,) = store.article_sources()
    assert [a.id for a in source.articles] == ["a"]


def test_empty_or_missing_current_is_an_error_not_an_empty_index(tmp_path: Path) -> None:
    store = IndexStore(tmp_path / "idx")
    assert store.read(FP) is None  # nothing committed yet: a new, empty index
    with store.write_lock():
        store.write(_snapshot(), ef_search=16)
    store.current_file.write_text("")
    with pytest.raises(IndexCorruptError, match="CURRENT pointer is empty.*articleqa doctor"):
        store.read(FP)
    store.current_file.unlink()
    with pytest.raises(IndexCorruptError, match="CURRENT pointer is missing"):
        store.read(FP)


def test_abandoned_temp_folders_are_ignored_then_cleaned(tmp_path: Path) -> None:
    store = IndexStore(tmp_path / "idx")
    with store.write_lock():
        first = store.write(_snapshot(), ef_search=16)
    half = store.path / ".tmp-gen-crashed"
    half.mkdir()
    (half / "articles.jsonl").write_text("{not json")
    back = store.read(FP)
    assert back is not None and back.generation == first
    with store.write_lock():
        store.write(_snapshot(), ef_search=16)
        store.write(_snapshot(), ef_search=16)
    assert not half.exists()
    assert len(list(store.path.glob("gen-*"))) == 2
