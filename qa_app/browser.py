"""Drive the chat in headless Chromium: for the end-to-end test and ``scripts/screenshot.py``.

Needs Playwright's Python package (a test extra) and a Chromium binary, by default
Debian's ``/usr/bin/chromium`` (``scripts/install-browser.sh``); set QA_CHROMIUM to use
another. Playwright's own browser downloads are never used.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

__all__ = ["CHROMIUM_ARGS", "ask", "browser_page", "chromium_path", "open_source"]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ANSWER_TIMEOUT_MS = 30_000


def chromium_path() -> str | None:
    """The Chromium to drive: $QA_CHROMIUM, else ``chromium`` on the PATH, else None."""
    configured = os.environ.get("QA_CHROMIUM")
    if configured:
        return configured if os.path.exists(configured) else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


@contextmanager
def browser_page(width: int = 1440, height: int = 1000, scale: float = 1) -> Iterator[Page]:
    """A fresh page in headless Chromium; raises RuntimeError if there is no Chromium."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    if executable is None:
        raise RuntimeError("no Chromium found (install it with scripts/install-browser.sh or set QA_CHROMIUM)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser.new_page(viewport={"width": width, "height": height}, device_scale_factor=scale)
        finally:
            browser.close()


def ask(page: Page, question: str) -> Locator:
    """Type ``question`` into the chat, send it, and return the reply once it is shown."""
    replies = page.locator(".qa-reply")
    before = replies.count()
    box = page.locator("#qa-question textarea:not([disabled])")
    box.fill(question)
    box.press("Enter")
    reply = replies.nth(before)
    reply.wait_for(timeout=ANSWER_TIMEOUT_MS)
    return reply


def open_source(page: Page, reply: Locator, number: int = 1) -> Locator:
    """Click source ``number`` of ``reply`` and return the viewer's highlight once it shows."""
    reply.locator(".qa-source-title").nth(number - 1).click()
    mark = page.locator("#qa-viewer mark").first
    mark.wait_for(timeout=ANSWER_TIMEOUT_MS)
    return mark
