"""One error root for the whole project; each child says what went wrong and how to fix it."""

from __future__ import annotations


class ArticleQAError(Exception):
    """Root of every error articleqa raises on purpose; the CLI prints its message in one line."""


class ConfigError(ArticleQAError):
    """A setting has an invalid value."""


class InputError(ArticleQAError):
    """A user-supplied input (file, query, id) cannot be used."""


class DecodeError(InputError):
    """A file's bytes are not text in any encoding we recognise."""


class EmptyQueryError(InputError):
    """A query is empty or only whitespace."""


class ModelError(ArticleQAError):
    """The embedding model cannot be built or loaded."""


class IndexMismatchError(ArticleQAError):
    """The index on disk was written by another model or format version."""


class IndexCorruptError(ArticleQAError):
    """The index on disk cannot be read."""


class NotFoundError(InputError):
    """An article or passage id does not exist in the index."""


class IndexBusyError(ArticleQAError):
    """Another process holds the index's write lock."""
