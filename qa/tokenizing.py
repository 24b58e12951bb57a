"""Running a Hugging Face ``tokenizers.Tokenizer`` over many inputs, sized to the call.

Its batch methods tokenize on a thread pool (rayon) whose threads keep what they
allocated: over 1,000 asks at 100k passages that was ~55 MB of resident memory for no
measurable speed at query time, where a call holds a question and a few hundred short
sentences or passages. Small calls therefore run on the calling thread; index builds and
training, with thousands of inputs, still run in parallel.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["PARALLEL_FROM", "encode_many"]

PARALLEL_FROM = 2048
"""Inputs in one call from which tokenizing runs on the tokenizer's thread pool."""


def encode_many(tokenizer, inputs: Sequence, *, add_special_tokens: bool = True, offsets: bool = True) -> list:
    """``tokenizer`` run over ``inputs`` (texts, or (text, pair) tuples), in order.

    ``offsets=False`` allows the batch path that skips character offsets (same ids).
    """
    if len(inputs) < PARALLEL_FROM:
        return [
            tokenizer.encode(*x, add_special_tokens=add_special_tokens) if isinstance(x, tuple)
            else tokenizer.encode(x, add_special_tokens=add_special_tokens)
            for x in inputs
        ]  # fmt: skip
    batch = tokenizer.encode_batch if offsets else getattr(tokenizer, "encode_batch_fast", tokenizer.encode_batch)
    return batch(list(inputs), add_special_tokens=add_special_tokens)
