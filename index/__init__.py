"""articleqa's index layer: ingest, clean, split, embed and store articles. Knows nothing of qa.

Names are imported lazily, so `import index.text` stays light (no torch, no FAISS).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "Article": "records",
    "BlockKind": "records",
    "Passage": "records",
    "Sentence": "records",
    "ArticleQAError": "errors",
    "Embedder": "embed",
    "ModelFingerprint": "embed",
    "IngestReport": "library",
    "Library": "library",
    "Settings": "settings",
}

__all__ = [
    "Article",
    "ArticleQAError",
    "BlockKind",
    "Embedder",
    "IngestReport",
    "Library",
    "ModelFingerprint",
    "Passage",
    "Sentence",
    "Settings",
]

if TYPE_CHECKING:
    from .embed import Embedder, ModelFingerprint
    from .errors import ArticleQAError
    from .library import IngestReport, Library
    from .records import Article, BlockKind, Passage, Sentence
    from .settings import Settings


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'index' has no attribute {name!r}")
    return getattr(import_module(f".{module}", __name__), name)
