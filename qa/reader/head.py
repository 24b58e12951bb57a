"""The reader network for training and export: the encoder with its span head, and an
optional answerability head.

The span head scores every token as an answer's start and end, ``[CLS]`` standing for
"no answer" (SQuAD 2.0 style). The answerability head is a second, dedicated opinion on
the same question: a linear classifier on ``[CLS]``'s last hidden state, trained with
binary cross-entropy on "this window holds the answer" beside the span loss (an internal
answer verifier, as in Retro-Reader's "internal front verification"). Its logit is a
third output of the ONNX graph and an input of the calibration.

The head is stored in the same ``model.safetensors`` under ``answerable.*``, and
``config.json`` says it is there (``answerable_head``); transformers' own loader ignores it.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["HEAD", "attach", "has_head", "load_model", "forward"]

HEAD = "answerable"


def attach(model) -> None:
    """Give a ``BertForQuestionAnswering`` a new answerability head (small random weights)."""
    import torch

    head = torch.nn.Linear(model.config.hidden_size, 1)
    torch.nn.init.normal_(head.weight, std=model.config.initializer_range)
    torch.nn.init.zeros_(head.bias)
    head.to(next(model.parameters()).device)
    model.add_module(HEAD, head)
    model.config.answerable_head = True


def has_head(model) -> bool:
    """Whether ``model`` carries an answerability head (:func:`attach`)."""
    import torch

    return isinstance(getattr(model, HEAD, None), torch.nn.Module)


def load_model(path: str | Path, dtype=None):
    """The question-answering model in ``path`` (a reader folder or the base), with its
    answerability head when ``config.json`` says it has one (then every weight must be in
    ``model.safetensors``: loaded strictly)."""
    import torch
    from safetensors.torch import load_file
    from transformers import AutoConfig, AutoModelForQuestionAnswering

    dtype = dtype or torch.float32
    config = AutoConfig.from_pretrained(path)
    if not getattr(config, "answerable_head", False):
        return AutoModelForQuestionAnswering.from_pretrained(path, dtype=dtype)
    model = AutoModelForQuestionAnswering.from_config(config)
    attach(model)
    state = {k: v.to(dtype) for k, v in load_file(str(Path(path) / "model.safetensors")).items()}
    model.load_state_dict(state, strict=True)
    return model.to(dtype).eval()  # as from_pretrained returns it


def forward(model, input_ids, token_type_ids, attention_mask):
    """(start logits, end logits, answerability logit or None) of a batch of windows: the
    model's own forward, the head read off its last hidden state at ``[CLS]``."""
    head = has_head(model)
    out = model(input_ids=input_ids, token_type_ids=token_type_ids, attention_mask=attention_mask, output_hidden_states=head)
    answerable = getattr(model, HEAD)(out.hidden_states[-1][:, 0]).squeeze(-1) if head else None
    return out.start_logits, out.end_logits, answerable
