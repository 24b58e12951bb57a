"""Who may write, over raw HTTP against the running app (not through the page).

Each app here is served on 0.0.0.0 ("off localhost": the mode depends on the address the
server binds, not on where a client connects from), over a private copy of the seed index.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

import qa
from qa_app.auth import Access, FailureLimiter
from qa_app.ui import create_app, launch
from tests.support import SEEDS, free_port, short_answer

TOKEN = "correct-horse-battery-staple"
NEW_ARTICLE = (
    "Forged statement on ferry fares\n"
    "Harbour spokesperson Odile Varga said on Monday that ferry fares will double from March.\n"
)


@contextmanager
def serving(seed_index: Path, tmp_path: Path, access: Access) -> Iterator[tuple[str, Path]]:
    """The app over a copy of the seed index, served per ``access``; yields (url, index)."""
    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    app = create_app(index, SEEDS, log=lambda _: None, access=access)
    port = free_port()
    launch(app, port, block=False)
    try:
        yield f"http://127.0.0.1:{port}/", index
    finally:
        app.close()


def archive(index: Path) -> list[str]:
    """The article ids in the index on disk."""
    return sorted(a.id for a in qa.load_engine(index).articles())


def upload(url: str, name: str, data: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    """POST one file to Gradio's upload route."""
    return httpx.post(f"{url}gradio_api/upload", files=[("files", (name, data))], headers=headers, timeout=30)


def file_data(path: str, name: str) -> dict[str, Any]:
    return {"path": path, "orig_name": name, "meta": {"_type": "gradio.FileData"}}


def call(url: str, api_name: str, data: list[Any]) -> tuple[int, str, Any]:
    """Gradio's ``/gradio_api/call/<api_name>``: (HTTP status of the POST, the event, its data)."""
    posted = httpx.post(f"{url}gradio_api/call/{api_name}", json={"data": data}, timeout=120)
    if posted.status_code != 200:
        return posted.status_code, "refused", posted.json()
    event_id = posted.json()["event_id"]
    stream = httpx.get(f"{url}gradio_api/call/{api_name}/{event_id}", timeout=300).text
    event = next(line.split(":", 1)[1].strip() for line in stream.splitlines() if line.startswith("event:"))
    payload = next(line.split(":", 1)[1].strip() for line in stream.splitlines() if line.startswith("data:"))
    return posted.status_code, event, json.loads(payload) if payload not in ("", "null") else None


def join_queue(url: str, fn_index: int, data: list[Any]) -> httpx.Response:
    """The page's own route: ``/gradio_api/queue/join`` with a function number."""
    body = {"data": data, "fn_index": fn_index, "session_hash": "rawhttp01", "event_data": None}
    return httpx.post(f"{url}gradio_api/queue/join", json=body, timeout=30)


def add_fn_index(url: str) -> int:
    config = httpx.get(f"{url}config", timeout=30).json()
    return next(d["id"] for d in config["dependencies"] if d.get("api_name") == "add_articles")


def test_off_localhost_without_a_credential_every_write_is_refused(seed_index: Path, tmp_path: Path) -> None:
    with serving(seed_index, tmp_path, Access(host="0.0.0.0")) as (url, index):
        before = archive(index)
        page = httpx.get(url, timeout=30).text
        assert "Read-only" in httpx.get(f"{url}config", timeout=30).text or "Read-only" in page

        refused = upload(url, "forged.txt", NEW_ARTICLE.encode())
        assert refused.status_code == 403 and "read-only" in refused.json()["error"]

        # Even a file that got into Gradio's cache some other way is not added.
        status, event, payload = call(url, "add_articles", [[file_data("/etc/hostname", "x.txt")], ""])
        assert status == 403 and "read-only" in json.dumps(payload)
        for token in ("", "guess-a-long-token"):  # refused in front of Gradio, before it reads the request
            status, _, payload = call(url, "add_articles", [[], token])
            assert status == 403 and "read-only" in json.dumps(payload)
            joined = join_queue(url, add_fn_index(url), [[], token])
            assert joined.status_code == 403 and "read-only" in joined.text
        assert httpx.post(f"{url}gradio_api/run/add_articles", json={"data": [[], ""]}, timeout=30).status_code == 403
        assert archive(index) == before


GRADIO_CHAT_INTERNALS = re.compile(r"_.*|lambda(_\d+)?|unnamed(_\d+)?|js_fn|load_example|example_clicked|option_clicked")
"""Handlers gr.ChatInterface makes for itself; they only move the conversation around."""


def test_every_handler_is_classified_and_every_write_one_refuses_when_read_only(
    seed_index: Path, tmp_path: Path
) -> None:
    from qa_app.ui import READ_APIS, WRITE_APIS

    with serving(seed_index, tmp_path, Access(host="0.0.0.0")) as (url, index):
        before = archive(index)
        config = httpx.get(f"{url}config", timeout=60).json()
        handlers = {d["api_name"]: d for d in config["dependencies"] if d.get("backend_fn")}
        ours = {name for name in handlers if not GRADIO_CHAT_INTERNALS.fullmatch(name)}
        unlisted = ours - set(READ_APIS) - set(WRITE_APIS)
        assert not unlisted, f"list {sorted(unlisted)} in qa_app.ui.READ_APIS or WRITE_APIS (writes: guard.require)"
        assert ours == set(READ_APIS) | set(WRITE_APIS)
        for api_name in WRITE_APIS:
            fn = handlers[api_name]
            joined = join_queue(url, fn["id"], [None] * len(fn["inputs"]))
            assert joined.status_code == 403 and "read-only" in joined.text, api_name
        assert archive(index) == before


def test_with_the_editor_token_writes_work_and_a_wrong_one_is_refused(seed_index: Path, tmp_path: Path) -> None:
    with serving(seed_index, tmp_path, Access(host="0.0.0.0", editor_token=TOKEN)) as (url, index):
        before = archive(index)
        assert upload(url, "forged.txt", NEW_ARTICLE.encode()).status_code == 401
        wrong = upload(url, "forged.txt", NEW_ARTICLE.encode(), headers={"X-Editor-Token": "not-the-right-token"})
        assert wrong.status_code == 403 and "Wrong editor token" in wrong.json()["error"]

        uploaded = upload(url, "ferry.txt", NEW_ARTICLE.encode(), headers={"X-Editor-Token": TOKEN})
        assert uploaded.status_code == 200
        (path,) = uploaded.json()
        status, _, payload = call(url, "add_articles", [[file_data(path, "ferry.txt")], "not-the-right-token"])
        assert status == 403 and "Wrong editor token" in json.dumps(payload)
        assert archive(index) == before

        status, event, payload = call(url, "add_articles", [[file_data(path, "ferry.txt")], TOKEN])
        assert (status, event) == (200, "complete"), payload
        assert "Added 1 article" in payload[0]
        assert archive(index) == sorted([*before, "ferry"])


def test_failed_tokens_are_rate_limited_per_client(seed_index: Path, tmp_path: Path) -> None:
    with serving(seed_index, tmp_path, Access(host="0.0.0.0", editor_token=TOKEN)) as (url, _):
        statuses = [
            upload(url, "a.txt", b"text", headers={"X-Editor-Token": f"wrong-token-{i:03d}"}).status_code
            for i in range(6)
        ]
        assert statuses[:5] == [403] * 5 and statuses[5] == 429
        locked = upload(url, "a.txt", b"text", headers={"X-Editor-Token": TOKEN})  # even the right one, for now
        assert locked.status_code == 429 and "Try again" in locked.json()["error"]
        status, _, payload = call(url, "add_articles", [[], TOKEN])
        assert status == 429 and "Too many wrong editor tokens" in json.dumps(payload)


def test_failure_limiter_unlocks_after_its_window() -> None:
    now = [0.0]
    clock: Callable[[], float] = lambda: now[0]  # noqa: E731
    limiter = FailureLimiter(attempts=3, window_s=60, clock=clock)
    for _ in range(3):
        assert limiter.locked_for("a") == 0
        limiter.failed("a")
    assert limiter.locked_for("a") == 60 and limiter.locked_for("b") == 0
    now[0] = 59.5
    assert limiter.locked_for("a") == pytest.approx(0.5)
    now[0] = 60.0
    assert limiter.locked_for("a") == 0


def test_local_user_may_write_without_a_token(seed_index: Path, tmp_path: Path) -> None:
    with serving(seed_index, tmp_path, Access(host="127.0.0.1")) as (url, index):
        (path,) = upload(url, "ferry.txt", NEW_ARTICLE.encode()).json()
        status, event, payload = call(url, "add_articles", [[file_data(path, "ferry.txt")], ""])
        assert (status, event) == (200, "complete") and "Added 1 article" in payload[0]
        assert "ferry" in archive(index)


def test_reading_login_is_required_and_failures_are_limited(seed_index: Path, tmp_path: Path) -> None:
    access = Access(host="0.0.0.0", readers=(("reader", "a-reader-password"),))
    with serving(seed_index, tmp_path, access) as (url, _):
        assert httpx.get(f"{url}config", timeout=30).status_code == 401
        bad = [httpx.post(f"{url}login", data={"username": "reader", "password": f"x{i}"}).status_code for i in range(6)]
        assert bad[:5] == [400] * 5 and bad[5] == 429
    with serving(seed_index, tmp_path / "2", access) as (url, _):
        with httpx.Client(base_url=url, timeout=30) as client:
            assert client.post("login", data={"username": "reader", "password": "a-reader-password"}).status_code == 200
            assert client.get("config").status_code == 200


def test_short_editor_tokens_are_refused() -> None:
    with pytest.raises(ValueError, match="at least"):
        Access(host="0.0.0.0", editor_token="secret")


def test_twenty_readers_keep_getting_answers_while_an_editor_uploads(seed_index: Path, tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from tests.support import SPOKESPERSON_QUESTION

    with serving(seed_index, tmp_path, Access(host="0.0.0.0", editor_token=TOKEN)) as (url, index):
        uploads = [
            upload(url, f"ferry-{i}.txt", NEW_ARTICLE.replace("Monday", f"day {i}").encode(), {"X-Editor-Token": TOKEN})
            for i in range(3)
        ]
        files = [file_data(r.json()[0], f"ferry-{i}.txt") for i, r in enumerate(uploads)]
        with ThreadPoolExecutor(max_workers=21) as pool:
            # /chat's inputs: the question, then the filters (from, to, sources; empty: none)
            readers = [pool.submit(call, url, "chat", [SPOKESPERSON_QUESTION, "", "", []]) for _ in range(20)]
            editor = pool.submit(call, url, "add_articles", [files, TOKEN])
            replies = [r.result() for r in readers]
            status, event, payload = editor.result()
        assert all(event == "complete" and short_answer(reply[0]) == "Lim Soo-suk" for _, event, reply in replies), replies
        assert (status, event) == (200, "complete") and "Added 3 articles" in payload[0]
        assert {"ferry-0", "ferry-1", "ferry-2"} <= set(archive(index))
        _, _, after = call(url, "chat", ["Who said ferry fares will double?", "", "", []])
        assert "Odile Varga" in after[0]


def test_write_handlers_refuse_by_themselves_without_their_validators(seed_index: Path, tmp_path: Path) -> None:
    import gradio as gr

    from qa_app.ui import WRITE_APIS

    app = create_app(seed_index, SEEDS, log=lambda _: None, access=Access(host="0.0.0.0"))
    try:
        for fn in app.demo.fns.values():
            if fn.api_name in WRITE_APIS:
                with pytest.raises(gr.Error, match="read-only"):
                    fn.fn(*[None] * len(fn.inputs), request=None)
    finally:
        app.close()


def test_oversized_wrong_type_and_traversal_uploads_are_refused_with_a_reason(seed_index: Path, tmp_path: Path) -> None:
    from qa.config import WebConfig

    with serving(seed_index, tmp_path, Access(host="0.0.0.0", editor_token=TOKEN)) as (url, index):
        before = archive(index)
        editor = {"X-Editor-Token": TOKEN}
        big = upload(url, "big.txt", b"a" * (WebConfig().max_upload_bytes + 1), editor)
        assert big.status_code == 413 and "maximum allowed size" in big.text

        (program,) = upload(url, "story.txt", b"\x7fELF\x02\x01\x01" + b"\x00" * 64, editor).json()
        status, event, payload = call(url, "add_articles", [[file_data(program, "story.txt")], TOKEN])
        assert (status, event) == (200, "complete") and "Nothing was added" in payload[0]
        assert "the content is a program (ELF), not an article" in payload[0]

        outside = tmp_path / "evil.txt"
        (sneaky,) = upload(url, "../../../../evil.txt", NEW_ARTICLE.encode(), editor).json()
        assert ".." not in Path(sneaky).parts and not outside.exists()
        secret = tmp_path / "secret.txt"  # a server file named in the request, outside the upload cache
        secret.write_text(NEW_ARTICLE, encoding="utf-8")
        status, event, payload = call(url, "add_articles", [[file_data(str(secret), "secret.txt")], TOKEN])
        assert status in (400, 422) or (event == "error" and "not in the cache" in json.dumps(payload)), payload
        status, event, payload = call(url, "add_articles", [[file_data(sneaky, "../../../../evil.txt")], TOKEN])
        assert (status, event) == (200, "complete") and "Added 1 article" in payload[0]
        assert archive(index) == sorted([*before, "evil"]) and not outside.exists()
