"""An exclusive lock on a file, across processes (``flock``): released by the operating
system when the process dies, so a killed writer never leaves it held."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["file_lock"]


@contextmanager
def file_lock(path: str | Path) -> Iterator[None]:
    """Hold the lock on ``path`` (created, readable by its owner only, if missing)."""
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
