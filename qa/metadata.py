"""Questions about an article itself: who wrote it, when it was published, which outlet.

These are answered from the article's byline, date and source (parsed at load time)
and cited to where the article's header states them, not read from the body.
"""

from __future__ import annotations

import re
from datetime import date as _date

from .types import Article

__all__ = ["asked_field", "header_span"]

_FIELDS: list[tuple[str, re.Pattern[str]]] = [
    ("author", re.compile(
        r"\bwho (wrote|authored|penned|reported|is the (author|writer|reporter) of)\b"
        r"|\b(author|byline|writer|reporter)s? of (the|this|that) (article|story|report|piece)\b"
        r"|\bwho is the (author|writer|reporter)\b|\bwhose byline\b", re.I)),
    ("date", re.compile(
        r"\bwhen (was|were) (it|this|that|the|these|they)\b[^?]*\b(published|written|posted|released|dated)\b"
        r"|\b(publication|published|publishing) date\b|\bwhat (date|day) was (it|this|the [\w ]+) (published|written|posted)\b", re.I)),
    ("source", re.compile(
        r"\b(which|what) (outlet|newspaper|paper|publication|publisher|site|website|news agency|news outlet|media outlet)\b"
        r"|\bwho published\b|\bwhere was (it|this|the [\w ]+) published\b", re.I)),
]  # fmt: skip

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December")


def asked_field(question: str) -> str | None:
    """``"author"``, ``"date"`` or ``"source"`` when the question asks about the article
    itself rather than its content; None otherwise."""
    for name, pattern in _FIELDS:
        if pattern.search(question):
            return name
    return None


def header_span(article: Article, field: str, head_chars: int = 1500) -> tuple[int, int] | None:
    """Where the article's text states ``field`` (its byline, date or outlet), searched in
    its first ``head_chars`` characters; None when the text does not state it."""
    value = getattr(article, field, None)
    if not value:
        return None
    head = article.text[:head_chars]
    if field == "date":
        return _date_span(head, value)
    m = re.search(re.escape(value), head, re.I)
    return (m.start(), m.end()) if m else None


def _date_span(head: str, iso: str) -> tuple[int, int] | None:
    try:
        d = _date.fromisoformat(iso[:10])
    except ValueError:
        m = re.search(re.escape(iso), head)
        return (m.start(), m.end()) if m else None
    month = _MONTHS[d.month - 1]
    # "June 20, 2024", "Jun. 20, 2024", "20 June 2024", then the bare ISO date.
    patterns = [
        rf"{month[:3]}\w*\.? 0?{d.day}, {d.year}",
        rf"0?{d.day} {month[:3]}\w* {d.year}",
        re.escape(iso[:10]),
    ]
    for p in patterns:
        m = re.search(p, head)
        if m:
            return m.start(), m.end()
    return None
