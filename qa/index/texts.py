"""Article texts: one file per build or segment, read and decoded on demand."""

from __future__ import annotations

import bisect
import os
from pathlib import Path

import numpy as np


TEXT_CACHE_BYTES = 8 * 1024 * 1024
"""Decoded article texts kept per text file (their UTF-8 size): the corpus may not fit."""


class FileBytes:
    """A file's bytes, read on demand with ``os.pread``.

    Not a memory map: mapped pages count in the process's resident memory once touched
    (and the kernel maps their neighbours with them), so answering over a 100k-passage
    archive came to hold all of its ~60 MB of texts. Read pages stay in the OS's cache
    instead. Thread-safe: every read names its offset.
    """

    def __init__(self, path: str | Path) -> None:
        self._file = open(path, "rb")
        self._size = os.fstat(self._file.fileno()).st_size

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, part: slice) -> bytes:
        start, stop, _ = part.indices(self._size)
        return os.pread(self._file.fileno(), max(0, stop - start), start)


def open_bytes(path: str | Path) -> FileBytes | np.ndarray:
    """The bytes of ``path``: read on demand where the OS has ``pread``, else mapped."""
    if hasattr(os, "pread"):
        return FileBytes(path)
    return np.memmap(path, dtype=np.uint8, mode="r")


class TextStore:
    """Article texts in one file, decoded on demand."""

    def __init__(self, data: FileBytes | np.ndarray, offsets: np.ndarray) -> None:
        self._data = data
        self._offsets = offsets
        self._cache: dict[int, str] = {}
        self._cached_bytes = 0

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, i: int) -> str:
        text = self._cache.get(i)
        if text is None:
            a, b = int(self._offsets[i]), int(self._offsets[i + 1])
            text = bytes(self._data[a:b]).decode("utf-8")
            if self._cached_bytes + (b - a) > TEXT_CACHE_BYTES:
                self._cache.clear()
                self._cached_bytes = 0
            self._cache[i] = text
            self._cached_bytes += b - a
        return text


def _write_texts(folder: Path, texts: list[str]) -> None:
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    with open(folder / "texts.bin", "wb") as f:
        for i, text in enumerate(texts):
            data = text.encode("utf-8")
            f.write(data)
            offsets[i + 1] = offsets[i] + len(data)
    np.save(folder / "text_offsets.npy", offsets)


class Texts:
    """Article texts of the build and of its segments, by article number."""

    def __init__(self, parts: list[TextStore]) -> None:
        self._parts = parts
        self._firsts = list(np.cumsum([0] + [len(p) for p in parts]))

    def __len__(self) -> int:
        return self._firsts[-1]

    def prefetch(self, numbers) -> None:
        """Nothing to do: the texts are read from local files (see :class:`qa.index.interface.TextLookup`)."""

    def __getitem__(self, i: int) -> str:
        part = bisect.bisect_right(self._firsts, i) - 1
        if not 0 <= i < len(self) or part >= len(self._parts):
            raise IndexError(i)
        return self._parts[part][i - self._firsts[part]]
