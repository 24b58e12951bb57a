"""The checks every article passes before it is stored.

An article reaches the store from files (pages, feeds, PDFs, JSON Lines), from the
Python API and from :func:`qa.update_article`; each path calls :func:`check_article`, so
nothing the index cannot use is ever committed. A field that fails raises
:class:`qa.errors.ArticleError` naming it; the loaders turn that into a refused record
with the reason. Values are normalised where the meaning is unambiguous (a written date
becomes an ISO day, white space in a byline is folded), never guessed.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

from .dates import iso_date
from .errors import ArticleError
from .types import Article

__all__ = ["check_article", "MAX_FIELD_CHARS"]

MAX_FIELD_CHARS = {"id": 200, "title": 1000, "author": 300, "source": 300, "url": 2000}
"""Longest value accepted per field (a headline, not a page)."""

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
"""Control characters and lone surrogates: nothing a one-line field holds."""
_NOT_TEXT = re.compile(r"[\x00\ud800-\udfff]")
"""What no article text holds: NUL bytes (binary data) and lone surrogates (which no
store can encode). Other stray control characters stay: the text is kept exactly."""

_META_INTS = ("body_start",)
"""Loader metadata that must be a character offset into the text."""


def check_article(article: Article) -> Article:
    """``article`` with its fields checked and normalised; raises :class:`ArticleError`.

    Checks: ``text`` is text with no NUL byte or lone surrogate; ``id`` is a short
    single line; ``title``/``author``/``source`` are text of
    bounded length; ``url`` is an ``http(s)://`` address; ``date`` is a date (stored as
    ``YYYY-MM-DD``); ``metadata`` is JSON with ``body_start`` an offset into the text.
    """
    text = article.text
    if not isinstance(text, str) or not text.strip():
        raise ArticleError("text", "no article text")
    bad = _NOT_TEXT.search(text)
    if bad:
        raise ArticleError("text", f"holds binary data (character {ord(bad.group()):#04x} at offset {bad.start()})")
    article_id = _line("id", article.id, required=True)
    fields = {name: _line(name, getattr(article, name)) for name in ("title", "author", "source")}
    return replace(
        article,
        id=article_id,
        title=fields["title"] or article_id,
        author=fields["author"],
        source=fields["source"],
        url=_url(article.url),
        date=_date(article.date),
        metadata=_metadata(article.metadata, len(text)),
    )


def _line(name: str, value: Any, *, required: bool = False) -> str | None:
    if value is None or value == "":
        if required:
            raise ArticleError(name, "is empty")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ArticleError(name, f"must be text, not {type(value).__name__}")
    text = " ".join(_CONTROL.sub(" ", str(value)).split())
    if not text:
        if required:
            raise ArticleError(name, "is empty")
        return None
    limit = MAX_FIELD_CHARS[name]
    if len(text) > limit:
        raise ArticleError(name, f"is {len(text):,} characters long, over the {limit:,} limit")
    return text


def _url(value: Any) -> str | None:
    url = _line("url", value)
    if url is None:
        return None
    if not re.match(r"https?://[^\s/?#]+", url, re.I):
        raise ArticleError("url", f"{url[:80]!r} is not an http(s):// address")
    return url


def _date(value: Any) -> str | None:
    if value is None or value == "":
        return None
    day = iso_date(value)
    if day is None:
        raise ArticleError("date", f"{str(value)[:80]!r} is not a date (use YYYY-MM-DD)")
    return day


def _metadata(metadata: Any, text_chars: int) -> dict:
    if not isinstance(metadata, dict):
        raise ArticleError("metadata", f"must be an object, not {type(metadata).__name__}")
    try:
        json.dumps(metadata, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise ArticleError("metadata", f"is not JSON data ({e})") from None
    for key in _META_INTS:
        if key not in metadata:
            continue
        value = metadata[key]
        if isinstance(value, bool) or not isinstance(value, int):
            raise ArticleError(f"metadata.{key}", f"must be a whole number, not {value!r:.40}")
        if not 0 <= value <= text_chars:
            raise ArticleError(f"metadata.{key}", f"{value} is outside the text (0 to {text_chars})")
    return metadata
