"""One error root for the whole project; each child says what went wrong and how to fix it.

Besides its English message, an error carries a stable `code` and the values its message names
(`params`), so an interface can say the same thing in its own language (the chat page does)
without parsing English. Codes are snake_case and never change meaning; a class gives the code
of its kind, and a raise site may name a more precise one.
"""

from __future__ import annotations

from typing import ClassVar


class ArticleQAError(Exception):
    """Root of every error articleqa raises on purpose; the CLI prints its message in one line."""

    code: ClassVar[str] = "error"

    def __init__(self, message: str = "", *, code: str | None = None, **params: object) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code  # type: ignore[misc]  (an instance may be more precise than its class)
        self.params: dict[str, object] = params


class ConfigError(ArticleQAError):
    """A setting has an invalid value."""

    code = "config_error"


class InputError(ArticleQAError):
    """A user-supplied input (file, query, id) cannot be used."""

    code = "input_error"


class DecodeError(InputError):
    """A file's bytes are not text in any encoding we recognise."""

    code = "cannot_decode"


class EmptyQueryError(InputError):
    """A query is empty or only whitespace."""

    code = "query_empty"


class ModelError(ArticleQAError):
    """The embedding model cannot be built or loaded."""

    code = "model_error"


class IndexMismatchError(ArticleQAError):
    """The index on disk was written by another model or format version."""

    code = "index_mismatch"


class IndexCorruptError(ArticleQAError):
    """The index on disk cannot be read."""

    code = "index_damaged"


class NotFoundError(InputError):
    """An article or passage id does not exist in the index."""

    code = "not_found"


class IndexBusyError(ArticleQAError):
    """Another process holds the index's write lock."""

    code = "index_busy"
