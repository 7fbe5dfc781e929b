"""articleqa's question-answering layer: retrieval (and answers) over an index.Library."""

from index import Settings

from .records import Hit
from .service import ArticleQA

__all__ = ["ArticleQA", "Hit", "Settings"]
