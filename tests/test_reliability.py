"""Reliability under faults and load: interrupted rebuilds, damaged files, concurrent queries."""

from __future__ import annotations

import json
import random
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import qa
from qa.cli import main as cli
from tests.support import SEED_QUESTIONS, kill_when_reached

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"

QUESTIONS = [*SEED_QUESTIONS, "How did Seoul react to the summit?", "What is the population of Pyongyang?"]
NEW_ARTICLE = (
    "Harbour authority opens new ferry terminal\n"
    "The harbour authority of Port Avalon opened a new ferry terminal on Monday. "
    "The terminal, designed by the architect Mira Castellanos, can handle four ferries at once. "
    "Officials said the first crossing to Wren Island would leave at 6 a.m. on Tuesday.\n"
)


def answers(engine: qa.Engine) -> list[tuple]:
    """Everything the engine says about QUESTIONS: answers and search results."""
    return [(engine.ask(q), engine.search(q, 3)) for q in QUESTIONS]


@pytest.fixture()
def built(tmp_path) -> tuple[Path, list[tuple]]:
    """A seed index in its own folder, and what it answers."""
    index_dir = tmp_path / "index"
    qa.build_index(SEEDS, index_dir)
    return index_dir, answers(qa.load_engine(index_dir))


@pytest.fixture()
def bigger_source(tmp_path) -> Path:
    """The seeds plus one more article: what the interrupted rebuilds were building."""
    source = tmp_path / "source"
    shutil.copytree(SEEDS, source)
    (source / "harbour.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    return source


# --- interrupted rebuilds ---------------------------------------------------------------

# A child process builds an index and stops dead at one point (tests.support.kill_when_reached).
BUILD = """
source, index_dir = args
qa.build_index(source, index_dir)
"""

KILL_POINTS = {
    # While the embedding thread runs and nothing is written yet.
    "embedding": ("qa.embedding", "Embedder.encode", "old"),
    # Halfway through writing the new version's files.
    "writing files": ("qa.index", "LexicalIndex.save", "old"),
    # The new version complete on disk, CURRENT not switched yet.
    "before the switch": ("qa.index.write", "_publish", "old"),
    # CURRENT switched, the old version not deleted yet.
    "after the switch": ("shutil", "rmtree", "new"),
}


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_killed_rebuild_leaves_a_loading_index(built, bigger_source, tmp_path, point):
    index_dir, before = built
    module, attr, expect = KILL_POINTS[point]
    signal = tmp_path / "reached"
    kill_when_reached(BUILD, [str(bigger_source), str(index_dir)], signal, (module, attr), point, "build")

    engine = qa.load_engine(index_dir)
    if expect == "old":
        assert engine.info.articles == 2
        assert answers(engine) == before
    else:
        assert engine.info.articles == 3
        assert engine.search("Port Avalon ferry terminal", 1)[0].article_id == "harbour"

    # The next build succeeds and sweeps away what the killed one left behind.
    qa.build_index(bigger_source, index_dir)
    leftovers = [p.name for p in index_dir.iterdir() if p.name not in ("CURRENT", ".lock")]
    assert len(leftovers) == 1 and leftovers[0].startswith("v-"), leftovers
    assert qa.load_engine(index_dir).info.articles == 3


@pytest.mark.parametrize(
    "target",
    ["qa.index.LexicalIndex.save", "faiss.write_index", "qa.embedding.Embedder.encode", "qa.index.write._publish"],
)
def test_error_during_rebuild_keeps_the_previous_index(built, bigger_source, monkeypatch, target):
    index_dir, before = built

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(target, fail)
    with pytest.raises(OSError, match="No space left"):
        qa.build_index(bigger_source, index_dir)
    monkeypatch.undo()

    assert not list(index_dir.glob(".build-*")), "a failed build must not leave its files behind"
    engine = qa.load_engine(index_dir)
    assert engine.info.articles == 2
    assert answers(engine) == before


# --- damaged files ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    index_dir = tmp_path_factory.mktemp("pristine") / "index"
    qa.build_index(SEEDS, index_dir)
    return index_dir


def _damaged_copy(pristine: Path, tmp_path: Path) -> tuple[Path, Path]:
    index_dir = tmp_path / "index"
    shutil.copytree(pristine, index_dir)
    version = index_dir / (index_dir / "CURRENT").read_text().strip()
    return index_dir, version


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _scribble(path: Path) -> None:
    """Overwrite the start of the file with garbage, keeping its size."""
    data = bytearray(path.read_bytes())
    n = min(64, len(data))
    data[:n] = b"#" * n
    path.write_bytes(bytes(data))


def _index_files(pristine: Path) -> list[str]:
    version = pristine / (pristine / "CURRENT").read_text().strip()
    return sorted(json.loads((version / "manifest.json").read_text())["files"])


def _check_error(error: Exception, index_dir: Path, name: str) -> None:
    message = str(error)
    assert name in message, message
    assert f"qa-index build SOURCE --index {index_dir}" in message, message


@pytest.mark.parametrize("damage", [_truncate, _scribble, Path.unlink], ids=["truncated", "scribbled", "deleted"])
def test_damaged_file_is_named_with_the_rebuild_command(pristine, tmp_path, damage):
    names = _index_files(pristine)
    assert "dense.faiss" in names and any(n.startswith("bm25/") for n in names)
    for name in names + ["manifest.json"]:
        if damage is _scribble and name == "texts.bin":
            continue  # raw text of the same size: nothing tells it apart from the real one
        case = tmp_path / f"{damage.__name__}-{name.replace('/', '-')}"
        index_dir, version = _damaged_copy(pristine, case)
        damage(version / name)
        with pytest.raises(qa.IndexCorruptError) as error:
            qa.load_engine(index_dir)
        _check_error(error.value, index_dir, name)


def test_current_pointing_nowhere_is_a_clear_error(pristine, tmp_path):
    index_dir, version = _damaged_copy(pristine, tmp_path)
    shutil.rmtree(version)
    with pytest.raises(qa.IndexCorruptError) as error:
        qa.load_engine(index_dir)
    _check_error(error.value, index_dir, "CURRENT")


def test_cli_reports_the_damaged_file(pristine, tmp_path, capsys):
    index_dir, version = _damaged_copy(pristine, tmp_path)
    _truncate(version / "dense.faiss")
    assert cli(["ask", "Who is the Foreign Ministry spokesperson?", "--index", str(index_dir)]) == 1
    err = capsys.readouterr().err
    assert "dense.faiss" in err and "qa-index build" in err


# --- concurrent queries -----------------------------------------------------------------


def test_concurrent_queries_match_serial(engine):
    follow_up = [("What treaty did North Korea sign with the Soviet Union?", "the 1961 treaty")]

    def work(item: tuple[str, str]):
        kind, question = item
        if kind == "search":
            return engine.search(question, 5)
        if kind == "follow-up":
            return engine.ask(question, follow_up)
        return engine.ask(question)

    items = [(kind, q) for q in QUESTIONS for kind in ("search", "ask")] + [("follow-up", "When was it signed?")]
    serial = {item: work(item) for item in items}
    tasks = items * 4
    random.Random(0).shuffle(tasks)
    with ThreadPoolExecutor(max_workers=8) as pool:
        concurrent = list(pool.map(work, tasks))
    for item, result in zip(tasks, concurrent):
        assert result == serial[item], item
