"""Screening uploaded files before they reach the article store.

Types are checked by content, not only by name: a file must have an allowed ending
(``WebConfig.upload_types``) and look like that type inside (text that decodes and holds
no NUL bytes or binary signature; a PDF that starts with ``%PDF-``). File names are only
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
from qa.config import WebConfig

__all__ = ["Screened", "safe_name", "screen_uploads", "sniff_refusal"]

SNIFF_BYTES = 64 * 1024
"""How much of each file is inspected."""

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    (b"\x7fELF", "a program (ELF)"),
    (b"MZ", "a Windows program"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"BZh", "bzip2-compressed data"),
    (b"\xfd7zXZ", "xz-compressed data"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"SQLite format 3\x00", "an SQLite database"),
)
_EXPECTED_SIGNATURE = {".pdf": b"%PDF-"}
"""Endings whose content must start with a signature; every other allowed ending is text."""

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
    """Why the file at ``path`` is not the type its ``ending`` says (None when it is)."""
    with open(path, "rb") as f:
        head = f.read(SNIFF_BYTES)
    expected = _EXPECTED_SIGNATURE.get(ending)
    if expected is not None:
        return None if head.startswith(expected) else f"its content is not a {ending} file"
    for signature, what in _SIGNATURES:
        if head.startswith(signature):
            return f"it is {what}, not text"
    if b"\x00" in head:
        return "it is binary data, not text"
    text = _decode(head)
    controls = sum(1 for c in text if unicodedata.category(c) == "Cc" and c not in "\t\n\r\f")
    if text and controls / len(text) > 0.01:
        return "it is binary data, not text"
    return None


def _decode(head: bytes) -> str:
    """``head`` as text: UTF-8 (a character cut at the end tolerated), else Windows-1252,
    else Latin-1."""
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError as e:
        if e.start >= len(head) - 3:
            return head[: e.start].decode("utf-8")
    try:  # Windows-1252 before Latin-1: its curly quotes and dashes are not control characters
        return head.decode("cp1252")
    except UnicodeDecodeError:
        return head.decode("latin-1")


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
            reason = f"larger than the {config.max_upload_bytes / 1024 / 1024:g} MB limit"
        else:
            reason = sniff_refusal(path, ending)
        if reason:
            screened.refused.append(SkippedFile(label, reason))
        else:
            screened.accepted.append(path)
    return screened
