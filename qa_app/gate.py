"""HTTP checks in front of Gradio's own routes: its upload route and its login form.

Gradio's ``/gradio_api/upload`` stores any posted file in its cache before any handler
runs, so it is checked here: refused outright when the app is read-only, and, when an
editor token is set, only served to a caller presenting it (header ``X-Editor-Token``,
or the ``qa_editor_token`` cookie the page sets when the token is typed in). Failed
logins (``POST /login``, Gradio auth) count towards the same per-client rate limit as
wrong editor tokens.
"""

from __future__ import annotations

import json
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import unquote

from .auth import EditorGuard, WriteMode, WriteRefused

__all__ = ["EDITOR_COOKIE", "EDITOR_HEADER", "HttpGate"]

EDITOR_HEADER = "x-editor-token"
EDITOR_COOKIE = "qa_editor_token"

Scope = dict[str, Any]


class HttpGate:
    """Pure ASGI middleware; ``guard`` decides, and its limiter counts failures."""

    def __init__(self, app: Any, guard: EditorGuard) -> None:
        self.app = app
        self.guard = guard

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "").rstrip("/")
        client = (scope.get("client") or ("unknown", 0))[0]
        if path.endswith("/gradio_api/upload") and self.guard.mode is not WriteMode.LOCAL:
            try:
                self.guard.check(_editor_token(scope), client)
            except WriteRefused as e:
                await _refuse(send, e.status, str(e))
                return
        elif path == "/login" or path.endswith("/login"):
            wait = self.guard.limiter.locked_for(client)
            if wait > 0:
                await _refuse(send, 429, f"Too many failed logins. Try again in {int(wait) + 1} seconds.")
                return
            send = self._count_failed_login(send, client)
        await self.app(scope, receive, send)

    def _count_failed_login(self, send: Any, client: str) -> Any:
        async def watching(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                if message["status"] in (400, 401):
                    self.guard.limiter.failed(client)
                elif message["status"] == 200:
                    self.guard.limiter.succeeded(client)
            await send(message)

        return watching


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
