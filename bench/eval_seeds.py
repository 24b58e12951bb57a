"""Ask the seed articles the questions of ``tests/support.py`` and print what came back.

    python bench/eval_seeds.py

Counts the seed-style questions whose short answer holds the expected fact
(byline and date questions included) and the follow-ups answered in context.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import qa  # noqa: E402
from tests.support import SEED_FACTS, SEED_FOLLOW_UPS, SEEDS  # noqa: E402


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        qa.build_index(SEEDS, Path(tmp) / "index")
        engine = qa.load_engine(Path(tmp) / "index")
        right = 0
        for question, fact in SEED_FACTS:
            a = engine.ask(question)
            ok = a.found and a.span is not None and fact in a.span.quote
            right += ok
            short = a.span.quote if a.span else "-"
            print(f"{'ok ' if ok else 'MISS'} p={a.probability:.2f} {question!r} -> {short!r}")
        followed = 0
        for first, follow_up, fact in SEED_FOLLOW_UPS:
            previous = engine.ask(first)
            a = engine.ask(follow_up, [(first, previous)])
            ok = a.found and fact.lower() in a.text.lower()
            followed += ok
            short = a.span.quote if a.span else "-"
            print(f"{'ok ' if ok else 'MISS'} p={a.probability:.2f} {first!r} / {follow_up!r} -> {short!r}")
    print(f"seed questions: {right}/{len(SEED_FACTS)}; follow-ups: {followed}/{len(SEED_FOLLOW_UPS)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
