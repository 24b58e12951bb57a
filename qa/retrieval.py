"""Hybrid retrieval: dense and lexical (BM25) rankings fused, duplicates collapsed."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field

import numpy as np

from .chunking import sentences
from .config import Config
from .embedding import Embedder
from .index import IndexData, Where
from .text import shingles, terms
from .types import Location, Passage

__all__ = ["Retriever", "Candidate"]


@dataclass
class Candidate:
    """A passage id with its component scores, before it becomes a :class:`Passage`."""

    pid: int
    score: float
    dense: float
    lexical: float
    also: list[int]
    article: int = -1
    start: int = 0
    end: int = 0
    """Article number and span; wider than passage ``pid`` when overlapping windows merged."""
    sentences: list[tuple[int, int]] = field(default_factory=list)
    sentence_vectors: np.ndarray | None = None
    best_sentence: int = 0
    """The span's sentences, their embeddings (one row each) and which is most like the
    query: the reader reads around it."""


_LATEST = re.compile(r"\b(latest|newest|most recent|recently|last|current)\b", re.I)
"""A query asking for the newest news: relevance ties go to the newer article."""


class Retriever:
    """Finds passages for a query in one loaded index. Thread-safe: it only reads.

    ``allowed`` (one bool per passage, None for all) is what it may return: removed
    articles are always left out, and :meth:`restricted` narrows it further (filters),
    also given as ``where`` for a backend that filters inside its own search engine.
    """

    def __init__(self, data: IndexData, embedder: Embedder, config: Config) -> None:
        self.data = data
        self.embedder = embedder
        self.config = config
        self.allowed: np.ndarray | None = data.live
        self.where: Where | None = None
        self._dates = [str(a.get("date") or "") for a in data.articles]

    def restricted(self, allowed: np.ndarray, where: Where) -> "Retriever":
        """A retriever over the passages both this one and ``allowed`` (the mask of the
        filters ``where``) allow."""
        view = copy.copy(self)
        view.allowed = allowed if self.allowed is None else (self.allowed & allowed)
        view.where = where
        return view

    def _order(self, query: str):
        """Sort key for candidates: best score first; for "latest ..." queries a newer
        article wins a tie (scores equal to 4 decimals); then index order."""
        if not _LATEST.search(query):
            return lambda c: (-c.score, c.pid)
        dates = self._dates
        return lambda c: (-round(c.score, 4), _newest_first(dates[c.article]), c.pid)

    def candidates(self, query: str, *, context: str = "", k: int | None = None) -> list[Candidate]:
        """Fused, de-duplicated candidates for ``query``, best first.

        ``context`` (earlier turns of a chat) is added to the query with a lower weight,
        so a follow-up like "When was it signed?" still finds what "it" is.
        """
        cfg = self.config
        n = cfg.candidates if k is None else max(k, cfg.candidates)
        q_terms = terms(query)
        c_terms = [t for t in terms(context) if t not in q_terms] if context else []
        texts = [query, f"{context}\n{query}"] if context else [query]
        vectors = self.embedder.encode(texts)
        qvec = vectors[:1]
        if context:  # lean on the question itself, use the context to disambiguate
            qvec = 0.6 * vectors[:1] + 0.4 * vectors[1:]
            qvec /= np.linalg.norm(qvec, axis=1, keepdims=True) + 1e-9

        size = self.data.dense.ntotal
        if size == 0 or (self.allowed is not None and not self.allowed.any()):
            return []
        d_ids, d_scores = self.data.dense.search(qvec[0], min(n, size), self.allowed, self.where)
        dense = {int(i): float(s) for i, s in zip(d_ids, d_scores)}
        l_ids, l_scores = self.data.lexical.search(q_terms, n, self.allowed, self.where)
        lexical = {int(i): float(s) for i, s in zip(l_ids, l_scores)}
        if c_terms:
            c_ids, c_scores = self.data.lexical.search(c_terms, n, self.allowed, self.where)
            for i, s in zip(c_ids, c_scores):
                lexical[int(i)] = lexical.get(int(i), 0.0) + 0.3 * float(s)

        order = self._order(query)
        fused = sorted(self._fuse(dense, lexical), key=order)
        # Only the head is ever shown or read for answers; copies of a passage score
        # alike, so they sit in the head too. Folding the tail would only cost time.
        head = max(4 * (k or cfg.reader_passages), 20)
        texts = self.data.texts
        texts.prefetch({c.article for c in fused[:head]})
        # (an index shared with writers can lose an article between the search and here)
        kept = [c for c in fused[:head] if texts[c.article]]
        return self._by_best_sentence(self._collapse(kept), qvec[0], order)

    def _by_best_sentence(self, cands: list[Candidate], qvec: np.ndarray, order) -> list[Candidate]:
        """Embed each passage's sentences; add the best one's similarity to its score, re-sort.

        A passage's single vector averages all its sentences; the question usually
        matches one of them, which stands out much more clearly on its own. The
        sentences and their vectors stay on the candidates for the reader.
        """
        texts: list[str] = []
        for cand in cands:
            text = self.data.texts[cand.article]
            cand.sentences = sentences(text, cand.start, cand.end)
            texts.extend(text[s:e] for s, e in cand.sentences)
        vectors = self.embedder.encode(texts)
        bounds = np.cumsum([0] + [len(c.sentences) for c in cands])
        for cand, a, b in zip(cands, bounds, bounds[1:]):
            cand.sentence_vectors = vectors[a:b]
        weight = self.config.sentence_weight
        if not weight:
            return cands
        for cand in cands:
            if len(cand.sentence_vectors):
                sims = cand.sentence_vectors @ qvec
                cand.best_sentence = int(np.argmax(sims))
                cand.score += weight * float(sims[cand.best_sentence])
            else:
                cand.score -= weight  # no sentence at all: as if the best were opposite
        return sorted(cands, key=order)

    def _fuse(self, dense: dict[int, float], lexical: dict[int, float]) -> list[Candidate]:
        # Scale each side to [0, 1] by its best score for this query, then mix linearly.
        d_floor = min(dense.values(), default=0.0)
        d_top = max(dense.values(), default=1.0)
        l_top = max(lexical.values(), default=0.0) or 1.0
        w = self.config.dense_weight
        out = []
        for pid in dense.keys() | lexical.keys():
            d = dense.get(pid, d_floor)
            l = lexical.get(pid, 0.0)
            d_norm = (d - d_floor) / (d_top - d_floor) if d_top > d_floor else 1.0
            score = w * d_norm + (1 - w) * (l / l_top)
            a, s, e = (int(x) for x in self.data.passages[pid])
            out.append(Candidate(pid, score, d, l, [], a, s, e))
        return out

    def _collapse(self, ranked: list[Candidate]) -> list[Candidate]:
        """Fold repeats into the best-ranked copy, so no text is shown twice.

        Overlapping windows of one article merge into one wider span; near-duplicate
        passages of other articles (the same story scraped twice) are listed in ``also``.
        """
        kept: list[tuple[Candidate, set[int]]] = []
        # Bit i set: kept passage i holds that shingle / is of that article. Only those
        # passages can absorb a candidate, so a candidate costs its own shingles, not a set
        # intersection with every kept passage (ints, not lists: no garbage to collect).
        holders: dict[int, int] = {}
        of_article: dict[int, int] = {}
        for cand in ranked:
            sh = shingles(self.data.texts[cand.article][cand.start : cand.end])
            shared: dict[int, int] = {}
            todo = of_article.get(cand.article, 0)
            for x in sh:
                bits = holders.get(x, 0)
                todo |= bits
                while bits:
                    i = (bits & -bits).bit_length() - 1
                    shared[i] = shared.get(i, 0) + 1
                    bits &= bits - 1
            while todo:  # lowest bit first: in kept order
                i = (todo & -todo).bit_length() - 1
                todo &= todo - 1
                best, best_sh = kept[i]
                if best.article == cand.article and cand.start < best.end and best.start < cand.end:
                    best.start, best.end = min(best.start, cand.start), max(best.end, cand.end)
                    for x in sh - best_sh:
                        holders[x] = holders.get(x, 0) | 1 << i
                    best_sh |= sh
                    break
                common = shared.get(i, 0)
                if common and common / min(len(sh), len(best_sh)) >= self.config.duplicate_overlap:
                    if best.article != cand.article:
                        best.also.append(cand.pid)
                    break
            else:
                for x in sh:
                    holders[x] = holders.get(x, 0) | 1 << len(kept)
                of_article[cand.article] = of_article.get(cand.article, 0) | 1 << len(kept)
                kept.append((cand, sh))
        return [c for c, _ in kept]

    def to_passage(self, cand: Candidate) -> Passage:
        a, s, e = cand.article, cand.start, cand.end
        meta = self.data.articles[a]
        also = []
        for pid in cand.also:
            oa, os_, oe = (int(x) for x in self.data.passages[pid])
            also.append(Location(self.data.articles[oa]["id"], self.data.articles[oa]["title"], os_, oe))
        return Passage(
            article_id=meta["id"],
            title=meta["title"],
            start=s,
            end=e,
            text=self.data.texts[a][s:e],
            score=round(cand.score, 4),
            also_in=also,
        )


def _newest_first(date: str) -> int:
    """Sort key putting later ISO dates first and undated articles last."""
    digits = date[:10].replace("-", "")
    return -int(digits) if len(digits) == 8 and digits.isdigit() else 0
