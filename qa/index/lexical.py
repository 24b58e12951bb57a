"""BM25 over passage terms: the built bm25s index, and the segments' postings scored
with the whole index's statistics.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .interface import Where


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
        self.df = {t: len(docs) for t, (docs, _) in postings.items()}
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

    def search(
        self, query_terms: list[str], k: int, allowed: np.ndarray | None = None, where: Where | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` (passage ids, scores) among ``allowed`` passages (all if None; it holds
        ``where`` already: see :class:`qa.index.interface.PassageSearch`)."""
        ids, scores = self.base.search(query_terms, k, allowed)
        if self.segments is None:
            return ids, scores
        s_ids, s_scores = self.segments.search(query_terms, k, allowed)
        all_ids, all_scores = np.concatenate([ids, s_ids]), np.concatenate([scores, s_scores])
        order = np.argsort(-all_scores, kind="stable")[:k]
        return all_ids[order], all_scores[order]
