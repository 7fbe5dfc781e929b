"""One generation's search indexes in Milvus: Milvus Lite (a database file, embedded) or a server.

Each generation gets two collections named after it: `<name>_passages` (the passage vector under
an inner-product index, and its BM25 weights as a sparse vector under SPARSE_INVERTED_INDEX) and
`<name>_sentences` (sentence vectors, fetched by row). The passage vector's index is HNSW on a
Milvus server; Milvus Lite (the native engine of `milvus-lite` 2.5, a child process of ours) builds
only FLAT and IVF_FLAT, so a Lite library is searched exactly (FLAT) up to the size where the local
store turns to HNSW, and by IVF_FLAT above it (`dense_index`). BM25 is computed here, over the same
OpenCC-Simplified jieba tokens as the local store and with bm25s's formula, so both stores score
alike: Milvus's own full-text BM25 keeps its statistics per segment, which would make scores depend
on how the data happened to be segmented.

A generation is written under its final name before the index folder names it (index.store), and
flushed: a process killed while building leaves collections no generation names, which the next
commit drops (`drop_others`).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import hashlib
import logging
import math
import os
import threading
from collections import Counter
from collections.abc import Collection, Iterator
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from .errors import ConfigError, IndexBusyError, IndexCorruptError
from .search import redact_uri
from .text import quiet_pkg_resources

log = logging.getLogger(__name__)

PREFIX = "aqa_"
_PASSAGES, _SENTENCES = "_passages", "_sentences"
_INSERT_ROWS = 2000
_FETCH_ROWS = 1000
#: Token ids are a 31-bit hash of the token; this id (outside that range) gives a passage without
#: tokens the one non-zero weight Milvus requires of a sparse vector, and no query ever holds it.
_NO_TOKENS_ID = 2**31 + 1
_REPAIR = "run `articleqa doctor` to rebuild it from the articles (every article is kept)"


def dense_index(uri: str, rows: int, approximate_above: int, hnsw_m: int) -> tuple[str, dict]:
    """The passage vectors' index for `rows` rows: (Milvus index type, build params). A server
    gets HNSW; Lite, which builds only FLAT and IVF_FLAT, gets FLAT (exact, and at this size as
    fast as HNSW) up to `approximate_above` rows and IVF_FLAT above, with about 4 √n lists."""
    if not _is_lite(uri):
        return "HNSW", {"M": hnsw_m, "efConstruction": max(40, 2 * hnsw_m)}
    if rows <= approximate_above:
        return "FLAT", {}
    return "IVF_FLAT", {"nlist": max(64, min(16_384, round(4 * math.sqrt(rows))))}


def search_params(index_type: str, build_params: dict, ef_search: int, k: int) -> dict:
    """Search parameters for a dense index: HNSW's `ef` at least k; IVF_FLAT probes a sixteenth
    of its lists (the retriever re-scores the candidates exactly, so only who makes the list of
    candidates is approximate); FLAT needs none."""
    if index_type == "HNSW":
        return {"ef": max(ef_search, k)}
    if index_type == "IVF_FLAT":
        return {"nprobe": max(8, int(build_params.get("nlist", 128)) // 16)}
    return {}


def token_id(token: str) -> int:
    """A stable 31-bit id for a token (no vocabulary to store: a query hashes its tokens alike)."""
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=4).digest(), "little") >> 1


def bm25_sparse(passage_tokens: list[list[str]], k1: float = 1.2, b: float = 0.75
                ) -> list[dict[int, float]]:
    """Per passage, token id -> BM25 weight, so that a query's inner product with it (each query
    token counted as often as it occurs) is the passage's BM25 score as bm25s computes it
    (its default "lucene" variant: idf = ln(1 + (N - df + 0.5) / (df + 0.5)))."""
    n = len(passage_tokens)
    if not n:
        return []
    frequency: Counter[str] = Counter()
    for tokens in passage_tokens:
        frequency.update(set(tokens))
    average = sum(len(t) for t in passage_tokens) / n or 1.0
    idf = {t: math.log(1 + (n - df + 0.5) / (df + 0.5)) for t, df in frequency.items()}
    rows = []
    for tokens in passage_tokens:
        norm = k1 * (1 - b + b * len(tokens) / average)
        weights: dict[int, float] = {}
        for token, tf in Counter(tokens).items():
            weight = idf[token] * tf / (tf + norm)
            if weight > 0:
                key = token_id(token)
                weights[key] = weights.get(key, 0.0) + weight
        rows.append(weights or {_NO_TOKENS_ID: 1e-9})
    return rows


def query_sparse(tokens: list[str]) -> dict[int, float]:
    """A query's sparse vector: each token's id, weighted by how often the query holds it."""
    weights: dict[int, float] = {}
    for token in tokens:
        key = token_id(token)
        weights[key] = weights.get(key, 0.0) + 1.0
    return weights


def collection_base(generation: str) -> str:
    """The collection-name stem of a generation (Milvus names allow letters, digits and `_`)."""
    return PREFIX + "".join(ch if ch.isalnum() else "_" for ch in generation)


def _is_lite(uri: str) -> bool:
    return not uri.startswith(("http://", "https://", "milvus://", "tcp://"))


_clients: dict[str, object] = {}
_clients_lock = threading.Lock()


def _client_key(uri: str) -> str:
    """One key per database: a Lite file by its resolved path, however it was spelled."""
    return str(Path(uri).resolve()) if _is_lite(uri) else uri


def open_client(uri: str):  # -> pymilvus.MilvusClient
    """One client per URI per process (a Lite database admits one process; its threads share it).
    A server's credentials come from $ARTICLEQA_MILVUS_TOKEN or $ARTICLEQA_MILVUS_USER and
    $ARTICLEQA_MILVUS_PASSWORD, and never appear in messages."""
    uri = _client_key(uri)
    with _clients_lock:
        client = _clients.get(uri)
        if client is not None:
            return client
        try:
            from pymilvus import MilvusClient
        except ImportError as exc:
            raise ConfigError(f"the Milvus store needs pymilvus and milvus-lite ({exc}); install "
                              "them, or choose `--store faiss`") from exc
        kwargs: dict[str, str] = {}
        if _is_lite(uri):
            Path(uri).parent.mkdir(parents=True, exist_ok=True)
            _move_aside_folder_database(Path(uri))
            _check_lite_unlocked(uri)
            _import_milvus_lite()
            address = uri
        else:
            address = "http://" + uri[len("milvus://"):] if uri.startswith("milvus://") else uri
            if os.environ.get("ARTICLEQA_MILVUS_TOKEN"):
                kwargs["token"] = os.environ["ARTICLEQA_MILVUS_TOKEN"]
            elif os.environ.get("ARTICLEQA_MILVUS_USER"):
                kwargs["user"] = os.environ["ARTICLEQA_MILVUS_USER"]
                kwargs["password"] = os.environ.get("ARTICLEQA_MILVUS_PASSWORD", "")
        try:
            with _lite_logs_beside(uri):
                client = MilvusClient(uri=address, **kwargs)
        except Exception as exc:  # pymilvus and milvus-lite raise many types
            if _is_lite(uri):
                _check_lite_unlocked(uri)  # lost a race with another process
            raise ConfigError(f"cannot connect to the Milvus store at {redact_uri(address)} "
                              f"({type(exc).__name__}); check that it runs and the credentials "
                              "in $ARTICLEQA_MILVUS_TOKEN / $ARTICLEQA_MILVUS_USER") from None
        _clients[uri] = client
        return client


#: glog's flag for its log folder, as an environment variable (the flag name is case-sensitive).
_GLOG_LOG_DIR = "GLOG_log_dir"


@contextlib.contextmanager
def _lite_logs_beside(uri: str) -> Iterator[None]:
    """While a Milvus Lite server starts, point its log files (glog's `milvus.*.log.*`, two per
    start) at a `milvus-logs` folder beside the database instead of /tmp, where they would pile up
    with every start. A `GLOG_log_dir` the user set wins; a server URI is left alone."""
    if not _is_lite(uri) or _GLOG_LOG_DIR in os.environ:
        yield
        return
    logs = Path(uri).parent / "milvus-logs"
    logs.mkdir(parents=True, exist_ok=True)
    os.environ[_GLOG_LOG_DIR] = str(logs)  # read by the server process the client spawns
    try:
        yield
    finally:
        os.environ.pop(_GLOG_LOG_DIR, None)


def _move_aside_folder_database(path: Path) -> None:
    """A folder where the Lite database file belongs is a database of milvus-lite 3 (a pure-Python
    engine this project used before), which the native engine cannot open. Its collections are
    derived state (the index folder holds the articles and their vectors), so it is moved aside,
    never deleted, and the open that follows finds no collections and advises `articleqa doctor`,
    which rebuilds them from the folder without embedding anything."""
    if not path.is_dir():
        return
    aside = path.with_name(path.name + ".milvus-lite-3")
    n = 1
    while aside.exists():
        n += 1
        aside = path.with_name(f"{path.name}.milvus-lite-3.{n}")
    path.rename(aside)
    log.warning("%s is a milvus-lite 3 database (a folder), which this Milvus Lite cannot read: "
                "moved aside to %s; `articleqa doctor` rebuilds its collections", path, aside.name)


def _import_milvus_lite() -> None:
    """Import milvus-lite (native Milvus Lite) quietly: it reads its own version through
    setuptools' `pkg_resources` at import time."""
    with quiet_pkg_resources():
        try:
            import milvus_lite  # noqa: F401
        except ImportError as exc:
            raise ConfigError(f"the Milvus Lite store needs milvus-lite ({exc}); install it, or "
                              "choose `--store faiss`") from exc


def _check_lite_unlocked(uri: str) -> None:
    """IndexBusyError when another process has the Lite database open: its Milvus Lite server
    holds a POSIX lock on `.<db>.lock` beside the file. Called only while this process has no
    client of `uri` (closing a POSIX-locked file would drop this process's own lock)."""
    path = Path(uri)
    lock = path.parent / f".{path.name}.lock"
    if not lock.is_file():
        return
    with lock.open("ab") as fh:
        try:
            fcntl.lockf(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EACCES, errno.EAGAIN):
                raise
            raise IndexBusyError(
                f"the Milvus Lite database {uri} is open in another articleqa process (usually the "
                "server); add articles through that server (POST /v1/articles or the chat page), "
                "or stop it first") from None
        fcntl.lockf(fh.fileno(), fcntl.LOCK_UN)


def close_client(uri: str) -> None:
    """Close this process's client of `uri`; for a Lite database also stop its in-process server,
    which frees the database for another process."""
    uri = _client_key(uri)
    with _clients_lock:
        client = _clients.pop(uri, None)
    if client is None:
        return
    with contextlib.suppress(Exception):
        client.close()  # type: ignore[attr-defined]
    if _is_lite(uri):
        with contextlib.suppress(Exception):
            from milvus_lite.server_manager import server_manager_instance

            server_manager_instance.release_server(uri)


class MilvusSearch:
    """One generation's dense and lexical candidate search, in Milvus (index.search.SearchIndex)."""

    kind = "milvus"

    def __init__(self, uri: str, base: str, passages: int, sentences: int, ef_search: int,
                 index_type: str, build_params: dict) -> None:
        self.uri = uri
        self.base = base
        self.passages = passages
        self.sentences = sentences
        self.ef_search = ef_search
        self.dense_index_type = index_type
        self.dense_build_params = build_params

    @property
    def index_type(self) -> str:
        """How the passage vectors are searched, as the manifest records it (`milvus-hnsw`,
        `milvus-flat`, `milvus-ivf_flat`)."""
        return "milvus-" + self.dense_index_type.lower()

    @functools.cached_property
    def _client(self):
        return open_client(self.uri)

    @classmethod
    def build(cls, uri: str, name: str, passage_vectors: np.ndarray, passage_tokens: list[list[str]],
              sentence_vectors: np.ndarray, *, hnsw_m: int = 32, ef_search: int = 128,
              approximate_above: int = 50_000, k1: float = 1.2, b: float = 0.75,
              progress: bool = False) -> MilvusSearch:
        """Write a generation's collections (dropping any half-built ones of that name), flush
        and load them."""
        from pymilvus import DataType

        client = open_client(uri)
        base = collection_base(name)
        dim = int(passage_vectors.shape[1])
        for suffix in (_PASSAGES, _SENTENCES):
            if client.has_collection(base + suffix):
                client.drop_collection(base + suffix)
        log.info("building Milvus collections %s* (%d passages, %d sentences)", base,
                 len(passage_vectors), len(sentence_vectors))
        sparse = bm25_sparse(passage_tokens, k1, b)
        index_type, build_params = dense_index(uri, len(passage_vectors), approximate_above, hnsw_m)
        for suffix, vectors in ((_PASSAGES, passage_vectors), (_SENTENCES, sentence_vectors)):
            schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
            schema.add_field("pos", DataType.INT64, is_primary=True)
            schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
            index = client.prepare_index_params()
            if suffix == _PASSAGES:
                schema.add_field("bm25", DataType.SPARSE_FLOAT_VECTOR)
                index.add_index(field_name="vector", index_type=index_type, metric_type="IP",
                                params=build_params)
                index.add_index(field_name="bm25", index_type="SPARSE_INVERTED_INDEX",
                                metric_type="IP")
            else:  # fetched by row only; Milvus wants an index on every vector field
                index.add_index(field_name="vector", index_type="FLAT", metric_type="IP")
            client.create_collection(base + suffix, schema=schema)
            with tqdm(total=len(vectors), desc=f"milvus {suffix[1:]}", unit="row",
                      disable=not progress) as bar:
                for start in range(0, len(vectors), _INSERT_ROWS):
                    stop = min(start + _INSERT_ROWS, len(vectors))
                    rows = [{"pos": i, "vector": vectors[i].tolist()} for i in range(start, stop)]
                    if suffix == _PASSAGES:
                        for row in rows:
                            row["bm25"] = sparse[row["pos"]]
                    client.insert(base + suffix, rows)
                    bar.update(stop - start)
            client.flush(base + suffix)
            # Indexed after the rows are in (one build, not one per segment); loading waits for
            # the build. sync=False: the synchronous wait polls every 0.5 s with a call Lite lacks.
            client.create_index(base + suffix, index, sync=False)
            client.load_collection(base + suffix)
        return cls(uri, base, len(passage_vectors), len(sentence_vectors), ef_search, index_type,
                   build_params)

    @classmethod
    def open(cls, uri: str, name: str, passages: int, sentences: int,
             ef_search: int = 128) -> MilvusSearch:
        """Attach to a built generation; IndexCorruptError when a collection is missing or holds
        another number of rows than the generation's passages or sentences."""
        client = open_client(uri)
        base = collection_base(name)
        for suffix, expected in ((_PASSAGES, passages), (_SENTENCES, sentences)):
            if not client.has_collection(base + suffix):
                raise IndexCorruptError(f"the Milvus store at {redact_uri(uri)} has no collection "
                                        f"{base + suffix} for index generation {name}; {_REPAIR}")
            count = int(client.get_collection_stats(base + suffix).get("row_count", -1))
            if count != expected:
                raise IndexCorruptError(f"the Milvus collection {base + suffix} holds {count} rows, "
                                        f"index generation {name} has {expected}; {_REPAIR}")
            client.load_collection(base + suffix)
        built = client.describe_index(base + _PASSAGES, index_name="vector") or {}
        index_type = str(built.get("index_type", "HNSW")).upper()
        return cls(uri, base, passages, sentences, ef_search, index_type, built)

    def _search(self, field: str, query: object, k: int, params: dict) -> tuple[np.ndarray, np.ndarray]:
        k = min(k, self.passages)
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        found = self._client.search(self.base + _PASSAGES, data=[query], anns_field=field, limit=k,
                                    search_params={"metric_type": "IP", "params": params},
                                    output_fields=["pos"])[0]
        positions = np.array([hit["pos"] for hit in found], dtype=np.int64)
        scores = np.array([hit["distance"] for hit in found], dtype=np.float32)
        return positions, scores

    def dense(self, query_vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k passages by inner product (HNSW with `ef` at least k; FLAT; or IVF_FLAT)."""
        vector = np.asarray(query_vector, dtype=np.float32).ravel().tolist()
        params = search_params(self.dense_index_type, self.dense_build_params, self.ef_search, k)
        return self._search("vector", vector, k, params)

    def lexical(self, tokens: list[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k passages by BM25 (only those sharing a token with the query)."""
        query = query_sparse(tokens)
        if not query:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        positions, scores = self._search("bm25", query, k, {})
        keep = scores > 1e-6  # the no-token placeholder never scores
        return positions[keep], scores[keep]

    def _vectors(self, suffix: str, rows: np.ndarray) -> np.ndarray:
        wanted = [int(r) for r in rows]
        found: dict[int, list[float]] = {}
        for start in range(0, len(wanted), _FETCH_ROWS):
            for hit in self._client.get(self.base + suffix, ids=wanted[start:start + _FETCH_ROWS],
                                        output_fields=["vector"]):
                found[int(hit["pos"])] = hit["vector"]
        missing = [r for r in wanted if r not in found]
        if missing:
            raise IndexCorruptError(f"the Milvus collection {self.base + suffix} lacks row "
                                    f"{missing[0]}; {_REPAIR}")
        return np.array([found[r] for r in wanted], dtype=np.float32).reshape(len(wanted), -1)

    def passage_vectors(self, positions: np.ndarray) -> np.ndarray:
        """Passage vectors by position, in the order asked."""
        return self._vectors(_PASSAGES, positions)

    def sentence_vectors(self, rows: np.ndarray) -> np.ndarray:
        """Sentence vectors by row, in the order asked."""
        return self._vectors(_SENTENCES, rows)

    def drop(self) -> None:
        """Remove this generation's collections."""
        for suffix in (_PASSAGES, _SENTENCES):
            if self._client.has_collection(self.base + suffix):
                self._client.drop_collection(self.base + suffix)

    @staticmethod
    def drop_others(uri: str, keep: Collection[str]) -> None:
        """Drop every generation's collections under `uri` but those of `keep` (generation names);
        collections without our prefix are never touched."""
        client = open_client(uri)
        kept = {collection_base(name) + suffix for name in keep for suffix in (_PASSAGES, _SENTENCES)}
        for collection in client.list_collections():
            if collection.startswith(PREFIX) and collection.endswith((_PASSAGES, _SENTENCES)) \
                    and collection not in kept:
                client.drop_collection(collection)
                log.info("dropped Milvus collection %s", collection)
