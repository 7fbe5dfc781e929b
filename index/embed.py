"""The embedder: a sentence-transformers model loaded offline, with the prompts it was trained on."""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from .compute import compute_turn
from .errors import ModelError
from .settings import DEFAULT_MODEL, Settings

log = logging.getLogger(__name__)

TORCH_BACKEND = "torch"


@dataclass(frozen=True)
class ModelFingerprint:
    """What an index must agree on with the model that queries it."""

    name: str
    dimension: int
    normalized: bool
    query_prompt: str
    passage_prompt: str
    #: How the vectors were computed: `torch` (sentence-transformers, fp32) or the int8 ONNX
    #: recipe (`onnx-int8/v2`). Their vectors differ slightly (cosine ~0.997), so an index
    #: never mixes them.
    backend: str = TORCH_BACKEND

    def as_dict(self) -> dict[str, object]:
        """JSON form, stored in the index manifest. The torch backend's form is the one indexes
        recorded before backends existed (no `backend` key), so those indexes stay readable."""
        fields = {
            "name": self.name,
            "dimension": self.dimension,
            "normalized": self.normalized,
            "query_prompt": self.query_prompt,
            "passage_prompt": self.passage_prompt,
        }
        if self.backend != TORCH_BACKEND:
            fields["backend"] = self.backend
        return fields

    def differs_only_in_backend(self, stored: object) -> bool:
        """Whether `stored` (a manifest's model) is this model with the other backend's vectors."""
        if not isinstance(stored, dict):
            return False
        mine = {k: v for k, v in self.as_dict().items() if k != "backend"}
        theirs = {k: v for k, v in stored.items() if k != "backend"}
        return mine == theirs and stored.get("backend", TORCH_BACKEND) != self.backend

    @property
    def key(self) -> str:
        """A short hash used to key the embedding cache."""
        raw = "|".join(str(v) for v in self.as_dict().values())
        return hashlib.sha256(raw.encode()).hexdigest()[:16]


def resolve_model_path(settings: Settings) -> str:
    """The folder or name to hand to SentenceTransformer; builds the default model on first use."""
    if settings.model == DEFAULT_MODEL:
        from .model_build import ensure_e5_model

        return str(ensure_e5_model(settings.models_dir))
    candidate = Path(settings.model).expanduser()
    return str(candidate) if candidate.exists() else settings.model


def uses_onnx(settings: Settings) -> bool:
    """Whether the int8 ONNX backend runs: chosen, and the model is the built-in one it is built from."""
    return settings.embed_backend == "onnx-int8" and settings.model == DEFAULT_MODEL


class Embedder:
    """Turns queries and passages into unit vectors (float32) with the configured model."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        path = resolve_model_path(settings)
        started = time.perf_counter()
        if uses_onnx(settings):
            self._init_onnx(Path(path))
        else:
            self._init_torch(path)
        log.info("loaded model %s (%s, dim %d) in %.1fs", settings.model, self.fingerprint.backend,
                 self.dimension, time.perf_counter() - started)

    def _init_onnx(self, e5_dir: Path) -> None:
        from .onnx_build import ONNX_BACKEND_ID, ensure_onnx_int8
        from .onnx_embed import OnnxEncoder

        self.model = None
        self.onnx = OnnxEncoder(ensure_onnx_int8(self.settings.models_dir), e5_dir)
        self.fingerprint = self._fingerprint(self.onnx.dimension, ONNX_BACKEND_ID)

    def _fingerprint(self, dimension: int, backend: str) -> ModelFingerprint:
        return ModelFingerprint(name=self.settings.model, dimension=dimension, normalized=True,
                                query_prompt=self.settings.query_prompt,
                                passage_prompt=self.settings.passage_prompt, backend=backend)

    def _init_torch(self, path: str) -> None:
        settings = self.settings
        self.onnx = None
        try:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging

            transformers_logging.disable_progress_bar()  # the per-load weight bar is only noise
            self.model = SentenceTransformer(path, device="cpu")
        except Exception as exc:  # any loader failure becomes one clear error
            raise ModelError(
                f"cannot load embedding model {settings.model!r} from {path}: {exc}. "
                "Configure an installed sentence-transformers model or a local model folder."
            ) from exc
        dimension = self.model.get_embedding_dimension()
        if not dimension:
            raise ModelError(f"model {settings.model!r} does not report an embedding dimension")
        self.fingerprint = self._fingerprint(int(dimension), TORCH_BACKEND)

    @property
    def dimension(self) -> int:
        """Length of every vector this embedder returns."""
        return self.fingerprint.dimension

    def _encode(self, texts: list[str], prompt: str, progress: bool) -> np.ndarray:
        """Unit vectors for questions, longest first in batches of `embed_batch_size`, each
        batch an interactive turn of its own (index.compute). One thread answers a single query
        as fast as two; batches use every core."""
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        size = self.settings.embed_batch_size
        with tqdm(total=len(texts), desc="embedding", unit="text", disable=not progress) as bar:
            for start in range(0, len(order), size):
                rows = order[start:start + size]
                with compute_turn(1 if len(texts) <= 4 else None):
                    vectors[rows] = self._model_call([texts[i] for i in rows], prompt)
                bar.update(len(rows))
        return vectors

    def _model_call(self, texts: list[str], prompt: str) -> np.ndarray:
        """One forward pass (the caller holds its compute turn)."""
        if self.onnx is not None:
            return self.onnx.encode(texts, prompt)
        return self.model.encode(texts, prompt=prompt or None,
                                 batch_size=self.settings.embed_batch_size, show_progress_bar=False,
                                 convert_to_numpy=True, normalize_embeddings=True)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Vectors for questions (with the query prompt)."""
        return self._encode(texts, self.settings.query_prompt, progress=False)

    def embed_passages(self, texts: list[str], progress: bool = False,
                       backlog: int = 0) -> np.ndarray:
        """Vectors for passages (with the passage prompt); `progress` shows a bar on long runs.

        Bulk work: the texts of concurrent callers (ingest jobs) are packed into shared model
        batches (`_PassageBatcher`), each a turn that yields to questions; `backlog` (how many
        more texts the caller will send after these) puts callers with less left first."""
        return self._batcher.embed(texts, progress, backlog)

    @functools.cached_property
    def _batcher(self) -> _PassageBatcher:
        return _PassageBatcher(lambda batch: self._model_call(batch, self.settings.passage_prompt),
                               self.dimension, self.settings.embed_batch_size)


@dataclass(eq=False)
class _Request:
    """One caller's passages: the rows still to embed (longest first) and the vectors so far."""

    texts: list[str]
    vectors: np.ndarray
    todo: list[int]
    backlog: int = 0
    since: float = field(default_factory=time.monotonic)
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


class _PassageBatcher:
    """Embeds the passages of concurrent callers in shared batches.

    Twenty small uploads at once would otherwise make twenty small model calls (about 0.2 s each
    for four texts on 2 cores); packed, they make a handful of full ones. Whoever gets a bulk
    turn (index.compute) embeds the next `size` texts waiting for everyone: those of the callers
    with the least work left first (a small upload goes before a large one's next batch), and any
    caller waiting `MAX_WAIT_S` first of all, so none starves.
    """

    MAX_WAIT_S = 10.0

    def __init__(self, encode: Callable[[list[str]], np.ndarray], dimension: int, size: int) -> None:
        self._encode = encode
        self._dimension = dimension
        self._size = size
        self._queue: list[_Request] = []
        self._lock = threading.Lock()

    def embed(self, texts: list[str], progress: bool = False, backlog: int = 0) -> np.ndarray:
        """Unit vectors for `texts`, embedded alongside other callers' texts."""
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        request = _Request(texts, np.zeros((len(texts), self._dimension), dtype=np.float32), order,
                           backlog)
        if not texts:
            return request.vectors
        with self._lock:
            self._queue.append(request)
        with tqdm(total=len(texts), desc="embedding", unit="text", disable=not progress) as bar:
            while not request.done.is_set():
                with compute_turn(bulk=True):
                    if not request.done.is_set():
                        self._embed_next()
                bar.n = len(texts) - len(request.todo)
                bar.refresh()
        if request.error is not None:
            raise request.error
        return request.vectors

    def _embed_next(self) -> None:
        """Embed the next batch of waiting texts (hold a bulk turn)."""
        with self._lock:
            batch: list[tuple[_Request, int]] = []
            now = time.monotonic()
            for request in sorted(self._queue, key=lambda r: (
                    now - r.since < self.MAX_WAIT_S, len(r.todo) + r.backlog, r.since)):
                take = request.todo[:self._size - len(batch)]
                batch += [(request, row) for row in take]
                if len(batch) >= self._size:
                    break
        try:
            vectors = self._encode([request.texts[row] for request, row in batch])
        except BaseException as exc:  # every caller in the batch hears of it
            with self._lock:
                for request in {id(r): r for r, _ in batch}.values():
                    request.error = exc
                    request.done.set()
                    self._queue.remove(request)
            return
        with self._lock:
            for (request, row), vector in zip(batch, vectors, strict=True):
                request.vectors[row] = vector
            for request in {id(r): r for r, _ in batch}.values():
                request.todo = request.todo[sum(r is request for r, _ in batch):]
                if not request.todo:
                    request.done.set()
                    self._queue.remove(request)
