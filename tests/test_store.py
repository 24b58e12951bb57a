"""Start-up (build, rebuild) and adding uploaded articles without a restart."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import qa
from qa_app.store import EngineStore, open_engine
from tests.support import SEEDS, SPOKESPERSON_QUESTION

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


def _damage_manifest(index: Path) -> None:
    (qa.index_info(index).path / "manifest.json").write_text("{", encoding="utf-8")


def _make_stale(index: Path) -> None:
    manifest = qa.index_info(index).path / "manifest.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    manifest.write_text(json.dumps(data | {"format": 0}), encoding="utf-8")


@pytest.mark.parametrize(
    ("damage", "said"),
    [
        (lambda index: shutil.rmtree(index), "No index in"),
        (_damage_manifest, "cannot be used (index file"),
        (_make_stale, "cannot be used (index"),
    ],
    ids=["missing", "corrupt", "stale"],
)
def test_open_engine_seeds_an_empty_store_and_rebuilds_from_the_store(tmp_path: Path, damage, said: str) -> None:
    index = tmp_path / "idx"
    messages: list[str] = []
    engine = open_engine(index, SEEDS, log=messages.append)
    assert len(engine.articles()) == 2
    assert any("Seeded the article store" in m for m in messages) and any("No index in" in m for m in messages)

    store = EngineStore(index, engine)
    (tmp_path / "up").mkdir()
    (tmp_path / "up" / "bridge.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    assert store.add_files([tmp_path / "up" / "bridge.txt"]).added == 1

    damage(index)
    messages.clear()
    engine = open_engine(index, tmp_path / "seeds-not-used", log=messages.append)
    assert said in messages[0] and "article store" in messages[0]
    assert {a.id for a in engine.articles()} == {"000_61fa93c29d891d97", "004_c75256f9babe0d3c", "bridge"}
    assert "Alma Ferreira" in engine.ask("Who led the repair crew of the harbour bridge?").text


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
    assert dict((s.path, s.reason) for s in result.skipped)["notes.pdf"].startswith("unreadable PDF")
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


def test_delete_from_the_app_store_is_answered_at_once(store: EngineStore, tmp_path: Path) -> None:
    (tmp_path / "bridge.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    assert store.add_files([tmp_path / "bridge.txt"]).added == 1
    old = store.engine
    result = store.remove(["bridge", "ghost"])
    assert (result.removed, result.unknown) == (1, ["ghost"])
    assert "bridge" not in {a.id for a in store.engine.articles()}
    assert not store.engine.ask("Who led the repair crew of the harbour bridge?").found
    assert old.article("bridge")  # a request that holds the old engine finishes with it
    assert store.remove([]).error


def test_uploads_with_the_same_name_are_both_kept(store: EngineStore, tmp_path: Path) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "story.txt").write_text(NEW_ARTICLE.replace("Friday", folder), encoding="utf-8")
    result = store.add_files([tmp_path / "a" / "story.txt", tmp_path / "b" / "story.txt"])
    assert result.added == 2
    assert {"story", "story-2"} <= {a.id for a in store.engine.articles()}
