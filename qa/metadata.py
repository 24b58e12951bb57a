"""Questions about an article itself: who wrote it, when it was published, which outlet.

These are answered from the article's byline, date and source (parsed at load time)
and cited to where the article's header states them, not read from the body.
"""

from __future__ import annotations

import re
from datetime import date as _date

from .dates import MONTHS
from .types import Article

__all__ = ["asked_field", "header_span"]

# "it", "this", "the article", "the Korea Herald story": the article itself, not a book
# or a treaty the article talks about (those are content questions for the reader).
_THIS = r"(?:it|this|that|(?:the|this|that)\s+(?:[\w'’.-]+\s+){0,4}?(?:article|story|report|piece|column|op-ed|news))\b"
_FIELDS: list[tuple[str, re.Pattern[str]]] = [
    ("author", re.compile(
        rf"\bwho\s+(?:wrote|authored|penned|reported)\s+{_THIS}"
        rf"|\b(?:author|byline|writer|reporter)s?\s+of\s+{_THIS}|\bwhose\s+byline\b", re.I)),
    ("date", re.compile(
        rf"\b(?:when|what\s+(?:date|day))\s+(?:was|were|is)\s+{_THIS}\s*(?:first\s+)?(?:published|written|posted|released|dated)\b"
        rf"|\b(?:publication|publishing)\s+date\s+of\s+{_THIS}", re.I)),
    ("source", re.compile(
        rf"\b(?:which|what)\s+(?:outlet|newspaper|paper|publication|publisher|site|website|news\s+agency|news\s+outlet|media)\s+"
        rf"(?:published|ran|carried|wrote|reported)\s+{_THIS}"
        rf"|\bwho\s+published\s+{_THIS}|\bwhere\s+was\s+{_THIS}\s*published\b", re.I)),
]  # fmt: skip


_NAMES_ARTICLE = re.compile(r"\b(article|story|report|piece|column|op-ed|news)\b", re.I)


def asked_field(question: str, previous_question: str | None = None) -> str | None:
    """``"author"``, ``"date"`` or ``"source"`` when the question asks about the article
    itself rather than its content; None otherwise.

    On a follow-up that says only "it" ("When was it published?"), "it" is the article
    when the previous question was about the article too, and otherwise whatever the
    previous question was about (a book, a treaty), which the reader answers.
    """
    for name, pattern in _FIELDS:
        if pattern.search(question):
            if previous_question and not _NAMES_ARTICLE.search(question) and not asked_field(previous_question):
                return None
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
    month = MONTHS[d.month - 1]
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
