"""Sentence-transformers models: the offline default and any other the user names.

No machine we run on can reach a model hub, so the default model is built from the
static token embeddings and tokenizer that ship inside the ``wordllama`` wheel: a
sentence-transformers ``StaticEmbedding`` model (mean of token vectors, then normalised),
which :class:`Embedder` computes directly, without loading torch.
Any other sentence-transformers model name or local folder works the same way.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from itertools import chain
from pathlib import Path

import numpy as np

from .config import DEFAULT_MODEL
from .tokenizing import encode_many

__all__ = ["Embedder", "load_model"]

_WORDLLAMA_WEIGHTS = "l2_supercat_256.safetensors"
_WORDLLAMA_TOKENIZER = "l2_supercat_tokenizer_config.json"
_SMALL_TOKENS = 8192
"""Up to this many tokens in one call, token vectors are summed with numpy (see ``_token_sums``)."""
# A fixed text whose embedding identifies a model: two indexes whose fingerprints differ
# were built by different models, even if their names match.
_FINGERPRINT_TEXT = "article-qa fingerprint: The quick brown fox jumps over the lazy dog in 1961."


def _wordllama_folder() -> Path:
    # find_spec locates the package without importing it: wordllama's __init__ calls
    # logging.basicConfig(), which would turn on INFO logs for every library.
    spec = importlib.util.find_spec("wordllama")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the default embedding model needs the 'wordllama' package: pip install wordllama")
    return Path(next(iter(spec.submodule_search_locations)))


def _wordllama_parts():
    """The default model's tokenizer and token vectors, read straight from the wheel."""
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    package = _wordllama_folder()
    weights = load_file(str(package / "weights" / _WORDLLAMA_WEIGHTS))["embedding.weight"].astype(np.float32)
    tokenizer = Tokenizer.from_file(str(package / "tokenizers" / _WORDLLAMA_TOKENIZER))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer, weights


def _wordllama_model():
    from sentence_transformers import SentenceTransformer

    try:  # sentence-transformers >= 6
        from sentence_transformers.sentence_transformer.modules import Normalize, StaticEmbedding
    except ImportError:  # 5.x
        from sentence_transformers.models import Normalize, StaticEmbedding

    tokenizer, weights = _wordllama_parts()
    static = StaticEmbedding(tokenizer, embedding_weights=weights)
    return SentenceTransformer(modules=[static, Normalize()], device="cpu")


def load_model(name: str | None = None):
    """Load a ``SentenceTransformer``: the wordllama default, or ``name`` (hub id or path).

    Loading by name never reaches the network when ``HF_HUB_OFFLINE`` is set; a model
    that is neither a local folder nor already cached then fails with a clear error.
    """
    name = name or DEFAULT_MODEL
    if name == DEFAULT_MODEL:
        return _wordllama_model()
    from sentence_transformers import SentenceTransformer

    try:
        return SentenceTransformer(name, device="cpu")
    except Exception as e:  # many error types: OSError, HTTP errors, ValueError...
        hint = "" if os.path.isdir(name) else " (no local folder by that name and no model hub here)"
        raise ValueError(f"cannot load embedding model {name!r}{hint}: {e}") from e


def _static_parts(model):
    """``(tokenizer, token vectors)`` of a plain ``StaticEmbedding`` (+ ``Normalize``) model, else None.

    Such a model is a mean of token vectors, then normalised, which :class:`Embedder`
    computes directly (see ``_encode_static``).
    """
    import torch

    try:
        modules = list(model)
    except TypeError:
        return None
    if not modules or type(modules[0]).__name__ != "StaticEmbedding":
        return None
    if any(type(m).__name__ != "Normalize" for m in modules[1:]):
        return None
    if getattr(model, "default_prompt_name", None) or getattr(model, "truncate_dim", None):
        return None
    bag = getattr(modules[0], "embedding", None)
    tokenizer = getattr(modules[0], "tokenizer", None)
    if getattr(bag, "mode", None) != "mean" or not hasattr(tokenizer, "encode_batch"):
        return None
    if bag.weight.device.type != "cpu" or bag.weight.dtype != torch.float32:
        return None
    return tokenizer, bag.weight.detach().numpy()


def _token_sums(weights: np.ndarray, flat: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Per-text sums of the token vectors ``weights[flat]`` (zero for a text without tokens)."""
    if len(flat) <= _SMALL_TOKENS:
        # A query or a few sentences: a sparse (texts x vocabulary) count matrix times the
        # table, on this thread. torch would fan a few microseconds of work out to its
        # thread pool, which costs milliseconds; numpy's reduceat is ten times slower.
        from scipy.sparse import csr_matrix

        indptr = np.concatenate(([0], np.cumsum(lengths)))
        counts = csr_matrix((np.ones(len(flat), dtype=np.float32), flat, indptr), shape=(len(lengths), len(weights)))
        return np.asarray(counts @ weights, dtype=np.float32)
    starts = np.concatenate(([0], np.cumsum(lengths[:-1])))
    import torch
    import torch.nn.functional as F

    with torch.inference_mode():
        ids, vectors, offsets = torch.from_numpy(flat), torch.from_numpy(weights), torch.from_numpy(starts)
        sums = F.embedding_bag(ids, vectors, offsets, mode="sum")
    return sums.numpy()


class Embedder:
    """Encodes texts into unit-length float32 vectors with one model.

    Static-embedding models (the default one included) are computed directly: token ids
    from the model's tokenizer, the sum of their vectors, normalised. That is the model's
    own arithmetic without ``SentenceTransformer.encode``'s per-call overhead, and without
    torch's multi-threaded ``embedding_bag(mode="mean")``, which takes milliseconds even
    for a handful of texts on a small machine. The default model is then used without
    loading sentence-transformers or torch at all (``model`` builds it on first use).
    """

    def __init__(self, name: str | None = None, model=None) -> None:
        self.name = name or DEFAULT_MODEL
        self._model = model
        if model is None and self.name == DEFAULT_MODEL:
            self._static = _wordllama_parts()
        else:
            if model is None:
                self._model = load_model(self.name)
            self._static = _static_parts(self._model)
        if self._static is not None:
            self.dimension = int(self._static[1].shape[1])
        else:
            get_dimension = getattr(self._model, "get_embedding_dimension", None) or (
                self._model.get_sentence_embedding_dimension  # sentence-transformers 5.x
            )
            self.dimension = int(get_dimension())
        self._fingerprint: str | None = None

    @property
    def model(self):
        """The ``SentenceTransformer`` itself (for the default model, built on first use)."""
        if self._model is None:
            self._model = load_model(self.name)
        return self._model

    def encode(self, texts: list[str], *, batch_size: int = 256, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self._static is not None:
            return self._encode_static(texts, progress=progress)
        return self._encode_model(texts, batch_size=batch_size, progress=progress)

    def _encode_static(self, texts: list[str], *, progress: bool, batch_size: int = 4096) -> np.ndarray:
        tokenizer, weights = self._static
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        starts = range(0, len(texts), batch_size)
        if progress:
            from tqdm.auto import tqdm

            starts = tqdm(starts, desc="Embedding", unit="batch")
        for b in starts:
            ids = [e.ids for e in encode_many(tokenizer, texts[b : b + batch_size], add_special_tokens=False, offsets=False)]
            lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
            flat = np.fromiter(chain.from_iterable(ids), dtype=np.int64, count=int(lengths.sum()))
            out[b : b + len(ids)] = _token_sums(weights, flat, lengths)
        # The sum of token vectors, not their mean: normalising removes the difference.
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out

    def _encode_model(self, texts: list[str], *, batch_size: int = 256, progress: bool = False) -> np.ndarray:
        vectors = self.model.encode(
            texts,
            batch_size=batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    @property
    def fingerprint(self) -> str:
        """A short hash of this model's embedding of a fixed text."""
        if self._fingerprint is None:
            # Through the model's own pipeline, so that it never depends on how ``encode``
            # computes; but the default model's is computed directly, to load without
            # torch: it is the same fingerprint (tests/test_fast_paths.py checks it).
            encode = self.encode if self._model is None else self._encode_model
            vector = encode([_FINGERPRINT_TEXT])[0]
            rounded = np.round(vector.astype(np.float64), 3).tobytes()
            self._fingerprint = hashlib.sha256(rounded).hexdigest()[:16]
        return self._fingerprint
