"""The embedded backend: an index folder holding FAISS and BM25, memory-mapped by every
process that reads it, and the texts, read on demand. The layout: :mod:`qa.index`;
reading it: :mod:`~qa.index.layout`; builds and segments: :mod:`~qa.index.write`."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from pathlib import Path

from ..config import Config
from ..embedding import Embedder
from ..errors import IndexMissingError
from ..types import Article
from .layout import IndexData, IndexLayout, read_index, read_layout
from .write import bind_state, build_lock, write_index, write_segment

__all__ = ["FaissIndex"]


class FaissIndex:
    """An index folder (``embeddings/``): the default, for one machine."""

    kind = "faiss"

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.location = str(folder)

    def __str__(self) -> str:
        return self.location

    def lock(self) -> AbstractContextManager[None]:
        return build_lock(self.folder)

    def read_layout(self) -> IndexLayout:
        return read_layout(self.folder)

    def read_index(self, config: Config | None = None, layout: IndexLayout | None = None) -> IndexData:
        if not self.folder.exists():
            raise IndexMissingError(
                f"no index folder {self.folder}: build one with: qa-index build SOURCE --index {self.folder}"
            )
        return read_index(self.folder, config, layout)

    def write_index(self, articles: list[Article], embedder: Embedder, config: Config, *, progress: bool = False,
                    source: str | None = None, store_id: str | None = None, store_seq: int | None = None) -> None:  # fmt: skip
        write_index(self.folder, articles, embedder, config, progress=progress, source=source, store_id=store_id,
                    store_seq=store_seq)  # fmt: skip

    def write_segment(self, data: IndexLayout, articles: list[Article], embedder: Embedder, *,
                      remove: Iterable[int] = (), store_seq: int | None = None) -> IndexLayout:  # fmt: skip
        return write_segment(data, articles, embedder, remove=remove, store_seq=store_seq)

    def bind_state(self, data: IndexLayout, store_id: str, store_seq: int) -> None:
        bind_state(data, store_id, store_seq)

    def needs_compaction(self, data: IndexLayout, config: Config) -> bool:
        """Past this many segments, or this much churn, a full build is cheaper to search."""
        removed = 0 if data.live is None else int(len(data.live) - data.live.sum())
        churn = data.segment_passages + removed
        total = max(1, len(data.passages))
        return len(data.state.segments) > config.compact_segments or (
            churn > config.compact_min_passages and churn > config.compact_share * total
        )

    def default_store(self) -> str:
        """A SQLite file next to the folder (``embeddings/`` -> ``embeddings.articles.sqlite3``)."""
        return str(self.folder.parent / f"{self.folder.name}.articles.sqlite3")
