"""The article store as the source of truth: rebuilds from it, dedupe, updates in place,
removal, listing, and the store and index agreeing after crashes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import qa
from qa.cli import main as cli
from qa.store import default_store_location, open_store
from tests.support import SEEDS, kill_when_reached

BRIDGE = (
    "Harbour bridge reopens after repairs\n"
    "The Tumenbridge Harbour crossing reopened on Friday after eighteen months of repairs, "
    "the city transport office said. Engineer Alma Ferreira led the repair crew.\n"
)
FERRY = (
    "Ferry terminal opens in Port Avalon\n"
    "The harbour authority of Port Avalon opened a new ferry terminal on Monday. "
    "The terminal, designed by the architect Mira Castellanos, can handle four ferries at once.\n"
)


def uploads(folder: Path, **texts: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def index(tmp_path) -> Path:
    """Seeds built into a fresh index and store, plus two uploaded articles."""
    index = tmp_path / "index"
    qa.build_index(SEEDS, index)
    qa.add_articles(uploads(tmp_path / "up", bridge=BRIDGE, ferry=FERRY), index)
    return index


def ids(engine: qa.Engine) -> set[str]:
    return {a.id for a in engine.articles()}


def store_ids(index: str | Path) -> set[str]:
    with open_store(default_store_location(index)) as store:
        return set(store.ids())


ALL = {"000_61fa93c29d891d97", "004_c75256f9babe0d3c", "bridge", "ferry"}


def test_store_sits_next_to_the_index_in_wal_mode(index):
    path = Path(default_store_location(index))
    assert path == index.parent / "index.articles.sqlite3" and path.exists()
    import sqlite3

    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with open_store(path) as store:
        bridge = store.get("bridge")
    assert bridge.text == BRIDGE and bridge.metadata["origin"].endswith("bridge.txt")
    assert bridge.metadata["added"] and bridge.metadata["updated"]


def test_deleted_index_folder_is_rebuilt_from_the_store_with_every_upload(index):
    shutil.rmtree(index)
    messages: list[str] = []
    engine = qa.open_engine(index, seeds=SEEDS, log=messages.append)
    assert ids(engine) == ALL
    assert "Alma Ferreira" in engine.ask("Who led the repair crew of the harbour bridge?").text
    assert any("from the article store" in m for m in messages)


def test_corrupt_index_is_rebuilt_from_the_store_not_the_seeds(index):
    version = qa.index_info(index).path
    (version / "dense.faiss").write_bytes(b"garbage")
    with pytest.raises(qa.IndexCorruptError):
        qa.load_engine(index)
    assert ids(qa.open_engine(index, seeds=SEEDS)) == ALL


def test_corrupt_store_is_named_and_the_index_left_untouched(index):
    store = Path(default_store_location(index))
    for suffix in ("-wal", "-shm"):
        Path(f"{store}{suffix}").unlink(missing_ok=True)
    store.write_bytes(b"This is not a database, it was overwritten by mistake. " * 100)
    before = {p: p.stat().st_mtime_ns for p in index.rglob("*") if p.is_file()}
    with pytest.raises(qa.StoreCorruptError) as error:
        qa.open_engine(index, seeds=SEEDS)
    assert str(store) in str(error.value) and "untouched" in str(error.value)
    assert {p: p.stat().st_mtime_ns for p in index.rglob("*") if p.is_file() and p.name != ".lock"} == {
        p: t for p, t in before.items() if p.name != ".lock"
    }
    assert ids(qa.load_engine(index)) == ALL


def test_duplicate_upload_is_not_stored_twice_and_names_the_original(index, tmp_path):
    again = uploads(tmp_path / "again", copy_of_bridge=BRIDGE.replace("\n", "\r\n"))
    info = qa.add_articles(again, index)
    assert info.added == 0 and info.articles == 4
    (skipped,) = info.skipped
    assert skipped.path.endswith("copy_of_bridge.txt") and "duplicate of article 'bridge'" in skipped.reason
    assert store_ids(index) == ALL


def test_same_url_with_new_text_updates_the_article_in_place(index, tmp_path):
    first = {"id": "wire-1", "url": "https://wire.example.com/dam", "title": "Dam inspected", "date": "2024-06-01",
             "text": "Inspectors found cracks in the Greystone dam on Monday, the water board said."}  # fmt: skip
    (tmp_path / "wire.jsonl").write_text(json.dumps(first) + "\n", encoding="utf-8")
    assert qa.add_articles(tmp_path / "wire.jsonl", index).added == 1
    rescrape = dict(first, id="wire-99", date="2024-06-02",
                    text="Inspectors found no cracks in the Greystone dam on Monday, the water board said, "
                         "correcting an earlier report.")  # fmt: skip
    (tmp_path / "wire2.jsonl").write_text(json.dumps(rescrape) + "\n", encoding="utf-8")
    info = qa.add_articles(tmp_path / "wire2.jsonl", index)
    assert (info.added, info.updated, info.articles) == (0, 1, 5)

    engine = qa.load_engine(index)
    article = engine.article("wire-1")
    assert "no cracks" in article.text and article.date == "2024-06-02" and article.url == first["url"]
    assert "wire-99" not in ids(engine)
    hits = [p for p in engine.search("Greystone dam cracks inspectors", 10) if p.article_id == "wire-1"]
    assert hits and all("no cracks" in engine.article("wire-1").text[p.start : p.end] for p in hits)
    assert all("found cracks" not in p.text for p in engine.search("Greystone dam cracks", 10))


def test_remove_is_immediate_and_reported(index):
    engine = qa.load_engine(index)
    assert engine.search("Port Avalon ferry terminal architect", 1)[0].article_id == "ferry"
    info = qa.remove_articles(["ferry", "no-such-id"], index)
    assert info.removed == 1 and info.articles == 3
    assert [(s.path, s.reason) for s in info.skipped] == [("no-such-id", "no such article")]
    engine = qa.load_engine(index)
    assert "ferry" not in ids(engine)
    with pytest.raises(KeyError):
        engine.article("ferry")
    assert all(p.article_id != "ferry" for p in engine.search("Port Avalon ferry terminal architect", 10))
    assert not engine.ask("Who designed the ferry terminal in Port Avalon?").found
    assert store_ids(index) == ALL - {"ferry"}
    # Removing wrote no new build: the same version, with the removal in its state.
    assert qa.index_info(index).path == engine.data.path


def test_update_article_replaces_its_passages(index):
    qa.update_article("bridge", index, text=BRIDGE.replace("Alma Ferreira", "Jonas Lindqvist"))
    engine = qa.load_engine(index)
    answer = engine.ask("Who led the repair crew of the harbour bridge?")
    assert "Jonas Lindqvist" in answer.text and answer.citations[0].article_id == "bridge"
    assert all("Alma Ferreira" not in p.text for p in engine.search("Alma Ferreira repair crew", 10))
    with pytest.raises(ValueError, match="already stored as article 'ferry'"):
        qa.update_article("bridge", index, text=FERRY)
    with pytest.raises(KeyError):
        qa.update_article("nope", index, title="x")


def test_list_filters_by_date_and_source(tmp_path):
    rows = [
        {"id": "a", "text": "Alpha story text.", "date": "2024-05-30", "source": "Herald"},
        {"id": "b", "text": "Beta story text.", "date": "2024-06-10", "source": "Courier"},
        {"id": "c", "text": "Gamma story text.", "date": "2024-06-20", "source": "Herald"},
        {"id": "d", "text": "Delta story text, undated.", "source": "Herald"},
    ]
    (tmp_path / "n.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    index = tmp_path / "index"
    qa.build_index(tmp_path / "n.jsonl", index)
    assert [a.id for a in qa.list_articles(index, since="2024-06-01")] == ["b", "c"]
    assert [a.id for a in qa.list_articles(index, until="2024-06-10", sources=["Herald"])] == ["a"]
    assert [a.id for a in qa.list_articles(index, sources=["Herald"])] == ["a", "c", "d"]


def test_cli_remove_and_list(index, capsys):
    assert cli(["list", "--index", str(index)]) == 0
    out = capsys.readouterr().out
    assert "bridge" in out and "4 articles" in out
    assert cli(["remove", "bridge", "--index", str(index)]) == 0
    assert "Removed 1 article" in capsys.readouterr().out
    assert cli(["remove", "bridge", "--index", str(index)]) == 1
    assert "not found" in capsys.readouterr().err
    assert cli(["list", "--index", str(index)]) == 0
    assert "3 articles" in capsys.readouterr().out
    assert cli(["rebuild", "--index", str(index)]) == 0
    assert qa.index_info(index).articles == 3


def test_store_option_and_env_take_a_path_or_url(tmp_path, monkeypatch):
    store = tmp_path / "shared" / "news.db"
    index = tmp_path / "index"
    assert cli(["build", str(SEEDS), "--index", str(index), "--store", f"sqlite:///{store}"]) == 0
    assert store.exists() and not Path(default_store_location(index)).exists()
    monkeypatch.setenv("QA_STORE", str(store))
    assert default_store_location(index) == str(store)
    qa.add_articles(uploads(tmp_path / "up", bridge=BRIDGE), index)
    with open_store(store) as s:
        assert "bridge" in s.ids()
    with pytest.raises(qa.StoreError, match="unsupported store URL"):
        open_store("mysql://localhost/news")


def test_old_index_without_a_store_moves_its_articles_into_one(index, tmp_path):
    store = Path(default_store_location(index))
    for suffix in ("", "-wal", "-shm"):
        Path(f"{store}{suffix}").unlink(missing_ok=True)
    engine = qa.open_engine(index, seeds=tmp_path / "no-seeds-needed")
    assert ids(engine) == ALL and store_ids(index) == ALL


# --- killed writes ---------------------------------------------------------------------------

# A child process runs one write and stops dead at a given function (tests.support.kill_when_reached).
WRITE = """
op, arg, index_dir = args
if op == "add":
    qa.add_articles(arg, index_dir)
else:
    qa.remove_articles(json.loads(arg), index_dir)
"""

KILL_POINTS = {
    # backend: {name: (operation, module, function, whether the write is there after reopening)}
    "faiss": {
        "add, before the store commits": ("add", "qa.store", "ArticleStore._log", False),
        "add, while writing the new segment": ("add", "qa.index.write", "_write_texts", True),
        "add, before the index state switches": ("add", "qa.index.write", "_write_state", True),
        "delete, before the store commits": ("remove", "qa.store", "ArticleStore._log", False),
        "delete, before the index state switches": ("remove", "qa.index.write", "_write_state", True),
    },
    "milvus": {
        "add, before the store commits": ("add", "qa.store", "ArticleStore._log", False),
        "add, between the texts and the passages": ("add", "qa.index.milvus", "MilvusIndex._insert_passages", True),
        "add, before the state row commits": ("add", "qa.index.milvus", "MilvusIndex._commit", True),
        "delete, before the store commits": ("remove", "qa.store", "ArticleStore._log", False),
        "delete, before the state row commits": ("remove", "qa.index.milvus", "MilvusIndex._commit", True),
    },
}


@pytest.mark.parametrize(("backend", "point"), [(b, p) for b, points in KILL_POINTS.items() for p in points])
def test_killed_write_leaves_store_and_index_agreeing(tmp_path, backend, point):
    location = str(tmp_path / "index") if backend == "faiss" else f"milvus://{tmp_path}/news.db"
    qa.build_index(SEEDS, location)
    qa.add_articles(uploads(tmp_path / "up", bridge=BRIDGE, ferry=FERRY), location)
    op, module, attr, lands = KILL_POINTS[backend][point]
    if op == "add":
        arg = str(uploads(tmp_path / "more", harbour=BRIDGE.replace("Tumenbridge", "Greywater").replace(
            "Alma Ferreira", "Kenji Sato")))  # fmt: skip
        expect = ALL | {"harbour"} if lands else ALL
    else:
        arg = json.dumps(["bridge", "ferry"])
        expect = ALL - {"bridge", "ferry"} if lands else ALL
    signal = tmp_path / "reached"
    if backend == "milvus":
        qa.index.open_index(location).close()  # Milvus Lite serves one process: the child's write
    kill_when_reached(WRITE, [op, arg, location], signal, (module, attr), point, "write")

    engine = qa.open_engine(location)
    assert store_ids(location) == ids(engine) == expect
    hits = engine.search("Greywater bridge repair crew Kenji Sato harbour ferry", 10)
    assert len({(p.article_id, p.start) for p in hits}) == len(hits)  # no passage twice (no stray rows)
    if op == "add" and lands:  # the added article is searchable, its text exact
        top = engine.search("Greywater bridge repair crew Kenji Sato", 1)[0]
        assert "Kenji Sato" in top.text and engine.article(top.article_id).text[top.start : top.end] == top.text
    if op == "remove" and lands:
        assert all(p.article_id not in ("bridge", "ferry") for p in engine.search("harbour bridge ferry", 10))
    # and the next write works on top of it
    assert qa.remove_articles(["004_c75256f9babe0d3c"], location).removed == 1
    assert store_ids(location) == ids(qa.load_engine(location)) == expect - {"004_c75256f9babe0d3c"}


def test_index_damaged_inside_a_file_is_rebuilt_on_open(index):
    version = qa.index_info(index).path
    faiss_file = version / "dense.faiss"
    data = bytearray(faiss_file.read_bytes())
    data[:64] = b"#" * 64  # same size: only loading notices
    faiss_file.write_bytes(bytes(data))
    messages: list[str] = []
    engine = qa.open_engine(index, log=messages.append)
    assert ids(engine) == ALL and any("dense.faiss" in m for m in messages)


def test_segments_are_compacted_into_a_new_build(tmp_path):
    index = tmp_path / "index"
    qa.build_index(SEEDS, index, config=qa.Config(compact_segments=2))
    first = qa.index_info(index).path
    for n in range(3):
        qa.add_articles(uploads(tmp_path / f"u{n}", **{f"story{n}": FERRY.replace("four", f"{n + 5}")}), index)
    engine = qa.load_engine(index)
    assert engine.data.path != first and not engine.data.state.segments  # the third add compacted
    assert {f"story{n}" for n in range(3)} <= ids(engine)
    qa.remove_articles(["story0"], index)
    assert qa.compact(index).articles == 4 and not qa.load_engine(index).data.state.removed
