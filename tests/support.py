"""Constants and helpers shared by the tests."""

from __future__ import annotations

import socket
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"

SPOKESPERSON_QUESTION = "Who is the Foreign Ministry spokesperson?"
TREATY_QUESTION = "What treaty did North Korea sign with the Soviet Union?"
PLACES_QUESTION = "Where did Kim and Putin tour?"

SEED_QUESTIONS = [
    SPOKESPERSON_QUESTION,
    "Where did the briefing take place?",
    TREATY_QUESTION,
    "Who is the Japanese Chief Cabinet Secretary?",
    "What will Pyongyang and Moscow build across the Tumen River?",
    "What did Kim give Putin?",
]
"""Questions the seed articles answer."""


def free_port() -> int:
    """A local TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
