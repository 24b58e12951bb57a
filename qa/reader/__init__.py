"""The trained span reader: finds the short answer in retrieved passages, or none.

    >>> reader = Reader.load()                      # the model shipped in qa/reader/model/
    >>> reader.read("Who signed it?", ["... signed by Kim Jong-un ..."])
    [SpanScore(start=..., end=..., score=..., null=...)]

The weights are all-MiniLM-L6-v2 fine-tuned for extractive question answering with a
no-answer option (see ``MODEL_CARD.md`` and :mod:`qa.reader.train`), run by ONNX Runtime
from ``model.onnx`` (:mod:`qa.reader.export`). ``calibration.json`` turns the reader's
scores into the probability that an answer is right.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import ReaderModelError
from .model import SpanScore, load_tokenizer, predict_n_best

__all__ = ["Reader", "ReaderModelError", "Calibration", "SpanScore", "MODEL_DIR", "sha256"]

MODEL_DIR = Path(__file__).resolve().parent / "model"
RETRAIN = "restore it from the repository, or retrain it: python -m qa.reader.train && python -m qa.reader.calibrate"
_REQUIRED = ("model.onnx", "tokenizer.json", "reader.json", "calibration.json")
"""What run time needs (``model.safetensors`` and ``config.json`` are for training on)."""


@dataclass(frozen=True)
class Calibration:
    """Logistic calibration of answer features, fitted on held-out training data.

    ``probability(features) = sigmoid(weights . features + bias)``; an answer is given
    when that probability reaches ``threshold``.
    """

    features: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float

    @classmethod
    def from_file(cls, path: Path) -> "Calibration":
        d = json.loads(path.read_text(encoding="utf-8"))
        return cls(tuple(d["features"]), tuple(float(w) for w in d["weights"]), float(d["bias"]), float(d["threshold"]))

    def probability(self, values: dict[str, float]) -> float:
        z = self.bias + sum(w * values[name] for name, w in zip(self.features, self.weights))
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def sha256(path: Path) -> str:
    """The file's sha256, read in 1 MB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Reader:
    """An extractive reader run by ONNX Runtime, loaded once and shared: :meth:`read` is
    thread-safe. torch is needed only to train and export it (:mod:`qa.reader.train`)."""

    def __init__(self, session, tokenizer, record: dict, calibration: Calibration | None, path: Path) -> None:
        self.session = session
        self.tokenizer = tokenizer
        self.record = record
        self.calibration = calibration
        self.path = path
        self.max_len = int(record["max_len"])
        self.stride = int(record["stride"])
        self._lock = threading.Lock()  # the tokenizer's truncation setting is shared state

    @classmethod
    def load(cls, path: str | Path = MODEL_DIR, *, calibrated: bool = True, threads: int | None = None) -> "Reader":
        """Load the reader in ``path``, checking its files and the model's sha256 first.

        ``threads``: ONNX Runtime's threads for one read (default: every core). Raises
        :class:`ReaderModelError` naming a missing or damaged file and how to retrain.
        """
        path = Path(path)
        for name in _REQUIRED if calibrated else _REQUIRED[:-1]:
            if not (path / name).is_file():
                raise ReaderModelError(f"reader model file {path / name} is missing; {RETRAIN}")
        try:
            record = json.loads((path / "reader.json").read_text(encoding="utf-8"))
            expected = record["onnx_sha256"]
        except (ValueError, KeyError) as e:
            raise ReaderModelError(f"reader model file {path / 'reader.json'} is damaged ({e}); {RETRAIN}") from None
        weights = path / "model.onnx"
        if sha256(weights) != expected:
            raise ReaderModelError(f"reader model file {weights} is damaged (its sha256 does not match reader.json); {RETRAIN}")
        calibration = None
        if calibrated:
            try:
                calibration = Calibration.from_file(path / "calibration.json")
            except (ValueError, KeyError) as e:
                raise ReaderModelError(f"reader model file {path / 'calibration.json'} is damaged ({e}); {RETRAIN}") from None
        try:
            tokenizer = load_tokenizer(path / "tokenizer.json")
        except Exception as e:  # tokenizers raises its own exception type
            raise ReaderModelError(f"reader model file {path / 'tokenizer.json'} is damaged ({e}); {RETRAIN}") from None

        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        # Memory patterns are planned and kept per input shape, and every batch of windows
        # has its own: off, the process held ~40 MB less after 400 reads, at the same speed.
        options.enable_mem_pattern = False
        try:
            session = ort.InferenceSession(str(weights), options, providers=["CPUExecutionProvider"])
        except Exception as e:  # onnxruntime's errors are not one type
            raise ReaderModelError(f"reader model file {weights} is damaged ({e}); {RETRAIN}") from None
        reader = cls(session, tokenizer, record, calibration, path)
        if calibration is not None and "answerable" in calibration.features and not reader.has_head:
            raise ReaderModelError(f"reader model file {path / 'calibration.json'} was fitted for a model with an "
                                   f"answerability head, and {weights} has none; {RETRAIN}")  # fmt: skip
        return reader

    @property
    def has_head(self) -> bool:
        """Whether the model has an answerability head (:mod:`qa.reader.head`): a third output."""
        return len(self.session.get_outputs()) > 2

    def _forward(self, ids, types, mask):
        # start and end logits, and the answerability head's when the model has one
        return tuple(self.session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}))

    def read(
        self, question: str, passages: Sequence[str], *, max_len: int | None = None, batch_size: int = 16
    ) -> list[SpanScore | None]:
        """The best answer span of each passage (offsets into that passage) with its
        score and the passage's no-answer score; None for an empty passage.

        ``max_len`` is the window size in tokens (default: the one trained with); longer
        passages are read in windows overlapping by the trained stride. A question of any
        length is cut to fit the window (:data:`qa.reader.model.MAX_QUESTION_TOKENS`)."""
        spans = self.read_n_best(question, passages, 1, max_len=max_len, batch_size=batch_size)
        return [best[0] if best else None for best in spans]

    def read_n_best(
        self, question: str, passages: Sequence[str], n: int, *, max_len: int | None = None, batch_size: int = 16
    ) -> list[list[SpanScore]]:
        """The ``n`` best distinct spans of each passage, best first (as :meth:`read`;
        an empty list for an empty passage)."""
        if not passages:
            return []
        with self._lock:
            return predict_n_best(self._forward, self.tokenizer, [question] * len(passages), passages,
                                  max_len or self.max_len, self.stride, batch_size, n)  # fmt: skip
