"""The index folder on disk: generations written atomically, a manifest, and a writer lock.

Layout of an index folder:
    CURRENT            name of the live generation (replaced atomically)
    articles.jsonl     the article store: every article of the library, the source of truth
    .lock              held by the one writer at a time
    gen-<stamp>/       manifest.json, articles.jsonl, passages.jsonl (with tokens), vectors.npy,
                       faiss.index, sentences.jsonl, sentence_vectors.npy, bm25/
                       (no faiss.index and bm25/ when the store is Milvus: index.milvus_search
                       keeps each generation's search indexes in collections named after it)
Everything in a generation but its articles is derived from them and can be rebuilt. Each commit
gets the next sequence number; the article store and the generation's own copy of the articles
both carry it with a checksum, so any one damaged or missing file leaves an intact copy of the
newest articles (`IndexStore.article_sources`). A writer builds a complete generation in a
temporary folder, renames it into place, replaces the article store, and only then switches
CURRENT, so a reader (or a process restarted after a kill) always sees a whole index.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from .embed import ModelFingerprint
from .errors import ArticleQAError, IndexBusyError, IndexCorruptError, IndexMismatchError
from .lexical import LexicalIndex
from .records import Article, BlockKind, Passage, Sentence
from .search import LOCAL_STORE, MILVUS_LITE_STORE, LocalSearch, SearchIndex, redact_uri
from .split import file_sha256

log = logging.getLogger(__name__)

FORMAT_VERSION = 3
KEEP_GENERATIONS = 2
#: The fix for an index built with other settings: re-embed its articles (none is dropped).
REBUILD_HINT = "rebuild it from its articles with `articleqa ingest --rebuild` (every article is kept)"
#: The fix for a damaged index: rebuild from the intact article store or generation.
REPAIR_HINT = ("run `articleqa doctor` to repair it from its intact copy of the articles "
               "(every article is kept)")
ARTICLE_STORE = "articles.jsonl"
#: The Milvus Lite database of an index folder whose store is `milvus-lite`.
MILVUS_LITE_FILE = "milvus.db"
_STORE_HEADER = "articleqa_article_store"


@functools.lru_cache(maxsize=1)
def configure_faiss() -> None:
    """Run FAISS single-threaded: its OpenMP pool otherwise spins against torch's on small machines,
    which made each query embedding 40x slower (25 ms -> 1 s on 2 cores). Our searches are small."""
    faiss.omp_set_num_threads(1)


def app_version() -> str:
    """The installed articleqa version (recorded in every manifest)."""
    try:
        return metadata.version("articleqa")
    except metadata.PackageNotFoundError:
        return "0+unknown"


@dataclass
class IndexSnapshot:
    """One complete, immutable generation of the index, loaded in memory."""

    articles: dict[str, Article]
    passages: list[Passage]
    embed_keys: list[str]
    vectors: np.ndarray
    fingerprint: dict[str, object]
    #: Lexical tokens of each passage (cached so unchanged passages are never re-tokenized).
    passage_tokens: list[list[str]] = field(default_factory=list)
    #: Sentence vectors for answer selection: `sentence_ids[i]` is `article_id:index`.
    sentence_ids: list[str] = field(default_factory=list)
    sentence_keys: list[str] = field(default_factory=list)
    sentence_vectors: np.ndarray | None = field(default=None, repr=False)
    index_type: str = "flat"
    generation: str = ""
    created_at: str = ""
    faiss_index: faiss.Index | None = field(default=None, repr=False)
    lexical: LexicalIndex | None = field(default=None, repr=False)
    #: How the articles were cut into passages (Settings.split_signature at build time).
    split: dict[str, int] = field(default_factory=dict)
    #: The commit that wrote it (IndexStore.write); 0 before it is written.
    seq: int = 0
    #: Its search indexes when a store other than the local FAISS + bm25s one holds them.
    search_backend: SearchIndex | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._passage_pos = {p.id: i for i, p in enumerate(self.passages)}
        self._sentence_pos = {sid: i for i, sid in enumerate(self.sentence_ids)}

    @functools.cached_property
    def search_index(self) -> SearchIndex:
        """Candidate search over its passages (index.search), in whichever store holds it."""
        return self.search_backend or LocalSearch(self.faiss_index, self.lexical)

    def sentence_row(self, article_id: str, index: int) -> int | None:
        """Row of a sentence's vector in `sentence_vectors` (None if it has none)."""
        return self._sentence_pos.get(f"{article_id}:{index}")

    @property
    def sentence_count(self) -> int:
        """Sentences over all articles."""
        return sum(len(a.sentences) for a in self.articles.values())

    def passage(self, passage_id: str) -> Passage:
        """A passage by id (KeyError when absent)."""
        return self.passages[self._passage_pos[passage_id]]

    def search(self, query_vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Dense top-k for each query row: (scores, passage positions), -1 where fewer than k exist."""
        n = query_vectors.shape[0]
        k = min(k, len(self.passages))
        scores = np.zeros((n, k), dtype=np.float32)
        positions = np.full((n, k), -1, dtype=np.int64)
        for row, vector in enumerate(query_vectors):
            found, found_scores = self.search_index.dense(vector, k)
            positions[row, :len(found)] = found
            scores[row, :len(found)] = found_scores
        return scores, positions


def build_faiss_index(vectors: np.ndarray, hnsw_threshold: int, hnsw_m: int,
                      ef_search: int) -> tuple[faiss.Index, str]:
    """Exact inner product for small corpora, HNSW above `hnsw_threshold` vectors."""
    configure_faiss()
    dim = vectors.shape[1]
    if len(vectors) > hnsw_threshold:
        index = faiss.IndexHNSWFlat(dim, hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = max(40, 2 * hnsw_m)
        index.hnsw.efSearch = ef_search
        kind = "hnsw"
    else:
        index = faiss.IndexFlatIP(dim)
        kind = "flat"
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index, kind


def _article_row(article: Article) -> dict[str, object]:
    return {
        "id": article.id,
        "title": article.title,
        "source": article.source,
        "content_hash": article.content_hash,
        "ingested_at": article.ingested_at,
        "text": article.text,
        "sentences": [[s.start, s.end, s.kind.value] for s in article.sentences],
    }


def _article_from_row(row: dict) -> Article:
    text = row["text"]
    sentences = tuple(
        Sentence(index=i, start=start, end=end, text=text[start:end], kind=BlockKind(kind))
        for i, (start, end, kind) in enumerate(row["sentences"])
    )
    return Article(id=row["id"], title=row["title"], text=text, source=row["source"],
                   content_hash=row["content_hash"], sentences=sentences,
                   ingested_at=row.get("ingested_at", ""))


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def _read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _save_npy(path: Path, array: np.ndarray) -> None:
    with path.open("wb") as fh:
        np.save(fh, np.ascontiguousarray(array, dtype=np.float32), allow_pickle=False)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class IndexStore:
    """Reads and writes the generations of one index folder; their search indexes are files in
    each generation (the `faiss` store) or collections in Milvus (`milvus-lite`, a URI)."""

    def __init__(self, path: Path, search_store: str | None = None, hnsw_m: int = 32,
                 hnsw_threshold: int = 50_000) -> None:
        self.path = Path(path)
        #: None: the store the live generation records (so `--store` is given once, when an index
        #: is made or moved), else the local one.
        self.search_store = search_store or self._recorded_store() or LOCAL_STORE
        self.hnsw_m = hnsw_m
        self.hnsw_threshold = hnsw_threshold
        configure_faiss()

    def _recorded_store(self) -> str | None:
        """The store the live generation's manifest names, as a `Settings.store` value."""
        try:
            generation = self.current_generation()
            record = self._manifest(generation).get("store") if generation else None
        except ArticleQAError:
            return None
        if not record or record.get("kind") != "milvus":
            return LOCAL_STORE if record else None
        return str(record.get("where") or "") or None

    @property
    def uses_milvus(self) -> bool:
        """Whether this folder's search indexes are kept in Milvus."""
        return self.search_store != LOCAL_STORE

    @property
    def milvus_uri(self) -> str:
        """Where the Milvus collections live: the Lite database in this folder, or the server."""
        if self.search_store == MILVUS_LITE_STORE:
            return str(self.path / MILVUS_LITE_FILE)
        return self.search_store

    def close(self) -> None:
        """Let go of this process's connection to the Milvus store (a Lite database is then free
        for another process to open); the next read or write reconnects."""
        if self.uses_milvus:
            from .milvus_search import close_client

            close_client(self.milvus_uri)

    def _store_record(self) -> dict[str, str]:
        """What a manifest says of the store holding the generation's search indexes (a server's
        URI without credentials: those come from the environment and are never written)."""
        if not self.uses_milvus:
            return {"kind": LOCAL_STORE}
        return {"kind": "milvus", "where": self.search_store if self.search_store == MILVUS_LITE_STORE
                else redact_uri(self.search_store)}

    def live_store_differs(self) -> bool:
        """Whether the live generation's search indexes are in another store than this one's."""
        try:
            generation = self.current_generation()
            return bool(generation) and (self._manifest(generation).get("store")
                                         or {"kind": LOCAL_STORE}) != self._store_record()
        except ArticleQAError:
            return False

    def _check_store(self, manifest: dict[str, Any], generation: str) -> None:
        """IndexMismatchError when the generation's search indexes are in another store than the
        settings name."""
        stored = manifest.get("store") or {"kind": LOCAL_STORE}
        wanted = self._store_record()
        if stored != wanted:
            where = stored.get("where") or stored.get("kind")
            raise IndexMismatchError(
                f"index generation {generation} keeps its search indexes in {where!r} but the "
                f"settings name {wanted.get('where') or wanted.get('kind')!r}; {REBUILD_HINT} (its "
                f"vectors are reused, nothing is embedded again), or choose `--store {where}` again"
            )

    @property
    def current_file(self) -> Path:
        return self.path / "CURRENT"

    def exists(self) -> bool:
        """Whether a complete generation has been written here."""
        return self.current_file.is_file()

    def is_new(self) -> bool:
        """Whether nothing was ever committed here (no CURRENT, no generation, no article store)."""
        return (not self.current_file.exists() and not self.generations()
                and not (self.path / ARTICLE_STORE).exists())

    def generations(self) -> list[str]:
        """Names of the complete generation folders, newest first."""
        if not self.path.is_dir():
            return []
        return sorted((p.name for p in self.path.glob("gen-*") if p.is_dir()), reverse=True)

    def current_generation(self) -> str | None:
        """Name of the live generation; None only when nothing was ever committed here.

        An empty, unreadable or dangling CURRENT is an IndexCorruptError, never an empty library.
        """
        try:
            name = self.current_file.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            if self.is_new():
                return None
            raise IndexCorruptError(f"the index's CURRENT pointer is missing; {REPAIR_HINT}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise IndexCorruptError(f"the index's CURRENT pointer cannot be read ({exc.__class__.__name__}); "
                                    f"{REPAIR_HINT}") from exc
        if not name or not name.startswith("gen-") or "/" in name:
            raise IndexCorruptError(f"the index's CURRENT pointer is {'empty' if not name else 'garbled'}; "
                                    f"{REPAIR_HINT}")
        if not (self.path / name).is_dir():
            raise IndexCorruptError(f"the index's live generation {name} is missing; {REPAIR_HINT}")
        return name

    @contextlib.contextmanager
    def write_lock(self, timeout_s: float = 900.0) -> Iterator[None]:
        """Hold the folder's writer lock; writers queue behind each other, readers never wait."""
        self.path.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + timeout_s
        with (self.path / ".lock").open("a") as fh:
            while True:
                try:
                    fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EACCES):
                        raise
                    if time.monotonic() > deadline:
                        raise IndexBusyError(
                            f"another articleqa process is writing {self.path}; try again when it "
                            "has finished"
                        ) from exc
                    time.sleep(0.1)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def read(self, expected: ModelFingerprint | None = None,
             split: dict[str, int] | None = None) -> IndexSnapshot | None:
        """Load the live generation; None when nothing was ever committed. Refuses another model's
        index, and (when `split` is given) one whose passages were cut with other settings."""
        generation = self.current_generation()
        if generation is None:
            return None
        return self.read_generation(generation, expected, split)

    def live_problem(self) -> str | None:
        """Why the live generation cannot be read now (cheap: pointer, manifest and file sizes),
        or None when it looks whole. Readiness probes ask this."""
        try:
            generation = self.current_generation()
            if generation is None:
                return None
            damaged = _size_problems(self.path / generation, self._manifest(generation).get("files") or {})
        except IndexCorruptError as exc:
            return str(exc)
        if damaged:
            return f"index generation {generation} is damaged ({damaged[0]}); {REPAIR_HINT}"
        return None

    def live_articles(self) -> list[Article] | None:
        """The live generation's articles alone (no vectors, no model): for listing. None when
        nothing was ever committed here."""
        generation = self.current_generation()
        if generation is None:
            return None
        folder = self.path / generation
        files = self._manifest(generation).get("files") or {}
        damaged = _size_problems(folder, {k: v for k, v in files.items() if k == "articles.jsonl"})
        if damaged:
            raise IndexCorruptError(f"index generation {generation} is damaged ({damaged[0]}); "
                                    f"{REPAIR_HINT}")
        try:
            return [_article_from_row(r) for r in _read_jsonl(folder / "articles.jsonl")]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexCorruptError(f"cannot read the articles of index generation {generation} "
                                    f"({_describe(exc, folder)}); {REPAIR_HINT}") from exc

    def _manifest(self, generation: str) -> dict[str, Any]:
        folder = self.path / generation
        try:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise IndexCorruptError(f"cannot read the manifest of index generation {generation} "
                                    f"({exc.__class__.__name__}); {REPAIR_HINT}") from exc
        if not isinstance(manifest, dict):
            raise IndexCorruptError(f"the manifest of index generation {generation} is damaged; "
                                    f"{REPAIR_HINT}")
        return manifest

    def live_model(self) -> dict[str, Any] | None:
        """The model fingerprint the live generation's manifest records (None when unreadable)."""
        try:
            generation = self.current_generation()
            return self._manifest(generation).get("model") if generation else None
        except ArticleQAError:
            return None

    def read_generation(self, generation: str, expected: ModelFingerprint | None = None,
                        split: dict[str, int] | None = None) -> IndexSnapshot:
        """Load one generation in full (IndexCorruptError when any of its files is damaged)."""
        folder = self.path / generation
        manifest = self._manifest(generation)
        version = manifest.get("format_version")
        if version != FORMAT_VERSION:
            raise IndexMismatchError(
                f"the index has format version {version}, this articleqa reads "
                f"version {FORMAT_VERSION}; {REBUILD_HINT}"
            )
        stored = manifest.get("model", {})
        if expected is not None and expected.differs_only_in_backend(stored):
            raise IndexMismatchError(
                f"the index's vectors were computed by the {stored.get('backend', 'torch')!r} "
                f"embedding backend but the settings use {expected.backend!r} (their vectors differ "
                f"slightly and are never mixed); {REBUILD_HINT}, or choose the index's backend "
                f"again (`--embed-backend` / $ARTICLEQA_EMBED_BACKEND)"
            )
        if expected is not None and stored != expected.as_dict():
            raise IndexMismatchError(
                f"the index was built with model {stored.get('name')!r} "
                f"(dim {stored.get('dimension')}, prompts {stored.get('query_prompt')!r}/"
                f"{stored.get('passage_prompt')!r}) but the settings use {expected.name!r} "
                f"(dim {expected.dimension}); {REBUILD_HINT}, or configure the index's model again"
            )
        stored_split = manifest.get("split") or {}
        if split is not None and stored_split != split:
            raise IndexMismatchError(
                f"the index was cut into passages with "
                f"{stored_split or 'settings older versions did not record'}, but the settings ask "
                f"for {split}; {REBUILD_HINT}, or set the passage settings back"
            )
        self._check_store(manifest, generation)
        damaged = _size_problems(folder, manifest.get("files") or {})
        if damaged:
            raise IndexCorruptError(f"index generation {generation} is damaged ({damaged[0]}); {REPAIR_HINT}")
        faiss_index: faiss.Index | None = None
        lexical: LexicalIndex | None = None
        try:
            articles = [_article_from_row(r) for r in _read_jsonl(folder / "articles.jsonl")]
            rows = _read_jsonl(folder / "passages.jsonl")
            # Memory-mapped: the OS pages in the rows a search touches (generations never change).
            vectors = np.load(folder / "vectors.npy", allow_pickle=False, mmap_mode="r")
            sentence_rows = _read_jsonl(folder / "sentences.jsonl")
            sentence_vectors = np.load(folder / "sentence_vectors.npy", allow_pickle=False,
                                       mmap_mode="r")
            if not self.uses_milvus:
                faiss_index = faiss.read_index(str(folder / "faiss.index"))
                lexical = LexicalIndex.load(folder / "bm25", len(rows))
        except (OSError, ValueError, KeyError, RuntimeError, TypeError) as exc:
            raise IndexCorruptError(f"cannot read index generation {generation} "
                                    f"({_describe(exc, folder)}); {REPAIR_HINT}") from exc
        searchable = faiss_index.ntotal if faiss_index is not None else len(rows)
        problems = _agreement_problems(manifest, articles, rows, vectors, searchable,
                                       sentence_rows, sentence_vectors)
        if problems:
            raise IndexCorruptError(f"index generation {generation} is inconsistent ({problems[0]}); "
                                    f"{REPAIR_HINT}")
        ef_search = int(manifest.get("ef_search", 128))
        if faiss_index is not None and manifest.get("index_type") == "hnsw":
            faiss.downcast_index(faiss_index).hnsw.efSearch = ef_search
        backend = None
        if self.uses_milvus:
            from .milvus_search import MilvusSearch  # pymilvus only when a Milvus store is used

            backend = MilvusSearch.open(self.milvus_uri, generation, len(rows), len(sentence_rows),
                                        ef_search=ef_search)
        embed_keys = [row.pop("embed_key") for row in rows]
        tokens = [row.pop("tokens") for row in rows]
        passages = [Passage(**row) for row in rows]
        return IndexSnapshot(
            articles={a.id: a for a in articles},
            passages=passages,
            embed_keys=embed_keys,
            vectors=vectors,
            fingerprint=stored,
            passage_tokens=tokens,
            sentence_ids=[r["id"] for r in sentence_rows],
            sentence_keys=[r["key"] for r in sentence_rows],
            sentence_vectors=sentence_vectors,
            lexical=lexical,
            index_type=manifest.get("index_type", "flat"),
            generation=generation,
            created_at=manifest.get("created_at", ""),
            faiss_index=faiss_index,
            split=stored_split,
            seq=int(manifest.get("seq", 0)),
            search_backend=backend,
        )

    # ----- the article store and its copies -----
    def article_sources(self) -> list[ArticleSource]:
        """Every intact copy of the library's articles, newest commit first (the article store
        before a generation's copy of the same commit). Damaged copies are left out."""
        found: list[ArticleSource] = []
        store = self._read_article_store()
        if store is not None:
            found.append(store)
        for generation in self.generations():
            try:
                manifest = self._manifest(generation)
                entry = (manifest.get("files") or {}).get("articles.jsonl")
                path = self.path / generation / "articles.jsonl"
                if entry is not None and file_sha256(path) != entry.get("sha256"):
                    continue
                articles = [_article_from_row(r) for r in _read_jsonl(path)]
                # Generations of format 2 recorded no checksums: the count must agree instead.
                if entry is None and len(articles) != (manifest.get("counts") or {}).get("articles"):
                    continue
            except (ArticleQAError, OSError, ValueError, KeyError, TypeError):
                continue
            found.append(ArticleSource(f"generation {generation}", int(manifest.get("seq", 0)),
                                       tuple(articles), generation))
        found.sort(key=lambda source: -source.seq)  # stable: the store stays ahead of its copy
        return found

    def _read_article_store(self) -> ArticleSource | None:
        path = self.path / ARTICLE_STORE
        try:
            with path.open("rb") as fh:
                header = json.loads(fh.readline())
                body = fh.read()
            if not isinstance(header, dict) or header.get(_STORE_HEADER) != 1:
                return None
            if hashlib.sha256(body).hexdigest() != header.get("sha256"):
                return None
            rows = [json.loads(line) for line in body.decode("utf-8").splitlines() if line.strip()]
            articles = tuple(_article_from_row(r) for r in rows)
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if len(articles) != header.get("articles"):
            return None
        return ArticleSource("the article store", int(header.get("seq", 0)), articles,
                             str(header.get("generation", "")))

    def salvage_vectors(self, expected: ModelFingerprint) -> VectorCache:
        """Every vector (and passage tokens) that some generation still holds intact for this
        model, keyed by the text it embeds: a rebuild embeds only what none of them has.

        Why per file pair: when only faiss.index or bm25/ is damaged, all vectors are still good.
        """
        cache = VectorCache()
        for generation in self.generations():
            folder = self.path / generation
            try:
                manifest = self._manifest(generation)
            except IndexCorruptError:
                continue
            files = manifest.get("files") or {}
            if manifest.get("model") != expected.as_dict():
                continue

            def intact(name: str, folder: Path = folder, files: dict = files) -> bool:
                entry = files.get(name)
                path = folder / name
                return bool(entry) and path.is_file() and file_sha256(path) == entry.get("sha256")

            try:
                if intact("passages.jsonl") and intact("vectors.npy"):
                    rows = _read_jsonl(folder / "passages.jsonl")
                    vectors = np.load(folder / "vectors.npy", allow_pickle=False)
                    if len(rows) == len(vectors):
                        cache.add_passages([r["embed_key"] for r in rows], [r["tokens"] for r in rows],
                                           vectors)
                if intact("sentences.jsonl") and intact("sentence_vectors.npy"):
                    rows = _read_jsonl(folder / "sentences.jsonl")
                    vectors = np.load(folder / "sentence_vectors.npy", allow_pickle=False)
                    if len(rows) == len(vectors):
                        cache.add_sentences([r["key"] for r in rows], vectors)
            except (OSError, ValueError, KeyError, TypeError):
                continue
        return cache

    def heal_article_store(self, snapshot: IndexSnapshot) -> bool:
        """Rewrite a missing or stale article store from the live generation's verified articles.
        Hold the lock. Returns whether it was rewritten."""
        if self._store_seq() >= snapshot.seq:
            return False  # only the header is read here: verifying it in full is `check`'s job
        files = self._manifest(snapshot.generation).get("files") or {}
        path = self.path / snapshot.generation / "articles.jsonl"
        if file_sha256(path) != (files.get("articles.jsonl") or {}).get("sha256"):
            return False  # the generation's copy is not intact either: that is doctor's job
        self._write_article_store(_read_jsonl(path), snapshot.seq, snapshot.generation)
        log.warning("rewrote the missing or stale article store from generation %s", snapshot.generation)
        return True

    def check(self, expected: ModelFingerprint | None = None) -> IndexCheck:
        """Verify every generation in full (checksums, counts, vectors against articles) and the
        article store; says which intact copy of the articles is the newest."""
        check = IndexCheck()
        try:
            check.live = self.current_generation()
        except IndexCorruptError as exc:
            check.problems.append(str(exc).split(";")[0])
        for generation in self.generations():
            problems = self._generation_problems(generation, expected)
            check.generations[generation] = problems
            if generation == check.live and problems:
                check.problems.append(f"live generation {generation}: {problems[0]}")
        sources = self.article_sources()
        check.sources = sources
        store = next((s for s in sources if s.name == "the article store"), None)
        if store is None and not self.is_new():
            check.problems.append(f"the article store {ARTICLE_STORE} is missing or damaged")
        if sources and check.live and sources[0].seq > self._seq_of(check.live):
            check.problems.append(f"the live generation is older than {sources[0].name}")
        return check

    def _seq_of(self, generation: str) -> int:
        try:
            return int(self._manifest(generation).get("seq", 0))
        except IndexCorruptError:
            return -1

    def _generation_problems(self, generation: str, expected: ModelFingerprint | None) -> list[str]:
        folder = self.path / generation
        try:
            manifest = self._manifest(generation)
        except IndexCorruptError:
            return ["manifest.json missing or damaged"]
        problems = []
        for name, entry in sorted((manifest.get("files") or {}).items()):
            path = folder / name
            if not path.is_file():
                problems.append(f"{name} missing")
            elif path.stat().st_size != entry.get("bytes") or file_sha256(path) != entry.get("sha256"):
                problems.append(f"{name} damaged (checksum)")
        if problems:
            return problems
        try:
            self.read_generation(generation, expected)
        except (IndexCorruptError, IndexMismatchError) as exc:
            problems.append(str(exc).split(";")[0])
        return problems

    def next_seq(self) -> int:
        """The sequence number of the next commit: one past any this folder has seen."""
        return max([self._store_seq(), *(self._seq_of(g) for g in self.generations())]) + 1

    def _store_seq(self) -> int:
        """The commit the article store's header names (-1 when missing or unreadable); reads
        the header line only, so it is cheap however large the library."""
        try:
            with (self.path / ARTICLE_STORE).open("rb") as fh:
                line = fh.readline()
                header = json.loads(line)
                size = os.fstat(fh.fileno()).st_size - len(line)
            if header.get(_STORE_HEADER) != 1 or header.get("bytes") != size:
                return -1  # another format, or truncated
            return int(header["seq"])
        except (OSError, ValueError, AttributeError, TypeError, KeyError):
            return -1

    def write(self, snapshot: IndexSnapshot, ef_search: int) -> str:
        """Write a new generation, the article store, and make them live atomically; returns the
        generation's name. Hold the lock."""
        self.path.mkdir(parents=True, exist_ok=True)
        seq = self.next_seq()
        name = f"gen-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}"
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-gen-", dir=self.path))
        article_rows = [_article_row(a) for a in snapshot.articles.values()]
        sentence_vectors = snapshot.sentence_vectors
        if sentence_vectors is None:
            sentence_vectors = np.zeros((0, snapshot.vectors.shape[1]), dtype=np.float32)
        backend = None
        try:
            _write_jsonl(tmp / "articles.jsonl", article_rows)
            _write_jsonl(tmp / "passages.jsonl",
                         [asdict(p) | {"embed_key": key, "tokens": tokens}
                          for p, key, tokens in zip(snapshot.passages, snapshot.embed_keys,
                                                    snapshot.passage_tokens, strict=True)])
            _write_jsonl(tmp / "sentences.jsonl",
                         [{"id": sid, "key": key}
                          for sid, key in zip(snapshot.sentence_ids, snapshot.sentence_keys,
                                              strict=True)])
            _save_npy(tmp / "vectors.npy", snapshot.vectors)
            _save_npy(tmp / "sentence_vectors.npy", sentence_vectors)
            if self.uses_milvus:
                from .milvus_search import MilvusSearch

                # Built and flushed under the generation's name before the generation exists: a
                # kill before CURRENT names it leaves only collections the next commit drops.
                backend = MilvusSearch.build(self.milvus_uri, name, snapshot.vectors,
                                             snapshot.passage_tokens, sentence_vectors,
                                             hnsw_m=self.hnsw_m, ef_search=ef_search,
                                             approximate_above=self.hnsw_threshold)
            else:
                assert snapshot.faiss_index is not None and snapshot.lexical is not None
                faiss.write_index(snapshot.faiss_index, str(tmp / "faiss.index"))
                snapshot.lexical.save(tmp / "bm25")
                for path in (tmp / "bm25").rglob("*"):
                    if path.is_file():
                        _fsync_file(path)
                _fsync_file(tmp / "faiss.index")
            manifest = {
                "format_version": FORMAT_VERSION,
                "app_version": app_version(),
                "seq": seq,
                "model": snapshot.fingerprint,
                "split": snapshot.split,
                "store": self._store_record(),
                "index_type": backend.index_type if backend is not None else snapshot.index_type,
                "ef_search": ef_search,
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "counts": {
                    "articles": len(snapshot.articles),
                    "passages": len(snapshot.passages),
                    "sentences": snapshot.sentence_count,
                },
                "files": {str(path.relative_to(tmp)): {"bytes": path.stat().st_size,
                                                      "sha256": file_sha256(path)}
                          for path in sorted(tmp.rglob("*")) if path.is_file()},
            }
            _write_text(tmp / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
            for folder in (tmp / "bm25", tmp):
                if folder.is_dir():
                    _fsync_dir(folder)
            os.rename(tmp, self.path / name)
            _fsync_dir(self.path)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            if backend is not None:
                with contextlib.suppress(Exception):
                    backend.drop()
            raise
        self._write_article_store(article_rows, seq, name)
        _write_text(self.path / ".CURRENT.tmp", name + "\n")
        os.replace(self.path / ".CURRENT.tmp", self.current_file)
        _fsync_dir(self.path)
        self._collect_garbage(keep=name)
        log.info("wrote index generation %s (%d articles, %d passages)", name,
                 len(snapshot.articles), len(snapshot.passages))
        snapshot.seq = seq
        snapshot.search_backend = backend
        if backend is not None:
            snapshot.index_type = backend.index_type
        snapshot.__dict__.pop("search_index", None)  # the cached view of the store, if any
        return name

    def _write_article_store(self, rows: list[dict], seq: int, generation: str) -> None:
        body = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8")
        header = {_STORE_HEADER: 1, "seq": seq, "generation": generation, "articles": len(rows),
                  "bytes": len(body), "sha256": hashlib.sha256(body).hexdigest()}
        tmp = self.path / f".{ARTICLE_STORE}.tmp"
        with tmp.open("wb") as fh:
            fh.write(json.dumps(header).encode("utf-8") + b"\n")
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path / ARTICLE_STORE)

    def point_at(self, generation: str) -> None:
        """Make an existing, intact generation live (repair). Hold the lock."""
        _write_text(self.path / ".CURRENT.tmp", generation + "\n")
        os.replace(self.path / ".CURRENT.tmp", self.current_file)
        _fsync_dir(self.path)

    def _collect_garbage(self, keep: str) -> None:
        """Drop abandoned temp folders and all but the newest generations."""
        for tmp in self.path.glob(".tmp-gen-*"):
            shutil.rmtree(tmp, ignore_errors=True)
        for old in self.generations()[KEEP_GENERATIONS:]:
            if old != keep:
                shutil.rmtree(self.path / old, ignore_errors=True)
        if self.uses_milvus:
            from .milvus_search import MilvusSearch

            try:  # collections of dropped generations, and of builds a kill interrupted
                MilvusSearch.drop_others(self.milvus_uri, keep={keep, *self.generations()})
            except ArticleQAError as exc:
                log.warning("could not drop old search collections: %s", exc)


@dataclass
class VectorCache:
    """Vectors salvaged from intact files, in the shape `Library._build` reuses them."""

    embed_keys: list[str] = field(default_factory=list)
    passage_tokens: list[list[str]] = field(default_factory=list)
    vectors: np.ndarray | None = None
    sentence_keys: list[str] = field(default_factory=list)
    sentence_vectors: np.ndarray | None = None

    def add_passages(self, keys: list[str], tokens: list[list[str]], vectors: np.ndarray) -> None:
        """Add passage vectors (keys already present are kept as they are)."""
        self.embed_keys += keys
        self.passage_tokens += tokens
        self.vectors = vectors if self.vectors is None else np.concatenate([self.vectors, vectors])

    def add_sentences(self, keys: list[str], vectors: np.ndarray) -> None:
        """Add sentence vectors."""
        self.sentence_keys += keys
        self.sentence_vectors = (vectors if self.sentence_vectors is None
                                 else np.concatenate([self.sentence_vectors, vectors]))


@dataclass(frozen=True)
class ArticleSource:
    """One intact copy of the library's articles: where it is, and the commit it records."""

    name: str
    seq: int
    articles: tuple[Article, ...]
    generation: str = ""


@dataclass
class IndexCheck:
    """What `IndexStore.check` found."""

    live: str | None = None
    problems: list[str] = field(default_factory=list)
    generations: dict[str, list[str]] = field(default_factory=dict)
    sources: list[ArticleSource] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        """Whether the live generation and the article store are intact and agree."""
        return not self.problems


def _size_problems(folder: Path, files: dict[str, Any]) -> list[str]:
    """Files of a generation that are missing or not the size its manifest recorded (cheap: run
    at every load; the checksums are verified by `IndexStore.check`)."""
    problems = []
    for name, entry in sorted(files.items()):
        try:
            size = (folder / name).stat().st_size
        except OSError:
            problems.append(f"{name} is missing")
            continue
        if size != entry.get("bytes"):
            problems.append(f"{name} has {size} bytes, {entry.get('bytes')} were written")
    return problems


def _agreement_problems(manifest: dict[str, Any], articles: list[Article], rows: list[dict],
                        vectors: np.ndarray, faiss_total: int, sentence_rows: list[dict],
                        sentence_vectors: np.ndarray) -> list[str]:
    """Counts that disagree between the manifest, the articles and the vectors derived from them."""
    problems = []
    counts = manifest.get("counts") or {}
    if counts.get("articles", len(articles)) != len(articles):
        problems.append(f"{len(articles)} articles, the manifest says {counts.get('articles')}")
    if not len(rows) == len(vectors) == faiss_total:
        problems.append(f"{len(rows)} passages, {len(vectors)} vectors, {faiss_total} in FAISS")
    if len(sentence_rows) != len(sentence_vectors):
        problems.append(f"{len(sentence_rows)} sentences, {len(sentence_vectors)} sentence vectors")
    ids = {a.id for a in articles}
    if any(row.get("article_id") not in ids for row in rows):
        problems.append("passages of articles the generation does not hold")
    if sum(len(a.sentences) for a in articles) != len(sentence_rows):
        problems.append("sentence vectors do not match the articles' sentences")
    return problems


def _describe(exc: BaseException, folder: Path) -> str:
    """An exception as a short reason with no filesystem path in it."""
    text = str(exc).replace(str(folder), "").replace(str(folder.parent), "")
    return f"{exc.__class__.__name__}: {text.strip(' :/')[:160]}"


def _write_text(path: Path, text: str) -> None:
    with path.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
