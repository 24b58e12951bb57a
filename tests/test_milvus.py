"""The index on Milvus (Milvus Lite, a local file): the same answers as the FAISS folder,
filters run inside Milvus, and the store stays the source of truth through every write
(killed writes: test_collection's kill tests run against both backends)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import qa
from qa.index import MilvusIndex, open_index
from qa.index.milvus import milvus_token
from qa.store import default_store_location, open_store
from tests.support import ROOT, SEED_FACTS, SEED_QUESTIONS, SEEDS
from tests.test_collection import ALL, BRIDGE, FERRY, ids, uploads


@pytest.fixture(scope="module")
def milvus_seeds(tmp_path_factory) -> str:
    location = f"milvus://{tmp_path_factory.mktemp('milvus')}/news.db"
    qa.build_index(SEEDS, location)
    return location


@pytest.fixture(scope="module")
def milvus_engine(milvus_seeds) -> qa.Engine:
    return qa.load_engine(milvus_seeds)


def _where(engine: qa.Engine, question: str, **filters) -> list[tuple[str, int, int]]:
    return [(p.article_id, p.start, p.end) for p in engine.search(question, 5, **filters)]


def test_the_location_names_the_backend(tmp_path):
    assert isinstance(open_index(f"milvus://{tmp_path}/a.db"), MilvusIndex)
    assert isinstance(open_index("http://milvus.internal:19530"), MilvusIndex)
    assert open_index(tmp_path / "embeddings").kind == "faiss"
    # a Lite file's store sits beside it; a server's must be named
    assert default_store_location(f"milvus://{tmp_path}/a.db") == str(tmp_path / "a.articles.sqlite3")
    with pytest.raises(qa.StoreError, match="QA_STORE"):
        default_store_location("http://milvus.internal:19530")
    with pytest.raises(ValueError, match="collection prefix"):
        open_index("milvus:///tmp/a.db?collection=drop;me")
    with pytest.raises(ValueError, match="no .db file"):
        open_index("milvus:///tmp/news")


def test_a_server_that_is_not_there_is_a_clear_error(capsys):
    from qa.cli import main as cli
    from tests.support import free_port

    location = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(qa.IndexUnreachableError, match="cannot reach Milvus"):
        qa.index_info(location)
    assert cli(["info", "--index", location]) != 0
    assert "cannot reach Milvus" in capsys.readouterr().err


def test_terms_reach_bm25_unsplit():
    assert milvus_token("treati") == "treati"
    assert milvus_token("jong-un") != milvus_token("jong") and milvus_token("jong-un").isalnum()
    assert milvus_token("café").isascii() and milvus_token("u.s") != milvus_token("us")


def test_info_describes_the_milvus_index(milvus_seeds, engine):
    info = qa.index_info(milvus_seeds)
    assert info.location == milvus_seeds and info.faiss_index.startswith("milvus-")
    assert (info.articles, info.passages) == (engine.info.articles, engine.info.passages)


def test_the_engine_test_questions_get_the_same_answers_on_both_backends(engine, milvus_engine):
    questions = list(dict.fromkeys([q for q, _ in SEED_FACTS] + SEED_QUESTIONS))
    on_faiss = [engine.ask(q) for q in questions]
    on_milvus = [milvus_engine.ask(q) for q in questions]
    same = [q for q, a, b in zip(questions, on_faiss, on_milvus) if (a.found, a.text) == (b.found, b.text)]
    assert len(same) >= 0.95 * len(questions), sorted(set(questions) - set(same))
    for q, a, b in zip(questions, on_faiss, on_milvus):
        if b.found:  # every citation on Milvus is an exact quote of the article it names
            for c in b.citations:
                assert milvus_engine.article(c.article_id).text[c.start : c.end] == c.quote
    top = [(_where(engine, q)[:1], _where(milvus_engine, q)[:1]) for q in questions]
    assert sum(a == b for a, b in top) >= 0.95 * len(questions)


DATED = [
    {"id": "port", "title": "Port reopens", "date": "2024-06-03", "source": "Harbour Times",
     "text": "Port reopens\nThe port of Greywater reopened on Monday after the storm, the harbour master said."},
    {"id": "storm", "title": "Storm closes port", "date": "2024-05-28", "source": "Coast Daily",
     "text": "Storm closes port\nA storm closed the port of Greywater on Tuesday; ferries stayed in harbour."},
    {"id": "undated", "title": "Harbour master retires", "source": "Harbour Times",
     "text": "Harbour master retires\nThe harbour master of Greywater, Ines Duarte, retires after twenty years."},
    {"id": "nosource", "title": "Ferry timetable changes", "date": "2024-06-10",
     "text": "Ferry timetable changes\nFerries from the port of Greywater leave an hour later from June."},
]


def test_date_and_source_filters_run_inside_milvus(tmp_path):
    source = tmp_path / "dated.jsonl"
    source.write_text("\n".join(json.dumps(a) for a in DATED), encoding="utf-8")
    qa.build_index(source, tmp_path / "faiss")
    qa.build_index(source, f"milvus://{tmp_path}/news.db")
    faiss, milvus = qa.load_engine(tmp_path / "faiss"), qa.load_engine(f"milvus://{tmp_path}/news.db")
    assert milvus.sources() == faiss.sources() == ["Coast Daily", "Harbour Times"]
    cases = {
        "since": ({"since": "2024-06-01"}, {"port", "nosource"}),
        "until": ({"until": "2024-06-01"}, {"storm"}),
        "range": ({"since": "2024-05-01", "until": "2024-06-05"}, {"port", "storm"}),
        "source": ({"sources": ["Harbour Times"]}, {"port", "undated"}),
        "both": ({"since": "2024-06-01", "sources": ["Harbour Times", "Coast Daily"]}, {"port"}),
        "none": ({"sources": ["No Such Paper"]}, set()),
        "future": ({"since": "2030-01-01"}, set()),
        "quoted": ({"sources": ['Harbour Times" or source != "']}, set()),  # a value, never an expression
        "escaped": ({"sources": ["Harbour Times\\", 'Coast "Daily"']}, set()),
    }
    for name, (filters, expect) in cases.items():
        on_faiss = {a for a, _, _ in _where(faiss, "port of Greywater harbour ferries", **filters)}
        on_milvus = {a for a, _, _ in _where(milvus, "port of Greywater harbour ferries", **filters)}
        assert on_milvus == on_faiss == expect, name
    answer = milvus.ask("Who is the harbour master of Greywater?", since="2024-01-01")
    assert not answer.found  # the undated article is outside the date filter


def test_writes_go_to_the_store_then_to_milvus(tmp_path):
    location = f"milvus://{tmp_path}/news.db"
    qa.build_index(SEEDS, location)
    info = qa.add_articles(uploads(tmp_path / "up", bridge=BRIDGE, ferry=FERRY), location)
    assert info.added == 2 and info.location == location
    engine = qa.load_engine(location)
    assert ids(engine) == ALL
    assert engine.ask("Who designed the ferry terminal in Port Avalon?").span.quote == "Mira Castellanos"

    qa.update_article("ferry", location, text=FERRY.replace("Mira Castellanos", "Ines Duarte"))
    engine = qa.load_engine(location)
    assert "Ines Duarte" in engine.ask("Who designed the ferry terminal in Port Avalon?").span.quote
    assert all("Mira Castellanos" not in p.text for p in engine.search("ferry terminal architect", 10))

    # the reader's term statistics follow the writes (the FAISS index's are the reference)
    faiss = tmp_path / "faiss"
    qa.build_index(SEEDS, faiss, store=tmp_path / "faiss.sqlite3")
    qa.add_articles(uploads(tmp_path / "up2", bridge=BRIDGE, ferry=FERRY.replace("Mira Castellanos", "Ines Duarte")),
                    faiss, store=tmp_path / "faiss.sqlite3")  # fmt: skip
    words = ["ferri", "termin", "harbour", "bridg", "korea", "pyongyang", "duart", "castellano"]
    on_faiss = qa.load_engine(faiss).data.lexical
    assert [engine.data.lexical.document_frequency(w) for w in words] == [on_faiss.document_frequency(w) for w in words]
    assert engine.data.lexical.document_frequency("castellano") == 0

    assert qa.remove_articles(["ferry", "nope"], location).removed == 1
    engine = qa.load_engine(location)
    assert ids(engine) == ALL - {"ferry"}
    assert all(p.article_id != "ferry" for p in engine.search("ferry terminal Port Avalon", 10))
    assert engine.data.lexical.document_frequency("duart") == 0 < engine.data.lexical.document_frequency("bridg")
    with open_store(default_store_location(location)) as store:
        assert set(store.ids()) == ALL - {"ferry"}

    # the store is the source of truth: a rebuild from it gives the same collection
    assert qa.rebuild_index(location).articles == 3
    assert ids(qa.load_engine(location)) == ALL - {"ferry"}


def test_an_archive_moves_between_backends_by_a_rebuild_from_its_store(tmp_path, capsys):
    from qa.cli import main as cli

    folder, store = tmp_path / "embeddings", tmp_path / "embeddings.articles.sqlite3"
    qa.build_index(SEEDS, folder)
    qa.add_articles(uploads(tmp_path / "up", bridge=BRIDGE, ferry=FERRY), folder)
    location = f"milvus://{tmp_path}/news.db"
    assert cli(["rebuild", "--index", location, "--store", str(store)]) == 0
    assert location in capsys.readouterr().out
    moved = qa.open_engine(location, store=store)
    assert ids(moved) == ids(qa.load_engine(folder)) == ALL
    assert "Alma Ferreira" in moved.ask("Who led the repair crew of the harbour bridge?").span.quote
    # and back: a new folder from the same store
    open_index(location).close()
    assert cli(["rebuild", "--index", str(tmp_path / "again"), "--store", str(store)]) == 0
    assert ids(qa.load_engine(tmp_path / "again")) == ALL


def test_the_app_serves_an_archive_on_milvus_and_writes_to_it(tmp_path):
    from qa_app.auth import Access
    from tests.support import serve, short_answer
    from tests.test_security import TOKEN, call, file_data, upload

    location = f"milvus://{tmp_path}/news.db"
    qa.build_index(SEEDS, location)
    with serve(location, Access(host="127.0.0.1", editor_token=TOKEN)) as url:
        _, _, payload = call(url, "chat", [SEED_QUESTIONS[0], "", "", []])
        assert short_answer(payload[0]) == "Lim Soo-suk"
        uploaded = upload(url, "ferry.txt", FERRY.encode(), headers={"X-Editor-Token": TOKEN})
        (path,) = uploaded.json()
        status, event, payload = call(url, "add_articles", [[file_data(path, "ferry.txt")], TOKEN])
        assert (status, event) == (200, "complete") and "Added 1 article" in payload[0], payload
        _, _, payload = call(url, "chat", ["Who designed the ferry terminal in Port Avalon?", "", "", []])
        assert "Mira Castellanos" in short_answer(payload[0])
    with open_store(default_store_location(location)) as store:
        assert "ferry" in set(store.ids())


def test_an_engine_loaded_before_a_delete_keeps_answering_without_the_deleted_article(tmp_path):
    location = f"milvus://{tmp_path}/news.db"
    qa.build_index(SEEDS, location)
    qa.add_articles(uploads(tmp_path / "up", ferry=FERRY), location)
    before = qa.load_engine(location)  # a replica's engine, still serving while another writes
    # the moment between its search and its reading the texts: the texts are gone already
    index = open_index(location)
    _, articles_name, _ = index._names(index._current()["generation"])
    number = next(i for i, a in enumerate(before.data.articles) if a["id"] == "ferry")
    index.client.delete(articles_name, filter=f"number == {number}")
    answer = before.ask("Who designed the ferry terminal in Port Avalon?")
    assert all(c.article_id != "ferry" for c in answer.citations)
    assert all(p.article_id != "ferry" for p in before.search("ferry terminal Port Avalon architect", 10))
    assert before.ask(SEED_QUESTIONS[0]).span.quote == "Lim Soo-suk"
    qa.remove_articles(["ferry"], location)  # and the write itself completes
    assert "ferry" not in ids(qa.load_engine(location))


def test_a_lost_milvus_index_is_rebuilt_from_the_store(tmp_path):
    location = f"milvus://{tmp_path}/news.db"
    qa.build_index(SEEDS, location)
    qa.add_articles(uploads(tmp_path / "up", bridge=BRIDGE), location)
    index = open_index(location)
    for name in index.client.list_collections():  # the Milvus data is lost, the store is not
        index.client.drop_collection(name)
    messages: list[str] = []
    engine = qa.open_engine(location, log=messages.append)
    assert "bridge" in ids(engine) and any("from the article store" in m for m in messages)


HOLD = """
import sys, time
from pathlib import Path
import qa
qa.load_engine(sys.argv[1])
Path(sys.argv[2]).write_text("open")
time.sleep(600)
"""

def test_a_lite_file_open_in_another_process_is_a_clear_error(tmp_path):
    location = f"milvus://{tmp_path}/news.db"
    qa.build_index(SEEDS, location)
    open_index(location).close()
    holder = subprocess.Popen([sys.executable, "-c", HOLD, location, str(tmp_path / "open")], cwd=ROOT)
    try:
        while not (tmp_path / "open").exists():
            assert holder.poll() is None
            time.sleep(0.05)
        with pytest.raises(qa.IndexUnreachableError, match="another process has it open"):
            qa.load_engine(location)
    finally:
        holder.kill()
        holder.wait()
    assert qa.load_engine(location).info.articles == 2


def test_a_write_returns_the_layout_a_fresh_read_gives(tmp_path):
    from qa.embedding import Embedder

    location = f"milvus://{tmp_path}/news.db"
    qa.build_index(SEEDS, location)
    qa.add_articles(uploads(tmp_path / "up", bridge=BRIDGE), location)
    index = open_index(location)
    before = index.read_layout()
    bridge = before.articles.index(next(a for a in before.articles if a["id"] == "bridge"))
    new = [qa.Article(id="ferry", title="Ferry terminal opens", text=FERRY),
           qa.Article(id="blank", title="Blank", text="   ")]  # yields no passage: listed as unindexed
    after = index.write_segment(before, new, Embedder(before.manifest["model"]), remove=[bridge], store_seq=99)
    fresh = index.read_layout()
    assert after.articles == fresh.articles and np.array_equal(after.passages, fresh.passages)
    assert (after.state.removed, after.state.store_seq) == (fresh.state.removed, fresh.state.store_seq)
    assert after.unindexed() == fresh.unindexed() and "blank" in fresh.unindexed()
    assert (after.live is None) == (fresh.live is None) and (after.live is None or np.array_equal(after.live, fresh.live))
    assert after.manifest == fresh.manifest


def test_rows_of_an_uncommitted_write_are_never_returned(tmp_path):
    location = f"milvus://{tmp_path}/news.db"
    qa.build_index(SEEDS, location)
    index = open_index(location)
    before = index.read_layout()
    current = index._current()
    # a write that inserted its rows and died before its commit
    from qa.embedding import Embedder

    index._insert(current["generation"], [qa.Article(id="ghost", title="Ghost ship sighted",
                  text="Ghost ship sighted\nA ghost ship named Marisol was sighted off Port Avalon.")],
                  len(before.articles), len(before.passages), Embedder(before.manifest["model"]), before.config)  # fmt: skip
    engine = qa.load_engine(location)
    assert all(p.article_id != "ghost" for p in engine.search("ghost ship Marisol Port Avalon", 10))
    assert "ghost" not in ids(engine)
