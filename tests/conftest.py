"""Shared fixtures: a seed index built once per test session; a throwaway PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing in the tests may reach a model hub
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory) -> Path:
    import qa

    index_dir = tmp_path_factory.mktemp("seed-index")
    qa.build_index(SEEDS, index_dir)
    return index_dir


@pytest.fixture(scope="session")
def engine(seed_index):
    import qa

    return qa.load_engine(seed_index)


@pytest.fixture(scope="session")
def live_app(seed_index):
    """The chat app (app.py's page) served in this process on a free port; yields its URL."""
    from tests.support import serve

    with serve(seed_index) as url:
        yield url


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A URL to an empty database on a throwaway PostgreSQL cluster on loopback that lives
    as long as the test module (:func:`tests.support.postgres_database`); skips without
    psycopg or the server binaries."""
    from tests.support import postgres_database

    with postgres_database() as url:
        yield url
