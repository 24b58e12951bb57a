"""End to end in headless Chromium: ask a seed question, check the answer, its source
quote, and the article viewer. Skips (saying why) only when no browser can be started."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn
from urllib.parse import urlparse

import pytest

import qa
from qa_app.auth import Access
from qa_app.browser import ask, browser_page, open_source
from tests.support import ROOT, SPOKESPERSON_QUESTION, serve

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
        from playwright.sync_api import expect
    except ImportError as e:
        _unavailable(e)
    expect.set_options(timeout=30_000)  # the page loads slowly while the 2 shared cores are busy
    with ExitStack() as stack:
        try:
            opened = stack.enter_context(browser_page())
        except (RuntimeError, PlaywrightError) as e:
            _unavailable(e)
        opened.set_default_timeout(30_000)
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
        assert reply.locator(".qa-short").inner_text().strip() == "Lim Soo-suk"
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


# --- hardening and accessibility, in the real browser ----------------------------------

XSS_TITLE = "<img src=x onerror=\"window.__xss='title'\">Ferry fares"
XSS_AUTHOR = "<script>window.__xss='byline'</script>Eve"
XSS_URL = "https://example.com/\"><img src=x onerror=\"window.__xss='url'\">"
"""(A ``javascript:`` URL is refused when the article is stored: tests/test_bad_input.py.)"""
XSS_QUESTION = "<img src=x onerror=\"window.__xss='question'\"> Who said ferry fares will double?"
XSS_ARTICLE = {
    "id": "ferry",
    "title": XSS_TITLE,
    "author": XSS_AUTHOR,
    "url": XSS_URL,
    "date": "2024-06-21",
    "text": "Harbour spokesperson Odile Varga said on Monday that ferry fares will double from March.\n"
    "The harbour office gave no reason for the rise in ferry fares.",
}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _axe_source() -> str:
    """axe-core's script (scripts/install-axe.sh puts it in .venv/npm); skips if absent."""
    path = Path(os.environ.get("QA_AXE") or ROOT / ".venv/npm/node_modules/axe-core/axe.min.js")
    if not path.is_file():
        reason = f"axe-core is not installed at {path} (run scripts/install-axe.sh; it needs npm)"
        print(reason)
        pytest.skip(reason)
    return path.read_text(encoding="utf-8")


def _axe_violations(page: Page) -> list[str]:
    page.add_script_tag(content=_axe_source())
    result = page.evaluate(f"async () => await axe.run(document, {{runOnly: {{type: 'tag', values: {AXE_TAGS}}}}})")
    return [
        f"{v['id']}: {v['help']} at {[n['target'] for n in v['nodes']]}: {v['nodes'][0].get('failureSummary', '')}"
        for v in result["violations"]
    ]


def test_payloads_in_questions_titles_bylines_and_urls_render_as_text(page: Page, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    articles = tmp_path / "articles.jsonl"
    articles.write_text(json.dumps(XSS_ARTICLE) + "\n", encoding="utf-8")
    index = tmp_path / "index"
    qa.build_index(articles, index)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    with serve(index, Access()) as url:
        page.goto(url)
        expect(page.locator("#qa-index li").first).to_contain_text(XSS_TITLE)  # the list shows it as text
        reply = ask(page, XSS_QUESTION)
        expect(page.locator(".qa-question").last).to_have_text(XSS_QUESTION)
        expect(reply.locator(".qa-source-title").first).to_have_text(XSS_TITLE)
        expect(reply.locator(".qa-source-meta").first).to_contain_text(f"By {XSS_AUTHOR}")
        open_source(page, reply)
        viewer = page.locator("#qa-viewer")
        expect(viewer.locator(".qa-viewer-title")).to_have_text(XSS_TITLE)
        expect(viewer.locator(".qa-viewer-meta")).to_contain_text(f"URL: {XSS_URL}")
        assert viewer.locator("a[href^='javascript']").count() == 0
        assert page.locator("img[src='x']").count() == 0
        assert page.locator("script:has-text('__xss')").count() == 0
        assert page.evaluate("() => window.__xss") is None and dialogs == []


def test_keyboard_reaches_sources_and_viewer_and_axe_finds_no_violations(page: Page, live_app: str) -> None:
    from playwright.sync_api import expect

    page.goto(live_app)
    reply = ask(page, SPOKESPERSON_QUESTION)
    page.locator("#qa-question textarea").focus()
    for _ in range(60):  # Shift+Tab back from the question box into the reply
        page.keyboard.press("Shift+Tab")
        if page.evaluate("() => !!document.activeElement.closest('.qa-reply a[href^=\"#qa-open?\"]')"):
            break
    else:
        pytest.fail("no source link in the reply can be reached with the keyboard")
    page.keyboard.press("Enter")
    expect(page.locator("#qa-viewer mark").first).to_be_visible()
    page.wait_for_function("() => !!document.activeElement.closest('#qa-viewer')", timeout=10_000)  # focus moved
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.classList.contains('qa-viewer-body')")  # scrollable by keys
    expect(reply.locator(".qa-source-title").first).to_be_visible()
    page.wait_for_timeout(500)  # let Gradio's fade-in animations finish before measuring colours
    violations = _axe_violations(page)
    assert violations == [], "\n".join(violations)


@pytest.mark.parametrize("access", [Access(host="0.0.0.0"), Access(host="0.0.0.0", editor_token="a-long-editor-token")])
def test_read_only_and_editor_pages_pass_axe(page: Page, seed_index: Path, access: Access) -> None:
    from playwright.sync_api import expect

    with serve(seed_index, access) as url:
        page.goto(url)
        expect(page.locator("#qa-index li").first).to_be_visible()
        if access.editor_token:
            page.get_by_text("Add articles").click()
            expect(page.get_by_label("Editor token")).to_be_visible()
        else:
            expect(page.locator("#qa-read-only")).to_contain_text("Read-only")
            assert page.get_by_text("Add articles").count() == 0
        page.wait_for_timeout(500)
        violations = _axe_violations(page)
        assert violations == [], "\n".join(violations)


def test_an_editor_adds_an_article_through_the_page_with_the_token(page: Page, seed_index: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    story = tmp_path / "ferry.txt"
    story.write_text("Ferry fares to double\nHarbour spokesperson Odile Varga said ferry fares will double.\n")
    with serve(index, Access(host="0.0.0.0", editor_token="a-long-editor-token")) as url:
        page.goto(url)
        page.get_by_text("Add articles").click()
        page.get_by_label("Editor token").fill("not-the-token")
        page.locator("#qa-upload input[type=file]").set_input_files(str(story))  # the upload route refuses it
        expect(page.locator("#qa-upload")).not_to_contain_text("ferry.txt", timeout=5_000)
        page.get_by_label("Editor token").fill("a-long-editor-token")
        page.locator("#qa-upload input[type=file]").set_input_files(str(story))
        expect(page.locator("#qa-upload")).to_contain_text("ferry.txt")
        page.locator("#qa-index-find textarea, #qa-index-find input").first.fill("ferry")  # the list is searched
        expect(page.locator("#qa-index")).not_to_contain_text("Seoul")
        page.get_by_role("button", name="Add to the index").click()
        expect(page.locator("#qa-add-report")).to_contain_text("Added 1 article")
        expect(page.locator("#qa-index")).to_contain_text("Ferry fares to double")
        expect(page.locator("#qa-index")).not_to_contain_text("Seoul")  # and still shows only what matches


@pytest.mark.parametrize("size", [(1366, 900), (390, 844)], ids=["laptop", "phone"])
def test_each_reply_s_top_stays_in_view(live_app: str, size: tuple[int, int]) -> None:
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import expect
    except ImportError as e:
        _unavailable(e)
    try:
        opened = browser_page(*size)
        page = opened.__enter__()
    except (RuntimeError, PlaywrightError) as e:
        _unavailable(e)
    try:
        page.set_default_timeout(30_000)
        page.goto(live_app)
        for question in (SPOKESPERSON_QUESTION, "What treaty did North Korea sign with the Soviet Union?"):
            reply = ask(page, question)
            expect(reply.locator(".qa-short")).to_be_in_viewport()  # the answer, not the sources below it
    finally:
        opened.__exit__(None, None, None)


def test_a_follow_up_is_shown_with_its_entity_and_a_filter_says_what_it_left_out(page: Page, live_app: str) -> None:
    from playwright.sync_api import expect

    page.goto(live_app)
    ask(page, SPOKESPERSON_QUESTION)
    follow = ask(page, "What is his title?")
    expect(follow.locator(".qa-understood")).to_contain_text("Lim Soo-suk")
    page.get_by_text("Filter articles: dates and sources").click()
    page.locator("#qa-since input, #qa-since textarea").first.fill("2030-01-01")
    ask(page, SPOKESPERSON_QUESTION)
    expect(page.locator(".qa-filter-note").last).to_contain_text("outside the date filter")
    page.locator("#qa-until input, #qa-until textarea").first.fill("2029-01-01")
    reversed_range = ask(page, SPOKESPERSON_QUESTION)
    expect(reversed_range).to_contain_text("“To” (2029-01-01) is before “From” (2030-01-01)")


def test_too_many_files_disable_the_add_button_and_say_why(page: Page, seed_index: Path, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    files = []
    for i in range(21):
        path = tmp_path / f"story-{i:02d}.txt"
        path.write_text(f"Story {i}\nThe harbour reopened pier {i} on Monday.\n", encoding="utf-8")
        files.append(str(path))
    with serve(index) as url:
        page.goto(url)
        page.get_by_text("Add articles").click()
        page.locator("#qa-upload input[type=file]").set_input_files(files)
        expect(page.locator("#qa-upload-note")).to_contain_text("21 files chosen: at most 20")
        expect(page.locator("#qa-add")).to_be_disabled()
        expect(page.locator("#qa-add")).to_contain_text("at most 20 files")


def test_an_article_added_by_the_cli_is_answered_by_the_running_page(page: Page, seed_index: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    from playwright.sync_api import expect

    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    story = tmp_path / "terminal.txt"
    story.write_text("Ferry terminal opens\nThe new ferry terminal in Port Avalon was designed by Mira Castellanos.\n")
    with serve(index) as url:
        page.goto(url)
        added = subprocess.run([sys.executable, "-m", "qa.cli", "add", str(story), "--index", str(index)], cwd=ROOT,
                               capture_output=True, text=True, timeout=300)  # fmt: skip
        assert added.returncode == 0, added.stderr
        expect(page.locator("#qa-index")).to_contain_text("Ferry terminal opens", timeout=60_000)  # the page's timer
        reply = ask(page, "Who designed the ferry terminal in Port Avalon?")
        assert reply.locator(".qa-short").inner_text().strip() == "Mira Castellanos"
