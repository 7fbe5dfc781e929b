"""articleqa's question-answering layer: retrieval (and answers) over an index.Library."""

from index import Settings

from .records import Answer, Citation, Hit
from .service import ArticleQA

__all__ = ["Answer", "ArticleQA", "Citation", "Hit", "Settings"]
