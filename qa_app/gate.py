"""HTTP checks in front of Gradio's routes, before Gradio reads a byte of the request.

* **Only the routes the page uses take a POST**: the login form, file upload, the queue,
  the event routes (``run``/``call``/``api``), cancel/reset and the viewer's component
  server. Gradio's others (audio ``process_recording``, streaming inputs, the coding
  assistant, run history) answer 404: they would write to disk for anyone.
* **Writes are checked before anything is materialised**: an upload, and an event for a
  write handler (``add_articles``, ``remove_articles``, by API name or the page's function
  number), must carry the editor credential (``X-Editor-Token`` or the ``qa_editor_token``
  cookie for uploads; the token argument for events), or it is refused here with 401, 403
  or 429, so Gradio never copies or fetches the files it names. A write event must have
  the handler's shape (files that are uploaded paths, never URLs or streams), or it is
  refused without echoing what was sent.
* **Bodies are bounded**: an event's JSON over :data:`MAX_EVENT_BYTES` gets 413.
* Failed logins (``POST /login``) are rate-limited per client, on a count of their own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import unquote

import gradio as gr

from .auth import Client, EditorGuard, FailureLimiter, WriteRefused, client_of

__all__ = ["EDITOR_COOKIE", "EDITOR_HEADER", "MAX_EVENT_BYTES", "HttpGate", "write_inputs"]

EDITOR_HEADER = "x-editor-token"
EDITOR_COOKIE = "qa_editor_token"

MAX_EVENT_BYTES = 4 * 1024 * 1024
"""Largest JSON body of an event: a long conversation sent back for export fits."""

Scope = dict[str, Any]

_ROUTE = re.compile(
    r"(?:^|/)(?:login|gradio_api/(?P<kind>upload|queue/join|run|call|call/v2|api|cancel|reset|component_server)"
    r"(?:/(?P<name>[^/]+))?)$"
)
_EVENTS = {"queue/join", "run", "call", "call/v2", "api"}


class HttpGate:
    """Pure ASGI middleware in front of the Gradio app.

    ``writes`` maps each write handler's API name and function number to the kinds of its
    inputs (:data:`TOKEN`, :data:`FILES`, :data:`STRINGS`: see :func:`write_inputs`);
    ``guard`` decides who may write; ``logins`` counts failed logins (default: the guard's
    limits, on a separate count).
    """

    def __init__(
        self,
        app: Any,
        guard: EditorGuard,
        writes: dict[str | int, tuple[str, ...]] | None = None,
        logins: FailureLimiter | None = None,
    ) -> None:
        self.app = app
        self.guard = guard
        self.writes = dict(writes or {})
        self.logins = logins or FailureLimiter(guard.limiter.attempts, guard.limiter.window_s)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "").rstrip("/")
        route = _ROUTE.search(path)
        if route is None:
            await _refuse(send, 404, "Not found.")
            return
        client = self._client(scope)
        kind = route.group("kind")
        if kind is None:  # the login form
            wait = self.logins.locked_for(client.address)
            if wait > 0:
                await _refuse(send, 429, f"Too many failed logins. Try again in {int(wait) + 1} seconds.")
                return
            await self.app(scope, receive, self._count_login(send, client.address))
            return
        if kind == "upload":
            try:
                self.guard.check(_editor_token(scope), client)
            except WriteRefused as e:
                await _refuse(send, e.status, str(e))
                return
        elif kind in _EVENTS:
            body = await _body(receive, MAX_EVENT_BYTES)
            if body is None:
                await _refuse(send, 413, f"The request is over {MAX_EVENT_BYTES // (1024 * 1024)} MB.")
                return
            refusal = self._write_refusal(kind, route.group("name"), body, client)
            if refusal is not None:
                await _refuse(send, *refusal)
                return
            receive = _replay(body, receive)
        await self.app(scope, receive, send)

    def _client(self, scope: Scope) -> Client:
        headers = [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope.get("headers", [])]
        peer = (scope.get("client") or ("unknown", 0))[0]
        return client_of(peer, headers, self.guard.access.trusted_proxies)

    def _write_refusal(self, kind: str, name: str | None, body: bytes, client: Client) -> tuple[int, str] | None:
        """(status, message) when the event is a write that may not run; None otherwise."""
        if kind != "queue/join" and name not in self.writes:  # named in the path: a read (the chat)
            return None
        try:
            event = json.loads(body) if body else {}
        except (ValueError, RecursionError):
            return 400, "The request is not JSON."
        if not isinstance(event, dict):
            return 400, "The request is not a JSON object."
        target = name if kind != "queue/join" else event.get("fn_index")
        if isinstance(target, bool) or target not in self.writes:
            return None
        data, kinds = event.get("data"), self.writes[target]
        shapeless = (422, "This request does not have the shape of the handler's inputs.")
        if not isinstance(data, list) or len(data) != len(kinds):
            return shapeless
        token = data[kinds.index(TOKEN)]
        try:  # who asks first: an anonymous caller learns nothing about the inputs
            self.guard.check(token if isinstance(token, str) else None, client)
        except WriteRefused as e:
            return e.status, str(e)
        return None if all(map(_shaped, data, kinds)) else shapeless

    def _count_login(self, send: Any, client: str) -> Any:
        async def watching(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                if message["status"] in (400, 401):
                    self.logins.failed(client)
                elif message["status"] == 200:
                    self.logins.succeeded(client)
            await send(message)

        return watching


TOKEN, FILES, STRINGS = "token", "files", "strings"
"""Kinds of a write handler's inputs: the editor token (a string or null), uploaded files
(null or a list of files), a multiple choice (null or a list of strings)."""


def _shaped(value: Any, kind: str) -> bool:
    """Whether ``value`` fits an input of ``kind``. Anything else is refused before Gradio
    sees it, so a value sent in the wrong place is never logged or echoed back."""
    if value is None:
        return True
    if kind == TOKEN:
        return isinstance(value, str)
    if not isinstance(value, list) or len(value) > 10_000:
        return False
    if kind == STRINGS:
        return all(isinstance(v, str) for v in value)
    return all(map(_uploaded, value))


def _uploaded(item: Any) -> bool:
    """A file as the upload route returned it: a path in the cache, never a URL or a stream
    (Gradio fetches a ``path`` that is a URL; ``url`` is only the page's link to the file)."""
    if not isinstance(item, dict) or item.get("is_stream"):
        return False
    path = item.get("path")
    return isinstance(path, str) and "://" not in path


def _editor_token(scope: Scope) -> str | None:
    """The token from the ``X-Editor-Token`` header, else from the page's cookie."""
    cookies = SimpleCookie()
    for name, value in scope.get("headers", []):
        name = name.decode("latin-1").lower()
        if name == EDITOR_HEADER:
            return value.decode("utf-8", "replace")
        if name == "cookie":
            try:
                cookies.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header is just no token
                continue
    morsel = cookies.get(EDITOR_COOKIE)
    return unquote(morsel.value) if morsel else None  # the page stores it URI-encoded


async def _body(receive: Any, limit: int) -> bytes | None:
    """The whole request body, or None past ``limit`` bytes (read no further)."""
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        parts.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(parts)


def _replay(body: bytes, receive: Any) -> Any:
    """A ``receive`` that hands the app the body already read, then the server's own."""
    sent = False

    async def replayed() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


async def _refuse(send: Any, status: int, message: str) -> None:
    body = json.dumps({"error": message, "detail": message}).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def write_inputs(demo: Any, api_names: Iterable[str], token_elem_id: str) -> dict[str | int, tuple[str, ...]]:
    """For :class:`HttpGate`: each write handler of ``demo`` (by API name and function
    number) mapped to the kinds of its inputs: the token box (``token_elem_id``), file
    pickers, and multiple choices."""
    out: dict[str | int, tuple[str, ...]] = {}
    names = set(api_names)
    for number, fn in demo.fns.items():
        if fn.api_name not in names:
            continue
        kinds = tuple(
            TOKEN if getattr(b, "elem_id", None) == token_elem_id else FILES if isinstance(b, gr.File) else STRINGS
            for b in fn.inputs
        )
        if kinds.count(TOKEN) != 1:
            raise ValueError(f"handler {fn.api_name!r} has no editor token input: the gate could not guard it")
        out[fn.api_name] = out[number] = kinds
    missing = names - {k for k in out if isinstance(k, str)}
    if missing:
        raise ValueError(f"no handler for {sorted(missing)}: the gate could not guard them")
    return out
