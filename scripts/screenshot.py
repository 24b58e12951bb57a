#!/usr/bin/env python
"""Start the chat on the seed articles, ask a question in headless Chromium, and save a
screenshot of the answer, its sources and the article viewer (default docs/screenshot.png).

    .venv/bin/python scripts/screenshot.py [--question "..."] [--output docs/screenshot.png]

Needs Chromium (scripts/install-browser.sh) and Playwright (the test extra). The index is
built in a temporary folder, so embeddings/ is left alone.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from qa_app.browser import ask, browser_page, open_source  # noqa: E402
from qa_app.ui import create_app, launch  # noqa: E402

DEFAULT_QUESTION = "What treaty did North Korea sign with the Soviet Union?"


def free_port() -> int:
    """A local TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--question", default=DEFAULT_QUESTION, help="what to ask (default: %(default)s)")
    parser.add_argument("--articles", type=Path, default=ROOT / "seeds", help="articles folder (default: seeds)")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "screenshot.png", help="PNG to write")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="qa-screenshot-") as index:
        app = create_app(Path(index), args.articles)
        port = free_port()
        launch(app, port, block=False)
        try:
            with browser_page(width=1440, height=1040) as page:
                page.goto(f"http://127.0.0.1:{port}/")
                reply = ask(page, args.question)
                if reply.locator(".qa-source-title").count():
                    open_source(page, reply)
                page.mouse.move(0, 0)  # no hover effects in the picture
                args.output.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(args.output))
        finally:
            app.close()
    print(f"Saved {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
