"""The index: articles, passage spans, passage vectors and BM25 terms, derived from the
article store, on one of two backends behind one interface (:mod:`~qa.index.interface`;
:func:`open_index` picks one from the ``--index`` value):

- :mod:`~qa.index.faiss`: a folder (the default, embedded, for one machine). Its parts:
  :mod:`~qa.index.texts` (article texts), :mod:`~qa.index.lexical` (BM25),
  :mod:`~qa.index.dense` (FAISS), :mod:`~qa.index.layout` (reading a folder, checked) and
  :mod:`~qa.index.write` (full builds and incremental segments).
- :mod:`~qa.index.milvus`: Milvus Lite (``milvus:///path/news.db``) or a Milvus server
  (``http://host:19530``), shared by any number of app replicas.

The index can be rebuilt from the store (:mod:`qa.store`) at any time. Layout of an index folder (``embeddings/`` by default)::

    embeddings/
        CURRENT                 name of the live version folder, replaced atomically
        .lock                   held by the write in progress (see build_lock)
        v-20261123T170102-1a2b/ one full build and what was written since
            manifest.json       format, model + fingerprint, counts, file sizes
            articles.jsonl      article metadata, one per line (no text)
            texts.bin           every article's text, UTF-8, back to back
            text_offsets.npy    byte offsets of each article in texts.bin
            passages.npy        (article number, start, end) of every passage
            dense.faiss         passage vectors
            bm25/               bm25s index of passage terms
            seg-000001-ab12cd/  articles added since the build: the same files, with
                                vectors.npy and terms.json instead of FAISS and bm25s
            STATE.json          segments, removed articles, the store change held

A full build writes a new version folder, then swaps ``CURRENT`` with one atomic
rename, then deletes older versions: a failed or interrupted build leaves the last good
index in place and loading. Adds and removals are incremental: an add writes one small
segment, a removal only lists the article as removed; each ends by replacing
``STATE.json`` atomically, so a killed write leaves the previous state. Compaction is a
full build from the store (:func:`qa.collection.compact`).
"""

from __future__ import annotations

import os

from ..errors import IndexCorruptError, IndexLoadError, IndexMissingError, IndexStaleError
from .dense import DenseIndex, search_dense
from .faiss import FaissIndex
from .interface import IndexBackend, Where
from .milvus import MilvusIndex, is_milvus
from .layout import IndexData, IndexLayout, IndexState, read_index, read_layout, rebuild_hint, resolve_version
from .lexical import Lexical, LexicalIndex
from .texts import Texts, TextStore
from .write import bind_state, build_lock, write_index, write_segment

__all__ = [
    "DenseIndex",
    "FaissIndex",
    "IndexBackend",
    "MilvusIndex",
    "Where",
    "is_milvus",
    "open_index",
    "IndexCorruptError",
    "IndexData",
    "IndexLayout",
    "IndexLoadError",
    "IndexMissingError",
    "IndexStaleError",
    "IndexState",
    "Lexical",
    "LexicalIndex",
    "TextStore",
    "Texts",
    "bind_state",
    "build_lock",
    "read_index",
    "read_layout",
    "rebuild_hint",
    "resolve_version",
    "search_dense",
    "write_index",
    "write_segment",
]


def open_index(location: str | os.PathLike | IndexBackend) -> IndexBackend:
    """The backend an ``--index`` value names: ``milvus://FILE`` or ``http(s)://HOST:PORT``
    is Milvus, anything else an index folder. Opens no connection until first used."""
    if isinstance(location, (FaissIndex, MilvusIndex)):
        return location
    return MilvusIndex(str(location)) if is_milvus(location) else FaissIndex(location)
