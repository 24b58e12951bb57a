"""The shared engine: opened at start-up from the article store, swapped atomically when
articles are added or deleted, here or by any other process (the CLI, another app, a
script using the API): :meth:`EngineStore.follow` watches the store's change log."""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import qa

from .uploads import safe_name

__all__ = ["AddResult", "EngineStore", "RemoveResult", "open_engine"]

log = logging.getLogger(__name__)


def open_engine(
    index_dir: str | Path, articles_dir: Path, log: Callable[[str], None] = print, store: str | None = None
) -> qa.Engine:
    """Open the article store and its index (see :func:`qa.open_engine`): a store that never
    held an article is seeded from ``articles_dir``; a missing, corrupt, stale or lagging
    index is rebuilt or caught up from the store (saying so through ``log``).

    Raises :class:`qa.NoArticlesError` or :class:`FileNotFoundError` when the store must be
    seeded and ``articles_dir`` has no usable article, and :class:`qa.StoreError` when the
    store cannot be opened (a damaged file is named; the index is left untouched).
    """
    engine = qa.open_engine(index_dir, store=store, seeds=articles_dir, log=log)
    return engine


@dataclass
class AddResult:
    """What adding uploaded files did. ``error`` is set when nothing could be added."""

    added: int = 0
    updated: int = 0
    info: qa.IndexInfo | None = None
    skipped: list[qa.SkippedFile] = field(default_factory=list)
    error: str = ""


@dataclass
class RemoveResult:
    """What deleting articles did. ``error`` is set when nothing was chosen."""

    removed: int = 0
    info: qa.IndexInfo | None = None
    unknown: list[str] = field(default_factory=list)
    error: str = ""


class EngineStore:
    """Holds the live :class:`qa.Engine`, shared read-only by every request.

    Readers take ``store.engine`` once per request and keep using that object; adding
    articles builds a new engine on the side and swaps the reference in one assignment,
    so a request never sees a half-updated index. Writers are serialised by a lock.
    """

    def __init__(
        self, index_dir: str | Path, engine: qa.Engine, staging_dir: Path | None = None, store: str | None = None
    ) -> None:
        self.index_dir = qa.index.open_index(index_dir)
        """The index's backend (a folder or Milvus: see :func:`qa.index.open_index`)."""
        self.staging_dir = staging_dir
        """Where uploads are staged (the app's temp folder); None: the system temp folder."""
        self.store = store
        """The article store's path or URL (None: the default next to the index)."""
        self._articles: qa.ArticleStore | None = None
        self._engine = engine
        self._write_lock = threading.Lock()
        self._stop = threading.Event()
        self._follower: threading.Thread | None = None

    @property
    def engine(self) -> qa.Engine:
        """The current engine; hold on to it for the whole of one request."""
        return self._engine

    def add_files(self, paths: Iterable[str | Path]) -> AddResult:
        """Store uploaded news files, add them to the index and swap in the reloaded engine.

        Files are staged under their own names made safe (:func:`qa_app.uploads.safe_name`),
        so skipped files are reported by the name the user uploaded (``notes.pdf``,
        ``news.jsonl:3``), not by a temporary path, and a name is never used as a path.
        """
        files = [Path(p) for p in paths]
        if not files:
            return AddResult(error="Choose one or more article files first.")
        with self._write_lock, tempfile.TemporaryDirectory(prefix="qa-upload-", dir=self.staging_dir) as staging:
            _stage(files, Path(staging))
            try:
                info = qa.add_articles(staging, self.index_dir, store=self._open_store())
            except qa.NoArticlesError as e:
                return AddResult(error="None of the files holds a usable article.", skipped=_relative(e.skipped, staging))
            self._engine = qa.load_engine(self.index_dir)
            return AddResult(
                added=info.added, updated=info.updated, info=info, skipped=_relative(info.skipped, staging)
            )

    def refresh(self) -> bool:
        """Catch up with writes made by any other process: when the store holds a change the
        engine's index does not, bring the index in step (as :func:`qa.open_engine` does)
        and swap in the new engine. Returns whether it changed. Cheap when nothing did: one
        query of the store's change log."""
        with self._write_lock:
            store = self._open_store()
            if store.last_seq() == self._engine.data.state.store_seq:
                return False
            self._engine = qa.open_engine(self.index_dir, store=store)
            return True

    def follow(self, every_s: float) -> None:
        """Call :meth:`refresh` every ``every_s`` seconds on a background thread, until
        :meth:`close`. A failed refresh (the store briefly unreachable) is logged and retried."""
        if self._follower is not None:
            return

        def run() -> None:
            while not self._stop.wait(every_s):
                try:
                    self.refresh()
                except Exception:  # keep serving the engine we have; try again next time
                    log.exception("following the article store failed")

        self._follower = threading.Thread(target=run, name="qa-follow-store", daemon=True)
        self._follower.start()

    def close(self) -> None:
        """Stop following the store and close it."""
        self._stop.set()
        if self._follower is not None:
            self._follower.join(timeout=30)
            self._follower = None
        with self._write_lock:
            if self._articles is not None:
                self._articles.close()
                self._articles = None

    def _open_store(self) -> qa.ArticleStore:
        """The article store, opened at the first write and kept open (the caller holds the
        write lock): a write then costs its own transaction only."""
        if self._articles is None:
            location = self.store or qa.store.default_store_location(self.index_dir)
            self._articles = qa.open_store(location)
        return self._articles

    def remove(self, article_ids: Iterable[str]) -> RemoveResult:
        """Delete articles from the store and the index, and swap in the reloaded engine."""
        ids = [str(i) for i in article_ids if str(i)]
        if not ids:
            return RemoveResult(error="Choose one or more articles to delete first.")
        with self._write_lock:
            info = qa.remove_articles(ids, self.index_dir, store=self._open_store())
            self._engine = qa.load_engine(self.index_dir)
        return RemoveResult(removed=info.removed, info=info, unknown=[s.path for s in info.skipped])


def _stage(paths: list[Path], folder: Path) -> None:
    """Copy ``paths`` into ``folder`` under their own safe names (``name-2.txt`` on a clash)."""
    for path in paths:
        name = Path(safe_name(path.name))
        target, n = folder / name, 1
        while target.exists():
            n += 1
            target = folder / f"{name.stem}-{n}{name.suffix}"
        shutil.copyfile(path, target)


def _relative(skipped: list[qa.SkippedFile], staging: str) -> list[qa.SkippedFile]:
    """``skipped`` with the staging folder taken off each path."""
    prefix = str(Path(staging)) + "/"
    return [qa.SkippedFile(s.path.removeprefix(prefix), s.reason) for s in skipped]
