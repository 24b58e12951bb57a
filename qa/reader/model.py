"""The span reader: question + passage -> the best answer span, or no answer.

A BERT-style encoder with a start/end head (SQuAD 2.0 style: the ``[CLS]`` position
stands for "no answer"). Passages longer than one window are read in overlapping
windows; the best span over all windows is kept, and "no answer" is the lowest
``[CLS]`` score among them, as in the original BERT SQuAD 2.0 recipe.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["SpanScore", "encode", "decode", "collate", "predict"]

MAX_ANSWER_TOKENS = 30
MAX_QUESTION_CHARS = 250
"""Longer questions are cut to this many characters, so the passage keeps most of the window."""
TOP_K = 20


@dataclass(frozen=True)
class SpanScore:
    """The best span of one passage: character offsets into the passage, its score
    (start + end logit), and the passage's no-answer score ([CLS] start + end logit)."""

    start: int
    end: int
    score: float
    null: float

    @property
    def margin(self) -> float:
        """How much the span beats "no answer" (the SQuAD 2.0 decision value)."""
        return self.score - self.null


def encode(tokenizer, questions: Sequence[str], contexts: Sequence[str], max_len: int, stride: int):
    """Tokenise (question, context) pairs into windows; returns the tokenizer's batch with
    ``overflow_to_sample_mapping`` and ``offset_mapping`` (None outside the context)."""
    enc = tokenizer(
        [q[:MAX_QUESTION_CHARS] for q in questions],
        list(contexts),
        truncation="only_second",
        max_length=max_len,
        stride=stride,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
        padding=False,
    )
    for i in range(len(enc["input_ids"])):
        seq = enc.sequence_ids(i)
        enc["offset_mapping"][i] = [o if s == 1 else None for o, s in zip(enc["offset_mapping"][i], seq)]
    return enc


def decode(
    start_logits: np.ndarray,
    end_logits: np.ndarray,
    offsets: Sequence[Sequence[tuple[int, int] | None]],
    window_to_passage: Sequence[int],
    n_passages: int,
) -> list[SpanScore | None]:
    """The best span per passage from the windows' logits (None if a passage had no window)."""
    best: list[SpanScore | None] = [None] * n_passages
    nulls = [np.inf] * n_passages
    for w, p in enumerate(window_to_passage):
        s, e, off = start_logits[w], end_logits[w], offsets[w]
        nulls[p] = min(nulls[p], float(s[0] + e[0]))
        valid = np.array([o is not None for o in off] + [False] * (len(s) - len(off)))
        s_masked = np.where(valid, s, -np.inf)
        e_masked = np.where(valid, e, -np.inf)
        starts = np.argsort(s_masked)[::-1][:TOP_K]
        ends = np.argsort(e_masked)[::-1][:TOP_K]
        for i in starts:
            if not valid[i]:
                break
            for j in ends:
                if not valid[j]:
                    break
                if j < i or j - i + 1 > MAX_ANSWER_TOKENS:
                    continue
                score = float(s[i] + e[j])
                if best[p] is None or score > best[p].score:
                    best[p] = SpanScore(off[i][0], off[j][1], score, 0.0)
    return [None if b is None else SpanScore(b.start, b.end, b.score, nulls[p]) for p, b in enumerate(best)]


def collate(feats: Sequence[tuple[Sequence[int], Sequence[int], ...]], idx: Sequence[int]):
    """Pad the windows ``feats[i]`` (input ids, token type ids, ...) for ``i in idx`` into
    one batch: ids, token types and attention mask tensors."""
    import torch

    n = max(len(feats[i][0]) for i in idx)
    ids = torch.zeros((len(idx), n), dtype=torch.long)
    types = torch.zeros((len(idx), n), dtype=torch.long)
    mask = torch.zeros((len(idx), n), dtype=torch.long)
    for r, i in enumerate(idx):
        k = len(feats[i][0])
        ids[r, :k] = torch.tensor(feats[i][0])
        types[r, :k] = torch.tensor(feats[i][1])
        mask[r, :k] = 1
    return ids, types, mask


def predict(model, tokenizer, questions: Sequence[str], contexts: Sequence[str], max_len: int, stride: int,
            batch_size: int = 32) -> list[SpanScore | None]:  # fmt: skip
    """Best span per (question, context) pair, each context read in windows of similar
    length batched together (see :func:`decode`)."""
    import torch

    enc = encode(tokenizer, questions, contexts, max_len, stride)
    n = len(enc["input_ids"])
    feats = [(enc["input_ids"][i], enc["token_type_ids"][i]) for i in range(n)]
    order = sorted(range(n), key=lambda i: len(feats[i][0]))
    starts: list = [None] * n
    ends: list = [None] * n
    with torch.inference_mode():
        for lo in range(0, n, batch_size):
            idx = order[lo : lo + batch_size]
            ids, types, mask = collate(feats, idx)
            out = model(input_ids=ids, token_type_ids=types, attention_mask=mask)
            for r, i in enumerate(idx):
                k = len(feats[i][0])
                starts[i] = out.start_logits[r, :k].float().numpy()
                ends[i] = out.end_logits[r, :k].float().numpy()
    return decode(starts, ends, enc["offset_mapping"], enc["overflow_to_sample_mapping"], len(questions))
