"""Serve the article-qa web chat.

    python app.py [--index embeddings] [--store PATH_OR_URL] [--articles seeds] [--host 127.0.0.1] [--port 7860]

Opens the article store (seeded from the articles folder while it has never held an
article) and its index (rebuilt from the store when missing, corrupt or stale), then
serves the chat on GRADIO_SERVER_NAME:GRADIO_SERVER_PORT (127.0.0.1:7860 by default).
The chat is also an API: ``gradio_client.Client(url).predict(question, api_name="/chat")``.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

# Nothing may reach the internet: no Gradio telemetry, no model hub. Set before anything reads them.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

if TYPE_CHECKING:
    from qa_app.auth import Access


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options; each defaults to its environment variable, then a fixed default."""
    env = os.environ.get
    parser = argparse.ArgumentParser(description="Serve the article-qa chat (questions answered from news articles).")
    parser.add_argument("--index", default=env("QA_INDEX", "embeddings"),
                        help="index folder, milvus:///path/news.db (Milvus Lite) or http://host:19530 (a Milvus "
                             "server; token: env QA_MILVUS_TOKEN); env QA_INDEX; default: embeddings")  # fmt: skip
    parser.add_argument("--articles", type=Path, default=Path(env("QA_ARTICLES", "seeds")),
                        help="articles that seed an empty article store "
                             "(env QA_ARTICLES; default: seeds)")  # fmt: skip
    parser.add_argument("--store", default=env("QA_STORE") or None,
                        help="article store: a SQLite file, sqlite:///PATH or postgresql://... (env QA_STORE; "
                             "default: INDEX.articles.sqlite3 next to the index folder)")  # fmt: skip
    parser.add_argument("--host", default=env("GRADIO_SERVER_NAME", "127.0.0.1"),
                        help="address to serve on (env GRADIO_SERVER_NAME; default: 127.0.0.1)")  # fmt: skip
    parser.add_argument("--port", type=int, default=env("GRADIO_SERVER_PORT", "7860"),
                        help="port to serve on (env GRADIO_SERVER_PORT; default: 7860)")  # fmt: skip
    parser.add_argument("--editor-token", default=env("QA_EDITOR_TOKEN"),
                        help="token editors give to add or change articles (env QA_EDITOR_TOKEN; prefer the "
                             "environment or --editor-token-file: a command line is visible to other users)")  # fmt: skip
    parser.add_argument("--editor-token-file", type=Path, default=env("QA_EDITOR_TOKEN_FILE"),
                        help="file whose first line is the editor token (env QA_EDITOR_TOKEN_FILE)")  # fmt: skip
    parser.add_argument("--readers-file", type=Path, default=env("QA_READERS_FILE"),
                        help="user:password lines; when given, reading needs a login too (env QA_READERS_FILE)")  # fmt: skip
    parser.add_argument("--trusted-proxy", action="append", default=None, metavar="ADDRESS",
                        help="address of a reverse proxy in front of the app (repeatable; env QA_TRUSTED_PROXY, "
                             "comma-separated): its X-Forwarded-For names the client. Without it, a request "
                             "carrying forwarding headers is never treated as the local user")  # fmt: skip
    return parser.parse_args(argv)


def access_from(args: argparse.Namespace) -> "Access":
    """Where to serve and with which credentials; ValueError or OSError if a file is bad."""
    from qa_app.auth import Access, read_readers_file, read_token_file

    token = args.editor_token or (read_token_file(args.editor_token_file) if args.editor_token_file else None)
    readers = read_readers_file(args.readers_file) if args.readers_file else ()
    proxies = args.trusted_proxy or [p for p in os.environ.get("QA_TRUSTED_PROXY", "").split(",") if p.strip()]
    return Access(host=args.host, editor_token=token, readers=readers, trusted_proxies=tuple(p.strip() for p in proxies))


def main(argv: list[str] | None = None) -> int:
    """Open (or build) the index and serve the chat until interrupted."""
    args = parse_args(argv)
    # Imported here: --help answers with the standard library alone, before any install.
    import qa
    from qa_app.ui import create_app, launch

    try:
        access = access_from(args)
    except (OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    # SIGTERM (docker stop, systemd) shuts down like Ctrl-C, so the temp folder is removed.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        app = create_app(args.index, args.articles, access=access, store=args.store)
    except (qa.NoArticlesError, FileNotFoundError) as e:
        print(f"error: cannot build the index: {e}", file=sys.stderr)
        return 1
    except (qa.StoreError, qa.IndexUnreachableError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    try:
        launch(app, args.port)
    finally:
        app.close()
        from qa_app.tempfiles import cleanup

        cleanup()
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
