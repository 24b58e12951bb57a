"""A live archive and filters that say what they did."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import qa
from qa_app.auth import Access
from qa_app.chat import ChatHandler
from qa_app.store import EngineStore
from qa.store import default_store_location
from tests.support import ROOT, SPOKESPERSON_QUESTION, short_answer
from tests.test_security import call, serving

STORY = (
    "Ferry terminal opens in Port Avalon\n"
    "The new ferry terminal in Port Avalon was designed by the architect Mira Castellanos.\n"
)


def test_an_article_added_by_another_process_is_answered_without_a_restart(seed_index: Path, tmp_path: Path) -> None:
    with serving(seed_index, tmp_path, Access(host="127.0.0.1")) as (url, index):
        story = tmp_path / "terminal.txt"
        story.write_text(STORY, encoding="utf-8")
        added = subprocess.run([sys.executable, "-m", "qa.cli", "add", str(story), "--index", str(index)], cwd=ROOT,
                               capture_output=True, text=True, timeout=300)  # fmt: skip
        assert added.returncode == 0, added.stderr
        deadline = time.monotonic() + 60  # a safety net, not a timing assertion: it follows within seconds
        answer = ""
        while time.monotonic() < deadline and answer != "Mira Castellanos":
            _, _, payload = call(url, "chat", ["Who designed the ferry terminal in Port Avalon?", "", "", []])
            answer = short_answer(payload[0])
            time.sleep(1)
        assert answer == "Mira Castellanos"


def _handler(seed_index: Path, tmp_path: Path) -> ChatHandler:
    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    shutil.copy(default_store_location(seed_index), default_store_location(index))
    return ChatHandler(EngineStore(index, qa.load_engine(index)))


def test_a_filter_that_leaves_the_answer_out_says_so(seed_index: Path, tmp_path: Path) -> None:
    handler = _handler(seed_index, tmp_path)
    reply, _ = handler.respond(SPOKESPERSON_QUESTION, [], since="2030-01-01")
    assert 'class="qa-filter-note"' in reply and ("outside the date filter" in reply or "no date" in reply)
    reply, _ = handler.respond(SPOKESPERSON_QUESTION, [], sources=["No Such Paper"])
    assert 'class="qa-filter-note"' in reply and "source filter" in reply
    plain, _ = handler.respond(SPOKESPERSON_QUESTION, [])
    assert "qa-filter-note" not in plain and short_answer(plain) == "Lim Soo-suk"


def test_filter_mistakes_are_said_in_the_fields_own_words(seed_index: Path, tmp_path: Path) -> None:
    handler = _handler(seed_index, tmp_path)
    reply, _ = handler.respond(SPOKESPERSON_QUESTION, [], since="2024-07-01", until="2024-06-01")
    assert "Please fix the article filter" in reply and "“To” (2024-06-01) is before “From” (2024-07-01)" in reply
    reply, _ = handler.respond(SPOKESPERSON_QUESTION, [], since="June")
    assert "“From” must be a date like 2024-06-20" in reply


def test_an_engine_error_is_not_called_a_filter_mistake(seed_index: Path, tmp_path: Path, monkeypatch) -> None:
    handler = _handler(seed_index, tmp_path)

    def broken(*args, **kwargs):
        raise ValueError("operands could not be broadcast together")

    monkeypatch.setattr(handler.store.engine, "ask", broken)
    reply, _ = handler.respond(SPOKESPERSON_QUESTION, [])
    assert "filter" not in reply and "broadcast" not in reply and "something went wrong" in reply
