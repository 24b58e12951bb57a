"""The chat handler without a browser: answers, abstention, follow-ups, bad input, export."""

from __future__ import annotations

import html
import logging
from pathlib import Path
from typing import Any

import pytest

import qa
from qa import Answer, Article, Citation, Passage
from qa.conversation import Exchange
from qa_app.chat import ChatHandler, conversation, message_text, reply_key
from qa_app.store import EngineStore
from tests.support import SPOKESPERSON_QUESTION, TREATY_QUESTION, short_answer

ARTICLE = Article("a1", "Seoul vows stern actions", "Intro line.\nLim Soo-suk is the spokesperson.\n", "2024-06-20")
QUOTE = "Lim Soo-suk is the spokesperson."
START = ARTICLE.text.index(QUOTE)
FOUND = Answer(QUOTE, True, [Citation("a1", ARTICLE.title, START, START + len(QUOTE), QUOTE)], [], 0.9, "high")
NOT_FOUND = Answer(
    "The articles don't say.", False, [],
    [Passage("a1", ARTICLE.title, 0, len(ARTICLE.text), ARTICLE.text, 0.3)],
)  # fmt: skip


class FakeEngine:
    """Answers from a table and records every call; ``fail`` makes ``ask`` raise."""

    def __init__(self, answers: dict[str, Answer], fail: bool = False) -> None:
        self.answers = answers
        self.fail = fail
        self.calls: list[tuple[str, list[tuple[str, str]]]] = []

    def ask(self, question: str, history: list[tuple[str, str]] | None = None, **filters: Any) -> Answer:
        self.calls.append((question, list(history or [])))
        self.filters = filters
        if self.fail:
            raise RuntimeError("index exploded")
        return self.answers.get(question, NOT_FOUND)

    def article(self, article_id: str) -> Article:
        return {"a1": ARTICLE}[article_id]


def handler_for(engine: Any) -> ChatHandler:
    return ChatHandler(EngineStore(Path("unused"), engine))


def chat_messages(*pairs: tuple[str, str]) -> list[dict[str, Any]]:
    """Gradio's messages for ``(question, reply)`` pairs, content in its normalised shape."""
    out: list[dict[str, Any]] = []
    for question, reply in pairs:
        out.append({"role": "user", "content": [{"type": "text", "text": question}]})
        out.append({"role": "assistant", "content": [{"type": "text", "text": reply}]})
    return out


def test_answer_is_html_with_sources_and_is_recorded() -> None:
    reply, turns = handler_for(FakeEngine({"Who?": FOUND})).respond("Who?", [], {})
    assert "qa-found" in reply and f"<mark>{QUOTE}</mark>" in reply and "High confidence" in reply
    assert turns[reply_key(reply)].references[0].quote == QUOTE


def test_abstention_says_so_and_offers_related_passages() -> None:
    reply, turns = handler_for(FakeEngine({})).respond("Capital of France?", [], None)
    assert "The articles don&#x27;t say." in reply and "Related passages" in reply
    assert "Sources" not in reply
    assert turns[reply_key(reply)].found is False


def test_follow_up_passes_the_recorded_answer_with_its_article() -> None:
    engine = FakeEngine({"Who?": FOUND})
    handler = handler_for(engine)
    first, turns = handler.respond("Who?", [], {})
    handler.respond("When did he say it?", chat_messages(("Who?", first)), turns)
    assert engine.calls[-1] == ("When did he say it?", [Exchange("Who?", QUOTE, "", "a1", True)])
    # a reply the session has no record of (from before a restart): its own words
    handler.respond("When did he say it?", chat_messages(("Who?", first)), {})
    assert engine.calls[-1] == ("When did he say it?", [Exchange("Who?", QUOTE)])


def test_history_accepts_every_message_shape() -> None:
    reply = handler_for(FakeEngine({"Who?": FOUND})).respond("Who?", [], {})[0]
    shapes = [
        [{"role": "user", "content": "Who?"}, {"role": "assistant", "content": reply}],
        chat_messages(("Who?", reply)),
        [{"role": "user", "content": {"type": "text", "text": "Who?"}}, {"role": "assistant", "content": reply}],
    ]
    for messages in shapes:
        assert conversation(messages) == [Exchange("Who?", QUOTE)]
    assert message_text(None) == ""


@pytest.mark.parametrize("message", ["", "   ", "?!...", "¿¡?"])
def test_empty_or_punctuation_only_input_gets_a_polite_reply(engine: qa.Engine, message: str) -> None:
    reply, _ = ChatHandler(EngineStore(Path("unused"), engine)).respond(message, [], {})
    assert "qa-notice" in reply and "Please type a question" in reply


def test_a_huge_paste_is_declined_politely_without_asking_the_engine() -> None:
    engine = FakeEngine({})
    reply, turns = handler_for(engine).respond("x" * 100_000, [], {})
    assert "100,000 characters" in reply and "short question" in reply
    assert engine.calls == []
    assert len(turns[reply_key(reply)].question) < 300


def test_engine_failure_is_a_polite_reply_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        reply, _ = handler_for(FakeEngine({}, fail=True)).respond("Who?", [], {})
    assert "something went wrong" in reply and "Traceback" not in reply and "exploded" not in reply
    assert "index exploded" in caplog.text


def test_export_follows_the_messages_on_screen() -> None:
    handler = handler_for(FakeEngine({"Who?": FOUND}))
    first, turns = handler.respond("Who?", [], {})
    _, turns = handler.respond("Capital of France?", chat_messages(("Who?", first)), turns)  # then undone
    md = handler.export(chat_messages(("Who?", first), ("Old question?", "<p class='qa-text'>Old reply.</p>")), turns)
    assert "## 1. Who?" in md and f"> {QUOTE}" in md and "June 20, 2024" in md
    assert "## 2. Old question?\n\nOld reply." in md  # no record of it: its plain text
    assert "Capital of France" not in md  # undone: no longer on screen


# --- with the real seed index ------------------------------------------------------------


def test_seed_question_is_answered_with_its_exact_quote(engine: qa.Engine) -> None:
    answer = engine.ask(SPOKESPERSON_QUESTION)
    reply, _ = ChatHandler(EngineStore(Path("unused"), engine)).respond(SPOKESPERSON_QUESTION, [], {})
    assert short_answer(reply) == "Lim Soo-suk"
    for c in answer.citations:
        assert engine.article(c.article_id).text[c.start : c.end] == c.quote
        assert f"<mark>{html.escape(' '.join(c.quote.split()))}</mark>" in reply


def follow_up_reply(engine: qa.Engine, question: str, follow_up: str) -> str:
    """The chat's reply to ``follow_up`` asked right after ``question``."""
    handler = ChatHandler(EngineStore(Path("unused"), engine))
    first, turns = handler.respond(question, [], {})
    reply, _ = handler.respond(follow_up, chat_messages((question, first)), turns)
    return reply


def test_seed_follow_up_uses_the_conversation(engine: qa.Engine) -> None:
    follow_up = follow_up_reply(engine, TREATY_QUESTION, "In which year was it signed?")
    assert "Understood as: In which year was the treaty signed?" in follow_up


def test_seed_year_follow_up_is_answered_in_the_chat(engine: qa.Engine) -> None:
    follow_up = follow_up_reply(engine, TREATY_QUESTION, "In which year was it signed?")
    assert "Understood as" in follow_up and "1961" in short_answer(follow_up)


def test_seed_title_follow_up_is_answered_in_the_chat(engine: qa.Engine) -> None:
    follow_up = follow_up_reply(engine, SPOKESPERSON_QUESTION, "What is his title?")
    assert "Understood as" in follow_up and "spokesperson" in short_answer(follow_up).casefold()


def test_filters_restrict_the_articles_answered_from(engine) -> None:
    handler = ChatHandler(EngineStore(Path("unused"), engine))
    question = "Who is the Foreign Ministry spokesperson?"
    assert short_answer(handler.respond(question, [], {}, "2024-06-01", "2024-06-30", [])[0]) == "Lim Soo-suk"
    later, _ = handler.respond(question, [], {}, "2024-07-01", "", [])
    assert "Lim Soo-suk" not in later and "don&#x27;t say" in later and not short_answer(later)
    assert "Lim Soo-suk" not in handler.respond(question, [], {}, "", "", ["Some Other Paper"])[0]
    bad, _ = handler.respond(question, [], {}, "last Tuesday", "", [])
    assert "Please fix the article filter: “From” must be a date like 2024-06-20" in bad
