"""The embedder: a sentence-transformers model loaded offline, with the prompts it was trained on."""

from __future__ import annotations

import hashlib
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from .compute import compute_turn
from .errors import ModelError
from .settings import DEFAULT_MODEL, Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelFingerprint:
    """What an index must agree on with the model that queries it."""

    name: str
    dimension: int
    normalized: bool
    query_prompt: str
    passage_prompt: str

    def as_dict(self) -> dict[str, object]:
        """JSON form, stored in the index manifest."""
        return {
            "name": self.name,
            "dimension": self.dimension,
            "normalized": self.normalized,
            "query_prompt": self.query_prompt,
            "passage_prompt": self.passage_prompt,
        }

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


class Embedder:
    """Turns queries and passages into unit vectors (float32) with the configured model."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        path = resolve_model_path(settings)
        started = time.perf_counter()
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
        self.fingerprint = ModelFingerprint(
            name=settings.model,
            dimension=int(dimension),
            normalized=True,
            query_prompt=settings.query_prompt,
            passage_prompt=settings.passage_prompt,
        )
        log.info("loaded model %s (dim %d) in %.1fs", settings.model, dimension,
                 time.perf_counter() - started)

    @property
    def dimension(self) -> int:
        """Length of every vector this embedder returns."""
        return self.fingerprint.dimension

    def _encode(self, texts: list[str], prompt: str, progress: bool) -> np.ndarray:
        """Unit vectors for texts, longest first in batches of `embed_batch_size` (as
        sentence-transformers batches them), each batch a turn of its own (index.compute): a
        search arriving during a long ingest waits for one batch, not for the whole ingest.
        One thread answers a single query as fast as two; batches use every core."""
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return vectors
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        size = self.settings.embed_batch_size
        threads = 1 if len(texts) <= 4 else None
        with tqdm(total=len(texts), desc="embedding", unit="text", disable=not progress) as bar:
            for start in range(0, len(order), size):
                rows = order[start:start + size]
                with compute_turn(threads):
                    batch = self.model.encode([texts[i] for i in rows], prompt=prompt or None,
                                              batch_size=size, show_progress_bar=False,
                                              convert_to_numpy=True, normalize_embeddings=True)
                vectors[rows] = batch
                bar.update(len(rows))
        return vectors

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Vectors for questions (with the query prompt)."""
        return self._encode(texts, self.settings.query_prompt, progress=False)

    def embed_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Vectors for passages (with the passage prompt); `progress` shows a bar on long runs."""
        return self._encode(texts, self.settings.passage_prompt, progress=progress)
