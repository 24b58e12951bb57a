"""The chat through Gradio's API (gradio_client), one caller and many at once."""

from __future__ import annotations

import html
from concurrent.futures import ThreadPoolExecutor

import pytest

import qa
from tests.support import BRIDGE_QUESTION, HAYASHI_QUESTION, SPOKESPERSON_QUESTION, short_answer

gradio_client = pytest.importorskip("gradio_client")

QUESTIONS = (SPOKESPERSON_QUESTION, HAYASHI_QUESTION, BRIDGE_QUESTION)


def expected_quotes(engine: qa.Engine) -> dict[str, str]:
    """Each question's first cited quote, as the reply's HTML shows it."""
    quotes = {}
    for question in QUESTIONS:
        answer = engine.ask(question)
        assert answer.found, question
        quotes[question] = html.escape(" ".join(answer.citations[0].quote.split()))
    return quotes


def ask(url: str, question: str) -> str:
    # A generous timeout: 20 clients each fetch the page config on a 2-core machine that is busy.
    client = gradio_client.Client(url, verbose=False, httpx_kwargs={"timeout": 120})
    return client.predict(question, api_name="/chat")


def test_chat_endpoint_returns_the_answer_with_its_sources(live_app: str, engine: qa.Engine) -> None:
    reply = ask(live_app, SPOKESPERSON_QUESTION)
    assert short_answer(reply) == "Lim Soo-suk" and "Sources" in reply
    assert f"<mark>{expected_quotes(engine)[SPOKESPERSON_QUESTION]}</mark>" in reply


def test_twenty_people_asking_at_once_all_get_the_right_answer(live_app: str, engine: qa.Engine) -> None:
    quotes = expected_quotes(engine)
    questions = [QUESTIONS[i % len(QUESTIONS)] for i in range(20)]
    with ThreadPoolExecutor(max_workers=20) as pool:
        replies = list(pool.map(lambda q: ask(live_app, q), questions))
    for question, reply in zip(questions, replies, strict=True):
        assert f"<mark>{quotes[question]}</mark>" in reply, question
