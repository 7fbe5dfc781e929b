"""articleqa's index layer: ingest, clean, split, embed and store articles. Knows nothing of qa."""

from .embed import Embedder, ModelFingerprint
from .errors import ArticleQAError
from .library import IngestReport, Library
from .records import Article, BlockKind, Passage, Sentence
from .settings import Settings

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
