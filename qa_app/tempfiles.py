"""The app's own temp folder: uploads, staging and exports, removed on shutdown.

Layout, under a root (``QA_TEMP_DIR``, default ``<system temp>/article-qa``)::

    <root>/run-<pid>-<random>/      one per running app process, holding a lock
        .lock                       flock()ed for as long as the process lives
        gradio/                     Gradio's cache (GRADIO_TEMP_DIR): raw uploads, downloads
        staging/                    uploads being added to the index
        exports/                    conversation exports

The folder is removed when the process exits (normally, on SIGTERM or Ctrl-C). A process
killed outright cannot clean up, so every start-up removes the run folders whose lock is
no longer held: the leftovers of a crash. Folders of other live processes are left alone.
"""

from __future__ import annotations

import atexit
import fcntl
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import IO

__all__ = ["AppTemp", "app_temp", "cleanup", "default_root", "remove_stale"]

_ROOT_LOCK = ".lock"
_RUN_PREFIX = "run-"


def default_root() -> Path:
    """``$QA_TEMP_DIR``, else ``<system temp>/article-qa``."""
    configured = os.environ.get("QA_TEMP_DIR")
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "article-qa"


class _Flock:
    """An exclusive ``flock`` on ``path`` (created if missing), held until released."""

    def __init__(self, path: Path, blocking: bool = True) -> None:
        self.file: IO[bytes] | None = open(path, "a+b")  # noqa: SIM115 - held on purpose
        try:
            fcntl.flock(self.file, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BaseException:
            self.file.close()
            self.file = None
            raise

    def release(self) -> None:
        if self.file is not None:
            self.file.close()  # closing drops the lock
            self.file = None


def remove_stale(root: Path) -> list[Path]:
    """Remove run folders under ``root`` whose process is gone (its lock is free).

    The caller holds the root lock, so no folder is half-made. Returns what was removed.
    """
    removed = []
    for run in sorted(Path(root).glob(_RUN_PREFIX + "*")):
        if not run.is_dir():
            continue
        lock_path = run / ".lock"
        try:
            lock = _Flock(lock_path, blocking=False)
        except BlockingIOError:
            continue  # a live process holds it
        except OSError:
            lock = None  # unreadable lock file: the folder is broken, remove it anyway
        try:
            shutil.rmtree(run, ignore_errors=True)
            removed.append(run)
        finally:
            if lock is not None:
                lock.release()
    return removed


def _check_private(folder: Path) -> None:
    """Refuse a root folder that another user could read or swap: one made in the shared
    system temp folder by someone else (or a link to elsewhere) would see every upload."""
    info = os.lstat(folder)
    if os.path.islink(folder) or not os.path.isdir(folder):
        raise PermissionError(f"the temp folder {folder} is a link or not a folder; set QA_TEMP_DIR to a folder of your own")
    if info.st_uid != os.getuid():
        raise PermissionError(
            f"the temp folder {folder} belongs to another user (uid {info.st_uid}); set QA_TEMP_DIR to a folder of "
            "your own"
        )
    if info.st_mode & 0o077:
        os.chmod(folder, 0o700)  # ours, but opened up: close it again


class AppTemp:
    """This process's run folder; :meth:`cleanup` (also at exit) removes it."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        _check_private(self.root)
        root_lock = _Flock(self.root / _ROOT_LOCK)
        try:
            self.removed_stale = remove_stale(self.root)
            self.path = Path(tempfile.mkdtemp(prefix=f"{_RUN_PREFIX}{os.getpid()}-", dir=self.root))
            self._lock: _Flock | None = _Flock(self.path / ".lock")
        finally:
            root_lock.release()
        for sub in ("gradio", "staging", "exports"):
            (self.path / sub).mkdir(mode=0o700)
        atexit.register(self.cleanup)

    @property
    def gradio(self) -> Path:
        """Gradio's cache folder (``GRADIO_TEMP_DIR``)."""
        return self.path / "gradio"

    @property
    def staging(self) -> Path:
        return self.path / "staging"

    @property
    def exports(self) -> Path:
        return self.path / "exports"

    def cleanup(self) -> None:
        """Remove the run folder, and the root too when nothing else is in it."""
        if self._lock is None:
            return
        shutil.rmtree(self.path, ignore_errors=True)
        self._lock.release()
        self._lock = None
        try:
            root_lock = _Flock(self.root / _ROOT_LOCK, blocking=False)
        except OSError:
            return  # another process is starting: it keeps the root
        try:
            if not any(p.name != _ROOT_LOCK for p in self.root.iterdir()):
                (self.root / _ROOT_LOCK).unlink(missing_ok=True)
                self.root.rmdir()
        except OSError:
            pass
        finally:
            root_lock.release()


_current: AppTemp | None = None
_current_lock = threading.Lock()


def app_temp(root: Path | None = None) -> AppTemp:
    """This process's :class:`AppTemp`, made on first use (removing crash leftovers) and
    pointing Gradio's cache (``GRADIO_TEMP_DIR``) into it. Later calls return the same one
    while it has not been cleaned up."""
    global _current
    with _current_lock:
        if _current is None or _current._lock is None:
            _current = AppTemp(root or default_root())
            os.environ["GRADIO_TEMP_DIR"] = str(_current.gradio)
        return _current


def cleanup() -> None:
    """Remove this process's run folder now (it is also removed at exit)."""
    with _current_lock:
        if _current is not None:
            _current.cleanup()
