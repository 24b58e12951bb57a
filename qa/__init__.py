"""article-qa: question answering over news articles with exact, cited extracts.

    >>> import qa
    >>> qa.build_index("seeds", "embeddings")
    >>> engine = qa.load_engine("embeddings")
    >>> answer = engine.ask("Who is the Foreign Ministry spokesperson?")
    >>> answer.span.quote, answer.text, answer.probability
"""

from .config import DEFAULT_MODEL, Config
from .engine import Engine, add_articles, build_index, index_info, load_engine
from .index import IndexCorruptError, IndexLoadError, IndexMissingError, IndexStaleError
from .loading import LoadResult, NoArticlesError, load_articles
from .reader import Reader, ReaderModelError
from .types import Answer, Article, Citation, IndexInfo, Location, Passage, SkippedFile

__all__ = [
    "Answer",
    "Article",
    "Citation",
    "Config",
    "DEFAULT_MODEL",
    "Engine",
    "IndexCorruptError",
    "IndexInfo",
    "IndexLoadError",
    "IndexMissingError",
    "IndexStaleError",
    "LoadResult",
    "Location",
    "NoArticlesError",
    "Passage",
    "Reader",
    "ReaderModelError",
    "SkippedFile",
    "add_articles",
    "build_index",
    "index_info",
    "load_articles",
    "load_engine",
]
__version__ = "0.1.0"
