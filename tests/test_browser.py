"""End to end in headless Chromium: ask a seed question, check the answer, its source
quote, and the article viewer. Skips (saying why) only when no browser can be started."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn
from urllib.parse import urlparse

import pytest

import qa
from qa_app.browser import ask, browser_page, open_source
from tests.support import SPOKESPERSON_QUESTION

if TYPE_CHECKING:
    from playwright.sync_api import Page

LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def _unavailable(error: BaseException) -> NoReturn:
    reason = f"headless Chromium is unavailable: {error}"
    print(reason)
    pytest.skip(reason)


@pytest.fixture
def page() -> Iterator[Page]:
    try:
        from playwright.sync_api import Error as PlaywrightError
    except ImportError as e:
        _unavailable(e)
    with ExitStack() as stack:
        try:
            opened = stack.enter_context(browser_page())
        except (RuntimeError, PlaywrightError) as e:
            _unavailable(e)
        yield opened


def _words(text: str) -> str:
    return " ".join(text.split())


def test_ask_a_seed_question_and_check_its_source(page: Page, live_app: str, engine: qa.Engine, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    quote = _words(engine.ask(SPOKESPERSON_QUESTION).citations[0].quote)
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if urlparse(r.url).hostname not in LOCAL_HOSTS else None)
    try:
        page.goto(live_app)
        expect(page.get_by_text(SPOKESPERSON_QUESTION).first).to_be_visible()  # an example question
        expect(page.locator("#qa-index li").first).to_be_visible()  # the list of indexed articles

        reply = ask(page, SPOKESPERSON_QUESTION)
        assert "Lim Soo-suk" in reply.locator(".qa-text").inner_text()
        assert _words(reply.locator(".qa-snippet mark").first.inner_text()) == quote
        expect(reply.locator(".qa-confidence")).to_contain_text("confidence")

        mark = open_source(page, reply)
        assert _words(mark.inner_text()) == quote
        expect(mark).to_be_in_viewport()
        assert outside == [], f"the page reached outside this machine: {outside}"
    except Exception:
        shot = tmp_path / "failure.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot of the failure: {shot}")
        raise
