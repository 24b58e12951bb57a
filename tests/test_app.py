"""``python app.py``: options, start-up errors, and serving (launch stubbed out)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import app
import qa_app.tempfiles
import qa_app.ui
from tests.support import SEEDS


def test_options_default_to_environment_then_fixed_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("QA_INDEX", "QA_ARTICLES", "GRADIO_SERVER_NAME", "GRADIO_SERVER_PORT"):
        monkeypatch.delenv(name, raising=False)
    args = app.parse_args([])
    assert (args.index, args.articles, args.host, args.port) == ("embeddings", Path("seeds"), "127.0.0.1", 7860)
    monkeypatch.setenv("QA_INDEX", "/data/idx")
    monkeypatch.setenv("GRADIO_SERVER_NAME", "0.0.0.0")
    monkeypatch.setenv("GRADIO_SERVER_PORT", "8080")
    args = app.parse_args(["--articles", "news"])
    assert (args.index, args.articles, args.host, args.port) == ("/data/idx", Path("news"), "0.0.0.0", 8080)
    assert app.parse_args(["--index", "milvus:///data/news.db"]).index == "milvus:///data/news.db"  # not a Path


def test_no_articles_to_build_from_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert app.main(["--index", str(tmp_path / "index"), "--articles", str(tmp_path / "missing")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: cannot build the index:") and "missing" in err and "Traceback" not in err


def test_main_serves_the_existing_index(
    seed_index: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    launched: list[tuple[Any, ...]] = []
    cleanups: list[bool] = []
    monkeypatch.setattr(qa_app.ui, "launch", lambda chat_app, port: launched.append((chat_app, port)))
    monkeypatch.setattr(qa_app.tempfiles, "cleanup", lambda: cleanups.append(True))  # the tests' own app lives on
    assert app.main(["--index", str(seed_index), "--articles", str(SEEDS), "--port", "7999"]) == 0
    ((chat_app, port),) = launched
    assert (chat_app.access.host, port) == ("127.0.0.1", 7999)
    assert "2 articles" in capsys.readouterr().out
    assert "/chat" in {f"/{d.api_name}" for d in chat_app.demo.fns.values() if d.api_name}
    assert cleanups == [True]  # the temp folder is removed when the server stops
