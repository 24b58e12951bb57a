"""Screening uploaded files before they reach the article store.

Types are checked by content, not only by name: a file must have an allowed ending
(``WebConfig.upload_types``) and be that type inside, by the same sniffer that loading
uses (:mod:`qa.formats`): text that decodes and holds no binary data, a PDF that starts
with ``%PDF``. File names are only
ever used as labels and, made safe by :func:`safe_name`, as the staged file's name;
never as a path.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from qa import SkippedFile
from qa.formats import Refused, decode_text, sniff
from qa.config import WebConfig

__all__ = ["Screened", "safe_name", "screen_uploads", "sniff_refusal"]

_UNSAFE = re.compile(r"[^\w.\-]+")


def safe_name(name: str, fallback: str = "upload") -> str:
    """``name`` reduced to a plain file name: no folders, no leading dots, only letters,
    digits, ``_``, ``-`` and ``.``; at most 100 characters. ``"../../etc/passwd"`` ->
    ``"passwd"``; ``".."`` -> ``fallback``."""
    name = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    name = _UNSAFE.sub("_", name).lstrip("._-")
    if len(name) > 100:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 99 - len(ext)] + dot + ext) if dot and len(ext) <= 10 else name[:100]
    return name or fallback


def sniff_refusal(path: Path, ending: str) -> str | None:
    """Why the file at ``path`` is not the type its ``ending`` says (None when it is):
    the loader's own sniffer (:func:`qa.formats.sniff`), over the whole file."""
    data = path.read_bytes()
    try:
        kind = sniff(data, path.name)
        if kind != "pdf":
            decode_text(data)
    except Refused as e:
        return str(e)
    if (kind == "pdf") != (ending == ".pdf"):
        return f"its content is not a {ending} file" if ending == ".pdf" else "its content is a PDF, not text"
    return None


@dataclass
class Screened:
    """Files fit to add, and those refused with the reason (by their safe names)."""

    accepted: list[Path] = field(default_factory=list)
    refused: list[SkippedFile] = field(default_factory=list)
    error: str = ""
    """Set when the whole request is refused (too many files)."""


def screen_uploads(paths: Iterable[str | Path], config: WebConfig) -> Screened:
    """Check each uploaded file's count, ending, size and content against ``config``."""
    files = [Path(p) for p in paths]
    if len(files) > config.max_files_per_upload:
        return Screened(error=f"At most {config.max_files_per_upload} files can be added at once ({len(files)} sent).")
    screened = Screened()
    allowed = ", ".join(config.upload_types)
    for path in files:
        label = safe_name(path.name)
        ending = path.suffix.lower()
        if ending not in config.upload_types:
            reason: str | None = f"not an allowed type (allowed: {allowed})"
        elif not path.is_file():
            reason = "the uploaded file is missing"
        elif path.stat().st_size > config.max_upload_bytes:
            reason = f"larger than the {config.max_upload_bytes / 1e6:g} MB limit"
        else:
            reason = sniff_refusal(path, ending)
        if reason:
            screened.refused.append(SkippedFile(label, reason))
        else:
            screened.accepted.append(path)
    return screened
