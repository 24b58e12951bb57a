"""article-qa: question answering over news articles with exact, cited extracts.

    >>> import qa
    >>> qa.build_index("seeds", "embeddings")
    >>> engine = qa.load_engine("embeddings")
    >>> answer = engine.ask("Who is the Foreign Ministry spokesperson?")
    >>> answer.span.quote, answer.text, answer.probability

Articles live in an article store (SQLite by default, next to the index); the index is
derived from it: see :mod:`qa.collection` and :mod:`qa.store`.
"""

from .config import DEFAULT_MODEL, Config
from .collection import (
    add_articles,
    build_index,
    compact,
    list_articles,
    open_engine,
    rebuild_index,
    remove_articles,
    update_article,
)
from .engine import Engine, index_info, load_engine
from .errors import IndexUnreachableError
from .index import IndexCorruptError, IndexLoadError, IndexMissingError, IndexStaleError
from .loading import LoadResult, NoArticlesError, load_articles
from .reader import Reader, ReaderModelError
from .store import ArticleStore, StoreCorruptError, StoreError, open_store
from .types import Answer, Article, Citation, IndexInfo, Location, Passage, SkippedFile

__all__ = [
    "Answer",
    "Article",
    "ArticleStore",
    "Citation",
    "Config",
    "DEFAULT_MODEL",
    "Engine",
    "IndexCorruptError",
    "IndexInfo",
    "IndexLoadError",
    "IndexUnreachableError",
    "IndexMissingError",
    "IndexStaleError",
    "LoadResult",
    "Location",
    "NoArticlesError",
    "Passage",
    "Reader",
    "ReaderModelError",
    "SkippedFile",
    "StoreCorruptError",
    "StoreError",
    "add_articles",
    "build_index",
    "compact",
    "index_info",
    "list_articles",
    "load_articles",
    "load_engine",
    "open_engine",
    "open_store",
    "rebuild_index",
    "remove_articles",
    "update_article",
]
__version__ = "0.1.0"
