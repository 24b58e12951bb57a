"""Constants and helpers shared by the tests."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"

SPOKESPERSON_QUESTION = "Who is the Foreign Ministry spokesperson?"
TREATY_QUESTION = "What treaty did North Korea sign with the Soviet Union?"
PLACES_QUESTION = "Where did Kim and Putin tour?"
HAYASHI_QUESTION = "Who is the Japanese Chief Cabinet Secretary?"
BRIDGE_QUESTION = "What will Pyongyang and Moscow build across the Tumen River?"

SEED_QUESTIONS = [
    SPOKESPERSON_QUESTION,
    "Where did the briefing take place?",
    TREATY_QUESTION,
    "Who is the Japanese Chief Cabinet Secretary?",
    "What will Pyongyang and Moscow build across the Tumen River?",
    "What car did Kim and Putin ride in?",
]
"""Questions the seed articles answer."""


def free_port() -> int:
    """A local TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

SEED_FACTS = [
    ("Who is the Foreign Ministry spokesperson?", "Lim Soo-suk"),
    ("Where did the briefing take place?", "Government Complex Seoul"),
    ("What treaty did North Korea sign with the Soviet Union?", "1961"),
    ("Who is the Japanese Chief Cabinet Secretary?", "Yoshimasa Hayashi"),
    ("What will Pyongyang and Moscow build across the Tumen River?", "bridge"),
    ("What car did Kim and Putin ride in?", "Aurus"),
    ("Who wrote the Korea Herald article?", "Son Ji-hyoung"),
    ("When was the article published?", "June 20, 2024"),
    ("Which news agency released the pact?", "Korean Central News Agency"),
    ("Where did Kim and Putin sign the pact?", "Pyongyang"),
    ("What does Seoul view the military technology cooperation as?", "violation of United Nations resolutions"),
    ("Which article of the UN Charter was cited?", "Article 51"),
    ("Where did Kim and Putin tour the garden?", "Kumsusan State Guest House"),
    ("In which war could Russia assure North Korea's support?", "Ukraine"),
    ("When did South Korea express serious concern?", "Thursday"),
]
"""Questions the seed articles answer, with a fact the short answer must hold."""

SEED_WRONG: dict[str, str] = {}
"""Seed questions the shipped reader answers wrongly (bench/eval_seeds.py)."""
SEED_DECLINED: dict[str, str] = {}
"""Seed questions the shipped reader declines."""
SEED_MISSES = SEED_WRONG | SEED_DECLINED
"""Tests mark the known misses ``xfail(strict=True)``, so a fix shows and a regression
elsewhere fails; a test that needs only an answer (not the right one) marks the declines."""


def known_misses(questions: list[str], misses: dict[str, str] = SEED_MISSES) -> list:
    """``questions`` as pytest params, those in ``misses`` marked as known misses."""
    return [pytest.param(q, marks=pytest.mark.xfail(strict=True, reason=misses[q])) if q in misses else q
            for q in questions]  # fmt: skip


SEED_FOLLOW_UPS = [
    ("Who is the Foreign Ministry spokesperson?", "What is his title?", "spokesperson"),
    ("Who is the Foreign Ministry spokesperson?", "Where did the briefing take place?", "Government Complex"),
    ("What treaty did North Korea sign with the Soviet Union?", "In which year was it signed?", "1961"),
]
"""(first question, follow-up, fact the follow-up's answer must hold)."""
SEED_FOLLOW_UP_MISSES: dict[str, str] = {}
"""Follow-ups (by their question) the shipped reader answers wrongly or declines."""


_STOPPING_CHILD = """
import functools, importlib, json, sys, time
from pathlib import Path
signal, module, attr, *args = sys.argv[1:]
import qa
owner = importlib.import_module(module)
*path, name = attr.split(".")
for part in path:
    owner = getattr(owner, part)
original = getattr(owner, name)

@functools.wraps(original)
def stop_here(*a, **kw):
    Path(signal).write_text("reached")
    time.sleep(600)

setattr(owner, name, stop_here)
"""
"""A child process's start: ``module.attr`` patched to say it was reached (write the
signal file) and wait there to be killed; the action that follows reads ``args``."""


def kill_when_reached(action: str, args: list[str], signal: Path, stop_at: tuple[str, str], point: str, what: str) -> None:
    """Run ``action`` (Python source reading ``args``) in a child process from the
    repository root, with ``stop_at`` (module, function) patched to stop dead there, and
    SIGKILL the child as soon as it gets there (creates ``signal``): no clean-up runs.
    Fails the test if the child ends first, or never gets there."""
    argv = [sys.executable, "-c", _STOPPING_CHILD + action, str(signal), *stop_at, *args]
    child = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120  # a safety net, not a timing assertion
        while not signal.exists():
            if child.poll() is not None:
                pytest.fail(f"the {what} ended before {point}: {child.stderr.read().decode()[-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"the {what} never reached {point}")
            time.sleep(0.02)
        child.kill()
    finally:
        child.kill()
        child.wait()
        child.stderr.close()


def wait_serving(url: str, child: subprocess.Popen, output: Callable[[], str]) -> None:
    """Until the app process ``child`` serves ``url``'s page config; fails the test (with
    the tail of ``output()``) if it exits first or never does."""
    import httpx

    deadline = time.monotonic() + 180  # a safety net, not a timing assertion
    while time.monotonic() < deadline:
        if child.poll() is not None:
            pytest.fail(f"the app exited ({child.returncode}): {output()[-3000:]}")
        try:
            if httpx.get(f"{url.rstrip('/')}/config", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    child.kill()
    pytest.fail(f"the app never came up: {output()[-3000:]}")


def stop(child: subprocess.Popen) -> None:
    """Stop an app process as systemd would: SIGTERM, then SIGKILL after a minute."""
    child.send_signal(signal.SIGTERM)
    try:
        child.wait(timeout=60)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


@contextmanager
def serve(index: Path, access=None) -> Iterator[str]:
    """The chat app (app.py's page) over ``index`` served in this process on a free port,
    with ``access`` (a :class:`qa_app.auth.Access`, None for the default); yields its URL."""
    from qa_app.ui import create_app, launch

    app = create_app(index, SEEDS, log=lambda _: None, access=access)
    port = free_port()
    launch(app, port, block=False)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        app.close()


def short_answer(reply_html: str) -> str:
    """The bold short answer of a chat reply's HTML ("" when the reply declined): what a
    test of the answer must look at, since a declined reply's related passages can hold
    the same words."""
    import html
    import re

    m = re.search(r'<p class="qa-short"><strong>(.*?)</strong></p>', reply_html, re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", m.group(1))) if m else ""


def _postgres_binaries() -> Path | None:
    """The folder holding PostgreSQL's initdb and pg_ctl (Debian's, else on PATH), or None."""
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(folder, "initdb").exists() and Path(folder, "pg_ctl").exists():
            return Path(folder)
    found = shutil.which("initdb")
    return Path(found).parent if found and shutil.which("pg_ctl") else None


@contextmanager
def postgres_database() -> Iterator[str]:
    """A throwaway PostgreSQL cluster (initdb and pg_ctl in a temporary folder, listening on
    loopback only, no fsync) holding one empty database; yields its URL and removes the
    cluster afterwards. Skips the test when psycopg or the server binaries are missing, or
    when running as root with no ``postgres`` user to run the server as."""
    pytest.importorskip("psycopg", reason="the psycopg package is not installed")
    bin_dir = _postgres_binaries()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not found: install Debian's postgresql package")
    run_as: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="qa-pg-"))
    if os.geteuid() == 0:  # the server refuses to run as root
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(folder)
            pytest.skip("running as root and there is no 'postgres' user to run the test server as")
        os.chown(folder, user.pw_uid, user.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    data, port = folder / "data", free_port()

    def run(*args: str) -> None:
        subprocess.run([*run_as, *args], check=True, capture_output=True, timeout=120)

    try:
        run(str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "qa", "-E", "UTF8", "--locale=C", "--no-sync")
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off"
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start")
    except subprocess.CalledProcessError as e:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(f"could not start a test PostgreSQL: {e.stderr.decode(errors='replace')[-2000:]}")
    try:
        import psycopg

        with psycopg.connect(f"postgresql://qa@127.0.0.1:{port}/postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE news")
        yield f"postgresql://qa@127.0.0.1:{port}/news"
    finally:
        subprocess.run([*run_as, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, timeout=120)  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)
