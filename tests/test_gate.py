"""The gate in front of Gradio, over raw HTTP: nothing anonymous reaches the disk, a
private archive shows nothing before login, proxies are not the local user."""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx

import qa
from qa_app.auth import Access
from qa_app.tempfiles import app_temp
from tests.support import SPOKESPERSON_QUESTION
from tests.test_security import NEW_ARTICLE, TOKEN, archive, call, file_data, serving, upload

ANONYMOUS_GETS = [
    "", "config", "gradio_api/info", "gradio_api/openapi.json", "openapi.json", "theme.css", "gradio_api/theme.css",
    "manifest.json", "robots.txt", "gradio_api/startup-events", "gradio_api/app_id", "gradio_api/login_check",
    "gradio_api/deep_link", "gradio_api/token", "gradio_api/runs", "gradio_api/queue/status", "gradio_api/upload_progress",
    "monitoring", "monitoring/summary", "gradio_api/run-history/buckets", "gradio_api/run-history/records", "favicon.ico",
]  # fmt: skip
"""Every GET route of Gradio's app that takes no path parameter."""


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_a_private_archive_shows_nothing_before_login(seed_index: Path, tmp_path: Path) -> None:
    articles = qa.load_engine(seed_index).articles()
    secrets = {a.id for a in articles} | {a.title[:40] for a in articles} | {a.source for a in articles if a.source}
    access = Access(host="0.0.0.0", readers=(("reader", "a-reader-password"),))
    with serving(seed_index, tmp_path, access) as (url, _):
        for route in ANONYMOUS_GETS:
            body = httpx.get(f"{url}{route}", timeout=30).text
            leaked = [s for s in secrets if s in body]
            assert not leaked, f"/{route} shows {leaked}"
        with httpx.Client(base_url=url, timeout=60) as client:  # logged in, the page still works
            assert client.post("login", data={"username": "reader", "password": "a-reader-password"}).status_code == 200
            assert client.get("config").status_code == 200


def test_routes_the_page_does_not_use_take_no_post(seed_index: Path, tmp_path: Path) -> None:
    with serving(seed_index, tmp_path, Access(host="0.0.0.0", editor_token=TOKEN)) as (url, _):
        temp = Path(os.environ["GRADIO_TEMP_DIR"]).parent
        before = files_under(temp)
        audio = httpx.post(f"{url}gradio_api/process_recording", files=[("files", ("a.wav", b"RIFF" + b"\0" * 200_000))])
        assert audio.status_code == 404
        for route in ("gradio_api/stream/abc", "gradio_api/vibe-edit", "gradio_api/run-history/connect"):
            assert httpx.post(f"{url}{route}", json={}, timeout=30).status_code == 404, route
        assert files_under(temp) == before


def test_a_refused_write_event_materialises_no_file(seed_index: Path, tmp_path: Path) -> None:
    with serving(seed_index, tmp_path, Access(host="0.0.0.0", editor_token=TOKEN)) as (url, index):
        before, cache = archive(index), Path(os.environ["GRADIO_TEMP_DIR"])
        cached = files_under(cache)
        streams = [{"path": f"http://127.0.0.1:9/{i}.txt", "is_stream": True, "meta": {"_type": "gradio.FileData"}}
                   for i in range(300)]  # fmt: skip
        for token, status in (("", 401), ("not-the-right-token", 403), (TOKEN, 422)):
            got, _, payload = call(url, "add_articles", [streams, token])
            assert got == status, (token, payload)
        assert files_under(cache) == cached and archive(index) == before
        # a token sent in another argument is refused without being echoed back
        got, _, payload = call(url, "add_articles", [TOKEN, ""])
        assert got == 401 and TOKEN not in json.dumps(payload)
        big = httpx.post(f"{url}gradio_api/call/chat", content=b'{"data": ["' + b"a" * (5 * 1024 * 1024) + b'"]}')
        assert big.status_code == 413


def test_empty_tokens_count_and_a_login_does_not_reset_the_token_count(seed_index: Path, tmp_path: Path) -> None:
    access = Access(host="0.0.0.0", editor_token=TOKEN, readers=(("reader", "a-reader-password"),))
    with serving(seed_index, tmp_path, access) as (url, _):
        with httpx.Client(base_url=url, timeout=60) as client:
            assert client.post("login", data={"username": "reader", "password": "a-reader-password"}).status_code == 200
            statuses = []
            for i in range(6):
                statuses.append(client.post("gradio_api/upload", files=[("files", ("a.txt", b"x"))],
                                            headers={"X-Editor-Token": "" if i % 2 else f"wrong-{i:03d}"}).status_code)
                if i == 3:  # logging in again in the middle changes nothing
                    client.post("login", data={"username": "reader", "password": "a-reader-password"})
            assert statuses == [403, 401, 403, 401, 403, 429]
            bad_logins = [client.post("login", data={"username": "reader", "password": f"x{i}"}).status_code
                          for i in range(5)]  # fmt: skip
            assert bad_logins == [400] * 5  # counted apart from tokens: not yet locked


def test_a_forwarded_request_is_not_the_local_user(seed_index: Path, tmp_path: Path) -> None:
    proxied = {"X-Forwarded-For": "203.0.113.7"}
    with serving(seed_index, tmp_path, Access(host="127.0.0.1")) as (url, index):
        before = archive(index)
        refused = upload(url, "ferry.txt", NEW_ARTICLE.encode(), proxied)
        assert refused.status_code == 403 and "local user" in refused.json()["error"]
        (path,) = upload(url, "ferry.txt", NEW_ARTICLE.encode()).json()  # direct: the local user
        status = httpx.post(f"{url}gradio_api/call/add_articles", json={"data": [[file_data(path, "ferry.txt")], ""]},
                            headers={"Forwarded": "for=203.0.113.7"}, timeout=30).status_code  # fmt: skip
        assert status == 403 and archive(index) == before
    trusted = Access(host="127.0.0.1", trusted_proxies=("127.0.0.1",))
    with serving(seed_index, tmp_path / "2", trusted) as (url, index):
        assert upload(url, "ferry.txt", NEW_ARTICLE.encode(), proxied).status_code == 403
        local = upload(url, "ferry.txt", NEW_ARTICLE.encode(), {"X-Forwarded-For": "203.0.113.7, 127.0.0.1"})
        assert local.status_code == 200  # the proxy's own entry (the last) says: this machine


def test_exports_are_bounded(seed_index: Path, tmp_path: Path) -> None:
    with serving(seed_index, tmp_path, Access(host="0.0.0.0")) as (url, _):
        config = httpx.get(f"{url}config", timeout=30).json()
        fn = next(d["id"] for d in config["dependencies"] if d.get("api_name") == "export")
        exports = app_temp().exports

        def export(messages: list[dict], session: str) -> httpx.Response:
            body = {"data": [messages, {}], "fn_index": fn, "session_hash": session, "event_data": None}
            return httpx.post(f"{url}gradio_api/run/predict", json=body, timeout=60)

        def message(role: str, text: str) -> dict:
            return {"role": role, "content": [{"type": "text", "text": text}]}

        huge = [message("user", "x" * 3000), message("assistant", "y" * 3000)] * 300
        assert export(huge, "huge0001").status_code == 200
        assert not files_under(exports)
        small = [message("user", SPOKESPERSON_QUESTION), message("assistant", "Lim Soo-suk")]
        for i in range(205):
            export(small, f"s{i:07d}")
        kept = files_under(exports)
        assert 0 < len(kept) <= 200 and sum(p.stat().st_size for p in kept) < 2_000_000


def test_the_chat_api_takes_a_source_added_after_start_up(seed_index: Path, tmp_path: Path) -> None:
    with serving(seed_index, tmp_path, Access(host="127.0.0.1")) as (url, _):
        status, event, payload = call(url, "chat", [SPOKESPERSON_QUESTION, "", "", ["A Source Added Later"]])
        assert (status, event) == (200, "complete"), payload
