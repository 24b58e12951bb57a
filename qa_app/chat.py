"""The chat handler: a question and the chat so far in, an HTML reply out. No Gradio here."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from qa.config import WebConfig
from qa.conversation import Exchange
from qa.errors import FilterError

from .export import Turn, export_markdown, turn_from_answer
from .formatting import answer_html, filter_note_html, notice_html, plain_answer_text, question_text
from .store import EngineStore

__all__ = [
    "MAX_QUESTION_CHARS", "ChatHandler", "Filters", "conversation", "exchanges", "message_text",
    "reply_key",
]

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = WebConfig().max_question_chars
"""Longer input is a paste, not a question: it gets a polite reply instead of an answer."""

Turns = dict[str, Turn]
"""Each session's answers, keyed by :func:`reply_key` of the reply shown for them."""


def message_text(content: Any) -> str:
    """The text of a chat message's content, in any of the shapes Gradio uses.

    A plain string, a ``{"type": "text", "text": ...}`` part, or a list of parts.
    """
    if isinstance(content, str):
        return content
    if isinstance(content, Mapping):
        return str(content.get("text") or content.get("content") or "")
    if isinstance(content, Sequence):
        return "".join(message_text(part) for part in content)
    return ""


def exchanges(messages: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """``(question, reply)`` texts from Gradio's messages, oldest first (each question as
    typed, not as its escaped bubble)."""
    pairs: list[tuple[str, str]] = []
    question: str | None = None
    for message in messages:
        text = message_text(message.get("content"))
        if message.get("role") == "user":
            question = question_text(text)
        elif message.get("role") == "assistant" and question is not None:
            pairs.append((question, text))
            question = None
    return pairs


def conversation(messages: Sequence[Mapping[str, Any]], turns: Turns | None = None) -> list[Exchange]:
    """The chat so far for :meth:`qa.Engine.ask`: each answer as the session recorded it
    (its short answer and the article it came from, so a follow-up such as "Who wrote
    it?" reaches that article), else as the reply's own words."""
    turns = turns or {}
    out = []
    for question, reply in exchanges(messages):
        turn = turns.get(reply_key(reply))
        if turn is None:
            out.append(Exchange.of(question, plain_answer_text(reply)))
        else:
            article = turn.references[0].article_id if turn.references else None
            out.append(Exchange(question, turn.text, turn.short, article, turn.found))
    return out


def reply_key(reply: str) -> str:
    """A short digest identifying one reply's HTML."""
    return hashlib.sha1(reply.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Filters:
    """Which articles a question is answered from: a date range and sources (empty: all)."""

    since: str | None = None
    until: str | None = None
    sources: list[str] = field(default_factory=list)

    def kwargs(self) -> dict[str, Any]:
        return {"since": self.since, "until": self.until, "sources": self.sources or None}

    @property
    def active(self) -> bool:
        return bool(self.since or self.until or self.sources)


class ChatHandler:
    """Answers chat messages from the shared engine; safe to call from many threads."""

    def __init__(self, store: EngineStore) -> None:
        self.store = store

    def respond(
        self,
        message: str,
        history: Sequence[Mapping[str, Any]],
        turns: Turns | None = None,
        since: str | None = None,
        until: str | None = None,
        sources: Sequence[str] | str | None = None,
    ) -> tuple[str, Turns]:
        """Reply to ``message`` and record the turn for export.

        ``since``/``until`` (``YYYY-MM-DD``, empty for no limit) and ``sources`` restrict the
        articles answered from. Returns the reply's HTML and the session's turns with this
        one added. Bad input (nothing to ask, a huge paste, a malformed date) and engine
        failures get a polite reply.
        """
        message = message_text(message)
        turns = dict(turns or {})
        filters = Filters(since or None, until or None, [sources] if isinstance(sources, str) else list(sources or []))
        reply, turn = self._reply(message, conversation(history, turns), filters)
        turns[reply_key(reply)] = turn
        return reply, turns

    def _reply(self, message: str, history: list[Exchange], filters: "Filters") -> tuple[str, Turn]:
        if len(message) > MAX_QUESTION_CHARS:
            text = (
                f"That message is {len(message):,} characters long, which looks like a paste rather than "
                f"a question. Please ask a short question about the articles (under {MAX_QUESTION_CHARS:,} "
                "characters)."
            )
            return notice_html(text), Turn(_shorten(message), text)
        engine = self.store.engine  # one engine for the whole request, even if a new one is swapped in
        try:
            answer = engine.ask(message, history=history, **filters.kwargs())
            reply = answer_html(answer, engine.article, message)
            if not answer.found and filters.active:
                reply = _outside_filter_note(engine, message, history, filters) + reply
            return reply, turn_from_answer(message, answer, engine.article)
        except FilterError as e:  # a filter the engine cannot use, said in the page's words
            text = f"Please fix the article filter: {_in_page_words(str(e))}."
            return notice_html(text), Turn(message, text)
        except Exception:  # the user gets a polite reply; the details go to the server log
            log.exception("answering %r failed", message[:200])
            text = "Sorry, something went wrong while answering that. Please try again or rephrase the question."
            return notice_html(text), Turn(message, text)

    def export(self, messages: Sequence[Mapping[str, Any]], turns: Turns | None) -> str:
        """The conversation shown in ``messages`` as Markdown with numbered references.

        Turns are matched to the replies on screen, so undone or retried answers drop out;
        a reply with no record (from before a restart) is exported as its plain text.
        """
        turns = turns or {}
        return export_markdown(
            turns.get(reply_key(reply)) or Turn(question, plain_answer_text(reply))
            for question, reply in exchanges(messages)
        )


_PAGE_WORDS = {"since": "From", "until": "To"}


def _in_page_words(message: str) -> str:
    """An engine message about ``since``/``until`` in the words of the page's fields."""
    return re.sub(r"\b(since|until)\b", lambda m: f"“{_PAGE_WORDS[m.group(1)]}”", message)


def _outside_filter_note(engine: Any, message: str, history: list[Exchange], filters: Filters) -> str:
    """When the filters left out the article that answers: a note saying so (and why),
    so that "the articles don't say" is never read as "no article says"."""
    unfiltered = engine.ask(message, history=history)
    if not unfiltered.found or not unfiltered.citations:
        return ""
    article = engine.article(unfiltered.citations[0].article_id)
    if filters.since or filters.until:
        if not article.date:
            articles = engine.articles()
            undated = sum(1 for a in articles if not a.date)
            why = (f"it has no date, and the date filter leaves out every undated article ({undated:,} of "
                   f"{len(articles):,})")  # fmt: skip
        else:
            why = f"it is dated {article.date}, outside the date filter"
    else:
        why = f"its source is {article.source}" if article.source else "it has no source"
        why += ", which the source filter leaves out"
    return filter_note_html(f"The filter left out an article that may answer this: “{article.title}” ({why}). "
                       "Clear the filter to use it.")  # fmt: skip


def _shorten(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit].rstrip() + "…"
