"""The library with the real model and a real FAISS index: ingest, re-ingest, replace, remove."""

from pathlib import Path

import pytest

from index import Library
from index.errors import IndexMismatchError, NotFoundError
from index.ingest import BUILTIN_SOURCE

pytestmark = pytest.mark.slow

ENGLISH = """Harbour Library Opens New Wing

The city library opened a new reading wing on Monday. The wing cost 4.2 million dollars and holds
12,000 books. Mayor Ann Lee said the wing will stay open until 10 p.m. every weekday.

By Tom Reed
"""


def test_builtin_corpus_becomes_two_articles(builtin_library: Library) -> None:
    titles = sorted(a.title for a in builtin_library.snapshot.articles.values())
    assert titles == sorted(["雁山科技生態城發展願景發布", "平安銀行青島分行：堅持金融為民，服務實體經濟"])
    assert all(a.source == BUILTIN_SOURCE for a in builtin_library.snapshot.articles.values())
    for passage in builtin_library.snapshot.passages:
        article = builtin_library.snapshot.articles[passage.article_id]
        assert article.text[passage.start:passage.end] == passage.text


def test_reingest_changes_nothing_and_embeds_nothing(fresh_library: Library, tmp_path: Path) -> None:
    doc = tmp_path / "harbour.txt"
    doc.write_text(ENGLISH, encoding="utf-8")
    first = fresh_library.ingest_paths([doc])
    assert first.added == ["Harbour Library Opens New Wing"] and first.embedded > 0
    generation = fresh_library.store.current_generation()
    again = fresh_library.ingest_paths([doc])
    assert not again.changed and again.embedded == 0
    assert again.unchanged == ["Harbour Library Opens New Wing"]
    assert fresh_library.store.current_generation() == generation


def test_changed_article_replaces_its_passages(fresh_library: Library, tmp_path: Path) -> None:
    doc = tmp_path / "harbour.txt"
    doc.write_text(ENGLISH, encoding="utf-8")
    fresh_library.ingest_paths([doc])
    old_ids = {p.id for p in fresh_library.snapshot.passages}
    doc.write_text(ENGLISH.replace("12,000 books", "15,500 books"), encoding="utf-8")
    report = fresh_library.ingest_paths([doc])
    assert report.updated == ["Harbour Library Opens New Wing"] and not report.added
    texts = " ".join(p.text for p in fresh_library.snapshot.passages)
    assert "15,500 books" in texts and "12,000 books" not in texts
    assert len(fresh_library.snapshot.articles) == 1
    assert {p.id for p in fresh_library.snapshot.passages} != old_ids


def test_remove_by_id_and_unknown_id(fresh_library: Library, tmp_path: Path) -> None:
    doc = tmp_path / "harbour.txt"
    doc.write_text(ENGLISH, encoding="utf-8")
    fresh_library.ingest_paths([doc])
    (article_id,) = fresh_library.snapshot.articles
    with pytest.raises(NotFoundError, match="nope"):
        fresh_library.remove(["nope"])
    assert article_id in fresh_library.snapshot.articles
    report = fresh_library.remove([article_id])
    assert report.removed == ["Harbour Library Opens New Wing"]
    assert not fresh_library.snapshot.articles and not fresh_library.snapshot.passages


def test_mixed_folder_ingests_good_files_and_lists_bad_ones(fresh_library: Library,
                                                             tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    (folder / "sub").mkdir(parents=True)
    (folder / "good.txt").write_text(ENGLISH, encoding="utf-8")
    (folder / "sub" / "big5.txt").write_bytes(
        "台北新聞\n\n台北市政府今天宣布，新的圖書館將於明年三月開放，預計投資五億元。".encode("big5"))
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (folder / "scan.jpg").write_bytes(b"\xff\xd8\xff\xe0 a photo of a page")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4")
    (folder / ".hidden.txt").write_text(ENGLISH, encoding="utf-8")  # hidden files are not articles
    report = fresh_library.ingest_paths([folder, tmp_path / "missing.txt"])
    assert sorted(report.added) == ["Harbour Library Opens New Wing", "台北新聞"]
    rejected = {Path(r.name).name: r.reason for r in report.rejected}
    assert set(rejected) == {"empty.txt", "binary.txt", "missing.txt", "scan.jpg", "broken.pdf"}
    assert "no such file" in rejected["missing.txt"]
    assert "unsupported file type" in rejected["scan.jpg"]  # listed, never skipped silently
    assert rejected["broken.pdf"].startswith("cannot read the PDF")
    assert not rejected["empty.txt"].startswith("empty.txt")  # the name is said once, beside it


def test_a_folder_with_nothing_to_ingest_is_listed(fresh_library: Library, tmp_path: Path) -> None:
    (tmp_path / "empty-folder").mkdir()
    report = fresh_library.ingest_paths([tmp_path / "empty-folder"])
    assert [Path(r.name).name for r in report.rejected] == ["empty-folder"]
    assert "no files to ingest" in report.rejected[0].reason


def test_all_bad_input_leaves_index_as_it_was(fresh_library: Library, tmp_path: Path) -> None:
    doc = tmp_path / "harbour.txt"
    doc.write_text(ENGLISH, encoding="utf-8")
    fresh_library.ingest_paths([doc])
    generation = fresh_library.store.current_generation()
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\x00\x00garbage\x00\x01\x02" * 50)
    report = fresh_library.ingest_paths([bad])
    assert report.rejected and not report.changed
    assert fresh_library.store.current_generation() == generation


def test_reopening_with_another_model_is_a_clear_error(fresh_library: Library, tmp_path: Path) -> None:
    doc = tmp_path / "harbour.txt"
    doc.write_text(ENGLISH, encoding="utf-8")
    fresh_library.ingest_paths([doc])
    other = fresh_library.settings.with_(query_prompt="search_query: ")
    with pytest.raises(IndexMismatchError, match="ingest --rebuild"):
        Library(other, seed_builtin=False)
    rebuilt = Library(other, seed_builtin=False, open_existing=False)
    report = rebuilt.ingest_paths([doc], rebuild=True)  # re-embeds the articles it holds, keeps them
    assert report.unchanged == ["Harbour Library Opens New Wing"] and report.embedded > 0
    assert report.rebuilt_from == "the article store"
    assert Library(other, embedder=rebuilt.embedder).snapshot.articles


def test_other_passage_settings_are_a_clear_error_and_a_rebuild_keeps_the_articles(
        fresh_library: Library, tmp_path: Path) -> None:
    doc = tmp_path / "harbour.txt"
    doc.write_text(ENGLISH, encoding="utf-8")
    fresh_library.ingest_paths([doc])
    before = len(fresh_library.snapshot.passages)
    wider = fresh_library.settings.with_(passage_chars=fresh_library.settings.passage_chars * 4)
    with pytest.raises(IndexMismatchError, match="passage_chars.*ingest --rebuild"):
        Library(wider, embedder=fresh_library.embedder, seed_builtin=False)
    rebuilt = Library(wider, embedder=fresh_library.embedder, seed_builtin=False, open_existing=False)
    report = rebuilt.reindex()
    assert report.unchanged == ["Harbour Library Opens New Wing"] and report.embedded_sentences == 0
    reopened = Library(wider, embedder=fresh_library.embedder, seed_builtin=False)
    assert set(reopened.snapshot.articles) == set(fresh_library.snapshot.articles)
    assert len(reopened.snapshot.passages) < before  # wider passages: fewer of them


def test_readers_pick_up_a_generation_written_by_another_process(
        fresh_library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reader = Library(fresh_library.settings, embedder=fresh_library.embedder, seed_builtin=False)
    assert not reader.snapshot.articles
    doc = tmp_path / "harbour.txt"
    doc.write_text(ENGLISH, encoding="utf-8")
    fresh_library.ingest_paths([doc])  # another writer (here: another Library on the same folder)
    monkeypatch.setattr(Library, "RELOAD_CHECK_S", 0.0)
    assert [a.title for a in reader.snapshot.articles.values()] == ["Harbour Library Opens New Wing"]
    assert reader.snapshot.generation == fresh_library.store.current_generation()
