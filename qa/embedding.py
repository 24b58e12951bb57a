"""Sentence-transformers models: the offline default and any other the user names.

No machine we run on can reach a model hub, so the default model is built from the
static token embeddings and tokenizer that ship inside the ``wordllama`` wheel, wrapped
in sentence-transformers' ``StaticEmbedding`` (mean of token vectors, then normalised).
Any other sentence-transformers model name or local folder works the same way.
"""

from __future__ import annotations

import hashlib
import os
import importlib.util
from pathlib import Path

import numpy as np

from .config import DEFAULT_MODEL

__all__ = ["Embedder", "load_model"]

_WORDLLAMA_WEIGHTS = "l2_supercat_256.safetensors"
_WORDLLAMA_TOKENIZER = "l2_supercat_tokenizer_config.json"
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


def _wordllama_model():
    from safetensors.numpy import load_file
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer

    try:  # sentence-transformers >= 6
        from sentence_transformers.sentence_transformer.modules import Normalize, StaticEmbedding
    except ImportError:  # 5.x
        from sentence_transformers.models import Normalize, StaticEmbedding

    package = _wordllama_folder()
    weights = load_file(str(package / "weights" / _WORDLLAMA_WEIGHTS))["embedding.weight"].astype(np.float32)
    tokenizer = Tokenizer.from_file(str(package / "tokenizers" / _WORDLLAMA_TOKENIZER))
    tokenizer.no_padding()
    tokenizer.no_truncation()
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


class Embedder:
    """Encodes texts into unit-length float32 vectors with one model."""

    def __init__(self, name: str | None = None, model=None) -> None:
        self.name = name or DEFAULT_MODEL
        self.model = model if model is not None else load_model(self.name)
        get_dimension = getattr(self.model, "get_embedding_dimension", None) or (
            self.model.get_sentence_embedding_dimension  # sentence-transformers 5.x
        )
        self.dimension = int(get_dimension())
        self._fingerprint: str | None = None

    def encode(self, texts: list[str], *, batch_size: int = 256, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
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
            vector = self.encode([_FINGERPRINT_TEXT])[0]
            rounded = np.round(vector.astype(np.float64), 3).tobytes()
            self._fingerprint = hashlib.sha256(rounded).hexdigest()[:16]
        return self._fingerprint
