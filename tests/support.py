"""Constants and helpers shared by the tests."""

from __future__ import annotations

import socket
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"

SPOKESPERSON_QUESTION = "Who is the Foreign Ministry spokesperson?"
TREATY_QUESTION = "What treaty did North Korea sign with the Soviet Union?"
PLACES_QUESTION = "Where did Kim and Putin tour?"


def free_port() -> int:
    """A local TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
