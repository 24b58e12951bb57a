"""The app over the article store, over raw HTTP: deleting needs the editor's right, and
an upload survives losing the index and a restart."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path


from qa_app.auth import Access
from tests.support import ROOT, SEEDS, free_port, stop, wait_serving
from tests.test_security import TOKEN, archive, call, file_data, serving, upload

HARBOUR = (
    "Harbour authority opens new ferry terminal\n"
    "The harbour authority of Port Avalon opened a new ferry terminal on Monday. "
    "The terminal, designed by the architect Mira Castellanos, can handle four ferries at once.\n"
)
QUESTION = "Who designed the new ferry terminal in Port Avalon?"


def test_delete_needs_the_editor_token_and_is_immediate(seed_index: Path, tmp_path: Path) -> None:
    with serving(seed_index, tmp_path, Access(host="0.0.0.0", editor_token=TOKEN)) as (url, index):
        before = archive(index)
        victim = "004_c75256f9babe0d3c"
        for token, refused in (("", 401), ("not-the-right-token", 403)):  # by the gate, before Gradio
            status, event, payload = call(url, "remove_articles", [[victim], token])
            assert status == refused, payload
        assert archive(index) == before

        status, event, payload = call(url, "remove_articles", [[victim], TOKEN])
        assert (status, event) == (200, "complete"), payload
        assert "Deleted 1 article" in json.dumps(payload)
        assert archive(index) == [a for a in before if a != victim]
        # The chat no longer answers from it.
        status, event, payload = call(url, "chat", ["Where did the briefing take place?", "", "", []])
        assert victim not in json.dumps(payload)


def _start(index: Path, port: int, log: Path) -> subprocess.Popen:
    env = dict(os.environ, GRADIO_SERVER_PORT=str(port), GRADIO_SERVER_NAME="127.0.0.1")
    with open(log, "ab") as out:
        child = subprocess.Popen(
            [sys.executable, "app.py", "--index", str(index), "--articles", str(SEEDS)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    wait_serving(f"http://127.0.0.1:{port}/", child, log.read_text)
    return child


def test_upload_survives_a_deleted_index_and_a_restart(tmp_path: Path) -> None:
    index, log = tmp_path / "index", tmp_path / "app.log"
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    child = _start(index, port, log)
    try:
        (path,) = upload(url, "harbour.txt", HARBOUR.encode()).json()
        status, event, payload = call(url, "add_articles", [[file_data(path, "harbour.txt")], ""])
        assert (status, event) == (200, "complete") and "Added 1 article" in payload[0], payload
    finally:
        stop(child)

    shutil.rmtree(index)
    child = _start(index, port, log)
    try:
        status, event, payload = call(url, "chat", [QUESTION, "", "", []])
        assert (status, event) == (200, "complete"), payload
        assert "Mira Castellanos" in json.dumps(payload)
    finally:
        stop(child)
    assert "from the article store" in log.read_text()
    assert "harbour" in archive(index)
