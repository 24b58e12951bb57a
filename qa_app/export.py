"""A conversation as Markdown, with numbered references (title, date, quote)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from qa import Answer, Article

from .formatting import ArticleLookup, format_date, in_header, paragraph_number, safe_url

__all__ = ["Reference", "Turn", "export_markdown", "turn_from_answer"]


@dataclass(frozen=True)
class Reference:
    """A quoted span of an article, with what a reader needs to find it again."""

    article_id: str
    title: str
    date: str | None
    author: str | None
    start: int
    end: int
    paragraph: int
    """The story paragraph quoted, from 1; 0 for the article's header (a byline, a date)."""
    quote: str
    url: str | None = None
    """The article's web address (http/https only)."""


@dataclass(frozen=True)
class Turn:
    """One question and the reply it got, as plain text plus the references behind it."""

    question: str
    text: str
    found: bool = False
    confidence: str = "none"
    references: tuple[Reference, ...] = field(default_factory=tuple)
    short: str = ""
    """The short answer (a name, date, number...), when the reader found one."""


def turn_from_answer(question: str, answer: Answer, article_for: ArticleLookup) -> Turn:
    """Record an engine answer for export, looking up each cited article's date and byline."""
    refs = []
    for c in answer.citations:
        article = article_for(c.article_id)
        refs.append(
            Reference(
                article_id=c.article_id,
                title=c.title,
                date=article.date,
                author=article.author,
                start=c.start,
                end=c.end,
                paragraph=0 if in_header(article, c.end) else paragraph_number(article.text, c.start, article.body_start),
                quote=c.quote,
                url=safe_url(article.url) if article.url else None,
            )
        )
    short = answer.span.quote if answer.found and answer.span else ""
    return Turn(question, answer.text, answer.found, answer.confidence, tuple(refs), short)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>])")


def _md(text: str) -> str:
    """Escape Markdown syntax and fold line breaks, so quoted text reads as plain words."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _reference_md(number: int, ref: Reference) -> str:
    details = [d for d in (format_date(ref.date), f"by {ref.author}" if ref.author else None) if d]
    part = f"paragraph {ref.paragraph}" if ref.paragraph else "the header"
    where = f"Article `{ref.article_id}`, {part}, characters {ref.start}–{ref.end}"
    title = f"{number}. *{_md(ref.title)}*" + (f", {', '.join(details)}" if details else "")
    link = f" <{ref.url}>" if ref.url else ""  # safe_url: no spaces or angle brackets in it
    return f"{title}. {where}.{link}\n   > {_md(ref.quote)}"


def export_markdown(turns: Iterable[Turn], exported: datetime | None = None) -> str:
    """The conversation as Markdown: each question and answer, then the numbered references.

    A passage cited by several answers gets one number, reused wherever it is cited.
    """
    exported = exported or datetime.now(timezone.utc)
    numbers: dict[tuple[str, int, int], int] = {}
    references: list[Reference] = []
    body = []
    for i, turn in enumerate(turns, 1):
        markers = []
        for ref in turn.references:
            key = (ref.article_id, ref.start, ref.end)
            if key not in numbers:
                numbers[key] = len(numbers) + 1
                references.append(ref)
            markers.append(f"[{numbers[key]}]")
        answer = (f"**{_md(turn.short)}**. " if turn.short else "") + _md(turn.text)
        answer += " " + "".join(markers) if markers else ""
        confidence = f"\n\n*Confidence: {turn.confidence}*" if turn.found else ""
        body.append(f"## {i}. {_md(turn.question) or '(empty question)'}\n\n{answer}{confidence}")
    parts = [f"# Article QA conversation\n\nExported {exported:%Y-%m-%d %H:%M %Z}".rstrip()]
    parts += body or ["*No questions asked yet.*"]
    if references:
        parts.append("## References\n\n" + "\n".join(_reference_md(n, r) for n, r in enumerate(references, 1)))
    return "\n\n".join(parts) + "\n"
