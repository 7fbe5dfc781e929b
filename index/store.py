"""The index folder on disk: generations written atomically, a manifest, and a writer lock.

Layout of an index folder:
    CURRENT            name of the live generation (replaced atomically)
    .lock              held by the one writer at a time
    gen-<stamp>/       manifest.json, articles.jsonl, passages.jsonl (with tokens), vectors.npy,
                       faiss.index, sentences.jsonl, sentence_vectors.npy, bm25/
A writer builds a complete generation in a temporary folder, renames it into place and only then
switches CURRENT, so a reader (or a process restarted after a kill) always sees a whole index.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
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

import faiss
import numpy as np

from .embed import ModelFingerprint
from .errors import IndexBusyError, IndexCorruptError, IndexMismatchError
from .lexical import LexicalIndex
from .records import Article, BlockKind, Passage, Sentence

log = logging.getLogger(__name__)

FORMAT_VERSION = 2
KEEP_GENERATIONS = 2
REBUILD_HINT = ("rebuild it from the articles it holds with `articleqa ingest --rebuild` "
                "(or with other files: `articleqa ingest --rebuild PATH...`)")


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

    def __post_init__(self) -> None:
        self._passage_pos = {p.id: i for i, p in enumerate(self.passages)}
        self._sentence_pos = {sid: i for i, sid in enumerate(self.sentence_ids)}

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
        """Inner-product search: (scores, passage positions), -1 where fewer than k exist."""
        if self.faiss_index is None or not self.passages:
            n = query_vectors.shape[0]
            return np.zeros((n, 0), dtype=np.float32), np.zeros((n, 0), dtype=np.int64)
        k = min(k, len(self.passages))
        return self.faiss_index.search(np.ascontiguousarray(query_vectors, dtype=np.float32), k)


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
    """Reads and writes the generations of one index folder."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        configure_faiss()

    @property
    def current_file(self) -> Path:
        return self.path / "CURRENT"

    def exists(self) -> bool:
        """Whether a complete generation has been written here."""
        return self.current_file.is_file()

    def current_generation(self) -> str | None:
        """Name of the live generation, or None when the folder holds no index yet."""
        try:
            name = self.current_file.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return name or None

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
        """Load the live generation; None when there is none. Refuses another model's index, and
        (when `split` is given) one whose passages were cut with other settings."""
        generation = self.current_generation()
        if generation is None:
            return None
        folder = self.path / generation
        try:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise IndexCorruptError(f"cannot read the index manifest in {folder}: {exc}; "
                                    f"{REBUILD_HINT}") from exc
        version = manifest.get("format_version")
        if version != FORMAT_VERSION:
            raise IndexMismatchError(
                f"the index in {self.path} has format version {version}, this articleqa reads "
                f"version {FORMAT_VERSION}; {REBUILD_HINT}"
            )
        stored = manifest.get("model", {})
        if expected is not None and stored != expected.as_dict():
            raise IndexMismatchError(
                f"the index in {self.path} was built with model {stored.get('name')!r} "
                f"(dim {stored.get('dimension')}, prompts {stored.get('query_prompt')!r}/"
                f"{stored.get('passage_prompt')!r}) but the settings use {expected.name!r} "
                f"(dim {expected.dimension}); {REBUILD_HINT}, or configure the index's model again"
            )
        stored_split = manifest.get("split") or {}
        if split is not None and stored_split != split:
            raise IndexMismatchError(
                f"the index in {self.path} was cut into passages with "
                f"{stored_split or 'settings older versions did not record'}, but the settings ask "
                f"for {split}; {REBUILD_HINT}, or set the passage settings back"
            )
        try:
            articles = [_article_from_row(r) for r in _read_jsonl(folder / "articles.jsonl")]
            rows = _read_jsonl(folder / "passages.jsonl")
            vectors = np.load(folder / "vectors.npy", allow_pickle=False)
            faiss_index = faiss.read_index(str(folder / "faiss.index"))
            sentence_rows = _read_jsonl(folder / "sentences.jsonl")
            sentence_vectors = np.load(folder / "sentence_vectors.npy", allow_pickle=False)
            lexical = LexicalIndex.load(folder / "bm25", len(rows))
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise IndexCorruptError(f"cannot read the index in {folder}: {exc}; "
                                    f"{REBUILD_HINT}") from exc
        if len(rows) != len(vectors) or faiss_index.ntotal != len(rows):
            raise IndexCorruptError(f"the index in {folder} is inconsistent ({len(rows)} passages,"
                                    f" {len(vectors)} vectors); {REBUILD_HINT}")
        if manifest.get("index_type") == "hnsw":
            faiss.downcast_index(faiss_index).hnsw.efSearch = int(manifest.get("ef_search", 128))
        if len(sentence_rows) != len(sentence_vectors):
            raise IndexCorruptError(f"the index in {folder} is inconsistent (sentence vectors); "
                                    f"{REBUILD_HINT}")
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
        )

    def write(self, snapshot: IndexSnapshot, ef_search: int) -> str:
        """Write a new generation and make it live atomically; returns its name. Hold the lock."""
        self.path.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-gen-", dir=self.path))
        try:
            _write_jsonl(tmp / "articles.jsonl",
                         [_article_row(a) for a in snapshot.articles.values()])
            _write_jsonl(tmp / "passages.jsonl",
                         [asdict(p) | {"embed_key": key, "tokens": tokens}
                          for p, key, tokens in zip(snapshot.passages, snapshot.embed_keys,
                                                    snapshot.passage_tokens, strict=True)])
            _write_jsonl(tmp / "sentences.jsonl",
                         [{"id": sid, "key": key}
                          for sid, key in zip(snapshot.sentence_ids, snapshot.sentence_keys,
                                              strict=True)])
            _save_npy(tmp / "vectors.npy", snapshot.vectors)
            sentence_vectors = snapshot.sentence_vectors
            if sentence_vectors is None:
                sentence_vectors = np.zeros((0, snapshot.vectors.shape[1]), dtype=np.float32)
            _save_npy(tmp / "sentence_vectors.npy", sentence_vectors)
            assert snapshot.faiss_index is not None and snapshot.lexical is not None
            faiss.write_index(snapshot.faiss_index, str(tmp / "faiss.index"))
            snapshot.lexical.save(tmp / "bm25")
            manifest = {
                "format_version": FORMAT_VERSION,
                "app_version": app_version(),
                "model": snapshot.fingerprint,
                "split": snapshot.split,
                "index_type": snapshot.index_type,
                "ef_search": ef_search,
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "counts": {
                    "articles": len(snapshot.articles),
                    "passages": len(snapshot.passages),
                    "sentences": snapshot.sentence_count,
                },
            }
            (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2),
                                               encoding="utf-8")
            _fsync_dir(tmp)
            name = f"gen-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}"
            os.rename(tmp, self.path / name)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        pointer = self.path / ".CURRENT.tmp"
        with pointer.open("w", encoding="utf-8") as fh:
            fh.write(name + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(pointer, self.current_file)
        _fsync_dir(self.path)
        self._collect_garbage(keep=name)
        log.info("wrote index generation %s (%d articles, %d passages)", name,
                 len(snapshot.articles), len(snapshot.passages))
        return name

    def _collect_garbage(self, keep: str) -> None:
        """Drop abandoned temp folders and all but the newest generations."""
        for tmp in self.path.glob(".tmp-gen-*"):
            shutil.rmtree(tmp, ignore_errors=True)
        generations = sorted(p.name for p in self.path.glob("gen-*") if p.is_dir())
        for old in generations[:-KEEP_GENERATIONS]:
            if old != keep:
                shutil.rmtree(self.path / old, ignore_errors=True)
