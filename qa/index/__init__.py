"""The on-disk index: articles, passage spans, a FAISS index and a BM25 index.

Its parts, one module each: :mod:`~qa.index.texts` (article texts), :mod:`~qa.index.lexical`
(BM25), :mod:`~qa.index.dense` (FAISS), :mod:`~qa.index.layout` (reading a folder, checked)
and :mod:`~qa.index.write` (full builds and incremental segments).

The index is derived from the article store (:mod:`qa.store`) and can be rebuilt from it
at any time. Layout of an index folder (``embeddings/`` by default)::

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

from ..errors import IndexCorruptError, IndexLoadError, IndexMissingError, IndexStaleError
from .dense import DenseIndex, search_dense
from .layout import IndexData, IndexLayout, IndexState, read_index, read_layout, rebuild_hint, resolve_version
from .lexical import Lexical, LexicalIndex
from .texts import Texts, TextStore
from .write import bind_state, build_lock, write_index, write_segment

__all__ = [
    "DenseIndex",
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
