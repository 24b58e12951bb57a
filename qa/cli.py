"""``qa-index``: manage the article store and its index, and query them from the shell.

    qa-index build seeds/ --index embeddings/ [--model NAME_OR_PATH]
    qa-index add new-articles.jsonl page.html feed.xml report.pdf --index embeddings/
    qa-index remove ARTICLE_ID... --index embeddings/
    qa-index list [--since 2024-06-01] [--until 2024-06-30] [--source "Daily Planet"]
    qa-index rebuild --index embeddings/       # from the store (also compacts)
    qa-index info --index embeddings/
    qa-index ask "Who is the Foreign Ministry spokesperson?" [--since ... --until ... --source ...]

Every command takes ``--store PATH_OR_URL`` (env ``QA_STORE``; default: a SQLite file
next to the index folder).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from .config import DEFAULT_MODEL
from .types import Answer, IndexInfo

__all__ = ["main"]


def _print_info(console: Console, info: IndexInfo, title: str) -> None:
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_row("index", Text(info.location or str(info.path.parent if info.path.name.startswith("v-") else info.path)))
    table.add_row("articles", str(info.articles))
    table.add_row("passages", str(info.passages))
    table.add_row("model", Text(f"{info.model} ({info.dimension} dims)"))
    table.add_row("faiss index", info.faiss_index)
    table.add_row("built", info.created)
    if info.seconds:
        table.add_row("added", f"{info.added} articles")
        table.add_row("seconds", f"{info.seconds:.1f}")
    console.print(table)
    for skipped in info.skipped:
        console.print(f"[yellow]skipped[/] {escape(skipped.path)}: {escape(skipped.reason)}")
    _print_unindexed(console, info.unindexed)


def _print_unindexed(console: Console, unindexed: dict[str, str]) -> None:
    for article_id, reason in unindexed.items():
        console.print(f"[yellow]stored, not indexed[/] {escape(article_id)}: {escape(reason)}")


def _highlighted(answer: Answer) -> Text:
    """The supporting text with the short answer in it underlined."""
    text = Text(answer.text)
    if answer.span and answer.citations:
        a = answer.span.start - answer.citations[0].start
        if 0 <= a and a + len(answer.span.quote) <= len(answer.text):
            text.stylize("bold underline", a, a + len(answer.span.quote))
    return text


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qa-index", description="Manage and query article-qa collections.")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--index", default=os.environ.get("QA_INDEX") or "embeddings",
                       help="index folder, milvus:///path/news.db (Milvus Lite) or http://host:19530 (a Milvus "
                            "server; token: env QA_MILVUS_TOKEN); env QA_INDEX, as for the app; default: embeddings")  # fmt: skip
        p.add_argument("--store", default=None,
                       help="article store: a SQLite file path, sqlite:///PATH or postgresql://... "
                            "(env QA_STORE; default: INDEX.articles.sqlite3 next to the index folder)")  # fmt: skip

    def filters(p: argparse.ArgumentParser) -> None:
        p.add_argument("--since", default=None, help="only articles dated on or after this day (YYYY-MM-DD)")
        p.add_argument("--until", default=None, help="only articles dated on or before this day (YYYY-MM-DD)")
        p.add_argument("--source", action="append", default=None, help="only articles from this source (repeatable)")

    build = sub.add_parser("build", help="make SOURCE the whole collection: store it and build a new index")
    build.add_argument("source", type=Path, help="a news file or a folder of them (.html, .txt, .pdf, feeds, .jsonl)")
    common(build)
    build.add_argument("--model", default=None, help=f"sentence-transformers model name or path (default: {DEFAULT_MODEL})")
    build.add_argument("--faiss-index", choices=["auto", "flat", "ivf", "ivfpq", "hnsw"], default=None,
                       help="FAISS index type (default: auto, flat below 200k passages)")  # fmt: skip

    add = sub.add_parser("add", help="store articles and add them to the index (incremental)")
    add.add_argument("sources", type=Path, nargs="+", help="news files or folders of them")
    common(add)

    remove = sub.add_parser("remove", help="delete articles by id from the store and the index")
    remove.add_argument("ids", nargs="+", help="article ids (see qa-index list)")
    common(remove)

    listing = sub.add_parser("list", help="list the stored articles")
    common(listing)
    filters(listing)

    rebuild = sub.add_parser("rebuild", help="rebuild the index from the store (also compacts it)")
    common(rebuild)

    info = sub.add_parser("info", help="show what an index holds")
    common(info)

    ask = sub.add_parser("ask", help="ask a question from the shell")
    ask.add_argument("question")
    common(ask)
    filters(ask)
    return parser


def _list(console: Console, articles: list) -> None:
    table = Table(show_header=True, header_style="bold")
    for column in ("id", "date", "source", "title", "url"):
        table.add_column(column, overflow="fold")
    for a in articles:
        table.add_row(*(Text(v or "") for v in (a.id, a.date, a.source, a.title, a.url)))
    console.print(table)
    console.print(f"{len(articles)} article{'s' if len(articles) != 1 else ''}")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    console = Console(stderr=False)
    err = Console(stderr=True)
    # Imported here so that --help answers at once, without loading torch.
    import qa
    from .config import Config
    from .errors import IndexUnreachableError
    from .index import IndexLoadError
    from .loading import NoArticlesError
    from .store import StoreError

    try:
        if args.command == "build":
            config = Config(faiss_index=args.faiss_index) if args.faiss_index else None
            console.print(f"Indexing {args.source} into {args.index} ...", markup=False)
            info = qa.build_index(
                args.source, args.index, model=args.model, progress=True, config=config, store=args.store
            )
            _print_info(console, info, escape(f"Built index of {args.source}"))
        elif args.command == "add":
            total = None
            for source in args.sources:
                console.print(f"Adding {source} to {args.index} ...", markup=False)
                try:
                    info = qa.add_articles(source, args.index, progress=True, store=args.store)
                except NoArticlesError as e:
                    err.print(f"[yellow]nothing added from {escape(str(source))}:[/] {escape(str(e))}", highlight=False)
                    continue
                _print_info(console, info, escape(f"Added {source}"))
                total = info
            if total is None:
                return 1
        elif args.command == "remove":
            info = qa.remove_articles(args.ids, args.index, store=args.store)
            console.print(f"Removed {info.removed} article{'s' if info.removed != 1 else ''}; "
                          f"the index now holds {info.articles} articles.")  # fmt: skip
            for skipped in info.skipped:
                err.print(f"[yellow]not found[/] {escape(skipped.path)}", highlight=False)
            return 0 if not info.skipped else 1
        elif args.command == "list":
            _list(console, qa.list_articles(args.index, since=args.since, until=args.until, sources=args.source,
                                            store=args.store))  # fmt: skip
            try:
                _print_unindexed(console, qa.index_info(args.index).unindexed)
            except IndexLoadError:
                pass  # (listing the store needs no index)
        elif args.command == "rebuild":
            console.print(f"Rebuilding {args.index} from the article store ...", markup=False)
            _print_info(console, qa.rebuild_index(args.index, store=args.store, progress=True), "Rebuilt index")
        elif args.command == "info":
            _print_info(console, qa.index_info(args.index), "Index")
        elif args.command == "ask":
            engine = qa.open_engine(args.index, store=args.store) if _has_store(args) else qa.load_engine(args.index)
            answer = engine.ask(args.question, since=args.since, until=args.until, sources=args.source)
            if answer.span:
                console.print(Text(answer.span.quote, style="bold"))
            console.print(_highlighted(answer))
            for i, c in enumerate(answer.citations, 1):
                url = engine.article(c.article_id).url
                console.print(f"[{i}] {c.title} ({c.article_id}, characters {c.start}-{c.end})"
                              + (f" {url}" if url else ""), markup=False)  # fmt: skip
            if answer.found:
                console.print(f"confidence: {answer.confidence} ({answer.probability:.0%} likely right)")
            elif answer.passages:  # as the chat does: what came closest, to read for oneself
                console.print("Related passages:", style="bold")
                for p in answer.passages[:3]:
                    text = " ".join(p.text.split())
                    console.print(f"- {p.title} ({p.article_id}, characters {p.start}-{p.end}): "
                                  f"{text[:240] + '…' if len(text) > 240 else text}", markup=False)  # fmt: skip
    except (IndexLoadError, IndexUnreachableError, NoArticlesError, StoreError, FileNotFoundError, ValueError,
            KeyError) as e:
        err.print(f"[red]error:[/] {escape(str(e))}", highlight=False)
        return 1
    except KeyboardInterrupt:
        err.print("[red]interrupted[/]: the store and index hold all of the last write or none of it")
        return 130
    return 0


def _has_store(args: argparse.Namespace) -> bool:
    """Whether the index has an article store to keep it in step with."""
    from .store import default_store_location

    location = args.store or default_store_location(args.index)
    return "://" in location or Path(location).exists()


if __name__ == "__main__":
    sys.exit(main())
