"""Start-up (build, rebuild) and adding uploaded articles without a restart."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

import qa
from qa_app.store import EngineStore, open_engine
from tests.support import SPOKESPERSON_QUESTION

NEW_ARTICLE = (
    "Harbour bridge reopens after repairs\n"
    "The Tumenbridge Harbour crossing reopened on Friday after eighteen months of repairs, "
    "the city transport office said. Engineer Alma Ferreira led the repair crew.\n"
)


@pytest.fixture
def store(seed_index: Path, tmp_path: Path) -> EngineStore:
    """A store over a private copy of the seed index, free to change."""
    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    return EngineStore(index, qa.load_engine(index))


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (qa.IndexMissingError("no index"), "No index in"),
        (qa.IndexCorruptError("manifest.json is truncated"), "cannot be used (manifest.json is truncated)"),
        (qa.IndexStaleError("built with another model"), "cannot be used (built with another model)"),
    ],
)
def test_open_engine_builds_or_rebuilds_from_the_articles(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, error: Exception, said: str
) -> None:
    loads: list[Path] = []
    builds: list[tuple[Any, Any]] = []

    def load_engine(index_dir: Path) -> str:
        loads.append(index_dir)
        if len(loads) == 1:
            raise error
        return "engine"

    def build_index(articles: Path, index_dir: Path) -> qa.IndexInfo:
        builds.append((articles, index_dir))
        return qa.IndexInfo(index_dir, 2, 10, "m", 1, "flat", "", seconds=0.5,
                            skipped=[qa.SkippedFile("x.pdf", "not a .txt or .jsonl file")])  # fmt: skip

    monkeypatch.setattr(qa, "load_engine", load_engine)
    monkeypatch.setattr(qa, "build_index", build_index)
    messages: list[str] = []
    assert open_engine(tmp_path / "idx", tmp_path / "arts", log=messages.append) == "engine"
    assert builds == [(tmp_path / "arts", tmp_path / "idx")]
    assert said in messages[0] and "from" in messages[0]
    assert "Indexed 2 articles (10 passages)" in messages[1]
    assert "skipped x.pdf: not a .txt or .jsonl file" in messages[2]


def test_open_engine_without_articles_raises(tmp_path: Path) -> None:
    (tmp_path / "articles").mkdir()
    with pytest.raises(qa.NoArticlesError):
        open_engine(tmp_path / "index", tmp_path / "articles", log=lambda _: None)


def test_added_articles_are_answered_at_once_and_skips_are_reported(store: EngineStore, tmp_path: Path) -> None:
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    (uploads / "bridge.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    (uploads / "notes.pdf").write_bytes(b"%PDF-1.4")
    (uploads / "empty.txt").write_text("  \n", encoding="utf-8")
    (uploads / "more.jsonl").write_text('{"title": "no text"}\nnot json\n', encoding="utf-8")
    old = store.engine

    result = store.add_files(sorted(uploads.iterdir()))

    assert result.error == "" and result.added == 1
    assert result.info is not None and result.info.articles == old.info.articles + 1
    assert sorted(s.path for s in result.skipped) == ["empty.txt", "more.jsonl:1", "more.jsonl:2", "notes.pdf"]
    assert all(s.reason for s in result.skipped)
    assert store.engine is not old
    answer = store.engine.ask("Who led the repair crew of the harbour bridge?")
    assert answer.found and "Alma Ferreira" in answer.text
    assert old.ask(SPOKESPERSON_QUESTION).found  # requests still holding the old engine finish fine


def test_adding_nothing_usable_changes_nothing(store: EngineStore, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": 1}) + "\n", encoding="utf-8")
    old = store.engine
    result = store.add_files([bad])
    assert result.added == 0 and "usable" in result.error
    assert [(s.path, s.reason) for s in result.skipped] == [("bad.jsonl:1", 'no "text" field with text in it')]
    assert store.engine is old
    assert store.add_files([]).error.startswith("Choose one or more")


def test_uploads_with_the_same_name_are_both_kept(store: EngineStore, tmp_path: Path) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "story.txt").write_text(NEW_ARTICLE.replace("Friday", folder), encoding="utf-8")
    result = store.add_files([tmp_path / "a" / "story.txt", tmp_path / "b" / "story.txt"])
    assert result.added == 2
    assert {"story", "story-2"} <= {a.id for a in store.engine.articles()}
