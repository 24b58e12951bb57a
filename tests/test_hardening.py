"""Input hardening without a server: question bubbles, links, upload screening, the temp folder."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import gradio as gr
import httpx
import pytest

from qa import Article
from qa.config import WebConfig
from qa_app.chat import exchanges
from qa_app.formatting import question_html, question_text, safe_url, viewer_html
from qa_app.tempfiles import AppTemp
from qa_app.ui import escape_questions
from qa_app.uploads import safe_name, screen_uploads, sniff_refusal
from tests.support import ROOT, SEEDS, free_port, wait_serving

XSS = '<img src=x onerror="alert(1)"> **bold** [x](javascript:alert(2))'


def test_a_question_bubble_shows_html_and_markdown_as_typed() -> None:
    bubble = question_html(XSS + "\n\nsecond line", 600)
    assert "<img" not in bubble and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in bubble
    assert "\n" not in bubble  # one HTML block: Markdown is not applied inside it
    assert question_text(bubble) == XSS + "\n\nsecond line"


def test_a_long_paste_is_cut_in_its_bubble_with_a_note() -> None:
    bubble = question_html("word " * 1000, 600)
    assert "4,400 more characters not shown" in bubble
    assert question_text(bubble).endswith("…") and len(question_text(bubble)) == 601


def test_the_chat_window_escapes_questions_once_however_often_it_renders() -> None:
    chatbot = escape_questions(gr.Chatbot())
    history = [{"role": "user", "content": XSS}, {"role": "assistant", "content": "<p class='qa-text'>ok</p>"}]
    shown = chatbot.postprocess(history).model_dump()
    again = chatbot.postprocess(shown).model_dump()  # the page sends the history back each turn
    assert shown == again
    text = shown[0]["content"][0]["text"]
    assert text == question_html(XSS, WebConfig().shown_question_chars)
    assert shown[1]["content"][0]["text"] == "<p class='qa-text'>ok</p>"  # replies are ours, kept
    assert exchanges(shown)[0][0] == XSS  # follow-ups and exports get the question as typed


def test_a_forged_bubble_is_escaped_too() -> None:
    chatbot = escape_questions(gr.Chatbot())
    forged = '<p class="qa-question"><img src=x onerror=alert(1)></p>'
    text = chatbot.postprocess([{"role": "user", "content": forged}]).model_dump()[0]["content"][0]["text"]
    assert "<img" not in text


@pytest.mark.parametrize(
    ("url", "link"),
    [
        ("https://example.org/a?b=1&c=2", True),
        ("http://example.org/", True),
        ("javascript:alert(1)", False),
        ("JAVASCRIPT:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ('https://example.org/" onmouseover="alert(1)', False),
        ("//example.org/x", False),
        ("/srv/articles/a.txt", False),
    ],
)
def test_only_http_urls_become_links(url: str, link: bool) -> None:
    assert (safe_url(url) is not None) == link
    for article in (Article("a", "Title", "Body text.", source=url), Article("a", "Title", "Body text.", url=url)):
        shown = viewer_html(article)
        assert ("<a href=" in shown) == link
        assert "<script" not in shown and 'href="javascript' not in shown.lower()


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("..", "upload"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        (".hidden.txt", "hidden.txt"),
        ("news <b>1.txt", "news_b_1.txt"),
        ("a/b<i>.txt", "b_i_.txt"),
        ("x" * 300 + ".txt", "x" * 96 + ".txt"),
    ],
)
def test_file_names_are_never_paths(name: str, safe: str) -> None:
    assert safe_name(name) == safe


def test_uploads_are_checked_by_content_count_and_size(tmp_path: Path) -> None:
    files = {
        "story.txt": "A story about the harbour.\n".encode(),
        "latin.txt": "Caf\xe9 prices rose by \xa315.".encode("cp1252"),
        "binary.txt": bytes(range(256)) * 4,
        "fake.txt": b"\x7fELF\x02\x01\x01" + b"\x00" * 100,
        "image.jsonl": b"\x89PNG\r\n\x1a\n" + b"\x00" * 50,
        "notes.exe": b"MZ\x90\x00",
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    config = WebConfig()
    screened = screen_uploads(sorted(tmp_path.iterdir()), config)
    assert sorted(p.name for p in screened.accepted) == ["latin.txt", "story.txt"]
    reasons = {s.path: s.reason for s in screened.refused}
    assert reasons == {
        "binary.txt": "binary file, not text (a NUL byte at offset 0)",
        "fake.txt": "unsupported file type: the content is a program (ELF), not an article",
        "image.jsonl": "unsupported file type: the content is a PNG image, not an article",
        "notes.exe": "not an allowed type (allowed: .txt, .jsonl, .html, .htm, .xml, .rss, .atom, .pdf)",
    }
    small = WebConfig(max_upload_bytes=10, max_files_per_upload=1)
    assert screen_uploads([tmp_path / "story.txt"], small).refused[0].reason.startswith("larger than")
    too_many = screen_uploads([tmp_path / "story.txt", tmp_path / "latin.txt"], small)
    assert too_many.error.startswith("At most 1 files") and not too_many.accepted
    assert sniff_refusal(tmp_path / "story.txt", ".pdf") == "its content is not a .pdf file"


def test_temp_folder_is_removed_on_cleanup_and_after_a_crash(tmp_path: Path) -> None:
    root = tmp_path / "apptemp"
    crashed = subprocess.run(
        [sys.executable, "-c", "import os, sys; from qa_app.tempfiles import AppTemp; "
         "t = AppTemp(sys.argv[1]); (t.staging / 'upload.txt').write_text('x'); print(t.path); os._exit(9)", str(root)],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    left = Path(crashed.stdout.strip())
    assert crashed.returncode == 9 and (left / "staging" / "upload.txt").exists()  # no clean-up on a crash

    live = AppTemp(root)
    assert live.removed_stale == [left] and not left.exists()
    other = AppTemp(root)  # a second live app in the same root keeps the first one's folder
    assert other.removed_stale == [] and live.path.exists()
    (live.exports / "conversation.md").write_text("x")
    live.cleanup()
    other.cleanup()
    assert not root.exists()


def _start_app(index: Path, temp_root: Path, port: int) -> subprocess.Popen[str]:
    env = {**os.environ, "QA_TEMP_DIR": str(temp_root), "GRADIO_SERVER_PORT": str(port)}
    env.pop("GRADIO_TEMP_DIR", None)
    return subprocess.Popen(
        [sys.executable, "app.py", "--index", str(index), "--articles", str(SEEDS)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def _wait_until_serving(url: str, child: subprocess.Popen[str]) -> None:
    wait_serving(url, child, lambda: child.stdout.read() if child.stdout and child.poll() is not None else "")


def _use_temp_files(url: str) -> None:
    """Upload and add an article, and ask: files land in Gradio's cache and the staging folder."""
    (path,) = httpx.post(f"{url}gradio_api/upload", files=[("files", ("ferry.txt", b"Ferry fares rise.\n"))]).json()
    posted = httpx.post(f"{url}gradio_api/call/add_articles", json={"data": [[{"path": path, "meta": {"_type": "gradio.FileData"}}], ""]})
    httpx.get(f"{url}gradio_api/call/add_articles/{posted.json()['event_id']}", timeout=60)
    assert Path(path).exists()


def test_nothing_under_the_temp_folder_survives_a_shutdown_or_a_crash(seed_index: Path, tmp_path: Path) -> None:
    index, root = tmp_path / "index", tmp_path / "apptemp"
    shutil.copytree(seed_index, index)
    port = free_port()
    url = f"http://127.0.0.1:{port}/"

    crashing = _start_app(index, root, port)
    try:
        _wait_until_serving(url, crashing)
        _use_temp_files(url)
    finally:
        crashing.kill()  # SIGKILL: no chance to clean up
        crashing.wait()
    (left,) = root.glob("run-*")
    assert any(left.rglob("ferry.txt"))

    app = _start_app(index, root, port)
    try:
        _wait_until_serving(url, app)
        assert not left.exists()  # removed at start-up
        _use_temp_files(url)
        assert any(root.rglob("ferry.txt"))
    finally:
        app.send_signal(signal.SIGTERM)
        out, _ = app.communicate(timeout=60)
    assert app.returncode == 0, out
    assert "Removed 1 temp folder(s)" in out
    assert not root.exists(), sorted(root.rglob("*"))
