"""The Gradio page: the chat, the article viewer, the index list, uploads and export."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr

from .chat import ChatHandler, Turns
from .examples import example_questions
from .formatting import VIEWER_PLACEHOLDER, add_report_markdown, index_html, open_source_html
from .store import EngineStore, open_engine

__all__ = ["CHAT_CONCURRENCY", "build_ui", "create_app", "launch"]

# Nothing may reach the internet: Gradio reads this whenever it would send telemetry.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

ASSETS = Path(__file__).parent / "assets"
CSS = (ASSETS / "app.css").read_text(encoding="utf-8")
VIEWER_JS = (ASSETS / "viewer.js").read_text(encoding="utf-8")

CHAT_CONCURRENCY = 16
"""Questions answered at once; the engine is shared, read-only and thread-safe."""
QUEUE_SIZE = 512

# System fonts only: nothing is fetched from a font CDN (Inter where installed).
FONTS = ("Inter", "ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "Arial", "sans-serif")
MONO_FONTS = ("ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "DejaVu Sans Mono", "monospace")

HEADER = (
    "<h1>Article QA</h1>"
    "<p>Ask about the indexed news articles. Every answer is an exact quote with numbered sources: "
    "click a source to read the whole article with the quote highlighted.</p>"
)
CHAT_PLACEHOLDER = (
    "**Ask a question about the articles.**\n\n"
    "Answers are quoted word for word from the articles, with their sources and a confidence."
)
EXPORT_NAME = "article-qa-conversation.md"


def create_app(
    index_dir: Path, articles_dir: Path, log: Callable[[str], None] = print, store: str | None = None
) -> gr.Blocks:
    """Open the article store and its index (seeding an empty store from ``articles_dir``,
    rebuilding a missing or damaged index from the store) and build the page.

    Raises :class:`qa.NoArticlesError` or :class:`FileNotFoundError` when the store must be
    seeded and ``articles_dir`` has no usable article, :class:`qa.StoreError` when the
    store cannot be opened.
    """
    engine = open_engine(Path(index_dir), Path(articles_dir), log, store=store)
    info = engine.info
    log(f"Index {index_dir}/: {info.articles} articles, {info.passages} passages.")
    return build_ui(EngineStore(Path(index_dir), engine, store), example_questions(engine))


def build_ui(store: EngineStore, examples: list[str]) -> gr.Blocks:
    """The whole page, answering from ``store``'s engine and offering ``examples`` when empty."""
    handler = ChatHandler(store)
    exports = tempfile.TemporaryDirectory(prefix="qa-exports-")  # removed when the server exits

    def open_source(call: list[Any]) -> str:
        """Viewer HTML for ``[article_id, start, end]``; called by the viewer's script."""
        article_id, start, end = [*call, None, None][:3]
        return open_source_html(store.engine.article, article_id, _int_or_none(start), _int_or_none(end))

    def index_panel() -> str:
        engine = store.engine
        return index_html(engine.info, engine.articles())

    def session_folder(request: gr.Request) -> Path:
        """This session's export folder (the session id is hashed: it comes from the browser)."""
        key = hashlib.sha1(str(request.session_hash).encode("utf-8")).hexdigest()[:16]
        return Path(exports.name) / key

    def export(messages: list[dict[str, Any]], turns: Turns, request: gr.Request) -> gr.DownloadButton:
        if not messages:
            return gr.DownloadButton(value=None, interactive=False)
        folder = session_folder(request)
        folder.mkdir(exist_ok=True)
        path = folder / EXPORT_NAME
        path.write_text(handler.export(messages, turns), encoding="utf-8")
        return gr.DownloadButton(value=str(path), interactive=True)

    def forget_exports(request: gr.Request) -> None:
        shutil.rmtree(session_folder(request), ignore_errors=True)

    def add(files: list[str] | None) -> tuple[str, str, None]:
        result = store.add_files(files or [])
        report = add_report_markdown(result.added, result.info, result.skipped, result.error)
        return report, index_panel(), None

    with gr.Blocks(title="Article QA", analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
        turns = gr.State({})
        gr.HTML(HEADER, elem_classes="qa-header", js_on_load=None)
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=420):
                chat = _chat_interface(handler, turns, examples)
                download = gr.DownloadButton(
                    "Export conversation (Markdown)",
                    value=None,
                    interactive=False,
                    size="sm",
                    variant="secondary",
                    elem_id="qa-export",
                )
            with gr.Column(scale=2, min_width=340):
                gr.HTML(VIEWER_PLACEHOLDER, elem_id="qa-viewer", js_on_load=VIEWER_JS, server_functions=[open_source])
                with gr.Accordion("Indexed articles", open=True):
                    index_view = gr.HTML(index_panel(), js_on_load=None, elem_id="qa-index")
                with gr.Accordion("Add articles", open=False):
                    files, add_button, add_report = _upload_panel()

        chat.chatbot.change(export, [chat.chatbot, turns], download, api_visibility="private", queue=False)
        add_button.click(add, files, [add_report, index_view, files], api_visibility="private", concurrency_limit=1)
        demo.load(index_panel, None, index_view, api_visibility="private", queue=False)  # as of now, not of start-up
        demo.unload(forget_exports)
    return demo


def _chat_interface(handler: ChatHandler, turns: gr.State, examples: list[str]) -> gr.ChatInterface:
    """The chat, exposed as the ``/chat`` API; ``turns`` keeps each session's answers for export."""
    return gr.ChatInterface(
        handler.respond,
        chatbot=gr.Chatbot(
            label="Conversation",
            show_label=False,
            height="66vh",
            latex_delimiters=[],
            placeholder=CHAT_PLACEHOLDER,
            buttons=["copy"],
        ),
        textbox=gr.Textbox(
            placeholder="Ask a question about the articles…",
            show_label=False,
            submit_btn=True,
            elem_id="qa-question",
        ),
        additional_inputs=[turns],
        additional_outputs=[turns],
        examples=[[q, None] for q in examples] or None,
        api_name="chat",
        api_description="Answer a question from the indexed articles: HTML with the quoted answer, its "
        "numbered sources and confidence, or related passages when not found.",
        concurrency_limit=CHAT_CONCURRENCY,
        fill_height=False,
        analytics_enabled=False,
    )


def _upload_panel() -> tuple[gr.File, gr.Button, gr.Markdown]:
    """File picker, button and report for adding articles to the index."""
    files = gr.File(
        label='Articles (.txt, one per file, or .jsonl with a "text" field)',
        file_count="multiple",
        file_types=[".txt", ".jsonl"],
        type="filepath",
    )
    return files, gr.Button("Add to the index", variant="primary", size="sm"), gr.Markdown()


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def launch(demo: gr.Blocks, host: str, port: int, *, block: bool = True) -> None:
    """Serve ``demo`` on ``host:port`` with the queue on, locally only (no share link)."""
    demo.queue(default_concurrency_limit=CHAT_CONCURRENCY, max_size=QUEUE_SIZE).launch(
        server_name=host,
        server_port=port,
        share=False,
        prevent_thread_lock=not block,
        theme=gr.themes.Default(primary_hue="blue", neutral_hue="slate", font=FONTS, font_mono=MONO_FONTS),
        css=CSS,
        footer_links=["api", "settings"],
        run_history=False,
        enable_monitoring=False,
    )
