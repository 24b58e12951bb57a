"""The on-disk index: articles, passage spans, a FAISS index and a BM25 index.

Layout of an index folder (``embeddings/`` by default)::

    embeddings/
        CURRENT                 name of the live version folder, replaced atomically
        .lock                   held by the build or add in progress (see build_lock)
        v-20261123T170102-1a2b/ one complete, immutable build
            manifest.json       format, model + fingerprint, counts, file sizes
            articles.jsonl      article metadata, one per line (no text)
            texts.bin           every article's text, UTF-8, back to back
            text_offsets.npy    byte offsets of each article in texts.bin
            passages.npy        (article number, start, end) of every passage
            dense.faiss         passage vectors
            bm25/               bm25s index of passage terms

A build writes a new version folder in full, then swaps ``CURRENT`` with one atomic
rename, then deletes older versions: a failed or interrupted build leaves the last good
index in place and loading.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from .chunking import Span, chunk
from .config import Config
from .embedding import Embedder
from .text import terms
from .types import Article

__all__ = [
    "IndexLoadError",
    "IndexMissingError",
    "IndexCorruptError",
    "IndexStaleError",
    "IndexData",
    "build_lock",
    "write_index",
    "read_index",
    "resolve_version",
    "search_dense",
]

FORMAT_VERSION = 1
_PQ_MIN_VECTORS = 10_000
CURRENT = "CURRENT"
_FILES = ("manifest.json", "articles.jsonl", "texts.bin", "text_offsets.npy", "passages.npy", "dense.faiss")


class IndexLoadError(RuntimeError):
    """Base class: the index cannot be used."""


class IndexMissingError(IndexLoadError, FileNotFoundError):
    """No index has been built in that folder."""


class IndexCorruptError(IndexLoadError):
    """An index file is missing, truncated or unreadable."""


class IndexStaleError(IndexLoadError):
    """The index was built by another format version or another embedding model."""


def rebuild_hint(index_dir: Path) -> str:
    return f"rebuild it with: qa-index build SOURCE --index {index_dir}"


# --- text storage ------------------------------------------------------------------------


class TextStore:
    """Article texts in one memory-mapped file, decoded on demand."""

    def __init__(self, data: np.ndarray, offsets: np.ndarray) -> None:
        self._data = data
        self._offsets = offsets
        self._cache: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, i: int) -> str:
        text = self._cache.get(i)
        if text is None:
            a, b = int(self._offsets[i]), int(self._offsets[i + 1])
            text = self._data[a:b].tobytes().decode("utf-8")
            if len(self._cache) > 4096:  # bounded, the corpus may not fit in memory
                self._cache.clear()
            self._cache[i] = text
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

    @classmethod
    def build(cls, passage_terms: list[list[str]]) -> "LexicalIndex":
        import bm25s

        bm25 = bm25s.BM25()
        bm25.index(passage_terms, show_progress=False)
        return cls(bm25)

    def save(self, folder: Path) -> None:
        self.bm25.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> "LexicalIndex":
        import bm25s

        return cls(bm25s.BM25.load(str(folder), mmap=True, show_progress=False))

    def document_frequency(self, term: str) -> int:
        tid = self.vocab.get(term)
        return 0 if tid is None else int(self._indptr[tid + 1] - self._indptr[tid])

    def search(self, query_terms: list[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` (passage ids, scores), touching only the query terms' postings."""
        ids = [self.vocab[t] for t in dict.fromkeys(query_terms) if t in self.vocab]
        if not ids:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        docs = np.concatenate([self._indices[self._indptr[i] : self._indptr[i + 1]] for i in ids])
        vals = np.concatenate([self._data[self._indptr[i] : self._indptr[i + 1]] for i in ids])
        if 8 * len(docs) >= self.size:
            # Postings cover a good share of the corpus: one pass over a dense array is
            # cheaper than sorting them, and still bounded by their length. Same sums, in
            # the same order; every posting's score is positive, so nonzero = posted.
            sums = np.bincount(docs, weights=vals, minlength=self.size)
            uniq = np.flatnonzero(sums != 0)  # (a boolean mask is much faster to scan)
            totals = sums[uniq].astype(np.float32)
        else:
            uniq, inverse = np.unique(docs, return_inverse=True)
            totals = np.bincount(inverse, weights=vals).astype(np.float32)
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


def search_dense(index, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """``index.search`` run on the calling thread alone.

    One query is too little work to share: fanning it out to FAISS's OpenMP threads
    makes it slower and its latency erratic, and concurrent callers already use every
    core. The thread count is OpenMP's per-thread setting, restored afterwards.
    """
    import faiss

    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        return index.search(queries, k)
    finally:
        faiss.omp_set_num_threads(threads)


def _set_search_params(index, config: Config) -> None:
    import faiss

    ivf = faiss.try_extract_index_ivf(index)
    if ivf is not None:
        ivf.nprobe = config.ivf_nprobe


# --- the whole index -------------------------------------------------------------------


@dataclass
class IndexData:
    """A loaded index version, read-only once built."""

    path: Path
    manifest: dict
    articles: list[dict]
    texts: TextStore
    passages: np.ndarray
    dense: object
    lexical: LexicalIndex

    @property
    def config(self) -> Config:
        return Config.from_dict(self.manifest["config"])

    def article(self, i: int) -> Article:
        meta = self.articles[i]
        return Article(
            id=meta["id"],
            title=meta["title"],
            text=self.texts[i],
            date=meta.get("date"),
            author=meta.get("author"),
            source=meta.get("source"),
            metadata=meta.get("metadata", {}),
        )


def _embedding_input(title: str, passage: str) -> str:
    # The headline gives short passages their topic ("he said" -> who and what).
    return f"{title}\n{passage}"


def _chunk_articles(articles: list[Article], config: Config, first: int) -> tuple[np.ndarray, list[str]]:
    rows: list[tuple[int, int, int]] = []
    inputs: list[str] = []
    for i, article in enumerate(articles):
        spans: list[Span] = chunk(
            article.text,
            int(article.metadata.get("body_start", 0)),
            max_chars=config.chunk_chars,
            overlap=config.chunk_overlap_sentences,
        )
        for s, e in spans:
            rows.append((first + i, s, e))
            inputs.append(_embedding_input(article.title, article.text[s:e]))
    return np.array(rows, dtype=np.int64).reshape(-1, 3), inputs


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


@contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """Hold the index folder's build lock: one build or add at a time, across processes.

    A build reads the live version (for an add) and replaces it; two at once would drop
    one's articles, or delete the other's half-written folder. The lock is released by the
    operating system if the process dies.
    """
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _publish(index_dir: Path, version: Path) -> None:
    """Point CURRENT at ``version`` atomically, then remove the versions it replaced."""
    for path in version.rglob("*"):
        if path.is_file():
            with open(path, "rb+") as f:
                os.fsync(f.fileno())
    _fsync_dir(version)
    tmp = index_dir / f".{CURRENT}.{os.getpid()}.tmp"
    tmp.write_text(version.name + "\n")
    os.replace(tmp, index_dir / CURRENT)
    _fsync_dir(index_dir)
    for old in index_dir.iterdir():
        if old.is_dir() and old.name.startswith("v-") and old != version:
            shutil.rmtree(old, ignore_errors=True)
    for stray in index_dir.glob(".build-*"):
        shutil.rmtree(stray, ignore_errors=True)


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
    base: IndexData | None = None,
    progress: bool = False,
    source: str | None = None,
) -> Path:
    """Build a new index version from ``articles`` (appended to ``base`` if given) and publish it.

    With ``base``, only the new articles are embedded; their vectors are added to a copy
    of the base FAISS index. The BM25 side is re-counted over all passages (no model work).
    The caller holds :func:`build_lock` from reading ``base`` until this returns.
    """
    import faiss

    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    first = len(base.articles) if base else 0
    new_rows, inputs = _chunk_articles(articles, config, first)
    # The model (mostly native code) embeds on another thread while this one counts BM25.
    embedding = _InBackground(embedder.encode, inputs, progress=progress)

    if base is not None:
        passages = np.concatenate([np.asarray(base.passages), new_rows])
        all_meta = list(base.articles)
        all_texts = [base.texts[i] for i in range(len(base.articles))]
    else:
        passages, all_meta, all_texts = new_rows, [], []
    for a in articles:
        all_meta.append(
            {"id": a.id, "title": a.title, "date": a.date, "author": a.author, "source": a.source, "metadata": a.metadata}
        )
        all_texts.append(a.text)

    lexical = LexicalIndex.build(
        [terms(all_texts[int(r[0])][int(r[1]) : int(r[2])]) or [""] for r in passages]
    )

    vectors = embedding.result()
    if base is not None:
        dense = faiss.deserialize_index(faiss.serialize_index(base.dense))
        kind = base.manifest["faiss_index"]
    else:
        dense, kind = _new_faiss_index(config.faiss_index, embedder.dimension, len(new_rows), config)
        _train(dense, vectors)
    dense.add(vectors)

    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    building = Path(tempfile.mkdtemp(prefix=".build-", dir=index_dir))
    try:
        _write_texts(building, all_texts)
        with open(building / "articles.jsonl", "w", encoding="utf-8") as f:
            for meta in all_meta:
                f.write(json.dumps(meta, ensure_ascii=False) + "\n")
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
            "articles": len(all_meta),
            "passages": int(len(passages)),
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "source": source if source is not None else (base.manifest.get("source") if base else None),
            "config": config.to_dict(),
            "files": files,
        }
        (building / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
        version = index_dir / f"v-{stamp}-{os.urandom(3).hex()}"
        os.rename(building, version)
    except BaseException:  # a failed build leaves nothing behind (a killed one: see _publish)
        shutil.rmtree(building, ignore_errors=True)
        raise
    _publish(index_dir, version)
    return version


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


def read_index(index_dir: Path, config: Config | None = None) -> IndexData:
    """Load the live index version, checking every file; raises an :class:`IndexLoadError`."""
    index_dir = Path(index_dir)
    version = resolve_version(index_dir)
    hint = rebuild_hint(index_dir if version != index_dir else version)

    def corrupt(name: str, why: str) -> IndexCorruptError:
        return IndexCorruptError(f"index file {version / name} is {why}; {hint}")

    try:
        manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
        manifest["config"], manifest["files"], manifest["passages"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise corrupt("manifest.json", f"unreadable ({e})") from e
    if manifest.get("format") != FORMAT_VERSION:
        raise IndexStaleError(
            f"index {version} has format {manifest.get('format')}, this version reads {FORMAT_VERSION}; {hint}"
        )
    for name, size in manifest["files"].items():
        path = version / name
        if not path.exists():
            raise corrupt(name, "missing")
        if path.stat().st_size != size:
            raise corrupt(name, f"truncated or altered ({path.stat().st_size} bytes, expected {size})")

    try:
        with open(version / "articles.jsonl", encoding="utf-8") as f:
            articles = [json.loads(line) for line in f]
    except (OSError, ValueError) as e:
        raise corrupt("articles.jsonl", f"unreadable ({e})") from e
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
        passages = np.load(version / "passages.npy", mmap_mode="r")
    except (OSError, ValueError) as e:
        raise corrupt("passages.npy", f"unreadable ({e})") from e
    try:
        dense = _read_faiss(version / "dense.faiss")
    except (OSError, RuntimeError) as e:
        raise corrupt("dense.faiss", f"unreadable ({str(e).splitlines()[0]})") from e
    try:
        lexical = LexicalIndex.load(version / "bm25")
    except Exception as e:  # bm25s raises whatever numpy/json raise on a damaged file
        raise corrupt(_damaged_bm25_file(version / "bm25"), f"unreadable ({e})") from e

    n = manifest["passages"]
    counts = {
        "articles.jsonl": (len(articles), manifest["articles"]),
        "text_offsets.npy": (len(texts), manifest["articles"]),
        "passages.npy": (len(passages), n),
        "dense.faiss": (dense.ntotal, n),
        "bm25": (lexical.size, n),
    }
    for name, (have, want) in counts.items():
        if have != want:
            raise corrupt(name, f"inconsistent ({have} entries, manifest says {want})")
    _set_search_params(dense, config or Config.from_dict(manifest["config"]))
    return IndexData(version, manifest, articles, texts, passages, dense, lexical)
