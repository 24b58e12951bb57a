"""Stateless app replicas, for real on loopback: two app processes (app.py, each with its
own index folder) over one article store on a throwaway PostgreSQL cluster (the
``pg_url`` fixture). A write through one replica's page API is answered by the other
within seconds: each replica's index follows the store's change log
(:meth:`qa_app.store.EngineStore.follow`, every ``WebConfig.follow_store_s``)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path


from tests.support import ROOT, SEEDS, SPOKESPERSON_QUESTION, free_port, short_answer, stop, wait_serving
from tests.test_security import TOKEN, archive, call, file_data, upload

OBSERVATORY = (
    "Observatory opens on Mount Kerrow\n"
    "The new observatory on Mount Kerrow opened on Saturday. It was designed by the engineer "
    "Tomas Villanueva and holds a two-metre telescope.\n"
)
QUESTION = "Who designed the observatory on Mount Kerrow?"
ANSWER = "Tomas Villanueva"
SEED_IDS = ("000_61fa93c29d891d97", "004_c75256f9babe0d3c")
WAIT_S = 60
"""How long a replica may take to show another's write: a safety net, not a timing
assertion (it follows the change log every 2 seconds)."""


@contextmanager
def replica(name: str, store: str, tmp_path: Path) -> Iterator[tuple[subprocess.Popen, str, Path]]:
    """``python app.py`` over its own index folder and ``store``, on a free loopback port,
    writes needing :data:`TOKEN`; yields (process, URL, log) once it is started (not yet
    ready: see :func:`wait_ready`). SIGTERM (then SIGKILL) on the way out."""
    index, log, port = tmp_path / f"index-{name}", tmp_path / f"app-{name}.log", free_port()
    # Its own temp root: removing one replica's leftovers never touches the other's.
    env = dict(os.environ, QA_TEMP_DIR=str(tmp_path / f"temp-{name}"))
    args = ["app.py", "--index", str(index), "--store", store, "--articles", str(SEEDS),
            "--host", "127.0.0.1", "--port", str(port), "--editor-token", TOKEN]  # fmt: skip
    with open(log, "wb") as out:
        child = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield child, f"http://127.0.0.1:{port}/", log
    finally:
        stop(child)


def wait_ready(child: subprocess.Popen, url: str, log: Path) -> None:
    """Until the replica serves its page config; fails the test if it exits or never does."""
    wait_serving(url, child, lambda: log.read_text(errors="replace"))


def ask(url: str, question: str) -> str:
    """The short answer ``url``'s ``/chat`` API gives (``""``: it declined)."""
    status, event, payload = call(url, "chat", [question, "", "", []])
    assert (status, event) == (200, "complete"), payload
    return short_answer(payload[0])


def poll(url: str, question: str, done: Callable[[str], bool]) -> str:
    """Ask ``question`` every second until ``done(short answer)`` or :data:`WAIT_S` passed;
    returns the last short answer."""
    deadline = time.monotonic() + WAIT_S
    answer = ask(url, question)
    while not done(answer) and time.monotonic() < deadline:
        time.sleep(1)
        answer = ask(url, question)
    return answer


def test_a_write_through_one_replica_is_answered_by_another(pg_url: str, tmp_path: Path) -> None:
    with ExitStack() as stack:
        # Both at once, on an empty store: one creates its tables and seeds it (the store's
        # advisory locks), the other then builds its own index from what is stored.
        a = stack.enter_context(replica("a", pg_url, tmp_path))
        b = stack.enter_context(replica("b", pg_url, tmp_path))
        wait_ready(*a)
        wait_ready(*b)
        (_, url_a, log_a), (_, url_b, log_b) = a, b
        assert ask(url_a, SPOKESPERSON_QUESTION) == ask(url_b, SPOKESPERSON_QUESTION) == "Lim Soo-suk"
        assert ask(url_b, QUESTION) == ""  # nothing in the seeds says

        # Added through replica A the way its page does: the upload route, then /add_articles.
        uploaded = upload(url_a, "observatory.txt", OBSERVATORY.encode(), headers={"X-Editor-Token": TOKEN})
        assert uploaded.status_code == 200, uploaded.text
        (path,) = uploaded.json()
        status, event, payload = call(url_a, "add_articles", [[file_data(path, "observatory.txt")], TOKEN])
        assert (status, event) == (200, "complete") and "Added 1 article" in payload[0], payload
        assert ask(url_a, QUESTION) == ANSWER  # the writer answers at once

        assert poll(url_b, QUESTION, lambda answer: answer == ANSWER) == ANSWER, log_b.read_text()[-3000:]
        assert "observatory" in archive(tmp_path / "index-b")  # B's own index caught up from the store

        # Deleted through replica A: B stops answering from it.
        status, event, payload = call(url_a, "remove_articles", [["observatory"], TOKEN])
        assert (status, event) == (200, "complete") and "Deleted 1 article" in str(payload), payload
        assert ask(url_a, QUESTION) == ""
        assert poll(url_b, QUESTION, lambda answer: answer != ANSWER) == "", log_b.read_text()[-3000:]
        assert "observatory" not in archive(tmp_path / "index-b")
        assert ask(url_b, SPOKESPERSON_QUESTION) == "Lim Soo-suk"

    # Each replica built its own index folder from the store, and they agree.
    assert archive(tmp_path / "index-a") == archive(tmp_path / "index-b") == sorted(SEED_IDS)
    for log in (log_a, log_b):
        assert "Traceback" not in log.read_text(), log.read_text()[-3000:]
