"""The public entry point of qa: one object, built from settings, that searches (and answers)."""

from __future__ import annotations

import logging
import time

from index import Embedder, Library, Settings

from .records import Hit
from .retrieve import DenseRetriever, validate_k, validate_query

log = logging.getLogger(__name__)


class ArticleQA:
    """Question answering over an article library; the built-in corpus by default."""

    def __init__(self, settings: Settings | None = None, library: Library | None = None,
                 embedder: Embedder | None = None) -> None:
        self.settings = settings or Settings()
        self.library = library or Library(self.settings, embedder=embedder)
        self.retriever = DenseRetriever(self.library)

    def search(self, query: str, k: int | None = None,
               article_ids: list[str] | None = None) -> list[Hit]:
        """The k passages most relevant to a query, best first."""
        query = validate_query(query, self.settings.max_query_chars)
        k = validate_k(self.settings.default_k if k is None else k)
        started = time.perf_counter()
        hits = self.retriever.search(query, k, article_ids=set(article_ids or ()) or None)
        log.debug("search %r: %d hits in %.0f ms", query, len(hits),
                  (time.perf_counter() - started) * 1000)
        return hits
