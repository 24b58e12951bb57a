"""The Gradio page: the chat, the article viewer, the index list, uploads and export."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
from starlette.middleware import Middleware

from qa.config import WebConfig

from .auth import Access, EditorGuard, WriteMode
from .chat import ChatHandler, Turns, message_text
from .examples import example_questions
from .formatting import (
    VIEWER_PLACEHOLDER,
    add_report_markdown,
    delete_question_markdown,
    index_html,
    index_pages,
    is_question_html,
    matching_articles,
    open_source_html,
    question_html,
)
from .gate import EDITOR_COOKIE, HttpGate, write_inputs
from .store import AddResult, EngineStore, open_engine
from .tempfiles import app_temp
from .uploads import screen_uploads

__all__ = ["CHAT_CONCURRENCY", "ChatApp", "build_ui", "create_app", "escape_questions", "launch"]

# Nothing may reach the internet: Gradio reads this whenever it would send telemetry.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

ASSETS = Path(__file__).parent / "assets"
CSS = (ASSETS / "app.css").read_text(encoding="utf-8")
VIEWER_JS = (ASSETS / "viewer.js").read_text(encoding="utf-8")
PAGE_JS = "() => {\n  (%s)();\n  (%s)();\n}" % tuple(
    (ASSETS / name).read_text(encoding="utf-8").strip() for name in ("a11y.js", "scroll.js")
)
"""The page's own script: Gradio's ARIA slips mended; each new reply's top kept in view."""

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
READ_APIS = ("chat", "export", "index_panel", "forget_exports", "choices", "ask_to_delete", "cancel_delete",
             "refresh_page", "upload_limits", "find_articles", "previous_page", "next_page",
             "relist_after_add", "relist_after_delete")  # fmt: skip
"""Handlers (by API name) that do not change the archive."""
WRITE_APIS = ("add_articles", "remove_articles")
"""Handlers that change the archive: each calls ``EditorGuard.require`` itself and has
``validator=`` with ``EditorGuard.validation``. Every handler of this page (Gradio's chat
internals aside) must be listed in one of the two: a test checks, and tries every write
one over raw HTTP."""
READ_ONLY_NOTE = (
    '<p class="qa-read-only" role="status"><strong>Read-only.</strong> This server was started without an '
    "editor credential, so articles cannot be added or changed here.</p>"
)
WEB = WebConfig()
SHOW_CONFIRM_JS = "() => document.querySelector('#qa-delete-report')?.scrollIntoView({block: 'nearest'})"
INDEX_LOADING = '<p class="qa-index-loading">Loading the list of articles…</p>'
EDITOR_TOKEN_ID = "qa-editor-token"
"""The editor token box: the gate finds each write handler's token argument by it."""

# Typing the editor token also stores it (URI-encoded) in a same-site session cookie, so
# the browser's uploads to Gradio's upload route carry it (see gate.py).
STORE_TOKEN_JS = (
    "(token) => { document.cookie = '" + EDITOR_COOKIE + "=' + encodeURIComponent(token || '') + "
    "'; path=/; SameSite=Strict'; return token; }"
)


@dataclass
class ChatApp:
    """The page and how it is exposed; :func:`launch` serves it on ``access.host``."""

    demo: gr.Blocks
    access: Access
    guard: EditorGuard
    engines: EngineStore | None = None

    def close(self) -> None:
        self.demo.close()
        if self.engines is not None:
            self.engines.close()


def create_app(
    index_dir: str | Path,
    articles_dir: Path,
    log: Callable[[str], None] = print,
    access: Access | None = None,
    store: str | None = None,
) -> ChatApp:
    """Open the article store and its index and build the page: a store that never held an
    article is seeded from ``articles_dir``; a missing or damaged index is rebuilt from the
    store (``store``: a path or URL, None for the default next to the index).

    ``access`` says where it will be served and with which credentials (default: loopback,
    none). Raises :class:`qa.NoArticlesError` or :class:`FileNotFoundError` when the store
    must be seeded and ``articles_dir`` has no usable article, :class:`qa.StoreError` when
    the store cannot be opened.
    """
    access = access or Access()
    temp = app_temp()
    if temp.removed_stale:
        log(f"Removed {len(temp.removed_stale)} temp folder(s) left under {temp.root}/ by a run that crashed.")
    engine = open_engine(index_dir, Path(articles_dir), log, store=store)
    info = engine.info
    log(f"Index {index_dir}: {info.articles} articles, {info.passages} passages.")
    log(access.describe())
    guard = EditorGuard(access)
    engines = EngineStore(index_dir, engine, staging_dir=temp.staging, store=store)
    engines.follow(WEB.follow_store_s)  # writes by the CLI or another app show within seconds
    # A private archive shows nothing before login: its page config (served with the login
    # form) holds no example drawn from the articles, and build_ui puts no article data in it.
    examples = [] if access.readers else example_questions(engine)
    return ChatApp(build_ui(engines, examples, guard, temp.exports), access, guard, engines)


def build_ui(
    store: EngineStore, examples: list[str], guard: EditorGuard | None = None, exports_dir: Path | None = None
) -> gr.Blocks:
    """The whole page, answering from ``store``'s engine and offering ``examples`` when empty.

    Every write handler checks ``guard`` on the server (default: the local user may write).
    Exports go under ``exports_dir`` (default: the app's temp folder).
    """
    guard = guard or EditorGuard(Access())
    exports_dir = exports_dir or app_temp().exports
    handler = ChatHandler(store)

    def open_source(call: list[Any]) -> str:
        """Viewer HTML for ``[article_id, start, end]``; called by the viewer's script."""
        article_id, start, end = [*call, None, None][:3]
        return open_source_html(store.engine.article, article_id, _int_or_none(start), _int_or_none(end))

    def index_at(query: str, page: int) -> tuple[str, int]:
        """The article list's ``page`` for ``query``, kept to the pages there are (the
        articles are read once: each decodes its text)."""
        engine = store.engine
        articles = engine.articles()
        page = min(max(0, int(page or 0)), index_pages(matching_articles(articles, query or "")) - 1)
        return index_html(engine.info, articles, query or "", page), page

    def index_panel() -> str:
        return index_at("", 0)[0]

    def find_articles(query: str, page: int) -> tuple[str, int]:
        """The article list's first page for a new search."""
        return index_at(query, 0)

    def previous_page(query: str, page: int) -> tuple[str, int]:
        return index_at(query, int(page or 0) - 1)

    def next_page(query: str, page: int) -> tuple[str, int]:
        return index_at(query, int(page or 0) + 1)

    def choices() -> tuple[dict[str, Any], dict[str, Any]]:
        """The delete picker's articles and the source filter's sources, as of now."""
        engine = store.engine
        articles, sources = engine.articles(), engine.sources()
        return gr.update(choices=_delete_choices(articles), value=[]), gr.update(choices=sources,
                                                                                 info=sources_info(sources, articles))

    def refresh_page(seen: Any, query: str, page: int) -> tuple[Any, ...]:
        """On the page's timer: the counts and lists again, when the archive changed since
        ``seen`` (here or in another process: :meth:`EngineStore.follow`); the article list
        stays on the user's search and page."""
        engine = store.engine
        now = engine.data.state.store_seq
        if now == seen:
            return gr.update(), gr.update(), gr.update(), gr.update(), seen
        picker, sources = choices()
        listed, page = index_at(query, page)
        return listed, page, picker, sources, now

    def session_folder(request: gr.Request) -> Path:
        """This session's export folder (the session id is hashed: it comes from the browser)."""
        key = hashlib.sha1(str(request.session_hash).encode("utf-8")).hexdigest()[:16]
        return exports_dir / key

    def export(messages: list[dict[str, Any]], turns: Turns, request: gr.Request) -> gr.DownloadButton:
        # The conversation comes from the client: bounded in turns, bytes and sessions
        # kept on disk, so that no caller can fill the disk through it.
        if not messages or len(messages) > MAX_EXPORT_MESSAGES:
            return gr.DownloadButton(value=None, interactive=False)
        text = handler.export(messages, turns)
        if len(text.encode("utf-8")) > MAX_EXPORT_BYTES:
            return gr.DownloadButton(value=None, interactive=False)
        _forget_oldest(exports_dir, MAX_EXPORT_SESSIONS - 1)
        folder = session_folder(request)
        folder.mkdir(exist_ok=True)
        path = folder / EXPORT_NAME
        path.write_text(text, encoding="utf-8")
        return gr.DownloadButton(value=str(path), interactive=True)

    def forget_exports(request: gr.Request) -> None:
        shutil.rmtree(session_folder(request), ignore_errors=True)

    def add(files: list[str] | None, token: str | None, request: gr.Request) -> tuple[str, str, None]:
        """Add uploaded articles: editors only (checked here, whatever the page shows)."""
        guard.require(token, request)
        screened = screen_uploads(files or [], WEB)
        if screened.error or (screened.refused and not screened.accepted):
            result = AddResult(error=screened.error or "None of the files can be added.")
        else:
            result = store.add_files(screened.accepted)  # none at all: "choose files first"
        skipped = [*screened.refused, *result.skipped]
        report = add_report_markdown(result.added, result.info, skipped, result.error, updated=result.updated)
        picker, sources = choices()
        return report, index_panel(), None, picker, sources

    def ask_to_delete(ids: list[str] | None) -> tuple[dict[str, Any], str]:
        """Step one of deleting: say what will go and show the confirmation buttons."""
        ids = list(ids or [])
        if not ids:
            return gr.update(visible=False), "Choose one or more articles to delete first."
        engine = store.engine
        titles = []
        for article_id in ids:
            try:
                titles.append((article_id, engine.article(article_id).title))
            except KeyError:
                titles.append((article_id, None))
        note = delete_question_markdown(titles)
        return gr.update(visible=True), note

    def cancel_delete() -> tuple[dict[str, Any], str]:
        return gr.update(visible=False), "Nothing was deleted."

    def delete(ids: list[str] | None, token: str | None, request: gr.Request) -> tuple[Any, ...]:
        """Step two: delete the chosen articles (editors only: checked here, whatever the page shows)."""
        guard.require(token, request)
        result = store.remove(ids or [])
        if result.error:
            report = result.error
        else:
            report = f"**Deleted {result.removed} article{'s' if result.removed != 1 else ''}.**"
            if result.info is not None:
                report += f" The index now holds {result.info.articles:,} articles."
            if result.unknown:
                report += " Not found: " + ", ".join(f"`{i}`" for i in result.unknown)
        picker, sources = choices()
        return gr.update(visible=False), report, index_panel(), picker, sources

    def validate_delete(ids: list[str] | None, token: str | None, request: gr.Request) -> list[Any]:
        """Before queueing (HTTP 422 when refused): the editor check."""
        return [gr.validate(True, ""), guard.validation(token, request)]

    def validate_add(files: list[str] | None, token: str | None, request: gr.Request) -> list[Any]:
        """Before queueing (HTTP 422 when refused): the editor check and the file count."""
        count_ok = len(files or []) <= WEB.max_files_per_upload
        return [
            gr.validate(count_ok, "" if count_ok else f"At most {WEB.max_files_per_upload} files at once."),
            guard.validation(token, request),
        ]

    with gr.Blocks(title="Article QA", analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
        turns = gr.State({})
        gr.HTML(HEADER, elem_classes="qa-header", js_on_load=None)
        if guard.read_only:
            gr.HTML(READ_ONLY_NOTE, elem_id="qa-read-only", js_on_load=None)
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=420):
                with gr.Accordion("Filter articles: dates and sources", open=False, elem_id="qa-filters"):
                    since, until, sources = _filter_inputs()
                chat = _chat_interface(handler, turns, examples, [since, until, sources])
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
                    index_query = gr.Textbox(label="Find an article", placeholder="words of its title, id, source or "
                                             "byline", elem_id="qa-index-find")  # fmt: skip
                    index_view = gr.HTML(INDEX_LOADING, js_on_load=None, elem_id="qa-index")
                    with gr.Row():
                        earlier = gr.Button("◀ Previous", size="sm", elem_id="qa-index-prev")
                        later = gr.Button("Next ▶", size="sm", elem_id="qa-index-next")
                    index_page = gr.State(0)
                with gr.Accordion("Add articles", open=False, visible=not guard.read_only):
                    editor_token = gr.Textbox(
                        label="Editor token",
                        type="password",
                        placeholder="Needed to add or change articles",
                        visible=guard.mode is WriteMode.TOKEN,
                        elem_id=EDITOR_TOKEN_ID,
                    )
                    files, add_button, add_report = _upload_panel()
                with gr.Accordion("Delete articles", open=False, visible=not guard.read_only):
                    picker = gr.Dropdown(
                        label="Articles to delete",
                        info="Pick from the list or type an article id",
                        multiselect=True,
                        choices=[],  # filled on load: the page config holds no article data
                        allow_custom_value=True,  # ids beyond the list; the store says which exist
                        elem_id="qa-delete-picker",
                    )
                    delete_button = gr.Button("Delete…", variant="stop", size="sm", elem_id="qa-delete")
                    delete_report = gr.Markdown(elem_id="qa-delete-report")
                    with gr.Row(visible=False, elem_id="qa-delete-confirm") as confirm_row:
                        confirm_button = gr.Button("Yes, delete", variant="stop", size="sm", elem_id="qa-delete-yes")
                        cancel_button = gr.Button("Cancel", size="sm", elem_id="qa-delete-cancel")

        chat.chatbot.change(export, [chat.chatbot, turns], download, api_visibility="private", queue=False)
        editor_token.change(None, editor_token, None, js=STORE_TOKEN_JS, api_visibility="private", queue=False)
        add_button.click(
            add,
            [files, editor_token],
            [add_report, index_view, files, picker, sources],
            api_name="add_articles",
            api_description="Add articles (editors only): uploaded news files (pages, feeds, PDF, .txt, .jsonl) "
            "and the editor token "
            "(empty when the server allows the local user to write). Returns a Markdown report.",
            validator=validate_add,
            concurrency_limit=1,
        ).then(index_at, [index_query, index_page], [index_view, index_page], api_name="relist_after_add",
               api_visibility="private", queue=False, show_progress="hidden")  # as searched and paged, with the new ones
        delete_button.click(ask_to_delete, picker, [confirm_row, delete_report], api_visibility="private", queue=False).then(
            None, js=SHOW_CONFIRM_JS)  # the confirmation opens in view, not below the fold
        cancel_button.click(cancel_delete, None, [confirm_row, delete_report], api_visibility="private", queue=False)
        confirm_button.click(
            delete,
            [picker, editor_token],
            [confirm_row, delete_report, index_view, picker, sources],
            api_name="remove_articles",
            api_description="Delete articles by id (editors only) and the editor token (empty when the server "
            "allows the local user to write). Returns a Markdown report.",
            validator=validate_delete,
            concurrency_limit=1,
        ).then(index_at, [index_query, index_page], [index_view, index_page], api_name="relist_after_delete",
               api_visibility="private", queue=False, show_progress="hidden")  # fmt: skip
        demo.load(index_panel, None, index_view, api_visibility="private", queue=False)  # as of now, not of start-up
        for trigger, turn in ((index_query.change, find_articles), (earlier.click, previous_page), (later.click, next_page)):
            trigger(turn, [index_query, index_page], [index_view, index_page], api_visibility="private", queue=False,
                    show_progress="hidden")  # fmt: skip
        demo.load(choices, None, [picker, sources], api_visibility="private", queue=False)
        seen, timer = gr.State(store.engine.data.state.store_seq), gr.Timer(WEB.page_refresh_s)
        timer.tick(refresh_page, [seen, index_query, index_page], [index_view, index_page, picker, sources, seen],
                   api_visibility="private", queue=False,
                   show_progress="hidden")  # fmt: skip
        demo.unload(forget_exports)
    return demo


MAX_EXPORT_MESSAGES = 400
"""Chat messages (questions and answers) in one export; a longer conversation is not exported."""
MAX_EXPORT_BYTES = 2_000_000
MAX_EXPORT_SESSIONS = 200
"""Sessions whose latest export is kept on disk; the oldest goes first."""


def _forget_oldest(folder: Path, keep: int) -> None:
    """Remove all but the ``keep`` most recent session folders under ``folder``."""
    try:
        sessions = sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime)
    except OSError:
        return
    for old in sessions[: max(0, len(sessions) - keep)]:
        shutil.rmtree(old, ignore_errors=True)


def sources_info(sources: list[str], articles: list[Any]) -> str:
    """The source filter's note: what an empty choice means, and what "no source" covers."""
    without = sum(1 for a in articles if not a.source)
    if not sources:
        return "No article names its source (publisher), so there is nothing to filter by."
    note = "Empty: every source."
    if without:
        note += f" {without:,} of {len(articles):,} articles name no source: any source filter leaves them out."
    return note


MAX_DELETE_CHOICES = 2000
"""The delete picker lists the most recent articles; any other can be typed by id."""


def _delete_choices(articles: list[Any]) -> list[tuple[str, str]]:
    return [(f"{a.title} ({a.id})", a.id) for a in articles[-MAX_DELETE_CHOICES:][::-1]]


def _filter_inputs() -> tuple[gr.Textbox, gr.Textbox, gr.Dropdown]:
    """The chat's article filters: a date range and sources (rendered here, used by the chat).
    The sources are filled on load, and any value is taken: the ``/chat`` API may name a
    source added after start-up (an unknown one matches no article)."""
    with gr.Row():
        since = gr.Textbox(label="From (YYYY-MM-DD)", placeholder="any date", elem_id="qa-since")
        until = gr.Textbox(label="To (YYYY-MM-DD)", placeholder="any date", elem_id="qa-until")
    picked = gr.Dropdown(
        label="Sources", choices=[], value=[], multiselect=True, allow_custom_value=True, elem_id="qa-sources",
        info="Empty: every source",
    )
    return since, until, picked


def _chat_interface(
    handler: ChatHandler, turns: gr.State, examples: list[str], filters: list[gr.components.Component]
) -> gr.ChatInterface:
    """The chat, exposed as the ``/chat`` API; ``turns`` keeps each session's answers for export,
    ``filters`` (from, to, sources) restrict the articles answered from."""
    return gr.ChatInterface(
        handler.respond,
        chatbot=escape_questions(gr.Chatbot(
            label="Conversation",
            show_label=False,
            height="66vh",
            latex_delimiters=[],
            placeholder=CHAT_PLACEHOLDER,
            buttons=["copy"],
            autoscroll=False,  # scroll.js shows the new reply's top instead of its end
        )),
        textbox=gr.Textbox(
            placeholder="Ask a question about the articles…",
            show_label=False,
            submit_btn=True,
            elem_id="qa-question",
        ),
        additional_inputs=[turns, *filters],
        additional_outputs=[turns],
        examples=[[q, None, None, None, None] for q in examples] or None,  # None: chips, not a table
        api_name="chat",
        api_description="Answer a question from the indexed articles: HTML with the quoted answer, its "
        "numbered sources and confidence, or related passages when not found. Optional filters: from and to "
        "dates (YYYY-MM-DD) and a list of sources.",
        concurrency_limit=CHAT_CONCURRENCY,
        fill_height=False,
        analytics_enabled=False,
    )


def escape_questions(chatbot: gr.Chatbot) -> gr.Chatbot:
    """Make ``chatbot`` show each question as typed: HTML and Markdown in it escaped, a long
    paste cut in its bubble with a note (:func:`question_html`). Wraps the instance's
    ``postprocess`` (a subclass would make Gradio write a ``.pyi`` file next to this one)."""
    original = chatbot.postprocess

    def postprocess(value: Any) -> Any:
        return original([_escaped_question(m) for m in value] if value else value)

    chatbot.postprocess = postprocess  # type: ignore[method-assign]
    return chatbot


def _escaped_question(message: Any) -> Any:
    role = message.get("role") if isinstance(message, Mapping) else getattr(message, "role", None)
    if role != "user":
        return message
    content = message.get("content") if isinstance(message, Mapping) else getattr(message, "content", None)
    text = message_text(content)
    if is_question_html(text):
        return {"role": "user", "content": text}
    return {"role": "user", "content": question_html(text, WEB.shown_question_chars)}


def _upload_panel() -> tuple[gr.File, gr.Button, gr.Markdown]:
    """File picker, button and report for adding articles to the index; choosing more
    files than one upload takes disables the button and says why, beside it."""
    files = gr.File(
        label="Articles: saved web pages, RSS/Atom feeds, PDFs, .txt, or .jsonl with a \"text\" field",
        file_count="multiple",
        file_types=list(WEB.upload_types),
        type="filepath",
        elem_id="qa-upload",
    )
    button = gr.Button(ADD_LABEL, variant="primary", size="sm", elem_id="qa-add")
    note = gr.Markdown(elem_id="qa-upload-note")
    files.change(upload_limits, files, [button, note], api_visibility="private", queue=False)
    return files, button, gr.Markdown(elem_id="qa-add-report")


ADD_LABEL = "Add to the index"


def upload_limits(files: list[str] | None) -> tuple[Any, str]:
    """The add button and the note beside it for the files chosen: disabled, with the
    reason, past the per-upload count (the server refuses those requests too)."""
    count = len(files or [])
    if count > WEB.max_files_per_upload:
        note = (f"**{count} files chosen: at most {WEB.max_files_per_upload} can be added at once.** "
                "Remove some (× on each file), then add the rest in another upload.")  # fmt: skip
        return gr.update(interactive=False, value=f"{ADD_LABEL} (at most {WEB.max_files_per_upload} files)"), note
    return gr.update(interactive=True, value=ADD_LABEL), ""


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def theme() -> gr.themes.Base:
    """Gradio's default look with text colours dark (or light) enough for WCAG AA: at least
    4.5:1 against the background, for muted text and links too."""
    return gr.themes.Default(primary_hue="blue", neutral_hue="slate", font=FONTS, font_mono=MONO_FONTS).set(
        body_text_color_subdued="*neutral_600",
        body_text_color_subdued_dark="*neutral_300",
        link_text_color="*primary_700",
        link_text_color_dark="*primary_300",
        link_text_color_hover="*primary_800",
        link_text_color_hover_dark="*primary_200",
        link_text_color_visited="*primary_800",
        link_text_color_visited_dark="*primary_300",
        link_text_color_active="*primary_800",
        link_text_color_active_dark="*primary_200",
        block_info_text_color="*neutral_600",
        block_info_text_color_dark="*neutral_300",
        button_primary_background_fill="*primary_700",
        button_primary_background_fill_hover="*primary_800",
        button_primary_background_fill_dark="*primary_700",
        button_primary_background_fill_hover_dark="*primary_800",
        input_placeholder_color="*neutral_500",
        input_placeholder_color_dark="*neutral_400",
    )


def launch(app: ChatApp, port: int, *, block: bool = True) -> None:
    """Serve ``app`` on its ``access.host`` and ``port`` with the queue on (no share link).

    Direct REST calls that would skip the queue are closed (``api_open=False``); uploads
    are capped at ``WebConfig.max_upload_bytes`` (HTTP 413 above it); the upload route and
    the login form sit behind :class:`~qa_app.gate.HttpGate`; ``access.readers`` turns on
    Gradio's login for reading.
    """
    access = app.access
    # The gate resolves X-Forwarded-For itself (qa_app.auth.client_of, --trusted-proxy):
    # uvicorn must not rewrite the connecting address first (by default it believes the
    # header from 127.0.0.1, which would make every client behind a local proxy "local").
    os.environ["FORWARDED_ALLOW_IPS"] = ""
    app.demo.queue(default_concurrency_limit=CHAT_CONCURRENCY, max_size=QUEUE_SIZE, api_open=False).launch(
        server_name=access.host,
        server_port=port,
        share=False,
        prevent_thread_lock=not block,
        auth=list(access.readers) or None,
        auth_message="This article archive is private: log in to read it." if access.readers else None,
        max_file_size=WEB.max_upload_bytes,
        app_kwargs={"middleware": [Middleware(HttpGate, guard=app.guard, writes=write_inputs(
            app.demo, WRITE_APIS, EDITOR_TOKEN_ID))]},  # fmt: skip
        theme=theme(),
        js=PAGE_JS,
        css=CSS,
        footer_links=["api", "settings"],
        run_history=False,
        enable_monitoring=False,
    )
