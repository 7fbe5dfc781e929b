"""The article library: the live index snapshot plus the operations that change it.

Readers take `library.snapshot` (an immutable generation); writers serialize on the folder lock,
build the next generation with cached embeddings for unchanged passages, and swap it in.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .embed import Embedder
from .errors import ArticleQAError, IndexCorruptError, IndexMismatchError, NotFoundError
from .ingest import (
    Rejected,
    SourceFile,
    builtin_source_file,
    collect_files,
    read_source_files,
)
from .lexical import LexicalIndex
from .records import Article, Passage
from .settings import Settings
from .split import content_id, embedding_text, make_passages
from .store import IndexCheck, IndexSnapshot, IndexStore, VectorCache, build_faiss_index
from .text import tokenize

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TextToEmbed:
    """A passage or sentence an ingest has to embed, keyed as the index stores its vector."""

    key: str
    text: str
    is_passage: bool


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
    #: For a rebuild: the copy of the articles it started from (`IndexStore.article_sources`).
    rebuilt_from: str = ""
    #: Article id -> "added", "updated" or "unchanged", for the articles given to the change.
    outcomes: dict[str, str] = field(default_factory=dict)

    def merge(self, later: IngestReport) -> None:
        """Fold in the report of a later commit of the same job (sizes are the later ones)."""
        for name in ("added", "updated", "unchanged", "removed", "rejected"):
            getattr(self, name).extend(getattr(later, name))
        self.outcomes.update(later.outcomes)
        self.embedded += later.embedded
        self.reused += later.reused
        self.embedded_sentences += later.embedded_sentences
        self.articles, self.passages = later.articles, later.passages

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
        self.store = IndexStore(settings.resolved_index_dir, settings.store, settings.hnsw_m,
                                settings.hnsw_threshold)
        self._write_mutex = threading.Lock()
        #: The default index starts with the built-in corpus so the chat works with no set-up.
        self.seed_builtin = settings.index_dir is None if seed_builtin is None else seed_builtin
        #: With open_existing=False (a rebuild) the folder's current content is not read at all.
        self._snapshot: IndexSnapshot | None = None
        self._watch = open_existing
        self._checked_at = time.monotonic()
        self._snapshot = self._empty()  # until the folder is read (seeding writes through it)
        if open_existing:
            self.snapshot = self._load()

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
        try:
            generation = self.store.current_generation()
        except ArticleQAError as exc:  # keep serving the generation we have
            log.warning("cannot read the index's live generation: %s", exc)
            return
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

    def _live(self) -> IndexSnapshot | None:
        """The live generation, for a write: the one in memory while it is still the one on disk
        (a commit then costs no re-read), else read from disk. Hold the write lock."""
        snapshot = self._snapshot
        if snapshot is not None and snapshot.generation and (
                snapshot.generation == self.store.current_generation()):
            return snapshot
        return self._read()

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
        try:
            snapshot = self._read()  # None only for a folder where nothing was ever committed
        except IndexMismatchError:
            other_backend = self.embedder.fingerprint.differs_only_in_backend(self.store.live_model())
            if not (self.seed_builtin and (other_backend or self.store.live_store_differs())):
                raise
            # The default index after an upgrade that changed the embedding backend, or opened
            # with another store: rebuild it from its own articles (every one kept, vectors reused
            # where the backend is the same) instead of refusing the chat page.
            log.warning("rebuilding the default index for the %s backend and the %s store (it was "
                        "built for others); every article is kept",
                        self.embedder.fingerprint.backend, self.store.search_store)
            self.apply(rebuild=True)
            return self._snapshot  # type: ignore[return-value]
        if snapshot is not None:
            self._heal_article_store(snapshot)
            return snapshot
        if self.seed_builtin:
            log.info("indexing the built-in corpus into %s", self.store.path)
            self.add_files([builtin_source_file()])
            return self.snapshot
        return self._empty()

    def close(self) -> None:
        """Release the store's connection (see IndexStore.close); the library stays readable from
        memory and reconnects when it next needs the store."""
        self.store.close()

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
        """Rebuild everything derived (passages, vectors, FAISS, BM25) from the newest intact copy of
        the articles, cut into passages with the current settings; every article is kept.

        Why: after an upgrade, a change of model or passage settings, or damage to any index file,
        the articles themselves are intact (the article store, or a generation's copy of them) and
        vectors of unchanged texts are reused wherever an intact generation holds them.
        """
        if self.store.is_new():
            if self.seed_builtin:
                return self.add_files([builtin_source_file()], progress=progress)
            raise NotFoundError("there is no index here to rebuild yet; ingest files with "
                                "`articleqa ingest PATH...`")
        return self.apply(rebuild=True, progress=progress)

    def check(self) -> IndexCheck:
        """Verify the index in full (checksums, counts, vectors against articles)."""
        return self.store.check(self.embedder.fingerprint)

    def repair(self, progress: bool = False) -> tuple[IndexCheck, IngestReport | None]:
        """Check the index and, when anything is wrong, rebuild it from the newest intact copy of
        its articles (`reindex`). Returns what the check found and what the rebuild did (None when
        the index was healthy)."""
        found = self.check()
        if found.healthy:
            return found, None
        report = self.reindex(progress=progress)
        return found, report

    def ingest_paths(self, paths: Sequence[Path], rebuild: bool = False,
                     progress: bool = False) -> IngestReport:
        """Ingest files and folders; bad files are listed in the report, good ones indexed."""
        found, rejected = collect_files(paths)
        files, unreadable = read_source_files(found)
        report = self.add_files(files, rebuild=rebuild, progress=progress)
        report.rejected[:0] = rejected + unreadable
        return report

    def add_files(self, files: Sequence[SourceFile], rebuild: bool = False,
                  progress: bool = False) -> IngestReport:
        """Parse files and replace the articles of their sources with what they hold now.

        The files go through an ingest job run on this thread (`index.jobs`): a large ingest
        commits batch by batch, so a crash keeps what was committed. With `rebuild`, the index is
        first rebuilt from its articles (`reindex`), as its own commit.
        """
        from .jobs import IngestJob, run_job

        started = time.perf_counter()
        rebuilt = self.apply(rebuild=True, progress=progress) if rebuild and not self.store.is_new() else None
        job = IngestJob.create(files)
        run_job(self, job, progress=progress)
        report = job.final_report()
        if rebuilt is None:
            return report
        again = Counter(report.added + report.updated + report.unchanged)
        kept = []
        for title in rebuilt.unchanged:  # an article the files gave again is reported by the job
            if again[title]:
                again[title] -= 1
            else:
                kept.append(title)
        rebuilt.unchanged = kept
        rebuilt.merge(report)
        rebuilt.seconds = time.perf_counter() - started
        return rebuilt

    def remove(self, article_ids: Sequence[str]) -> IngestReport:
        """Remove articles by id; NotFoundError if one is unknown (nothing is removed then)."""
        return self.apply(remove=article_ids)

    def apply(self, add: Sequence[Article] = (), replace_sources: Sequence[str] = (),
              remove: Sequence[str] = (), rebuild: bool = False, progress: bool = False,
              keep_ids: Collection[str] = (), prepared: VectorCache | None = None) -> IngestReport:
        """The one write path: compute the next generation, embed what is new, swap it in.

        `replace_sources` drops the articles those sources held that are neither in `add` nor in
        `keep_ids` (an ingest job committing a source's articles batch by batch keeps the ones
        still to come); `prepared` holds vectors embedded ahead of the lock (index.jobs).
        """
        started = time.perf_counter()
        report = IngestReport()
        with self._write_mutex, self.store.write_lock():
            if rebuild:  # from the newest intact copy of the articles, never from nothing
                articles, report.rebuilt_from = self._newest_articles()
                current = self._empty()
                previous = self.store.salvage_vectors(self.embedder.fingerprint)
            else:
                current = self._live() or self._empty()
                previous = current
                articles = dict(current.articles)
            missing = [a for a in remove if a not in articles]
            if missing:
                raise NotFoundError(f"no article with id {missing[0]!r} in the index; "
                                    "`articleqa list` shows the ids")
            for article_id in remove:
                report.removed.append(articles.pop(article_id).title)
            incoming = {a.id for a in add} | set(keep_ids)
            for source in set(replace_sources):
                for old in [a for a in articles.values() if a.source == source]:
                    if old.id not in incoming:
                        report.removed.append(articles.pop(old.id).title)
            for article in add:
                old = articles.get(article.id)
                if old is not None and old.content_hash == article.content_hash:
                    report.unchanged.append(article.title)
                    report.outcomes[article.id] = "unchanged"
                    continue
                outcome = "updated" if old is not None else "added"
                getattr(report, outcome).append(article.title)
                report.outcomes[article.id] = outcome
                articles[article.id] = article
            if rebuild:  # every article the rebuild started from is kept
                report.unchanged += [a.title for a in articles.values() if a.id not in incoming]
            if not report.changed and not rebuild:
                self.snapshot = current
            else:
                snapshot = self._build(articles, previous, report, progress, prepared)
                snapshot.generation = self.store.write(snapshot, self.settings.hnsw_ef_search)
                self.snapshot = snapshot
        report.articles = len(self.snapshot.articles)
        report.passages = len(self.snapshot.passages)
        report.seconds = time.perf_counter() - started
        return report

    def _heal_article_store(self, snapshot: IndexSnapshot) -> None:
        """A missing or stale article store is rewritten from the live generation at once, so the
        library never runs with a single copy of its articles."""
        try:
            with self.store.write_lock(timeout_s=0.5):
                self.store.heal_article_store(snapshot)
        except (ArticleQAError, OSError) as exc:  # busy or read-only: a writer will rewrite it
            log.info("article store not checked: %s", exc)

    def _newest_articles(self) -> tuple[dict[str, Article], str]:
        """The articles of the newest intact copy (article store or a generation), and its name."""
        sources = self.store.article_sources()
        if sources:
            return {a.id: a for a in sources[0].articles}, sources[0].name
        if self.store.is_new():
            return {}, ""
        raise IndexCorruptError("no intact copy of the articles is left in this index (the article "
                                "store and every generation are damaged); nothing was changed")

    def _article_texts(self, article: Article) -> tuple[list[tuple[Passage, str, str]],
                                                        list[tuple[str, str, str]]]:
        """An article's passages (passage, embed key, text) and sentences (id, key, text): what
        `_build` indexes and what an ingest job embeds ahead of its commit, keyed alike."""
        fingerprint_key = self.embedder.fingerprint.key
        passages = []
        for passage in make_passages(article, self.settings):
            text = embedding_text(article, passage)
            passages.append((passage, content_id(fingerprint_key, text), text))
        sentences = [(article.sentence_id(s.index), content_id(fingerprint_key, "sentence", s.text),
                      s.text) for s in article.sentences]
        return passages, sentences

    def texts_to_embed(self, article: Article, known: set[str]) -> list[TextToEmbed]:
        """The passages and sentences of `article` whose vectors neither the live index nor
        `known` holds (the keys returned are added to `known`, so a text is embedded once)."""
        snapshot = self.snapshot
        if not known:
            known.update(snapshot.embed_keys)
            known.update(snapshot.sentence_keys)
        passages, sentences = self._article_texts(article)
        todo: list[TextToEmbed] = []
        for is_passage, items in ((True, [(k, t) for _, k, t in passages]),
                                  (False, [(k, t) for _, k, t in sentences])):
            for key, text in items:
                if key not in known:
                    known.add(key)
                    todo.append(TextToEmbed(key, text, is_passage))
        return todo

    def _embed_cached(self, keys: list[str], texts: list[str],
                      sources: Sequence[tuple[list[str], np.ndarray | None]], what: str,
                      progress: bool) -> tuple[np.ndarray, int]:
        """Vectors for `texts`, reusing rows of earlier vectors (a generation's, a job's) by key."""
        found: dict[str, np.ndarray] = {}
        wanted = set(keys)
        for old_keys, old_vectors in sources:
            if old_vectors is None:
                continue
            for row, key in enumerate(old_keys):
                if key in wanted and key not in found:
                    found[key] = old_vectors[row]
        vectors = np.zeros((len(keys), self.embedder.dimension), dtype=np.float32)
        todo = [i for i, k in enumerate(keys) if k not in found]
        for i, key in enumerate(keys):
            if key in found:
                vectors[i] = found[key]
        if todo:
            log.info("embedding %d new %s (%d reused)", len(todo), what, len(keys) - len(todo))
            fresh = self.embedder.embed_passages([texts[i] for i in todo], progress=progress)
            vectors[todo] = fresh
        return vectors, len(todo)

    def _build(self, articles: dict[str, Article], previous: IndexSnapshot | VectorCache | None,
               report: IngestReport, progress: bool,
               prepared: VectorCache | None = None) -> IndexSnapshot:
        passages: list[Passage] = []
        keys: list[str] = []
        texts: list[str] = []
        sentence_ids: list[str] = []
        sentence_keys: list[str] = []
        sentence_texts: list[str] = []
        for article in articles.values():
            article_passages, article_sentences = self._article_texts(article)
            for passage, key, text in article_passages:
                passages.append(passage)
                keys.append(key)
                texts.append(text)
            for sentence_id, key, text in article_sentences:
                sentence_ids.append(sentence_id)
                sentence_keys.append(key)
                sentence_texts.append(text)
        caches = [c for c in (previous, prepared) if c is not None]
        old_tokens: dict[str, list[str]] = {}
        for cache in caches:
            old_tokens.update(zip(cache.embed_keys, cache.passage_tokens, strict=False))
        tokens = [old_tokens[k] if k in old_tokens else tokenize(t) for k, t in zip(keys, texts, strict=True)]
        vectors, embedded = self._embed_cached(
            keys, texts, [(c.embed_keys, c.vectors) for c in caches], "passages", progress)
        sentence_vectors, embedded_sentences = self._embed_cached(
            sentence_keys, sentence_texts, [(c.sentence_keys, c.sentence_vectors) for c in caches],
            "sentences", progress)
        report.embedded = embedded
        report.reused = len(keys) - embedded
        report.embedded_sentences = embedded_sentences
        faiss_index, lexical, kind = None, None, "milvus"  # the store names its index
        if not self.store.uses_milvus:  # else the store builds its collections as it writes
            faiss_index, kind = build_faiss_index(vectors, self.settings.hnsw_threshold,
                                                  self.settings.hnsw_m, self.settings.hnsw_ef_search)
            lexical = LexicalIndex.build(tokens)
        return IndexSnapshot(articles=articles, passages=passages, embed_keys=keys,
                             vectors=vectors, fingerprint=self.embedder.fingerprint.as_dict(),
                             passage_tokens=tokens, sentence_ids=sentence_ids,
                             sentence_keys=sentence_keys, sentence_vectors=sentence_vectors,
                             index_type=kind, faiss_index=faiss_index,
                             lexical=lexical, split=self.settings.split_signature())
