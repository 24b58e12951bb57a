"""The span reader: question + passage -> the best answer span, or no answer.

A BERT-style encoder with a start/end head (SQuAD 2.0 style: the ``[CLS]`` position
stands for "no answer"). Passages longer than one window are read in overlapping
windows; the best span over all windows is kept, and "no answer" is the lowest
``[CLS]`` score among them, as in the original BERT SQuAD 2.0 recipe.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..tokenizing import encode_many

__all__ = ["SpanScore", "Forward", "encode", "load_tokenizer", "cut_questions", "decode", "collate", "predict", "predict_n_best", "torch_forward"]

MAX_ANSWER_TOKENS = 30
MAX_QUESTION_TOKENS = 48
"""Longer questions are cut to this many tokens, so the passage keeps most of the window
(and the tokenizer's stride always fits: a question filling the window made it panic)."""
TOP_K = 20


@dataclass(frozen=True)
class SpanScore:
    """The best span of one passage: character offsets into the passage, its score
    (start + end logit), and the passage's no-answer score ([CLS] start + end logit)."""

    start: int
    end: int
    score: float
    null: float
    answerable: float | None = None
    """The answerability head's logit for the passage (its highest over the passage's
    windows; :mod:`qa.reader.head`), None when the reader has no such head."""

    @property
    def margin(self) -> float:
        """How much the span beats "no answer" (the SQuAD 2.0 decision value)."""
        return self.score - self.null


def encode(tokenizer, questions: Sequence[str], contexts: Sequence[str], max_len: int, stride: int) -> dict[str, list]:
    """Tokenise (question, context) pairs into windows of ``max_len`` tokens overlapping by
    ``stride`` (``tokenizer`` is a :class:`tokenizers.Tokenizer`, see :func:`load_tokenizer`).

    Returns ``input_ids``, ``token_type_ids``, ``offset_mapping`` (character offsets into
    the context; None outside it) and ``overflow_to_sample_mapping`` (each window's pair),
    a window per row. A question is cut to :data:`MAX_QUESTION_TOKENS` tokens, and fewer
    when the window is small, so every window keeps more context tokens than the stride.
    """
    questions = cut_questions(tokenizer, questions, min(MAX_QUESTION_TOKENS, max_len - stride - 3 - 8))
    tokenizer.enable_truncation(max_len, stride=stride, strategy="only_second")
    out: dict[str, list] = {"input_ids": [], "token_type_ids": [], "offset_mapping": [], "overflow_to_sample_mapping": []}
    for pair, first in enumerate(encode_many(tokenizer, list(zip(questions, contexts)))):
        for enc in [first, *first.overflowing]:
            out["input_ids"].append(enc.ids)
            out["token_type_ids"].append(enc.type_ids)
            out["offset_mapping"].append([o if s == 1 else None for o, s in zip(enc.offsets, enc.sequence_ids)])
            out["overflow_to_sample_mapping"].append(pair)
    return out


def load_tokenizer(path):
    """The reader's WordPiece tokenizer from its ``tokenizer.json`` (no padding)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_padding()
    return tokenizer


def cut_questions(tokenizer, questions: Sequence[str], max_tokens: int) -> list[str]:
    """Each question cut after its first ``max_tokens`` tokens (at a token's end)."""
    if max_tokens < 1:
        raise ValueError(f"window too small for a question: {max_tokens} tokens left")
    questions = [q[:4000] for q in questions]  # far more than max_tokens tokens; bounds the work
    tokenizer.no_truncation()
    encs = encode_many(tokenizer, questions, add_special_tokens=False)
    return [q if len(e.offsets) <= max_tokens else q[: e.offsets[max_tokens - 1][1]] for q, e in zip(questions, encs)]


def decode(
    start_logits: np.ndarray,
    end_logits: np.ndarray,
    offsets: Sequence[Sequence[tuple[int, int] | None]],
    window_to_passage: Sequence[int],
    n_passages: int,
    n_best: int = 1,
    answerable_logits: Sequence[float] | None = None,
) -> list[list[SpanScore]]:
    """The ``n_best`` best distinct spans per passage from the windows' logits, best first
    (an empty list if a passage had no window); ``answerable_logits``, one per window,
    are the answerability head's, when the reader has one."""
    found: list[dict[tuple[int, int], float]] = [{} for _ in range(n_passages)]
    nulls = [np.inf] * n_passages
    heads = None if answerable_logits is None else [-np.inf] * n_passages
    for w, p in enumerate(window_to_passage):
        s, e, off = start_logits[w], end_logits[w], offsets[w]
        nulls[p] = min(nulls[p], float(s[0] + e[0]))
        if heads is not None:
            heads[p] = max(heads[p], float(answerable_logits[w]))
        valid = np.array([o is not None for o in off] + [False] * (len(s) - len(off)))
        s_masked = np.where(valid, s, -np.inf)
        e_masked = np.where(valid, e, -np.inf)
        starts = np.argsort(s_masked)[::-1][:TOP_K]
        ends = np.argsort(e_masked)[::-1][:TOP_K]
        spans = found[p]
        for i in starts:
            if not valid[i]:
                break
            for j in ends:
                if not valid[j]:
                    break
                if j < i or j - i + 1 > MAX_ANSWER_TOKENS:
                    continue
                key, score = (off[i][0], off[j][1]), float(s[i] + e[j])
                if score > spans.get(key, -np.inf):  # windows overlap: the same span twice
                    spans[key] = score
    return [[SpanScore(a, b, score, nulls[p], None if heads is None else heads[p]) for (a, b), score in sorted(spans.items(), key=lambda x: -x[1])[:n_best]]
            for p, spans in enumerate(found)]  # fmt: skip


def collate(feats: Sequence[tuple[Sequence[int], Sequence[int], ...]], idx: Sequence[int]):
    """Pad the windows ``feats[i]`` (input ids, token type ids, ...) for ``i in idx`` into
    one batch: int64 arrays of ids, token types and attention mask."""
    n = max(len(feats[i][0]) for i in idx)
    ids = np.zeros((len(idx), n), dtype=np.int64)
    types = np.zeros((len(idx), n), dtype=np.int64)
    mask = np.zeros((len(idx), n), dtype=np.int64)
    for r, i in enumerate(idx):
        k = len(feats[i][0])
        ids[r, :k] = feats[i][0]
        types[r, :k] = feats[i][1]
        mask[r, :k] = 1
    return ids, types, mask


Forward = Callable[[np.ndarray, np.ndarray, np.ndarray], tuple[np.ndarray, ...]]
"""A model run: (ids, token types, attention mask) -> (start logits, end logits), and the
answerability head's logits (one per window) third when the reader has one."""


def predict(forward: Forward, tokenizer, questions: Sequence[str], contexts: Sequence[str], max_len: int, stride: int,
            batch_size: int = 32) -> list[SpanScore | None]:  # fmt: skip
    """Best span per (question, context) pair (None for an empty context): the first of
    :func:`predict_n_best`'s."""
    return [spans[0] if spans else None
            for spans in predict_n_best(forward, tokenizer, questions, contexts, max_len, stride, batch_size)]  # fmt: skip


def predict_n_best(forward: Forward, tokenizer, questions: Sequence[str], contexts: Sequence[str], max_len: int,
                   stride: int, batch_size: int = 32, n_best: int = 1) -> list[list[SpanScore]]:  # fmt: skip
    """The ``n_best`` best spans per (question, context) pair, each context read in windows
    of similar length batched together (see :func:`decode`); ``forward`` runs the model
    (ONNX Runtime at run time, torch in training)."""
    enc = encode(tokenizer, questions, contexts, max_len, stride)
    n = len(enc["input_ids"])
    feats = [(enc["input_ids"][i], enc["token_type_ids"][i]) for i in range(n)]
    order = sorted(range(n), key=lambda i: len(feats[i][0]))
    starts: list = [None] * n
    ends: list = [None] * n
    heads: list | None = None  # the answerability head's logit per window, when there is one
    for lo in range(0, n, batch_size):
        idx = order[lo : lo + batch_size]
        start_logits, end_logits, *head = forward(*collate(feats, idx))
        if head:
            heads = heads or [0.0] * n
            batch_heads = np.asarray(head[0], dtype=np.float32).reshape(-1)
            for r, i in enumerate(idx):
                heads[i] = float(batch_heads[r])
        for r, i in enumerate(idx):
            k = len(feats[i][0])
            starts[i] = np.asarray(start_logits[r, :k], dtype=np.float32)
            ends[i] = np.asarray(end_logits[r, :k], dtype=np.float32)
    return decode(starts, ends, enc["offset_mapping"], enc["overflow_to_sample_mapping"], len(questions), n_best, heads)


def torch_forward(model) -> Forward:
    """:data:`Forward` for a transformers question-answering model, with its answerability
    head when it has one (:mod:`qa.reader.head`; training, export checks)."""
    import torch

    from .head import forward as network_forward

    device = next(model.parameters()).device

    def forward(ids, types, mask):
        with torch.inference_mode():
            outs = network_forward(model, *(torch.from_numpy(a).to(device) for a in (ids, types, mask)))
        return tuple(o.float().cpu().numpy() for o in outs if o is not None)

    return forward
