"""The shared engine: opened (or built) at start-up, swapped atomically when articles are added."""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import qa

from .uploads import safe_name

__all__ = ["AddResult", "EngineStore", "open_engine"]


def open_engine(index_dir: Path, articles_dir: Path, log: Callable[[str], None] = print) -> qa.Engine:
    """Load the index in ``index_dir``; build it from ``articles_dir`` if it is missing,
    corrupt or stale (saying so through ``log``).

    Raises :class:`qa.NoArticlesError` or :class:`FileNotFoundError` when a build is
    needed and ``articles_dir`` has no usable article.
    """
    try:
        return qa.load_engine(index_dir)
    except qa.IndexMissingError:
        log(f"No index in {index_dir}/ yet: building it from {articles_dir}/ ...")
    except qa.IndexLoadError as e:  # corrupt or stale
        log(f"The index in {index_dir}/ cannot be used ({e}).\nRebuilding it from {articles_dir}/ ...")
    info = qa.build_index(articles_dir, index_dir)
    log(f"Indexed {info.articles} articles ({info.passages} passages) in {info.seconds:.1f} s.")
    for skipped in info.skipped:
        log(f"  skipped {skipped.path}: {skipped.reason}")
    return qa.load_engine(index_dir)


@dataclass
class AddResult:
    """What adding uploaded files did. ``error`` is set when nothing could be added."""

    added: int = 0
    info: qa.IndexInfo | None = None
    skipped: list[qa.SkippedFile] = field(default_factory=list)
    error: str = ""


class EngineStore:
    """Holds the live :class:`qa.Engine`, shared read-only by every request.

    Readers take ``store.engine`` once per request and keep using that object; adding
    articles builds a new engine on the side and swaps the reference in one assignment,
    so a request never sees a half-updated index. Writers are serialised by a lock.
    """

    def __init__(self, index_dir: Path, engine: qa.Engine, staging_dir: Path | None = None) -> None:
        self.index_dir = Path(index_dir)
        self.staging_dir = staging_dir
        """Where uploads are staged (the app's temp folder); None: the system temp folder."""
        self._engine = engine
        self._write_lock = threading.Lock()

    @property
    def engine(self) -> qa.Engine:
        """The current engine; hold on to it for the whole of one request."""
        return self._engine

    def add_files(self, paths: Iterable[str | Path]) -> AddResult:
        """Add uploaded ``.txt``/``.jsonl`` files to the index and swap in the reloaded engine.

        Files are staged under their own names made safe (:func:`qa_app.uploads.safe_name`),
        so skipped files are reported by the name the user uploaded (``notes.pdf``,
        ``news.jsonl:3``), not by a temporary path, and a name is never used as a path.
        """
        files = [Path(p) for p in paths]
        if not files:
            return AddResult(error="Choose one or more .txt or .jsonl files first.")
        with self._write_lock, tempfile.TemporaryDirectory(prefix="qa-upload-", dir=self.staging_dir) as staging:
            _stage(files, Path(staging))
            try:
                info = qa.add_articles(staging, self.index_dir)
            except qa.NoArticlesError:
                skipped = _relative(qa.load_articles(staging).skipped, staging)
                return AddResult(error="None of the files holds a usable article.", skipped=skipped)
            self._engine = qa.load_engine(self.index_dir)
            return AddResult(added=info.added, info=info, skipped=_relative(info.skipped, staging))


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
