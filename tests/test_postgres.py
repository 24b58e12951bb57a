"""The article store on PostgreSQL, for real: a throwaway cluster started by the test
(initdb and pg_ctl in a temporary folder, listening on loopback only: the ``pg_url``
fixture in conftest.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import qa
from qa.store import open_store
from tests.support import SEEDS

BRIDGE = (
    "Harbour bridge reopens after repairs\n"
    "The Tumenbridge Harbour crossing reopened on Friday after eighteen months of repairs, "
    "the city transport office said. Engineer Alma Ferreira led the repair crew.\n"
)


def ids(index: Path) -> set[str]:
    return {a.id for a in qa.load_engine(index).articles()}


def test_postgresql_store_is_the_source_of_truth(pg_url: str, tmp_path: Path) -> None:
    index = tmp_path / "index"
    qa.build_index(SEEDS, index, store=pg_url)
    up = tmp_path / "up"
    up.mkdir()
    (up / "bridge.txt").write_text(BRIDGE, encoding="utf-8")
    (up / "copy_of_bridge.txt").write_text(BRIDGE, encoding="utf-8")  # read after bridge.txt
    info = qa.add_articles(up, index, store=pg_url)
    assert info.added == 1 and "duplicate of article 'bridge'" in info.skipped[0].reason

    row = {"id": "w", "url": "https://wire.example.com/w", "date": "2024-06-21", "source": "Wire",
           "text": "The wire service reported the dam was inspected on Monday."}  # fmt: skip
    (tmp_path / "w.jsonl").write_text(json.dumps(row) + "\n", encoding="utf-8")
    qa.add_articles(tmp_path / "w.jsonl", index, store=pg_url)
    (tmp_path / "w.jsonl").write_text(json.dumps(dict(row, text="The dam was closed on Tuesday.")) + "\n")
    assert qa.add_articles(tmp_path / "w.jsonl", index, store=pg_url).updated == 1
    assert [a.id for a in qa.list_articles(index, sources=["Wire"], store=pg_url)] == ["w"]

    assert qa.remove_articles(["004_c75256f9babe0d3c"], index, store=pg_url).removed == 1
    expected = {"000_61fa93c29d891d97", "bridge", "w"}
    with open_store(pg_url) as store:
        assert set(store.ids()) == ids(index) == expected
        assert store.get("w").text == "The dam was closed on Tuesday."

    shutil.rmtree(index)  # the index is rebuilt from PostgreSQL, uploads included
    engine = qa.open_engine(index, store=pg_url, seeds=SEEDS)
    assert {a.id for a in engine.articles()} == expected
    assert "Alma Ferreira" in engine.ask("Who led the repair crew of the harbour bridge?").text


def test_two_indexes_share_one_postgresql_store(pg_url: str, tmp_path: Path) -> None:
    """A team: each server has its own index; a write through one reaches the other's
    index the next time it opens."""
    first, second = tmp_path / "a", tmp_path / "b"
    qa.build_index(SEEDS, first, store=pg_url)
    qa.open_engine(second, store=pg_url)
    (tmp_path / "bridge.txt").write_text(BRIDGE, encoding="utf-8")
    qa.add_articles(tmp_path / "bridge.txt", first, store=pg_url)
    qa.remove_articles(["000_61fa93c29d891d97"], first, store=pg_url)
    engine = qa.open_engine(second, store=pg_url)
    assert {a.id for a in engine.articles()} == ids(first) == {"004_c75256f9babe0d3c", "bridge"}
    assert not engine.data.state.segments or engine.data.state.store_seq == qa.open_store(pg_url).last_seq()
