"""Every error the library raises on purpose, under one base class.

Catch :class:`QAError` for any of them. Each also keeps the built-in type callers caught
before (``ValueError`` for bad input, ``KeyError`` for an unknown id, ``RuntimeError`` for
a store, index or model that cannot be used), so older ``except`` clauses still work.

    QAError
    ├── InputError (ValueError)
    │   ├── ArticleError        an article field that fails its check (names the field)
    │   ├── FilterError         a date or source filter that cannot be applied
    │   └── NoArticlesError     a source with no usable article (lists what was skipped)
    ├── NotFoundError (KeyError)  no article with that id
    ├── StoreError (RuntimeError)
    │   └── StoreCorruptError
    ├── IndexLoadError (RuntimeError)
    │   ├── IndexMissingError (FileNotFoundError)
    │   ├── IndexCorruptError
    │   └── IndexStaleError
    └── ReaderModelError (RuntimeError)
"""

from __future__ import annotations

from .types import SkippedFile

__all__ = [
    "ArticleError",
    "FilterError",
    "IndexCorruptError",
    "IndexLoadError",
    "IndexMissingError",
    "IndexStaleError",
    "IndexUnreachableError",
    "InputError",
    "NoArticlesError",
    "NotFoundError",
    "QAError",
    "ReaderModelError",
    "StoreCorruptError",
    "StoreError",
]


class QAError(Exception):
    """Base class of every error article-qa raises on purpose."""


class InputError(QAError, ValueError):
    """The input given cannot be used; the message says why."""


class ArticleError(InputError):
    """An article with a field that fails its check. ``field`` names it (``"date"``,
    ``"metadata.body_start"``)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class FilterError(InputError):
    """A ``since``/``until``/``sources`` filter that cannot be applied. ``field`` names
    the argument."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class NoArticlesError(InputError):
    """The source held no usable article; ``skipped`` says what was wrong with each input."""

    def __init__(self, message: str, skipped: list[SkippedFile] | None = None) -> None:
        super().__init__(message)
        self.skipped = list(skipped or [])


class NotFoundError(QAError, KeyError):
    """No (live) article has that id."""

    def __str__(self) -> str:  # KeyError would print the message with quotes around it
        return str(self.args[0]) if self.args else ""


class StoreError(QAError, RuntimeError):
    """The article store cannot be used (unreachable, wrong schema...)."""


class StoreCorruptError(StoreError):
    """The store's database file is damaged; the message names it."""


class IndexLoadError(QAError, RuntimeError):
    """Base class: the index cannot be used."""


class IndexMissingError(IndexLoadError, FileNotFoundError):
    """No index has been built in that folder."""


class IndexCorruptError(IndexLoadError):
    """An index file is missing, truncated or unreadable."""


class IndexStaleError(IndexLoadError):
    """The index was built by another format version or another embedding model."""


class IndexUnreachableError(QAError, ConnectionError):
    """The index's server cannot be reached, or a Milvus Lite file is held by another
    process. Not an :class:`IndexLoadError`: nothing is rebuilt, nothing is wrong with it."""


class ReaderModelError(QAError, RuntimeError):
    """The reader's model files are missing or damaged; the message names the file."""
