"""The shortcuts taken for speed compute exactly what the plain code computes."""

from __future__ import annotations

import numpy as np
import pytest

from qa.embedding import _FINGERPRINT_TEXT, Embedder
from qa.index import LexicalIndex

TEXTS = [
    "Seoul expresses 'grave concern' over the NK-Russia summit, vows stern actions.",
    "Kim Jong-un's guest rode an Aurus car; the U.S. and U.K. said 1,000.5 tonnes.",
    "İstanbul, naïve café, Ærøskøbing — and an emoji 🙂 in the text.",
    "  leading and trailing spaces, double  spaces,\ttabs\nand new lines  ",
    "",
    "x",
]


def test_default_model_direct_path_matches_sentence_transformers():
    fast = Embedder()
    model = Embedder(model=fast.model)  # the same weights, through SentenceTransformer.encode
    assert model._static is not None  # a StaticEmbedding model takes the direct path too...
    plain = model._encode_model(TEXTS)  # ...so ask the pipeline itself
    assert np.allclose(fast.encode(TEXTS), plain, atol=1e-6)
    # Indexes built before record the pipeline's fingerprint: it must not change.
    assert fast.fingerprint == model.fingerprint
    batch = fast.encode(TEXTS * 2000)  # large enough for the torch path
    assert np.allclose(batch[: len(TEXTS)], plain, atol=1e-6)
    assert fast.encode([_FINGERPRINT_TEXT]).shape == (1, fast.dimension)


def _reference_search(index: LexicalIndex, query_terms: list[str], k: int) -> dict[int, float]:
    """bm25s's own scoring of every passage: the top ``k`` passages with a score, by id."""
    ids = [index.vocab[t] for t in dict.fromkeys(query_terms) if t in index.vocab]
    if not ids:
        return {}
    scores = index.bm25.get_scores_from_ids(ids)
    top = [int(i) for i in np.argsort(-scores, kind="stable")[:k] if scores[i] > 0]
    return {i: float(scores[i]) for i in top}


@pytest.mark.parametrize("pretend_size", [None, 10**9], ids=["dense sums", "sorted postings"])
def test_lexical_search_either_way_is_the_same(pretend_size):
    rng = np.random.default_rng(0)
    vocab = [f"w{i}" for i in range(300)]
    docs = [list(rng.choice(vocab, size=rng.integers(1, 40))) for _ in range(2000)]
    index = LexicalIndex.build(docs)
    if pretend_size:
        index.size = pretend_size  # forces the sort-based path
    for _ in range(200):
        query = list(rng.choice(vocab + ["unknown"], size=rng.integers(1, 8)))
        for k in (1, 5, 50):
            ids, scores = index.search(query, k)
            want = _reference_search(index, query, k)
            # The same scores, best first; among equal scores any passage may come first.
            assert np.allclose(scores, sorted(want.values(), reverse=True), rtol=1e-5)
            if len(ids):  # and each returned passage has its own score
                full = index.bm25.get_scores_from_ids([index.vocab[t] for t in dict.fromkeys(query) if t in index.vocab])
                assert np.allclose(scores, full[ids], rtol=1e-5)
