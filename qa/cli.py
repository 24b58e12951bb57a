"""``qa-index``: build, extend, inspect and query an index from the shell.

    qa-index build seeds/ --index embeddings/ [--model NAME_OR_PATH]
    qa-index add new-articles.jsonl --index embeddings/
    qa-index info --index embeddings/
    qa-index ask "Who is the Foreign Ministry spokesperson?"
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .config import DEFAULT_MODEL
from .types import Answer, IndexInfo

__all__ = ["main"]


def _print_info(console: Console, info: IndexInfo, title: str) -> None:
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_row("index", str(info.path.parent if info.path.name.startswith("v-") else info.path))
    table.add_row("articles", str(info.articles))
    table.add_row("passages", str(info.passages))
    table.add_row("model", f"{info.model} ({info.dimension} dims)")
    table.add_row("faiss index", info.faiss_index)
    table.add_row("built", info.created)
    if info.seconds:
        table.add_row("added", f"{info.added} articles")
        table.add_row("seconds", f"{info.seconds:.1f}")
    console.print(table)
    for skipped in info.skipped:
        console.print(f"[yellow]skipped[/] {skipped.path}: {skipped.reason}")


def _highlighted(answer: Answer) -> Text:
    """The supporting text with the short answer in it underlined."""
    text = Text(answer.text)
    if answer.span and answer.citations:
        a = answer.span.start - answer.citations[0].start
        if 0 <= a and a + len(answer.span.quote) <= len(answer.text):
            text.stylize("bold underline", a, a + len(answer.span.quote))
    return text


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qa-index", description="Build and query article-qa indexes.")
    sub = parser.add_subparsers(dest="command", required=True)

    def index_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--index", type=Path, default=Path("embeddings"), help="index folder (default: embeddings)")

    build = sub.add_parser("build", help="build a new index from articles, replacing the old one atomically")
    build.add_argument("source", type=Path, help="a folder of .txt files or a .jsonl file")
    index_option(build)
    build.add_argument("--model", default=None, help=f"sentence-transformers model name or path (default: {DEFAULT_MODEL})")
    build.add_argument("--faiss-index", choices=["auto", "flat", "ivf", "ivfpq", "hnsw"], default=None,
                       help="FAISS index type (default: auto, flat below 200k passages)")  # fmt: skip

    add = sub.add_parser("add", help="add articles to an index without re-embedding the old ones")
    add.add_argument("source", type=Path, help="a folder of .txt files, a .txt or a .jsonl file")
    index_option(add)

    info = sub.add_parser("info", help="show what an index holds")
    index_option(info)

    ask = sub.add_parser("ask", help="ask a question from the shell")
    ask.add_argument("question")
    index_option(ask)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    console = Console(stderr=False)
    err = Console(stderr=True)
    # Imported here so that --help answers at once, without loading torch.
    from . import engine as qa_engine
    from .config import Config
    from .index import IndexLoadError
    from .loading import NoArticlesError

    try:
        if args.command == "build":
            config = Config(faiss_index=args.faiss_index) if args.faiss_index else None
            console.print(f"Indexing {args.source} into {args.index} ...")
            info = qa_engine.build_index(args.source, args.index, model=args.model, progress=True, config=config)
            _print_info(console, info, f"Built index of {args.source}")
        elif args.command == "add":
            console.print(f"Adding {args.source} to {args.index} ...")
            info = qa_engine.add_articles(args.source, args.index, progress=True)
            _print_info(console, info, f"Added {args.source}")
        elif args.command == "info":
            _print_info(console, qa_engine.index_info(args.index), "Index")
        elif args.command == "ask":
            answer = qa_engine.load_engine(args.index).ask(args.question)
            if answer.span:
                console.print(Text(answer.span.quote, style="bold"))
            console.print(_highlighted(answer))
            for i, c in enumerate(answer.citations, 1):
                console.print(f"[{i}] {c.title} ({c.article_id}, characters {c.start}-{c.end})", markup=False)
            if answer.found:
                console.print(f"confidence: {answer.confidence} ({answer.probability:.0%} likely right)")
    except (IndexLoadError, NoArticlesError, FileNotFoundError, ValueError) as e:
        err.print(f"[red]error:[/] {e}", highlight=False)
        return 1
    except KeyboardInterrupt:
        err.print("[red]interrupted[/]: the previous index, if any, is unchanged")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
