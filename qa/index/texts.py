"""Article texts: one memory-mapped file per build or segment, decoded on demand."""

from __future__ import annotations

import bisect
from pathlib import Path

import numpy as np


TEXT_CACHE_BYTES = 32 * 1024 * 1024
"""Decoded article texts kept per text file (their UTF-8 size): the corpus may not fit."""


class TextStore:
    """Article texts in one memory-mapped file, decoded on demand."""

    def __init__(self, data: np.ndarray, offsets: np.ndarray) -> None:
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
            text = self._data[a:b].tobytes().decode("utf-8")
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
        """Nothing to do: the texts are memory-mapped (see :class:`qa.index.interface.TextLookup`)."""

    def __getitem__(self, i: int) -> str:
        part = bisect.bisect_right(self._firsts, i) - 1
        if not 0 <= i < len(self) or part >= len(self._parts):
            raise IndexError(i)
        return self._parts[part][i - self._firsts[part]]
