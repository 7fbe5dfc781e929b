"""The article library: the live index snapshot plus the operations that change it.

Readers take `library.snapshot` (an immutable generation); writers serialize on the folder lock,
build the next generation with cached embeddings for unchanged passages, and swap it in.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from .embed import Embedder
from .errors import ArticleQAError, InputError, NotFoundError
from .ingest import (
    Rejected,
    SourceFile,
    articles_from_file,
    builtin_source_file,
    collect_files,
    read_source_files,
)
from .lexical import LexicalIndex
from .records import Article, Passage
from .settings import Settings
from .split import content_id, embedding_text, make_passages
from .store import IndexSnapshot, IndexStore, build_faiss_index
from .text import tokenize

log = logging.getLogger(__name__)


@dataclass
class IngestReport:
    """What one change to the library did."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    embedded: int = 0
    reused: int = 0
    embedded_sentences: int = 0
    articles: int = 0
    passages: int = 0
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        """Whether a new index generation was written."""
        return bool(self.added or self.updated or self.removed)


class Library:
    """One index folder opened with one embedder."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None,
                 seed_builtin: bool | None = None, open_existing: bool = True) -> None:
        self.settings = settings
        self.embedder = embedder or Embedder(settings)
        self.store = IndexStore(settings.resolved_index_dir)
        self._write_mutex = threading.Lock()
        #: The default index starts with the built-in corpus so the chat works with no set-up.
        self.seed_builtin = settings.index_dir is None if seed_builtin is None else seed_builtin
        #: With open_existing=False (a rebuild) the folder's current content is not read at all.
        self._snapshot: IndexSnapshot | None = None
        self._watch = open_existing
        self._checked_at = time.monotonic()
        self.snapshot = self._load() if open_existing else self._empty()

    #: How often (seconds) readers look for a generation written by another process.
    RELOAD_CHECK_S = 1.0

    @property
    def snapshot(self) -> IndexSnapshot:
        """The live generation; picks up one written by another process (checked once a second)."""
        self._maybe_reload()
        assert self._snapshot is not None
        return self._snapshot

    @snapshot.setter
    def snapshot(self, value: IndexSnapshot) -> None:
        self._snapshot = value

    def _maybe_reload(self) -> None:
        now = time.monotonic()
        if not self._watch or self._snapshot is None or now - self._checked_at < self.RELOAD_CHECK_S:
            return
        self._checked_at = now
        generation = self.store.current_generation()
        if not generation or generation == self._snapshot.generation:
            return
        if not self._write_mutex.acquire(blocking=False):
            return  # this process is writing; it will swap the snapshot itself
        try:
            fresh = self._read()
            if fresh is not None:
                log.info("picked up index generation %s written by another process", fresh.generation)
                self._snapshot = fresh
        except ArticleQAError as exc:  # keep serving the generation we have
            log.warning("cannot load the new index generation %s: %s", generation, exc)
        finally:
            self._write_mutex.release()

    # ----- reading -----
    def _read(self) -> IndexSnapshot | None:
        return self.store.read(expected=self.embedder.fingerprint, split=self.settings.split_signature())

    def _empty(self) -> IndexSnapshot:
        vectors = np.zeros((0, self.embedder.dimension), dtype=np.float32)
        faiss_index, kind = build_faiss_index(vectors, self.settings.hnsw_threshold,
                                              self.settings.hnsw_m, self.settings.hnsw_ef_search)
        return IndexSnapshot(articles={}, passages=[], embed_keys=[], vectors=vectors,
                             fingerprint=self.embedder.fingerprint.as_dict(), passage_tokens=[],
                             sentence_ids=[], sentence_keys=[], sentence_vectors=vectors.copy(),
                             index_type=kind, faiss_index=faiss_index,
                             lexical=LexicalIndex.build([]), split=self.settings.split_signature())

    def _load(self) -> IndexSnapshot:
        snapshot = self._read()
        if snapshot is not None:
            return snapshot
        if self.seed_builtin:
            log.info("indexing the built-in corpus into %s", self.store.path)
            self.add_files([builtin_source_file()])
            return self.snapshot
        return self._empty()

    def reload(self) -> IndexSnapshot:
        """Pick up a generation written by another process."""
        self.snapshot = self._load()
        return self.snapshot

    def article(self, article_id: str) -> Article:
        """An article by id; NotFoundError names the id."""
        try:
            return self.snapshot.articles[article_id]
        except KeyError:
            raise NotFoundError(f"no article with id {article_id!r} in the index") from None

    # ----- writing -----
    def reindex(self, progress: bool = False) -> IngestReport:
        """Rebuild the index from the articles it holds, cut into passages with the current settings.

        Why: after an upgrade or a change of passage settings the stored passages no longer match;
        the articles themselves are intact and vectors of unchanged texts are reused.
        """
        stored = self._readable_or_none()
        if stored is None or not stored.articles:
            if self.seed_builtin:
                return self.add_files([builtin_source_file()], rebuild=True, progress=progress)
            raise NotFoundError(f"there is no readable index in {self.store.path} to rebuild; "
                                "ingest files with `articleqa ingest PATH...`")
        return self.apply(add=list(stored.articles.values()), rebuild=True, progress=progress)

    def ingest_paths(self, paths: Sequence[Path], rebuild: bool = False,
                     progress: bool = False) -> IngestReport:
        """Ingest files and folders; bad files are listed in the report, good ones indexed."""
        found, rejected = collect_files(paths)
        files, unreadable = read_source_files(found)
        if rebuild and self.seed_builtin:
            files.insert(0, builtin_source_file())
        report = self.add_files(files, rebuild=rebuild, progress=progress)
        report.rejected[:0] = rejected + unreadable
        return report

    def add_files(self, files: Sequence[SourceFile], rebuild: bool = False,
                  progress: bool = False) -> IngestReport:
        """Parse files and replace the articles of their sources with what they hold now."""
        articles: list[Article] = []
        sources: list[str] = []
        rejected: list[Rejected] = []
        for file in tqdm(files, desc="reading", unit="file", disable=not progress or len(files) < 2):
            try:
                parsed = articles_from_file(file)
            except InputError as exc:
                rejected.append(Rejected(file.name, str(exc)))
                continue
            articles.extend(parsed)
            sources.append(file.source)
        report = self.apply(add=articles, replace_sources=sources, rebuild=rebuild,
                            progress=progress)
        report.rejected.extend(rejected)
        return report

    def remove(self, article_ids: Sequence[str]) -> IngestReport:
        """Remove articles by id; NotFoundError if one is unknown (nothing is removed then)."""
        return self.apply(remove=article_ids)

    def apply(self, add: Sequence[Article] = (), replace_sources: Sequence[str] = (),
              remove: Sequence[str] = (), rebuild: bool = False,
              progress: bool = False) -> IngestReport:
        """The one write path: compute the next generation, embed what is new, swap it in."""
        started = time.perf_counter()
        report = IngestReport()
        with self._write_mutex, self.store.write_lock():
            if rebuild:
                current = self._empty()
                previous = self._readable_or_none()
            else:
                current = self._read() or self._empty()
                previous = current
            articles = dict(current.articles)
            missing = [a for a in remove if a not in articles]
            if missing:
                raise NotFoundError(f"no article with id {missing[0]!r} in the index; "
                                    "`articleqa list` shows the ids")
            for article_id in remove:
                report.removed.append(articles.pop(article_id).title)
            incoming = {a.id for a in add}
            for source in set(replace_sources):
                for old in [a for a in articles.values() if a.source == source]:
                    if old.id not in incoming:
                        report.removed.append(articles.pop(old.id).title)
            for article in add:
                old = articles.get(article.id)
                if old is not None and old.content_hash == article.content_hash:
                    report.unchanged.append(article.title)
                    continue
                (report.updated if old is not None else report.added).append(article.title)
                articles[article.id] = article
            if not report.changed and not rebuild:
                self.snapshot = current
            else:
                snapshot = self._build(articles, previous, report, progress)
                snapshot.generation = self.store.write(snapshot, self.settings.hnsw_ef_search)
                self.snapshot = snapshot
        report.articles = len(self.snapshot.articles)
        report.passages = len(self.snapshot.passages)
        report.seconds = time.perf_counter() - started
        return report

    def _readable_or_none(self) -> IndexSnapshot | None:
        try:  # any split will do: a rebuild reuses the vectors of unchanged texts
            return self.store.read(expected=self.embedder.fingerprint)
        except Exception:  # a rebuild must work over a broken or foreign index
            return None

    def _embed_cached(self, keys: list[str], texts: list[str], old_keys: list[str],
                      old_vectors: np.ndarray | None, what: str, progress: bool) -> tuple[np.ndarray, int]:
        """Vectors for `texts`, reusing rows of the previous generation with the same key."""
        cache: dict[str, int] = {}
        if old_vectors is not None:
            cache = {k: i for i, k in enumerate(old_keys)}
        vectors = np.zeros((len(keys), self.embedder.dimension), dtype=np.float32)
        todo = [i for i, k in enumerate(keys) if k not in cache]
        for i, key in enumerate(keys):
            if key in cache:
                vectors[i] = old_vectors[cache[key]]  # type: ignore[index]
        if todo:
            log.info("embedding %d new %s (%d reused)", len(todo), what, len(keys) - len(todo))
            fresh = self.embedder.embed_passages([texts[i] for i in todo], progress=progress)
            vectors[todo] = fresh
        return vectors, len(todo)

    def _build(self, articles: dict[str, Article], previous: IndexSnapshot | None,
               report: IngestReport, progress: bool) -> IndexSnapshot:
        passages: list[Passage] = []
        keys: list[str] = []
        texts: list[str] = []
        sentence_ids: list[str] = []
        sentence_keys: list[str] = []
        sentence_texts: list[str] = []
        fingerprint_key = self.embedder.fingerprint.key
        for article in articles.values():
            for passage in make_passages(article, self.settings):
                text = embedding_text(article, passage)
                passages.append(passage)
                texts.append(text)
                keys.append(content_id(fingerprint_key, text))
            for sentence in article.sentences:
                sentence_ids.append(article.sentence_id(sentence.index))
                sentence_texts.append(sentence.text)
                sentence_keys.append(content_id(fingerprint_key, "sentence", sentence.text))
        old_tokens = {}
        if previous is not None:
            old_tokens = dict(zip(previous.embed_keys, previous.passage_tokens, strict=False))
        tokens = [old_tokens[k] if k in old_tokens else tokenize(t) for k, t in zip(keys, texts, strict=True)]
        vectors, embedded = self._embed_cached(
            keys, texts, previous.embed_keys if previous else [],
            previous.vectors if previous else None, "passages", progress)
        sentence_vectors, embedded_sentences = self._embed_cached(
            sentence_keys, sentence_texts, previous.sentence_keys if previous else [],
            previous.sentence_vectors if previous else None, "sentences", progress)
        report.embedded = embedded
        report.reused = len(keys) - embedded
        report.embedded_sentences = embedded_sentences
        faiss_index, kind = build_faiss_index(vectors, self.settings.hnsw_threshold,
                                              self.settings.hnsw_m, self.settings.hnsw_ef_search)
        return IndexSnapshot(articles=articles, passages=passages, embed_keys=keys,
                             vectors=vectors, fingerprint=self.embedder.fingerprint.as_dict(),
                             passage_tokens=tokens, sentence_ids=sentence_ids,
                             sentence_keys=sentence_keys, sentence_vectors=sentence_vectors,
                             index_type=kind, faiss_index=faiss_index,
                             lexical=LexicalIndex.build(tokens), split=self.settings.split_signature())
