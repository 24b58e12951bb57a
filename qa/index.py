"""The on-disk index: articles, passage spans, a FAISS index and a BM25 index.

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

from __future__ import annotations

import bisect
import fcntl
import functools
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TypeVar

import numpy as np

from .chunking import Span, chunk
from .config import Config
from .embedding import Embedder
from .errors import IndexCorruptError, IndexLoadError, IndexMissingError, IndexStaleError
from .text import terms
from .types import Article

_T = TypeVar("_T")

__all__ = [
    "IndexLoadError",
    "IndexMissingError",
    "IndexCorruptError",
    "IndexStaleError",
    "IndexData",
    "IndexLayout",
    "IndexState",
    "build_lock",
    "bind_state",
    "write_index",
    "write_segment",
    "read_index",
    "read_layout",
    "resolve_version",
    "search_dense",
]

FORMAT_VERSION = 1
_PQ_MIN_VECTORS = 10_000
CURRENT = "CURRENT"
STATE = "STATE.json"
SEGMENT_PREFIX = "seg-"
_FILES = ("manifest.json", "articles.jsonl", "texts.bin", "text_offsets.npy", "passages.npy", "dense.faiss")


def rebuild_hint(index_dir: Path) -> str:
    return f"rebuild it with: qa-index build SOURCE --index {index_dir}"


# --- text storage ------------------------------------------------------------------------


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


# --- lexical index ---------------------------------------------------------------------


class LexicalIndex:
    """BM25 over passage terms, scored from the posting lists of the query terms only."""

    def __init__(self, bm25) -> None:
        self.bm25 = bm25
        self.vocab: dict[str, int] = bm25.vocab_dict
        scores = bm25.scores
        self._data, self._indices, self._indptr = scores["data"], scores["indices"], scores["indptr"]
        self.size = int(scores["num_docs"])
        # bm25s lists a term for empty documents ("") that has no posting list.
        self._columns = len(self._indptr) - 1

    def _term_id(self, term: str) -> int | None:
        tid = self.vocab.get(term)
        return tid if tid is not None and tid < self._columns else None

    @classmethod
    def build(cls, passage_terms: list[list[str]]) -> "LexicalIndex":
        import bm25s

        bm25 = bm25s.BM25()
        if not any(passage_terms):  # bm25s cannot index a corpus without a term
            passage_terms = [["\x00"] for _ in passage_terms]  # (no query yields it)
        bm25.index(passage_terms, show_progress=False)
        return cls(bm25)

    def save(self, folder: Path) -> None:
        self.bm25.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> "LexicalIndex":
        import bm25s

        return cls(bm25s.BM25.load(str(folder), mmap=True, show_progress=False))

    def document_frequency(self, term: str) -> int:
        tid = self._term_id(term)
        return 0 if tid is None else int(self._indptr[tid + 1] - self._indptr[tid])

    def search(self, query_terms: list[str], k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` (passage ids, scores), touching only the query terms' postings.

        ``allowed`` (one bool per passage, or None for all) leaves the others out.
        """
        ids = [i for i in map(self._term_id, dict.fromkeys(query_terms)) if i is not None]
        if not ids:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        docs = np.concatenate([self._indices[self._indptr[i] : self._indptr[i + 1]] for i in ids])
        vals = np.concatenate([self._data[self._indptr[i] : self._indptr[i + 1]] for i in ids])
        if 8 * len(docs) >= self.size:
            # Postings cover a good share of the corpus: one pass over a dense array is
            # cheaper than sorting them, and still bounded by their length. Same sums, in
            # the same order; every posting's score is positive, so nonzero = posted.
            sums = np.bincount(docs, weights=vals, minlength=self.size)
            if allowed is not None:
                sums[~allowed[: self.size]] = 0
            uniq = np.flatnonzero(sums != 0)  # (a boolean mask is much faster to scan)
            totals = sums[uniq].astype(np.float32)
        else:
            uniq, inverse = np.unique(docs, return_inverse=True)
            totals = np.bincount(inverse, weights=vals).astype(np.float32)
            if allowed is not None:
                keep = allowed[uniq]
                uniq, totals = uniq[keep], totals[keep]
        if len(uniq) > k:
            top = np.argpartition(-totals, k)[:k]
            uniq, totals = uniq[top], totals[top]
        order = np.argsort(-totals, kind="stable")
        return uniq[order].astype(np.int64), totals[order]


# --- dense index -----------------------------------------------------------------------


def _new_faiss_index(kind: str, dim: int, n: int, config: Config):
    """An empty FAISS index of the type that fits ``n`` vectors (inner product)."""
    import faiss

    if kind == "auto":
        kind = "flat" if n < config.ivf_threshold else "ivf"
    if kind == "flat":
        return faiss.IndexFlatIP(dim), "flat"
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efSearch = 128
        return index, "hnsw"
    if kind in ("ivf", "ivfpq"):
        # sqrt(n)/2 lists of 2*sqrt(n) vectors: with the default nprobe (32) a query scans
        # 64/sqrt(n) of the vectors (20% at 100k, 2% at 10M), which kept the fused top 5
        # as good as exact search in bench/bench_speed.py; the usual 4*sqrt(n) lists
        # lost 3 to 5 points of R@5 at 100k with our static embeddings.
        nlist = int(max(1, min(65536, np.sqrt(max(n, 1)) / 2)))
        # Past a few million vectors full floats stop fitting in RAM: compress with PQ.
        # PQ's codebooks need thousands of training vectors; a smaller corpus keeps full floats.
        compress = (kind == "ivfpq" or n > 5_000_000) and n >= _PQ_MIN_VECTORS
        spec = f"IVF{nlist},PQ{dim // 8}" if compress else f"IVF{nlist},Flat"
        return faiss.index_factory(dim, spec, faiss.METRIC_INNER_PRODUCT), spec
    raise ValueError(f"unknown faiss_index {kind!r}: use auto, flat, ivf, ivfpq or hnsw")


def _train(index, vectors: np.ndarray, seed: int = 0) -> None:
    if index.is_trained:
        return
    rng = np.random.default_rng(seed)
    sample = vectors if len(vectors) <= 200_000 else vectors[rng.choice(len(vectors), 200_000, replace=False)]
    index.train(sample)


def search_dense(index, queries: np.ndarray, k: int, params=None) -> tuple[np.ndarray, np.ndarray]:
    """``index.search`` run on the calling thread alone.

    One query is too little work to share: fanning it out to FAISS's OpenMP threads
    makes it slower and its latency erratic, and concurrent callers already use every
    core. The thread count is OpenMP's per-thread setting, restored afterwards.
    """
    import faiss

    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        return index.search(queries, k) if params is None else index.search(queries, k, params=params)
    finally:
        faiss.omp_set_num_threads(threads)


def _selector_params(index, allowed: np.ndarray):
    """FAISS search parameters that skip vectors whose ``allowed`` bit is off."""
    import faiss

    bits = np.packbits(allowed.astype(bool), bitorder="little")
    selector = faiss.IDSelectorBitmap(len(allowed), faiss.swig_ptr(bits))
    ivf = faiss.try_extract_index_ivf(index)
    if ivf is not None:
        params = faiss.SearchParametersIVF(sel=selector, nprobe=ivf.nprobe)
    elif hasattr(index, "hnsw"):
        params = faiss.SearchParametersHNSW(sel=selector, efSearch=index.hnsw.efSearch)
    else:
        params = faiss.SearchParameters(sel=selector)
    params._keep = (bits, selector)  # the C++ side only points at them
    return params


class DenseIndex:
    """The built FAISS index plus the vectors of the segments added since, searched as one.

    Passage ids run on from the FAISS index's into the segments'. Segments are small (a
    compaction folds them into a new build), so they are searched by a plain dot product.
    """

    def __init__(self, base, delta: np.ndarray) -> None:
        self.base = base
        self.delta = delta
        self.ntotal = int(base.ntotal) + len(delta)

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` (passage ids, scores) for one query vector, only among ``allowed``."""
        nb = int(self.base.ntotal)
        ids, scores = [], []
        base_allowed = None if allowed is None else allowed[:nb]
        if nb and (base_allowed is None or base_allowed.any()):
            params = None if base_allowed is None or base_allowed.all() else _selector_params(self.base, base_allowed)
            s, i = search_dense(self.base, query.reshape(1, -1).astype(np.float32), min(k, nb), params)
            keep = i[0] >= 0
            ids.append(i[0][keep].astype(np.int64))
            scores.append(s[0][keep])
        if len(self.delta):
            s = self.delta @ query.reshape(-1).astype(np.float32)
            local = np.arange(len(self.delta))
            if allowed is not None:
                keep = allowed[nb:]
                s, local = s[keep], local[keep]
            if len(s) > k:
                top = np.argpartition(-s, k)[:k]
                s, local = s[top], local[top]
            ids.append(local + nb)
            scores.append(s)
        if not ids:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        all_ids, all_scores = np.concatenate(ids), np.concatenate(scores)
        order = np.argsort(-all_scores, kind="stable")[:k]
        return all_ids[order], all_scores[order]


_K1, _B = 1.5, 0.75
"""BM25 parameters: bm25s's defaults, so segment scores are on the built index's scale."""


class _SegmentLexical:
    """BM25 over the segments' passages, weighted with the whole index's statistics."""

    def __init__(self, passage_terms: list[list[str]], first: int, base: LexicalIndex, avg_terms: float) -> None:
        postings: dict[str, tuple[list[int], list[int]]] = {}
        lengths = np.array([len(t) for t in passage_terms], dtype=np.float32)
        for pid, words in enumerate(passage_terms):
            for term, tf in _counts(words).items():
                docs, tfs = postings.setdefault(term, ([], []))
                docs.append(first + pid)
                tfs.append(tf)
        self.df = {t: len(d) for t, d in postings.items()}
        n = base.size + len(passage_terms)
        avg = avg_terms or (float(lengths.mean()) if len(lengths) else 1.0) or 1.0
        self.postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for term, (docs, tfs) in postings.items():
            df = self.df[term] + base.document_frequency(term)
            idf = np.log(1 + (n - df + 0.5) / (df + 0.5))
            tf = np.array(tfs, dtype=np.float32)
            dl = lengths[np.array(docs) - first]
            weights = idf * tf / (_K1 * (1 - _B + _B * dl / avg) + tf)
            self.postings[term] = (np.array(docs, dtype=np.int64), weights.astype(np.float32))

    def search(self, query_terms: list[str], k: int, allowed: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        found = [self.postings[t] for t in dict.fromkeys(query_terms) if t in self.postings]
        if not found:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        docs = np.concatenate([d for d, _ in found])
        vals = np.concatenate([w for _, w in found])
        uniq, inverse = np.unique(docs, return_inverse=True)
        totals = np.bincount(inverse, weights=vals).astype(np.float32)
        if allowed is not None:
            keep = allowed[uniq]
            uniq, totals = uniq[keep], totals[keep]
        order = np.argsort(-totals, kind="stable")[:k]
        return uniq[order], totals[order]


def _counts(words: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for w in words:
        out[w] = out.get(w, 0) + 1
    return out


class Lexical:
    """The built BM25 index plus the segments' postings, searched as one."""

    def __init__(self, base: LexicalIndex, segments: _SegmentLexical | None, segment_passages: int) -> None:
        self.base = base
        self.segments = segments
        self.size = base.size + segment_passages

    def document_frequency(self, term: str) -> int:
        extra = self.segments.df.get(term, 0) if self.segments else 0
        return self.base.document_frequency(term) + extra

    def search(self, query_terms: list[str], k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` (passage ids, scores) among ``allowed`` passages (all if None)."""
        ids, scores = self.base.search(query_terms, k, allowed)
        if self.segments is None:
            return ids, scores
        s_ids, s_scores = self.segments.search(query_terms, k, allowed)
        all_ids, all_scores = np.concatenate([ids, s_ids]), np.concatenate([scores, s_scores])
        order = np.argsort(-all_scores, kind="stable")[:k]
        return all_ids[order], all_scores[order]


def _set_search_params(index, config: Config) -> None:
    import faiss

    ivf = faiss.try_extract_index_ivf(index)
    if ivf is not None:
        ivf.nprobe = config.ivf_nprobe


# --- the whole index -------------------------------------------------------------------


class Texts:
    """Article texts of the build and of its segments, by article number."""

    def __init__(self, parts: list[TextStore]) -> None:
        self._parts = parts
        self._firsts = list(np.cumsum([0] + [len(p) for p in parts]))

    def __len__(self) -> int:
        return self._firsts[-1]

    def __getitem__(self, i: int) -> str:
        part = bisect.bisect_right(self._firsts, i) - 1
        if not 0 <= i < len(self) or part >= len(self._parts):
            raise IndexError(i)
        return self._parts[part][i - self._firsts[part]]


@dataclass
class IndexState:
    """What changed since the build (``STATE.json``, replaced atomically on every write).

    ``segments`` were added in order after the build; ``removed`` holds the numbers of
    articles deleted or replaced since; ``store_id``/``store_seq`` say which article store
    the index is derived from and the last change of it that the index holds.
    """

    segments: list[dict] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    store_id: str | None = None
    store_seq: int | None = None

    def to_json(self) -> str:
        return json.dumps(
            {"segments": self.segments, "removed": sorted(set(self.removed)), "store_id": self.store_id,
             "store_seq": self.store_seq},
            indent=1,
        )  # fmt: skip


@dataclass
class IndexLayout:
    """What an index holds, without its search structures: enough to write to it.

    Article and passage numbers run over the build and then each segment. Removed
    articles stay in ``articles`` (numbers never shift) but are off in ``live``.
    """

    path: Path
    manifest: dict
    articles: list[dict]
    passages: np.ndarray
    state: IndexState = field(default_factory=IndexState)
    live: np.ndarray | None = None
    """One bool per passage: False for passages of removed articles (None: none removed)."""

    @property
    def config(self) -> Config:
        return Config.from_dict(self.manifest["config"])

    @property
    def removed(self) -> set[int]:
        return set(self.state.removed)

    def live_articles(self) -> list[int]:
        """Numbers of the articles that are not removed, in index order."""
        removed = self.removed
        return [i for i in range(len(self.articles)) if i not in removed]

    @property
    def live_passages(self) -> int:
        return int(len(self.passages) if self.live is None else self.live.sum())

    @property
    def segment_passages(self) -> int:
        return sum(int(s["passages"]) for s in self.state.segments)

    def unindexed(self) -> dict[str, str]:
        """Live articles that are stored but yield no passage, by id, with the reason."""
        found, first = {}, 0
        for part in [self.manifest, *self.state.segments]:  # numbered within each part
            found.update({first + int(n): why for n, why in (part.get("unindexed") or {}).items()})
            first += int(part["articles"])
        removed = self.removed
        return {self.articles[n]["id"]: why for n, why in sorted(found.items()) if n not in removed}


@dataclass(kw_only=True)
class IndexData(IndexLayout):
    """A loaded index: its layout plus texts and the dense and lexical search structures.
    Read-only once loaded."""

    texts: Texts
    dense: DenseIndex
    lexical: Lexical

    def article(self, i: int) -> Article:
        meta = self.articles[i]
        return Article(
            id=meta["id"],
            title=meta["title"],
            text=self.texts[i],
            date=meta.get("date"),
            author=meta.get("author"),
            source=meta.get("source"),
            url=meta.get("url"),
            metadata=meta.get("metadata", {}),
        )


def _embedding_input(title: str, passage: str) -> str:
    # The headline gives short passages their topic ("he said" -> who and what).
    return f"{title}\n{passage}"


def _chunk_articles(
    articles: list[Article], config: Config, first: int
) -> tuple[np.ndarray, list[str], dict[str, str]]:
    """Passage rows ``(article number, start, end)``, the embedder's inputs, and the
    articles that yield no passage with the reason: those are kept (listed, never
    searched) instead of failing the whole write, by their number among ``articles``."""
    rows: list[tuple[int, int, int]] = []
    inputs: list[str] = []
    unindexed: dict[str, str] = {}
    for i, article in enumerate(articles):
        try:
            start = article.body_start
            spans: list[Span] = chunk(
                article.text, start, max_chars=config.chunk_chars, overlap=config.chunk_overlap_sentences
            ) or (chunk(article.text, 0, max_chars=config.chunk_chars, overlap=config.chunk_overlap_sentences)
                  if start else [])  # fmt: skip
        except Exception as e:  # a record no check foresaw must not block every later write
            unindexed[str(i)] = f"its text could not be split into passages ({type(e).__name__}: {e})"
            continue
        if not spans:
            unindexed[str(i)] = "its text holds no passage to index (only white space)"
        for s, e in spans:
            rows.append((first + i, s, e))
            inputs.append(_embedding_input(article.title, article.text[s:e]))
    return np.array(rows, dtype=np.int64).reshape(-1, 3), inputs, unindexed


def _passage_terms(articles: list[Article], rows: np.ndarray) -> list[list[str]]:
    """Each passage's BM25 terms; a passage with none of its own (``!!!``, a stopword
    sentence) is found by its article's title (else its id: the file name) instead of
    holding no term at all."""
    out = []
    for a, s, e in rows:
        article = articles[int(a)]
        out.append(terms(article.text[int(s) : int(e)]) or terms(article.title) or terms(article.id))
    return out


def _article_meta(a: Article) -> dict:
    return {"id": a.id, "title": a.title, "date": a.date, "author": a.author, "source": a.source, "url": a.url,
            "metadata": a.metadata}  # fmt: skip


def resolve_version(index_dir: Path) -> Path:
    """The live version folder of ``index_dir`` (or ``index_dir`` itself if it is one)."""
    index_dir = Path(index_dir)
    if (index_dir / "manifest.json").exists():
        return index_dir
    pointer = index_dir / CURRENT
    if not pointer.exists():
        raise IndexMissingError(f"no index in {index_dir}: build one with: qa-index build SOURCE --index {index_dir}")
    name = pointer.read_text(encoding="utf-8", errors="replace").strip()
    version = index_dir / name
    if not name or not version.is_dir():
        raise IndexCorruptError(f"{pointer} points to {name!r}, which is missing; {rebuild_hint(index_dir)}")
    if not (version / "manifest.json").exists():
        raise IndexCorruptError(f"index file {version / 'manifest.json'} is missing; {rebuild_hint(index_dir)}")
    return version


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb+") as f:
                os.fsync(f.fileno())
    _fsync_dir(folder)


def _private(folder: Path) -> None:
    """Files 0600 and folders 0700 under ``folder``: an index holds the archive's text."""
    for path in folder.rglob("*"):
        os.chmod(path, 0o700 if path.is_dir() else 0o600)
    os.chmod(folder, 0o700)


@contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """Hold the index folder's write lock: one build, add or removal at a time, across processes.

    A write reads the live version and replaces it or its state; two at once would drop
    one's articles, or delete the other's half-written folder. The lock is released by the
    operating system if the process dies.
    """
    index_dir = Path(index_dir)
    index_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(os.open(index_dir / ".lock", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _publish(index_dir: Path, version: Path) -> None:
    """Point CURRENT at ``version`` atomically, then remove the versions it replaced."""
    _fsync_tree(version)
    tmp = index_dir / f".{CURRENT}.{os.getpid()}.tmp"
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        f.write(version.name + "\n")
    os.replace(tmp, index_dir / CURRENT)
    _fsync_dir(index_dir)
    for old in index_dir.iterdir():
        if old.is_dir() and old.name.startswith("v-") and old != version:
            shutil.rmtree(old, ignore_errors=True)
    for stray in index_dir.glob(".build-*"):
        shutil.rmtree(stray, ignore_errors=True)


def _write_state(version: Path, state: IndexState) -> None:
    """Replace ``version/STATE.json`` atomically (a killed write leaves the old one)."""
    tmp = version / f".{STATE}.{os.getpid()}.tmp"
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as f:
        f.write(state.to_json())
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, version / STATE)
    _fsync_dir(version)


class _InBackground:
    """``fn(*args, **kwargs)`` on a daemon thread; :meth:`result` waits and re-raises its error."""

    def __init__(self, fn, *args, **kwargs) -> None:
        self._value = self._error = None

        def run() -> None:
            try:
                self._value = fn(*args, **kwargs)
            except BaseException as e:  # handed to the caller by result()
                self._error = e

        self._thread = threading.Thread(target=run, name="qa-index-embed", daemon=True)
        self._thread.start()

    def result(self):
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


def write_index(
    index_dir: Path,
    articles: list[Article],
    embedder: Embedder,
    config: Config,
    *,
    progress: bool = False,
    source: str | None = None,
    store_id: str | None = None,
    store_seq: int | None = None,
) -> Path:
    """Build a complete new index version of ``articles`` and publish it.

    ``store_id``/``store_seq`` record the article store (and its last change) the
    articles came from. The caller holds :func:`build_lock`.
    """
    import faiss

    index_dir = Path(index_dir)
    index_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    passages, inputs, unindexed = _chunk_articles(articles, config, 0)
    # The model (mostly native code) embeds on another thread while this one counts BM25.
    embedding = _InBackground(embedder.encode, inputs, progress=progress)
    passage_terms = _passage_terms(articles, passages)
    lexical = LexicalIndex.build(passage_terms)
    vectors = embedding.result()
    dense, kind = _new_faiss_index(config.faiss_index, embedder.dimension, len(passages), config)
    _train(dense, vectors)
    dense.add(vectors)

    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    building = Path(tempfile.mkdtemp(prefix=".build-", dir=index_dir))
    try:
        _write_texts(building, [a.text for a in articles])
        with open(building / "articles.jsonl", "w", encoding="utf-8") as f:
            for a in articles:
                f.write(json.dumps(_article_meta(a), ensure_ascii=False) + "\n")
        np.save(building / "passages.npy", passages)
        faiss.write_index(dense, str(building / "dense.faiss"))
        lexical.save(building / "bm25")
        files = {name: (building / name).stat().st_size for name in _FILES if name != "manifest.json"}
        files.update({f"bm25/{p.name}": p.stat().st_size for p in sorted((building / "bm25").iterdir())})
        manifest = {
            "format": FORMAT_VERSION,
            "model": embedder.name,
            "model_fingerprint": embedder.fingerprint,
            "dimension": embedder.dimension,
            "faiss_index": kind,
            "articles": len(articles),
            "passages": int(len(passages)),
            "unindexed": unindexed,
            "avg_terms": float(np.mean([len(t) for t in passage_terms])) if passage_terms else 0.0,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "source": source,
            "config": config.to_dict(),
            "files": files,
        }
        (building / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
        (building / STATE).write_text(IndexState(store_id=store_id, store_seq=store_seq).to_json())
        _private(building)
        version = index_dir / f"v-{stamp}-{os.urandom(3).hex()}"
        os.rename(building, version)
    except BaseException:  # a failed build leaves nothing behind (a killed one: see _publish)
        shutil.rmtree(building, ignore_errors=True)
        raise
    _publish(index_dir, version)
    return version


def write_segment(
    data: IndexLayout,
    articles: list[Article],
    embedder: Embedder,
    *,
    remove: Iterable[int] = (),
    store_seq: int | None = None,
) -> IndexLayout:
    """Add ``articles`` and remove the article numbers ``remove``, in one atomic step.

    The new articles go to a new segment folder inside the live version (only they are
    chunked and embedded; nothing else is rewritten), then ``STATE.json`` is replaced to
    list it, the removals and ``store_seq``. A write killed before that replacement
    leaves the index as it was. The caller holds :func:`build_lock` and ``data`` is the
    live version, freshly read under it. Returns the index's layout after the write.
    """
    version = data.path
    state = IndexState(list(data.state.segments), list(data.state.removed), data.state.store_id, data.state.store_seq)
    listed = {s["name"] for s in state.segments}
    for stray in version.iterdir():  # left by a write that was killed before it was listed
        if stray.name.startswith((SEGMENT_PREFIX, ".seg-")) and stray.name not in listed:
            shutil.rmtree(stray, ignore_errors=True)
    if articles:
        config = data.config
        rows, inputs, unindexed = _chunk_articles(articles, config, 0)
        vectors = embedder.encode(inputs)
        passage_terms = _passage_terms(articles, rows)
        name = f"{SEGMENT_PREFIX}{len(state.segments) + 1:06d}-{os.urandom(3).hex()}"
        building = Path(tempfile.mkdtemp(prefix=".seg-", dir=version))
        try:
            _write_texts(building, [a.text for a in articles])
            with open(building / "articles.jsonl", "w", encoding="utf-8") as f:
                for a in articles:
                    f.write(json.dumps(_article_meta(a), ensure_ascii=False) + "\n")
            np.save(building / "passages.npy", rows)
            np.save(building / "vectors.npy", vectors.astype(np.float32))
            (building / "terms.json").write_text(json.dumps(passage_terms, ensure_ascii=False), encoding="utf-8")
            files = {p.name: p.stat().st_size for p in sorted(building.iterdir())}
            _private(building)
            # Not fsynced: the store is the durable copy. A segment damaged by a power loss
            # fails read_layout's size and count checks, and the index is rebuilt from the store.
            os.rename(building, version / name)
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
        state.segments.append({"name": name, "articles": len(articles), "passages": int(len(rows)), "files": files,
                               "unindexed": unindexed})  # fmt: skip
    state.removed = sorted(set(state.removed) | {int(i) for i in remove})
    if store_seq is not None:
        state.store_seq = store_seq
    _write_state(version, state)
    return _with_state(data, state, articles, rows if articles else None)


def _with_state(data: IndexLayout, state: IndexState, added: list[Article], rows: np.ndarray | None) -> IndexLayout:
    """``data`` after a write: ``added`` appended (their passage ``rows`` numbered from 0),
    ``state`` in force. What :func:`read_layout` would now read, without reading it."""
    articles = data.articles + [_article_meta(a) for a in added]
    passages = data.passages
    if rows is not None and len(rows):
        rows = np.array(rows, dtype=np.int64)
        rows[:, 0] += len(data.articles)
        passages = np.concatenate([np.asarray(passages), rows])
    return IndexLayout(data.path, data.manifest, articles, passages, state, _live(state, len(articles), passages))


def _live(state: IndexState, n_articles: int, passages: np.ndarray) -> np.ndarray | None:
    if not state.removed:
        return None
    removed = np.zeros(n_articles, dtype=bool)
    removed[[i for i in state.removed if 0 <= i < n_articles]] = True
    return ~removed[np.asarray(passages[:, 0])]


def bind_state(data: IndexLayout, store_id: str, store_seq: int) -> None:
    """Record that ``data`` (the live version, under :func:`build_lock`) holds the store's
    changes up to ``store_seq``."""
    state = IndexState(list(data.state.segments), list(data.state.removed), store_id, store_seq)
    _write_state(data.path, state)


def _read_faiss(path: Path):
    """Open a FAISS index, memory-mapping its vectors where the index type allows.

    Flat vectors are mapped in place and IVF lists are mapped from the file, so loading
    costs no copy and pages are read (and shared between processes) on demand.
    """
    import faiss

    with open(path, "rb") as f:
        flat = f.read(4) in (b"IxFI", b"IxF2")  # IndexFlatIP / IndexFlatL2
    attempts = [faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY]
    if flat and hasattr(faiss, "IO_FLAG_MMAP_IFC"):  # faiss >= 1.11
        attempts.insert(0, faiss.IO_FLAG_MMAP_IFC)
    for flags in attempts:
        try:
            return faiss.read_index(str(path), flags)
        except RuntimeError:
            pass
    return faiss.read_index(str(path))  # not every index type can be mapped


def _damaged_bm25_file(folder: Path) -> str:
    """Which file of the bm25 folder fails to read (for the error message)."""
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        try:
            if path.suffix == ".json":
                json.loads(path.read_text(encoding="utf-8"))
            elif path.suffix == ".npy":
                np.load(path, mmap_mode="r")
        except (OSError, ValueError):
            return f"bm25/{path.name}"
    return "bm25"


def _read_state(version: Path, corrupt: Callable[[str, str], IndexCorruptError]) -> IndexState:
    path = version / STATE
    if not path.exists():  # an index from before the article store
        return IndexState()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        state = IndexState(
            segments=list(raw["segments"]),
            removed=[int(i) for i in raw["removed"]],
            store_id=raw.get("store_id"),
            store_seq=raw.get("store_seq"),
        )
        for seg in state.segments:
            seg["name"], seg["articles"], seg["passages"], seg["files"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise corrupt(STATE, f"unreadable ({e})") from e
    return state


def _check_sizes(folder: Path, files: dict[str, int], prefix: str, corrupt) -> None:
    for name, size in files.items():
        path = folder / name
        if not path.exists():
            raise corrupt(prefix + name, "missing")
        if path.stat().st_size != size:
            raise corrupt(prefix + name, f"truncated or altered ({path.stat().st_size} bytes, expected {size})")


def _corrupt_in(version: Path, index_dir: Path) -> Callable[[str, str], IndexCorruptError]:
    hint = rebuild_hint(index_dir if version != index_dir else version)

    def corrupt(name: str, why: str) -> IndexCorruptError:
        return IndexCorruptError(f"index file {version / name} is {why}; {hint}")

    return corrupt


_BUILDS: dict[tuple[str, int], tuple[list[dict], np.ndarray]] = {}
"""Parsed article lists and passage spans of builds, by folder: a build never changes
after it is published (folder names are unique), so repeated writes skip re-reading it."""


def _read_build(version: Path, manifest: dict, corrupt) -> tuple[list[dict], np.ndarray]:
    key = (str(version.resolve()), (version / "articles.jsonl").stat().st_mtime_ns)
    cached = _BUILDS.get(key)
    if cached is not None:
        return cached
    try:
        with open(version / "articles.jsonl", encoding="utf-8") as f:
            articles = json.loads("[" + ",".join(line for line in f if line.strip()) + "]")
    except (OSError, ValueError) as e:
        raise corrupt("articles.jsonl", f"unreadable ({e})") from e
    try:
        passages = np.load(version / "passages.npy", mmap_mode="r")
    except (OSError, ValueError) as e:
        raise corrupt("passages.npy", f"unreadable ({e})") from e
    for name, have, want in (
        ("articles.jsonl", len(articles), manifest["articles"]),
        ("passages.npy", len(passages), manifest["passages"]),
    ):
        if have != want:
            raise corrupt(name, f"inconsistent ({have} entries, manifest says {want})")
    if len(_BUILDS) >= 4:
        _BUILDS.clear()
    _BUILDS[key] = (articles, passages)
    return articles, passages


def _loading(read: Callable[..., _T]) -> Callable[..., _T]:
    """``read`` with any failure inside the index files raised as :class:`IndexCorruptError`
    (whatever numpy, faiss or bm25s raise), so that callers rebuild the index from the
    store instead of failing on every start."""

    @functools.wraps(read)
    def checked(index_dir, *args, **kwargs):
        try:
            return read(index_dir, *args, **kwargs)
        except IndexLoadError:
            raise
        except Exception as e:
            raise IndexCorruptError(
                f"the index in {index_dir} cannot be read ({type(e).__name__}: {e}); {rebuild_hint(Path(index_dir))}"
            ) from e

    return checked


@_loading
def read_layout(index_dir: Path) -> IndexLayout:
    """The live version's manifest, article list, passage spans, segments and removals,
    checked (file sizes, counts) but without loading texts, vectors or BM25: what a write
    needs. Raises an :class:`IndexLoadError`."""
    index_dir = Path(index_dir)
    version = resolve_version(index_dir)
    corrupt = _corrupt_in(version, index_dir)
    try:
        manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
        manifest["config"], manifest["files"], manifest["passages"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise corrupt("manifest.json", f"unreadable ({e})") from e
    if manifest.get("format") != FORMAT_VERSION:
        raise IndexStaleError(
            f"index {version} has format {manifest.get('format')}, this version reads {FORMAT_VERSION}; "
            f"{rebuild_hint(index_dir if version != index_dir else version)}"
        )
    _check_sizes(version, manifest["files"], "", corrupt)
    articles, passages = _read_build(version, manifest, corrupt)

    state = _read_state(version, corrupt)
    all_articles, rows = list(articles), [np.asarray(passages)]
    for seg in state.segments:
        folder, prefix = version / seg["name"], f"{seg['name']}/"
        _check_sizes(folder, seg["files"], prefix, corrupt)
        current = "articles.jsonl"
        try:
            with open(folder / current, encoding="utf-8") as f:
                s_articles = [json.loads(line) for line in f]
            current = "passages.npy"
            s_rows = np.array(np.load(folder / current), dtype=np.int64).reshape(-1, 3)
        except (OSError, ValueError) as e:
            raise corrupt(prefix + current, f"unreadable ({e})") from e
        if len(s_articles) != seg["articles"] or len(s_rows) != seg["passages"]:
            raise corrupt(seg["name"], "inconsistent (its files disagree with STATE.json)")
        s_rows[:, 0] += len(all_articles)
        all_articles += s_articles
        rows.append(s_rows)
    all_passages = passages if not state.segments else np.concatenate(rows)
    return IndexLayout(version, manifest, all_articles, all_passages, state, _live(state, len(all_articles), all_passages))


@_loading
def read_index(index_dir: Path, config: Config | None = None) -> IndexData:
    """Load the live index version, checking every file; raises an :class:`IndexLoadError`."""
    layout = read_layout(index_dir)
    version, manifest = layout.path, layout.manifest
    corrupt = _corrupt_in(version, Path(index_dir))
    try:
        offsets = np.load(version / "text_offsets.npy")
    except (OSError, ValueError) as e:
        raise corrupt("text_offsets.npy", f"unreadable ({e})") from e
    try:
        data = np.memmap(version / "texts.bin", dtype=np.uint8, mode="r") if offsets[-1] else np.zeros(0, np.uint8)
        texts = TextStore(data, offsets)
    except (OSError, ValueError) as e:
        raise corrupt("texts.bin", f"unreadable ({e})") from e
    try:
        dense = _read_faiss(version / "dense.faiss")
    except (OSError, RuntimeError) as e:
        raise corrupt("dense.faiss", f"unreadable ({str(e).splitlines()[0]})") from e
    try:
        lexical = LexicalIndex.load(version / "bm25")
    except Exception as e:  # bm25s raises whatever numpy/json raise on a damaged file
        raise corrupt(_damaged_bm25_file(version / "bm25"), f"unreadable ({e})") from e
    n = manifest["passages"]
    for name, (have, want) in {
        "text_offsets.npy": (len(texts), manifest["articles"]),
        "dense.faiss": (dense.ntotal, n),
        "bm25": (lexical.size, n),
    }.items():
        if have != want:
            raise corrupt(name, f"inconsistent ({have} entries, manifest says {want})")
    _set_search_params(dense, config or Config.from_dict(manifest["config"]))

    parts, vectors, seg_terms = [texts], [], []
    for seg in layout.state.segments:
        folder, current = version / seg["name"], ""
        try:
            current = "text_offsets.npy"
            s_offsets = np.load(folder / current)
            current = "texts.bin"
            parts.append(TextStore(np.fromfile(folder / current, dtype=np.uint8), s_offsets))
            current = "vectors.npy"
            vectors.append(np.load(folder / current))
            current = "terms.json"
            s_terms = json.loads((folder / current).read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise corrupt(f"{seg['name']}/{current}", f"unreadable ({e})") from e
        if not (len(parts[-1]) == seg["articles"] and len(vectors[-1]) == len(s_terms) == seg["passages"]):
            raise corrupt(seg["name"], "inconsistent (its files disagree with STATE.json)")
        seg_terms += s_terms
    delta = np.concatenate(vectors) if vectors else np.zeros((0, dense.d), dtype=np.float32)
    seg_lexical = _SegmentLexical(seg_terms, n, lexical, manifest.get("avg_terms", 0.0)) if seg_terms else None
    return IndexData(
        path=version,
        manifest=manifest,
        articles=layout.articles,
        passages=layout.passages,
        state=layout.state,
        live=layout.live,
        texts=Texts(parts),
        dense=DenseIndex(dense, delta),
        lexical=Lexical(lexical, seg_lexical, len(seg_terms)),
    )
