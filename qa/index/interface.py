"""What retrieval needs of an index, whatever holds it: the shared interface of the
backends (:mod:`qa.index.faiss`, in process; :mod:`qa.index.milvus`, in Milvus).

A backend gives a loaded index (:class:`qa.index.IndexData`) whose ``dense`` and
``lexical`` parts are :class:`PassageSearch` and whose ``texts`` are :class:`TextLookup`,
and the writes of :class:`IndexBackend`. Articles and passages are numbered the same way
in both: numbers only grow, and a removed article keeps its number.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from ..config import Config
    from ..embedding import Embedder
    from ..types import Article
    from .layout import IndexData, IndexLayout


@dataclass(frozen=True)
class Where:
    """Articles dated ``since``..``until`` (ISO days, inclusive; an undated article is left
    out by either) from one of ``sources`` (empty: any)."""

    since: str | None = None
    until: str | None = None
    sources: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.since or self.until or self.sources)


class PassageSearch(Protocol):
    """Dense or lexical search over passages.

    The scope comes in two forms, and a backend reads the one it can use: ``allowed``
    (one bool per passage: removed articles and the filters, for in-process search) and
    ``where`` (the filters, for a search engine that applies them itself).
    """

    def search(
        self, query, k: int, allowed: np.ndarray | None = None, where: Where | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The top ``k`` (passage numbers, scores), best first."""
        ...


class DenseSearch(PassageSearch, Protocol):
    ntotal: int
    """Passages searchable (live)."""


class LexicalSearch(PassageSearch, Protocol):
    size: int
    """Passages searchable, the N of BM25's IDF."""

    def document_frequency(self, term: str) -> int:
        """Passages holding ``term``."""
        ...


class TextLookup(Protocol):
    """Article texts by article number."""

    def __len__(self) -> int: ...

    def __getitem__(self, number: int) -> str: ...

    def prefetch(self, numbers: Iterable[int]) -> None:
        """Say which texts are about to be read, so a remote store fetches them in one call."""
        ...


class IndexBackend(Protocol):
    """Where an index lives and how it is read and written (the caller holds :meth:`lock`
    around every write, and reads the layout under it before writing)."""

    kind: str
    location: str
    """As the user names it: a folder, ``milvus:///path/news.db`` or a server URL."""

    def lock(self) -> AbstractContextManager[None]: ...

    def read_layout(self) -> "IndexLayout": ...

    def read_index(self, config: "Config | None" = None, layout: "IndexLayout | None" = None) -> "IndexData":
        """The loaded index; ``layout`` is its :meth:`read_layout`, if just read under the lock."""
        ...

    def write_index(
        self, articles: list["Article"], embedder: "Embedder", config: "Config", *, progress: bool = False,
        source: str | None = None, store_id: str | None = None, store_seq: int | None = None,
    ) -> None: ...  # fmt: skip

    def write_segment(
        self, data: "IndexLayout", articles: list["Article"], embedder: "Embedder", *, remove: Iterable[int] = (),
        store_seq: int | None = None,
    ) -> "IndexLayout": ...  # fmt: skip

    def bind_state(self, data: "IndexLayout", store_id: str, store_seq: int) -> None: ...

    def needs_compaction(self, data: "IndexLayout", config: "Config") -> bool: ...

    def default_store(self) -> str | None:
        """Where the article store lives when none is named (None: it must be named)."""
        ...
