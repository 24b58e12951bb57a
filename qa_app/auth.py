"""Who may write: the editor credential, read-only mode, and rate-limited failures.

Reading (ask, search, view) is open to whoever can load the page (or, with a readers
file, to whoever logs in). Writing (upload, delete, update) goes through
:meth:`EditorGuard.require`, which every write handler calls on the server, because
Gradio exposes every event handler over HTTP whether or not its button is shown.

* Bound to a loopback address with no editor credential: the single local user may write,
  but only in a request that reached the app directly: one that carries forwarding
  headers (``X-Forwarded-For``, ``Forwarded``, ``X-Real-IP``) came through a proxy and is
  not local, unless the proxy is trusted (``--trusted-proxy``) and says the client is on
  this machine too.
* Any other address with no editor credential: read-only; every write is refused.
* With a credential (``--editor-token`` / ``QA_EDITOR_TOKEN`` / a token file): a write
  needs that token; failures (an empty token included) are counted per client address and
  rate-limited, apart from failed logins, which have their own count.

The client address is the connecting one, or behind a trusted proxy the address that
proxy appended to ``X-Forwarded-For`` (the rightmost entry: those before it are whatever
the client sent).
"""

from __future__ import annotations

import hmac
import ipaddress
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import gradio as gr

from qa.config import WebConfig

__all__ = [
    "Access",
    "EditorGuard",
    "FailureLimiter",
    "WriteMode",
    "WriteRefused",
    "Client",
    "client_of",
    "is_loopback",
    "read_readers_file",
    "read_token_file",
]

MIN_TOKEN_CHARS = 12
"""An editor token shorter than this is refused at start-up: it could be guessed."""


class WriteMode(Enum):
    """Who may add, delete or update articles."""

    LOCAL = "local"
    """Bound to loopback, no credential: the local user may write (no token asked)."""
    TOKEN = "token"
    """Writes need the editor token."""
    READ_ONLY = "read-only"
    """Bound to a non-loopback address without a credential: nobody may write."""


def is_loopback(host: str) -> bool:
    """True for ``127.0.0.1``, ``::1``, ``localhost`` and the rest of 127.0.0.0/8."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[] ")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Access:
    """How the app is exposed: where it binds, the editor token, the reader logins."""

    host: str = "127.0.0.1"
    editor_token: str | None = None
    readers: tuple[tuple[str, str], ...] = ()
    """``(user, password)`` pairs; when given, reading needs a login too (Gradio auth)."""
    trusted_proxies: tuple[str, ...] = ()
    """Addresses of reverse proxies whose ``X-Forwarded-For`` names the real client."""

    def __post_init__(self) -> None:
        if self.editor_token is not None and len(self.editor_token.strip()) < MIN_TOKEN_CHARS:
            raise ValueError(f"the editor token must be at least {MIN_TOKEN_CHARS} characters long")

    @property
    def mode(self) -> WriteMode:
        if self.editor_token:
            return WriteMode.TOKEN
        return WriteMode.LOCAL if is_loopback(self.host) else WriteMode.READ_ONLY

    def describe(self) -> str:
        """One line for the start-up log: who may write, and who may read."""
        readers = f"reading needs one of {len(self.readers)} logins" if self.readers else "anyone who can reach it may read"
        writes = {
            WriteMode.LOCAL: "the local user may add articles (bound to loopback, no editor token set)",
            WriteMode.TOKEN: "adding or changing articles needs the editor token",
            WriteMode.READ_ONLY: (
                f"READ-ONLY: bound to {self.host} without an editor token, so nobody can add or change "
                "articles (set QA_EDITOR_TOKEN or --editor-token-file to allow editors)"
            ),
        }[self.mode]
        return f"Access: {writes}; {readers}."


class WriteRefused(Exception):
    """A write was refused; ``status`` is the HTTP status that fits (403, 401 or 429)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class FailureLimiter:
    """Counts failed credentials per client; too many in a window locks that client out.

    ``clock`` is injectable so tests need not wait.
    """

    def __init__(self, attempts: int, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.attempts = attempts
        self.window_s = window_s
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float]:
        failures = self._failures.get(client, deque())
        while failures and now - failures[0] >= self.window_s:
            failures.popleft()
        return failures

    def locked_for(self, client: str) -> float:
        """Seconds until ``client`` may try again (0 when it may now)."""
        with self._lock:
            now = self._clock()
            failures = self._recent(client, now)
            if len(failures) < self.attempts:
                return 0.0
            return max(0.0, failures[-self.attempts] + self.window_s - now)

    def failed(self, client: str) -> None:
        """Record one failed credential from ``client``."""
        with self._lock:
            now = self._clock()
            failures = self._recent(client, now)
            failures.append(now)
            self._failures[client] = failures
            if len(self._failures) > 10_000:  # forget clients whose failures have expired
                for key in [k for k, v in self._failures.items() if not self._recent(k, now)]:
                    del self._failures[key]

    def succeeded(self, client: str) -> None:
        """Forget ``client``'s failures."""
        with self._lock:
            self._failures.pop(client, None)


_FORWARDING = ("x-forwarded-for", "forwarded", "x-real-ip")


@dataclass(frozen=True)
class Client:
    """Who sent a request: ``address`` (for rate limits) and whether it counts as the
    local user (on this machine, and not relayed by a proxy that is not trusted)."""

    address: str
    local: bool


def client_of(peer: str | None, headers: Iterable[tuple[str, str]], trusted: Iterable[str] = ()) -> Client:
    """The client of a request from ``peer`` (the connecting address) with ``headers``
    (lower-case names), given the ``trusted`` proxy addresses."""
    peer = peer or "unknown"
    forwarded = [(k, v) for k, v in headers if k in _FORWARDING]
    if not forwarded:
        return Client(peer, is_loopback(peer))
    if peer not in set(trusted):  # anyone can send these headers: not local, not believed
        return Client(peer, False)
    chain = [a.strip() for k, v in forwarded if k == "x-forwarded-for" for a in v.split(",") if a.strip()]
    real = chain[-1] if chain else next((v.strip() for k, v in forwarded if k == "x-real-ip"), "")
    return Client(real or peer, bool(real) and is_loopback(real))


def _request_headers(request: gr.Request | None) -> list[tuple[str, str]]:
    headers = getattr(request, "headers", None) or {}
    items = headers.items() if hasattr(headers, "items") else []
    return [(str(k).lower(), str(v)) for k, v in items]


@dataclass
class EditorGuard:
    """The one check every write handler makes: :meth:`require` (or :meth:`check`)."""

    access: Access
    limiter: FailureLimiter = field(
        default_factory=lambda: FailureLimiter(WebConfig().failed_attempts, WebConfig().failed_window_s)
    )

    @property
    def mode(self) -> WriteMode:
        return self.access.mode

    @property
    def read_only(self) -> bool:
        return self.mode is WriteMode.READ_ONLY

    def client(self, request: gr.Request | None) -> Client:
        """The client of a Gradio request (see :func:`client_of`)."""
        peer = getattr(getattr(request, "client", None), "host", None)
        return client_of(peer, _request_headers(request), self.access.trusted_proxies)

    def check(self, token: str | None, client: Client) -> None:
        """Raise :class:`WriteRefused` unless a write with ``token`` from ``client`` is allowed."""
        mode = self.mode
        if mode is WriteMode.LOCAL:
            if client.local:
                return
            raise WriteRefused(
                "Only the local user may add or change articles on this server (no editor token is set), "
                "and this request came from elsewhere or through a proxy.",
                403,
            )
        if mode is WriteMode.READ_ONLY:
            raise WriteRefused(
                "This archive is read-only: the server was started without an editor credential, "
                "so articles cannot be added, deleted or changed here.",
                403,
            )
        wait = self.limiter.locked_for(client.address)
        if wait > 0:
            raise WriteRefused(f"Too many wrong editor tokens. Try again in {int(wait) + 1} seconds.", 429)
        expected = (self.access.editor_token or "").strip().encode("utf-8")
        given = (token or "").strip().encode("utf-8") if isinstance(token, str) else b""
        if not given:
            self.limiter.failed(client.address)  # (or empty tokens would be free guesses of nothing)
            raise WriteRefused("Adding or changing articles needs the editor token: enter it first.", 401)
        if not hmac.compare_digest(given, expected):
            self.limiter.failed(client.address)
            raise WriteRefused("Wrong editor token: nothing was changed.", 403)
        self.limiter.succeeded(client.address)

    def require(self, token: str | None, request: gr.Request | None) -> None:
        """In a Gradio write handler: raise ``gr.Error`` (shown to the user) unless allowed."""
        try:
            self.check(token, self.client(request))
        except WriteRefused as e:
            raise gr.Error(str(e), title="Not allowed", print_exception=False) from None

    def validation(self, token: str | None, request: gr.Request | None) -> dict[str, Any]:
        """For a Gradio event ``validator``: ``gr.validate`` for the token input.

        A validator runs before the job is queued, so a refused write gets HTTP 422 with
        the reason at ``/gradio_api/queue/join`` and ``/gradio_api/call/...``, and the page
        shows the reason by the token field. The handler still calls :meth:`require`
        itself: not every route runs validators.
        """
        try:
            self.check(token, self.client(request))
        except WriteRefused as e:
            return gr.validate(False, str(e))
        return gr.validate(True, "")


def read_token_file(path: Path) -> str:
    """The editor token: the first non-blank line of ``path``."""
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            return line.strip()
    raise ValueError(f"{path} holds no editor token")


def read_readers_file(path: Path) -> tuple[tuple[str, str], ...]:
    """``user:password`` lines (``#`` comments and blank lines ignored) for the reading login."""
    pairs = _pairs(Path(path).read_text(encoding="utf-8").splitlines(), path)
    if not pairs:
        raise ValueError(f"{path} holds no user:password line")
    return pairs


def _pairs(lines: Iterable[str], path: Path) -> tuple[tuple[str, str], ...]:
    pairs = []
    for n, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        user, sep, password = line.partition(":")
        if not sep or not user.strip() or not password:
            raise ValueError(f"{path}:{n}: expected user:password")
        pairs.append((user.strip(), password))
    return tuple(pairs)
