"""The public entry points: build an index, load an engine, ask it questions."""

from __future__ import annotations

import time
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from .answering import Answerer, History
from .config import Config
from .embedding import Embedder
from .index import IndexData, IndexMissingError, IndexStaleError, build_lock, read_index, resolve_version, write_index
from .loading import LoadResult, NoArticlesError, load_articles
from .reader import MODEL_DIR, Reader
from .retrieval import Retriever
from .types import Answer, Article, IndexInfo, Passage

__all__ = ["Engine", "build_index", "add_articles", "load_engine", "index_info"]


def _source_name(articles: object) -> str | None:
    return str(Path(articles).resolve()) if isinstance(articles, (str, Path)) else None


def _info(data: IndexData, **extra) -> IndexInfo:
    m = data.manifest
    return IndexInfo(
        path=data.path,
        articles=m["articles"],
        passages=m["passages"],
        model=m["model"],
        dimension=m["dimension"],
        faiss_index=m["faiss_index"],
        created=m["created"],
        **extra,
    )


def build_index(
    articles: str | Path | Iterable[Article],
    index_dir: str | Path = "embeddings",
    *,
    model: str | None = None,
    progress: bool = False,
    config: Config | None = None,
) -> IndexInfo:
    """Build a fresh index of ``articles`` in ``index_dir``, replacing the old one atomically.

    ``articles`` is a folder of ``.txt`` files, a ``.jsonl`` file or an iterable of
    :class:`Article`. Unusable files are skipped and listed in the result's ``skipped``.
    Raises :class:`NoArticlesError` (the previous index untouched) if nothing is usable.
    """
    t0 = time.perf_counter()
    config = config or Config()
    if model:
        config = config.with_(model=model)
    loaded = load_articles(articles)
    if not loaded.articles:
        raise NoArticlesError(_no_articles_message(articles, loaded), loaded.skipped)
    embedder = Embedder(config.model)
    with build_lock(Path(index_dir)):
        write_index(Path(index_dir), loaded.articles, embedder, config, progress=progress, source=_source_name(articles))
        data = read_index(Path(index_dir))
    return _info(data, seconds=round(time.perf_counter() - t0, 3), skipped=loaded.skipped, added=len(loaded.articles))


def _no_articles_message(source: object, loaded: LoadResult) -> str:
    why = "; ".join(f"{s.path}: {s.reason}" for s in loaded.skipped[:10])
    return f"no usable article in {source}" + (f" ({why})" if why else "")


def add_articles(
    articles: str | Path | Iterable[Article],
    index_dir: str | Path = "embeddings",
    *,
    progress: bool = False,
) -> IndexInfo:
    """Add articles to an existing index, embedding only the new ones.

    Ids that already exist are renamed ``id~2``... (see :func:`qa.loading.load_articles`).
    """
    t0 = time.perf_counter()
    resolve_version(Path(index_dir))  # no index: fail before the lock creates the folder
    with build_lock(Path(index_dir)):
        base = read_index(Path(index_dir))
        loaded = load_articles(articles, existing_ids=[a["id"] for a in base.articles])
        if not loaded.articles:
            raise NoArticlesError(_no_articles_message(articles, loaded), loaded.skipped)
        embedder = _checked_embedder(base, None)
        write_index(Path(index_dir), loaded.articles, embedder, base.config, base=base, progress=progress)
        data = read_index(Path(index_dir))
    return _info(data, seconds=round(time.perf_counter() - t0, 3), skipped=loaded.skipped, added=len(loaded.articles))


def index_info(index_dir: str | Path = "embeddings") -> IndexInfo:
    """Describe the index in ``index_dir`` without loading its model."""
    return _info(read_index(Path(index_dir)))


def _checked_embedder(data: IndexData, model: str | None) -> Embedder:
    built_with = data.manifest["model"]
    if model and model != built_with:
        raise IndexStaleError(
            f"index {data.path} was built with model {built_with!r}, not {model!r}; "
            f"rebuild it with: qa-index build SOURCE --index {data.path.parent} --model {model}"
        )
    embedder = Embedder(built_with)
    if embedder.fingerprint != data.manifest["model_fingerprint"]:
        raise IndexStaleError(
            f"model {built_with!r} now gives different embeddings than when index {data.path} was built "
            f"(fingerprint {embedder.fingerprint} != {data.manifest['model_fingerprint']}); "
            f"rebuild it with: qa-index build SOURCE --index {data.path.parent}"
        )
    return embedder


class Engine:
    """Question answering over one loaded index. Safe to share between threads."""

    def __init__(self, data: IndexData, embedder: Embedder, reader: Reader, config: Config | None = None) -> None:
        self.config = config or data.config
        self.data = data
        self.embedder = embedder
        self.reader = reader
        self.retriever = Retriever(data, embedder, self.config)
        self.answerer = Answerer(self.retriever, reader, self.config)
        self._ids = {meta["id"]: i for i, meta in enumerate(data.articles)}

    @property
    def info(self) -> IndexInfo:
        return _info(self.data)

    def search(self, query: str, k: int = 5) -> list[Passage]:
        """The ``k`` passages that best match ``query``, near-duplicates collapsed."""
        if not query or not query.strip():
            return []
        return self.answerer.search(query, k)

    def ask(self, question: str, history: History | None = None) -> Answer:
        """Answer ``question`` with the short answer read from the articles and the
        sentence that holds it, or say they don't answer it.

        ``history`` holds the chat's earlier ``(question, answer)`` pairs, oldest first
        (the answer as an :class:`Answer` or its text), so that follow-ups ("What is his
        title?", "In which year was it signed?") are understood.
        """
        return self.answerer.ask(question, history or [])

    def article(self, article_id: str) -> Article:
        """The full article, its text exactly as indexed. Raises KeyError if unknown."""
        try:
            return self.data.article(self._ids[article_id])
        except KeyError:
            raise KeyError(f"no article with id {article_id!r}") from None

    def articles(self) -> list[Article]:
        """Every indexed article, in index order."""
        return [self.data.article(i) for i in range(len(self.data.articles))]


@lru_cache(maxsize=2)
def _shared_reader(path: Path) -> Reader:
    # One reader per process: it is read-only and thread-safe, and engines are rebuilt
    # (articles added) far more often than the model changes.
    return Reader.load(path)


def load_engine(
    index_dir: str | Path = "embeddings",
    *,
    model: str | None = None,
    config: Config | None = None,
    reader: Reader | str | Path | None = None,
) -> Engine:
    """Load the index in ``index_dir``, the model that built it and the reader.

    ``reader`` is a loaded :class:`qa.reader.Reader` or its folder (default: the one
    shipped in ``qa/reader/model``).

    Raises :class:`qa.index.IndexMissingError` if there is no index,
    :class:`qa.index.IndexCorruptError` naming the damaged file,
    :class:`qa.index.IndexStaleError` if ``model`` (or the installed model) differs
    from the one that built the index, and :class:`qa.reader.ReaderModelError` naming
    a missing or damaged reader file.
    """
    index_dir = Path(index_dir)
    if not index_dir.exists():
        raise IndexMissingError(f"no index folder {index_dir}: build one with: qa-index build SOURCE --index {index_dir}")
    if not isinstance(reader, Reader):
        reader = _shared_reader(Path(reader or MODEL_DIR).resolve())
    data = read_index(index_dir, config)
    return Engine(data, _checked_embedder(data, model), reader, config)
