"""A training kit: a run's examples, already cut as the engine cuts them, in one folder.

Making the examples needs the training files and the engine's embedder (reading windows,
not-in-the-archive negatives); fitting needs neither. A kit holds what fitting reads, so a
machine lent for minutes (a GPU, with torch and transformers but not this project's
dependencies) trains from it alone:

- ``examples.json.xz``: the training and held-out examples, each window's text stored once,
  the arguments they were made with and the titles trained on and held out;
- ``base/``: the base encoder in fp16 with its tokenizer (about 45 MB, a quarter less than
  the packaged fp32 file, whose sha256 is checked when the kit is made).

    python -m qa.reader.train --save-kit kit ...    # here: make the examples, write the kit
    python -m qa.reader.train --kit kit --out DIR   # anywhere: fit (--device cuda on a GPU)
"""

from __future__ import annotations

import json
import lzma
import shutil
from pathlib import Path

from .data import Example

__all__ = ["EXAMPLE_ARGUMENTS", "KitError", "read", "write", "write_base"]

FORMAT = 1
EXAMPLE_ARGUMENTS = ("data", "seed", "window_chars", "held_out_share", "news_held_out_share", "other_passage", "entity_swap",
                     "near_miss", "not_in_archive", "window_miss", "role_swap", "sentence_cut", "real_repeat",
                     "sibling_swap")  # fmt: skip
"""The training arguments that decide the examples (the rest decide how they are fitted)."""
_FIELDS = ("id", "title", "source", "question", "context", "answer_start", "answer_text", "kind", "other_answers")


class KitError(ValueError):
    """A kit folder is missing a file, or was written in another format."""


def write(folder: str | Path, train: list[Example], held: list[Example], made: dict) -> Path:
    """Write ``train`` and ``held`` (and ``made``: the example arguments and titles) to
    ``folder/examples.json.xz``; returns its path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    contexts: dict[str, int] = {}

    def row(e: Example) -> list:
        values = [getattr(e, f) for f in _FIELDS]
        values[4] = contexts.setdefault(e.context, len(contexts))
        values[8] = list(e.other_answers)
        return values

    body = {"format": FORMAT, "made": made, "train": [row(e) for e in train], "held_out": [row(e) for e in held]}
    body["contexts"] = list(contexts)
    path = folder / "examples.json.xz"
    tmp = path.with_suffix(".tmp")
    # A large dictionary: the windows of one passage overlap, and are stored once each.
    with lzma.open(tmp, "wt", encoding="utf-8", preset=9) as f:
        json.dump(body, f, ensure_ascii=False, separators=(",", ":"))
    tmp.replace(path)
    return path


def read(folder: str | Path) -> tuple[list[Example], list[Example], dict]:
    """The training examples, the held-out ones and what they were made with."""
    path = Path(folder) / "examples.json.xz"
    if not path.is_file():
        raise KitError(f"training kit {path} not found (make one with python -m qa.reader.train --save-kit)")
    with lzma.open(path, "rt", encoding="utf-8") as f:
        body = json.load(f)
    if body.get("format") != FORMAT:
        raise KitError(f"training kit {path} has format {body.get('format')!r}, not {FORMAT}")
    contexts = body["contexts"]

    def example(values: list) -> Example:
        fields = dict(zip(_FIELDS, values))
        return Example(**fields | {"context": contexts[fields["context"]], "other_answers": tuple(fields["other_answers"])})

    return [example(v) for v in body["train"]], [example(v) for v in body["held_out"]], body["made"]


def write_base(folder: str | Path, base: Path, tokenizer_files: tuple[str, ...]) -> Path:
    """The base encoder (``base``: the packaged folder, its weights already checked) in
    fp16 at ``folder/base``, with its config and tokenizer files."""
    import torch
    from safetensors.torch import load_file, save_file

    out = Path(folder) / "base"
    out.mkdir(parents=True, exist_ok=True)
    state = {k: v.to(torch.float16).contiguous() for k, v in load_file(base / "model.safetensors").items()}
    save_file(state, out / "model.safetensors", metadata={"format": "pt"})
    for name in ("config.json", *tokenizer_files):
        if (base / name).exists():
            shutil.copy(base / name, out / name)
    return out
