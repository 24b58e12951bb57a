"""Passage vectors: the FAISS index of a build, plus the segments' vectors searched
exactly beside it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..config import Config
from .interface import Where


_PQ_MIN_VECTORS = 10_000


def _new_faiss_index(kind: str, dim: int, n: int, config: Config):
    """An empty FAISS index of the type that fits ``n`` vectors (inner product)."""
    import faiss

    if kind == "auto":
        kind = "flat" if n < config.ivf_threshold else "ivf"
    if kind == "flat":
        # Exhaustive search over float16 copies of the vectors: half the memory a search
        # reads (it reads all of it: 49 instead of 98 MB at 100k passages) and faster, for
        # scores within 1e-3 of float32 (the same top 100 for 99.95% of queries).
        return faiss.IndexScalarQuantizer(dim, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT), "flat"
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

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None, where: Where | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` (passage ids, scores) for one query vector, only among ``allowed``
        (which holds ``where`` already: see :class:`qa.index.interface.PassageSearch`)."""
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


def _set_search_params(index, config: Config) -> None:
    import faiss

    ivf = faiss.try_extract_index_ivf(index)
    if ivf is not None:
        ivf.nprobe = config.ivf_nprobe


def _read_faiss(path: Path):
    """Open a FAISS index, memory-mapping its vectors where the index type allows.

    Flat vectors are mapped in place and IVF lists are mapped from the file, so loading
    costs no copy and pages are read (and shared between processes) on demand.
    """
    import faiss

    with open(path, "rb") as f:
        flat = f.read(4) in (b"IxFI", b"IxF2", b"IxSQ")  # IndexFlatIP / L2 (earlier builds), float16 flat
    attempts = [faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY]
    if flat and hasattr(faiss, "IO_FLAG_MMAP_IFC"):  # faiss >= 1.11
        attempts.insert(0, faiss.IO_FLAG_MMAP_IFC)
    for flags in attempts:
        try:
            return faiss.read_index(str(path), flags)
        except RuntimeError:
            pass
    return faiss.read_index(str(path))  # not every index type can be mapped
