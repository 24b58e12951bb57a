"""The engine: a loaded index answering questions and searches.

Building, adding, removing and listing articles go through the article store: see
:mod:`qa.collection`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np

from .answering import Answerer, History
from .config import Config
from .dates import filter_range, iso_date
from .errors import NotFoundError
from .embedding import Embedder
from .index import IndexBackend, IndexData, IndexLayout, IndexStaleError, Where, open_index
from .reader import MODEL_DIR, Reader
from .retrieval import Retriever
from .types import Answer, Article, IndexInfo, Passage

__all__ = ["Engine", "load_engine", "index_info"]


def _info(data: IndexLayout, **extra) -> IndexInfo:
    m = data.manifest
    return IndexInfo(
        path=data.path,
        articles=len(data.live_articles()),
        passages=data.live_passages,
        model=m["model"],
        dimension=m["dimension"],
        faiss_index=m["faiss_index"],
        created=m["created"],
        unindexed=data.unindexed(),
        **extra,
    )


def index_info(index_dir: str | Path | IndexBackend = "embeddings") -> IndexInfo:
    """Describe the index in ``index_dir`` (a folder or a Milvus location) without loading
    its model."""
    backend = open_index(index_dir)
    return _info(backend.read_layout(), location=backend.location)


def _checked_embedder(data: IndexLayout, model: str | None, location: str) -> Embedder:
    built_with = data.manifest["model"]
    if model and model != built_with:
        raise IndexStaleError(
            f"index {location} was built with model {built_with!r}, not {model!r}; "
            f"rebuild it with: qa-index build SOURCE --index {location} --model {model}"
        )
    embedder = Embedder(built_with)
    if embedder.fingerprint != data.manifest["model_fingerprint"]:
        raise IndexStaleError(
            f"model {built_with!r} now gives different embeddings than when index {location} was built "
            f"(fingerprint {embedder.fingerprint} != {data.manifest['model_fingerprint']}); "
            f"rebuild it with: qa-index build SOURCE --index {location}"
        )
    return embedder


class Engine:
    """Question answering over one loaded index. Safe to share between threads."""

    def __init__(
        self, data: IndexData, embedder: Embedder, reader: Reader, config: Config | None = None, *, location: str = ""
    ) -> None:
        self.config = config or data.config
        self.location = location or str(data.path.parent)
        """The index as named when opened (a folder or a Milvus location)."""
        self.data = data
        self.embedder = embedder
        self.reader = reader
        self.retriever = Retriever(data, embedder, self.config)
        self.answerer = Answerer(self.retriever, reader, self.config)
        self._live = data.live_articles()
        # (ISO days only: a date stored as free text before dates were checked matches no filter)
        self._dates = np.array([iso_date(a.get("date")) or "" for a in data.articles], dtype=object)
        self._sources = np.array([a.get("source") or "" for a in data.articles], dtype=object)

    @property
    def info(self) -> IndexInfo:
        return _info(self.data, location=self.location)

    def search(
        self,
        query: str,
        k: int = 5,
        *,
        since: str | date | None = None,
        until: str | date | None = None,
        sources: Iterable[str] | None = None,
    ) -> list[Passage]:
        """The ``k`` passages that best match ``query``, near-duplicates collapsed.

        ``since``/``until`` (ISO dates, inclusive) and ``sources`` keep only articles of
        those dates and sources; an article with no date is left out by a date filter.
        """
        if not query or not query.strip():
            return []
        return self._answerer(since, until, sources).search(query, k)

    def ask(
        self,
        question: str,
        history: History | None = None,
        *,
        since: str | date | None = None,
        until: str | date | None = None,
        sources: Iterable[str] | None = None,
    ) -> Answer:
        """Answer ``question`` with the short answer read from the articles and the
        sentence that holds it, or say they don't answer it.

        ``history`` holds the chat's earlier ``(question, answer)`` pairs, oldest first
        (the answer as an :class:`Answer` or its text), so that follow-ups ("What is his
        title?", "In which year was it signed?") are understood.
        ``since``, ``until`` and ``sources`` restrict the articles used, as in :meth:`search`.
        """
        return self._answerer(since, until, sources).ask(question, history or [])

    def _answerer(self, since: str | date | None, until: str | date | None, sources: Iterable[str] | None) -> Answerer:
        """The answerer over the articles the filters keep (the shared one without filters)."""
        since, until = filter_range(since, until)
        sources = [s for s in (sources or []) if s]
        if not (since or until or sources):
            return self.answerer
        keep = np.ones(len(self.data.articles), dtype=bool)
        if since:
            keep &= (self._dates != "") & (self._dates >= since)
        if until:
            keep &= (self._dates != "") & (self._dates <= until)
        if sources:
            keep &= np.isin(self._sources, sources)
        allowed = keep[np.asarray(self.data.passages[:, 0])]
        where = Where(since, until, tuple(sources))
        return Answerer(self.retriever.restricted(allowed, where), self.reader, self.config)

    def article(self, article_id: str) -> Article:
        """The full article, its text exactly as indexed. Raises :class:`qa.errors.NotFoundError`
        (a ``KeyError``) if unknown or removed."""
        number = self.data.article_number(article_id)
        try:
            if number is not None:
                return self.data.article(number)
        except KeyError:  # its text gone: deleted since this engine was loaded (a replica)
            pass
        raise NotFoundError(f"no article with id {article_id!r}")

    def articles(self) -> list[Article]:
        """Every indexed article (removed ones aside), in index order."""
        return [self.data.article(i) for i in self._live]

    def sources(self) -> list[str]:
        """The distinct sources (publishers) of the indexed articles, sorted."""
        return sorted({str(self._sources[i]) for i in self._live if self._sources[i]})


@lru_cache(maxsize=2)
def _shared_reader(path: Path) -> Reader:
    # One reader per process: it is read-only and thread-safe, and engines are rebuilt
    # (articles added) far more often than the model changes.
    return Reader.load(path)


def load_engine(
    index_dir: str | Path | IndexBackend = "embeddings",
    *,
    model: str | None = None,
    config: Config | None = None,
    reader: Reader | str | Path | None = None,
) -> Engine:
    """Load the index in ``index_dir`` (a folder, or a Milvus location: see
    :func:`qa.index.open_index`), the model that built it and the reader.

    ``reader`` is a loaded :class:`qa.reader.Reader` or its folder (default: the one
    shipped in ``qa/reader/model``).

    Raises :class:`qa.index.IndexMissingError` if there is no index,
    :class:`qa.index.IndexCorruptError` naming the damaged file,
    :class:`qa.index.IndexStaleError` if ``model`` (or the installed model) differs
    from the one that built the index, and :class:`qa.reader.ReaderModelError` naming
    a missing or damaged reader file.
    """
    return _loaded_engine(open_index(index_dir), model=model, config=config, reader=reader)


def _loaded_engine(
    backend: IndexBackend, layout: IndexLayout | None = None, *, model: str | None = None,
    config: Config | None = None, reader: Reader | str | Path | None = None,
) -> Engine:  # fmt: skip
    """:func:`load_engine` of an opened backend, from ``layout`` if it was just read."""
    data = backend.read_index(config, layout)
    if not isinstance(reader, Reader):
        reader = _shared_reader(Path(reader or MODEL_DIR).resolve())
    return Engine(data, _checked_embedder(data, model, backend.location), reader, config, location=backend.location)
