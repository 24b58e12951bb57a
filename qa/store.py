"""The article store: every article's text and metadata, the source of truth.

The search index (:mod:`qa.index`) is derived from the store and can always be rebuilt
from it. The store is an embedded SQLite database by default (one file, WAL mode) or a
PostgreSQL database for a team (``postgresql://…``), chosen by one location string:

    articles.sqlite3                      a file path (SQLite)
    sqlite:///var/lib/qa/articles.db      the same, as a URL
    postgresql://user@host:5432/news      PostgreSQL (needs the ``psycopg`` package)

Every write is one transaction and appends to a change log (``changes``): an index
records the last change it holds, so after a crash it catches up with exactly the
writes the store committed (see :func:`qa.collection.open_engine`).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .dates import filter_range
from .errors import NotFoundError, StoreCorruptError, StoreError
from .filelock import file_lock
from .index import IndexBackend, open_index
from .validation import check_article
from .types import Article

__all__ = [
    "ArticleStore",
    "IngestResult",
    "StoreError",
    "StoreCorruptError",
    "content_hash",
    "default_store_location",
    "open_store",
]

SCHEMA_VERSION = 1
STORE_ENV = "QA_STORE"
"""Environment variable naming the store when ``--store`` is not given."""


_SCHEMA_LOCK, _WRITER_LOCK = 0x6172_7469_636C_6501, 0x6172_7469_636C_6502
"""PostgreSQL advisory lock keys ("article" + 1, 2): creating the schema; writing."""


def content_hash(text: str) -> str:
    """The identity of an article's content: its words, whitespace folded (SHA-256)."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def default_store_location(index_dir: str | Path | IndexBackend) -> str:
    """Where the store lives when none is named: ``$QA_STORE``, else beside the index: a
    file next to an index folder (``embeddings/`` -> ``embeddings.articles.sqlite3``) or a
    Milvus Lite file. An index on a Milvus server has none: raises :class:`StoreError`."""
    env = os.environ.get(STORE_ENV, "").strip()
    if env:
        return env
    index = open_index(index_dir)
    location = index.default_store()
    if location is None:
        raise StoreError(f"the index on {index} is shared: name the article store it is derived from "
                         f"(a PostgreSQL URL) with --store or ${STORE_ENV}")  # fmt: skip
    return location


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class IngestResult:
    """What a write did: new articles, articles updated in place (same URL, new text) with
    the previous version, and inputs not stored because their text is already stored."""

    added: list[Article] = field(default_factory=list)
    updated: list[Article] = field(default_factory=list)
    duplicates: list[tuple[Article, str]] = field(default_factory=list)
    """(the input, the id of the stored article it duplicates)."""
    seq: int = 0
    """The store's last change after this write."""


_COLUMNS = "id, url, title, date, author, source, text, content_hash, origin, metadata, added, updated"


class ArticleStore:
    """Articles in a SQL database (SQLite or PostgreSQL). Use :func:`open_store`.

    Methods are safe to call from several threads (one connection, serialised).
    """

    def __init__(self, location: str, conn: Any, dialect: str) -> None:
        self.location = location
        self._conn = conn
        self.dialect = dialect
        self._lock = threading.RLock()
        self.store_id = self._init_schema()

    # --- plumbing ------------------------------------------------------------------------

    def _sql(self, query: str) -> str:
        return query.replace("?", "%s") if self.dialect == "postgresql" else query

    def _execute(self, cur: Any, query: str, params: Sequence[Any] = ()) -> Any:
        cur.execute(self._sql(query), tuple(params))
        return cur

    def _fail(self, e: Exception) -> StoreError:
        what = "SQLite file" if self.dialect == "sqlite" else "database"
        message = str(e).splitlines()[0] if str(e) else type(e).__name__
        if type(e) is sqlite3.DatabaseError:  # "file is not a database", "malformed": not a lock or I/O error
            return StoreCorruptError(
                f"article store {self.location} is not a usable {what} ({message}); the index was left "
                f"untouched. Restore the file from a backup, or move it away to start an empty store."
            )
        return StoreError(f"article store {self.location}: {message}")

    class _Txn:
        def __init__(self, store: "ArticleStore") -> None:
            self.store = store

        def __enter__(self) -> Any:
            self.store._lock.acquire()
            try:
                self.cur = self.store._conn.cursor()
                if self.store.dialect == "sqlite":
                    self.cur.execute("BEGIN IMMEDIATE")
            except Exception as e:
                self.store._lock.release()
                raise self.store._fail(e) from e
            return self.cur

        def __exit__(self, kind, error, tb) -> None:
            try:
                if kind is None:
                    try:
                        self.store._conn.commit()
                    except Exception as e:  # (disk full, a lost server): a StoreError like any other
                        if not _is_db_error(e):
                            raise
                        try:
                            self.store._conn.rollback()
                        except Exception:
                            pass
                        raise self.store._fail(e) from e
                else:
                    self.store._conn.rollback()
            finally:
                self.cur.close()
                self.store._lock.release()
            if error is not None and _is_db_error(error):
                raise self.store._fail(error) from error

    def _txn(self) -> "_Txn":
        """One transaction: committed on success, rolled back on any error."""
        return ArticleStore._Txn(self)

    def _init_schema(self) -> str:
        if self.dialect == "sqlite":  # an existing store: read, without a write transaction
            try:
                rows = dict(self._query("SELECT key, value FROM store_info"))
            except StoreCorruptError:
                raise
            except StoreError:
                rows = {}
            if rows.get("store_id"):
                return self._checked(rows)
        serial = "BIGSERIAL PRIMARY KEY" if self.dialect == "postgresql" else "INTEGER PRIMARY KEY AUTOINCREMENT"
        with self._txn() as cur:
            if self.dialect == "postgresql":  # replicas starting together: one creates the schema
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
            for ddl in (
                "CREATE TABLE IF NOT EXISTS store_info (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
                "CREATE TABLE IF NOT EXISTS articles (id TEXT PRIMARY KEY, url TEXT, title TEXT NOT NULL, "
                "date TEXT, author TEXT, source TEXT, text TEXT NOT NULL, content_hash TEXT NOT NULL, "
                "origin TEXT, metadata TEXT NOT NULL, added TEXT NOT NULL, updated TEXT NOT NULL, "
                "ord BIGINT NOT NULL)",
                "CREATE UNIQUE INDEX IF NOT EXISTS articles_hash ON articles (content_hash)",
                "CREATE UNIQUE INDEX IF NOT EXISTS articles_url ON articles (url) WHERE url IS NOT NULL",
                "CREATE INDEX IF NOT EXISTS articles_date ON articles (date)",
                "CREATE INDEX IF NOT EXISTS articles_ord ON articles (ord)",
                f"CREATE TABLE IF NOT EXISTS changes (seq {serial}, article_id TEXT NOT NULL, "
                "op TEXT NOT NULL, at TEXT NOT NULL)",
            ):
                cur.execute(ddl)
            rows = dict(self._execute(cur, "SELECT key, value FROM store_info").fetchall())
            if not rows:
                store_id = uuid.uuid4().hex
                for key, value in (("store_id", store_id), ("schema", str(SCHEMA_VERSION))):
                    self._execute(cur, "INSERT INTO store_info (key, value) VALUES (?, ?)", (key, value))
                return store_id
        return self._checked(rows)

    @contextmanager
    def writer(self) -> Iterator[None]:
        """Hold the store's writer lock: one write (with the index catching up after it) at
        a time among every process using this store, however many indexes follow it.
        PostgreSQL: a session advisory lock; SQLite: a lock file beside the database."""
        if self.dialect == "sqlite":
            with file_lock(f"{self.location}.lock"):
                yield
            return
        with self._txn() as cur:
            cur.execute("SELECT pg_advisory_lock(%s)", (_WRITER_LOCK,))
        try:
            yield
        finally:
            with self._txn() as cur:
                cur.execute("SELECT pg_advisory_unlock(%s)", (_WRITER_LOCK,))

    def _checked(self, rows: dict[str, str]) -> str:
        if rows.get("schema") != str(SCHEMA_VERSION):
            raise StoreError(
                f"article store {self.location} has schema {rows.get('schema')}, this version reads {SCHEMA_VERSION}"
            )
        return rows["store_id"]

    def _query(self, query: str, params: Sequence[Any] = ()) -> list[tuple]:
        with self._lock:
            cur = self._conn.cursor()
            try:
                rows = self._execute(cur, query, params).fetchall()
                if self.dialect == "postgresql":
                    self._conn.commit()  # end the implicit read transaction
                return rows
            except Exception as e:
                if self.dialect == "postgresql":
                    self._conn.rollback()
                if _is_db_error(e):
                    raise self._fail(e) from e
                raise
            finally:
                cur.close()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> "ArticleStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- reading -------------------------------------------------------------------------

    @staticmethod
    def _article(row: tuple) -> Article:
        id_, url, title, date, author, source, text, _hash, origin, metadata, added, updated = row
        meta = json.loads(metadata)
        meta.update(origin=origin, added=added, updated=updated)
        return Article(id=id_, title=title, text=text, date=date, author=author, source=source, url=url, metadata=meta)

    def count(self) -> int:
        return int(self._query("SELECT COUNT(*) FROM articles")[0][0])

    def last_seq(self) -> int:
        """The number of the last committed change (0 for a new store)."""
        return int(self._query("SELECT COALESCE(MAX(seq), 0) FROM changes")[0][0])

    def ids(self) -> list[str]:
        return [r[0] for r in self._query("SELECT id FROM articles ORDER BY id")]

    def get(self, article_id: str) -> Article | None:
        rows = self._query(f"SELECT {_COLUMNS} FROM articles WHERE id = ?", (article_id,))
        return self._article(rows[0]) if rows else None

    def get_many(self, ids: Iterable[str]) -> list[Article]:
        """The stored articles among ``ids`` (unknown ids are left out), in ``ids`` order."""
        out = []
        for article_id in dict.fromkeys(ids):
            article = self.get(article_id)
            if article is not None:
                out.append(article)
        return out

    def articles(
        self, *, since: str | None = None, until: str | None = None, sources: Iterable[str] | None = None
    ) -> Iterator[Article]:
        """Stored articles in the order they were first added, optionally filtered.

        ``since``/``until`` compare ISO dates (inclusive; an article with no date is left
        out when either is given); ``sources`` keeps articles whose source is one of them.
        """
        where, params = _filters(since, until, sources)
        rows = self._query(f"SELECT {_COLUMNS} FROM articles{where} ORDER BY ord", params)
        return (self._article(r) for r in rows)

    def sources(self) -> list[str]:
        """Every distinct source (publisher) in the store, sorted."""
        return [r[0] for r in self._query("SELECT DISTINCT source FROM articles WHERE source IS NOT NULL ORDER BY source")]

    def changed_since(self, seq: int) -> list[str]:
        """Ids of the articles added, updated or removed after change ``seq``, in order."""
        rows = self._query("SELECT article_id FROM changes WHERE seq > ? ORDER BY seq", (seq,))
        return list(dict.fromkeys(r[0] for r in rows))

    # --- writing -------------------------------------------------------------------------

    def _log(self, cur: Any, article_id: str, op: str) -> None:
        self._execute(cur, "INSERT INTO changes (article_id, op, at) VALUES (?, ?, ?)", (article_id, op, _now()))

    def _max_seq(self, cur: Any) -> int:
        return int(self._execute(cur, "SELECT COALESCE(MAX(seq), 0) FROM changes").fetchone()[0])

    def _insert(self, cur: Any, article: Article, digest: str, origin: str | None, when: str) -> None:
        order = int(self._execute(cur, "SELECT COALESCE(MAX(ord), 0) + 1 FROM articles").fetchone()[0])
        self._execute(
            cur,
            f"INSERT INTO articles ({_COLUMNS}, ord) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (article.id, article.url, article.title, article.date, article.author, article.source, article.text,
             digest, origin, _meta_json(article), when, when, order),
        )  # fmt: skip
        self._log(cur, article.id, "add")

    def ingest(self, articles: Iterable[Article], *, replace_all: bool = False) -> IngestResult:
        """Store ``articles`` in one transaction.

        Text already stored (same content hash) is not stored again: it is listed in
        ``duplicates`` with the id it duplicates. An article whose URL is stored with other
        text replaces that article in place (same id) and is listed in ``updated``.
        ``replace_all`` first removes every stored article (``qa-index build``).
        """
        result = IngestResult()
        with self._txn() as cur:
            if replace_all:
                for (article_id,) in self._execute(cur, "SELECT id FROM articles").fetchall():
                    self._log(cur, article_id, "remove")
                self._execute(cur, "DELETE FROM articles")
            for article in articles:
                article = check_article(article)  # nothing the index cannot use is committed
                digest = content_hash(article.text)
                origin = article.metadata.get("origin")
                row = self._execute(cur, "SELECT id FROM articles WHERE content_hash = ?", (digest,)).fetchone()
                if row:
                    result.duplicates.append((article, row[0]))
                    continue
                when = _now()
                row = (
                    self._execute(cur, "SELECT id, added FROM articles WHERE url = ?", (article.url,)).fetchone()
                    if article.url
                    else None
                )
                if row:
                    same_id = replace(article, id=row[0])
                    self._execute(
                        cur,
                        "UPDATE articles SET title = ?, date = ?, author = ?, source = ?, text = ?, "
                        "content_hash = ?, origin = ?, metadata = ?, updated = ? WHERE id = ?",
                        (same_id.title, same_id.date, same_id.author, same_id.source, same_id.text, digest, origin,
                         _meta_json(same_id), when, row[0]),
                    )  # fmt: skip
                    self._log(cur, row[0], "update")
                    result.updated.append(same_id)
                    continue
                if self._execute(cur, "SELECT 1 FROM articles WHERE id = ?", (article.id,)).fetchone():
                    raise ValueError(f"article id {article.id!r} is already stored")
                self._insert(cur, article, digest, origin, when)
                result.added.append(article)
            result.seq = self._max_seq(cur)
        return result

    def update(self, article_id: str, **changes: Any) -> tuple[Article, int]:
        """Change fields of a stored article (``text``, ``title``, ``date``, ``author``,
        ``source``, ``url``); returns the new version and the store's last change.

        Raises KeyError for an unknown id, ValueError if the new text or URL is another
        article's.
        """
        allowed = {"text", "title", "date", "author", "source", "url"}
        unknown = set(changes) - allowed
        if unknown:
            raise TypeError(f"cannot update {', '.join(sorted(unknown))}: only {', '.join(sorted(allowed))}")
        with self._txn() as cur:
            rows = self._execute(cur, f"SELECT {_COLUMNS} FROM articles WHERE id = ?", (article_id,)).fetchall()
            if not rows:
                raise NotFoundError(f"no article with id {article_id!r}")
            old = self._article(rows[0])
            new = replace(old, **changes)
            if "text" in changes and new.body_start != new.metadata.get("body_start", 0):  # not an offset of the new text
                new = replace(new, metadata={k: v for k, v in new.metadata.items() if k != "body_start"})
            new = check_article(new)
            digest = content_hash(new.text)
            other = self._execute(
                cur, "SELECT id FROM articles WHERE content_hash = ? AND id <> ?", (digest, article_id)
            ).fetchone()
            if other:
                raise ValueError(f"that text is already stored as article {other[0]!r}")
            if new.url:
                other = self._execute(
                    cur, "SELECT id FROM articles WHERE url = ? AND id <> ?", (new.url, article_id)
                ).fetchone()
                if other:
                    raise ValueError(f"URL {new.url} belongs to article {other[0]!r}")
            when = _now()
            self._execute(
                cur,
                "UPDATE articles SET url = ?, title = ?, date = ?, author = ?, source = ?, text = ?, "
                "content_hash = ?, metadata = ?, updated = ? WHERE id = ?",
                (new.url, new.title, new.date, new.author, new.source, new.text, digest, _meta_json(new), when,
                 article_id),
            )  # fmt: skip
            self._log(cur, article_id, "update")
            seq = self._max_seq(cur)
        return self.get(article_id) or new, seq

    def remove(self, ids: Iterable[str]) -> tuple[list[str], list[str], int]:
        """Delete articles by id in one transaction: (removed, unknown, last change)."""
        removed, unknown = [], []
        with self._txn() as cur:
            for article_id in dict.fromkeys(ids):
                if self._execute(cur, "SELECT 1 FROM articles WHERE id = ?", (article_id,)).fetchone():
                    self._execute(cur, "DELETE FROM articles WHERE id = ?", (article_id,))
                    self._log(cur, article_id, "remove")
                    removed.append(article_id)
                else:
                    unknown.append(article_id)
            seq = self._max_seq(cur)
        return removed, unknown, seq


_META_SKIP = {"origin", "added", "updated"}


def _meta_json(article: Article) -> str:
    return json.dumps({k: v for k, v in article.metadata.items() if k not in _META_SKIP}, ensure_ascii=False)


_ISO_DAY = "____-__-__%"
"""LIKE pattern of a stored ISO date: one stored as free text before dates were checked
matches no date filter. (A parameter: psycopg reads a literal % as a placeholder.)"""


def _filters(since: object, until: object, sources: Iterable[str] | None) -> tuple[str, list[Any]]:
    clauses, params = [], []
    since, until = filter_range(since, until)
    if since:
        clauses.append("date LIKE ? AND substr(date, 1, 10) >= ?")
        params += [_ISO_DAY, since]
    if until:
        clauses.append("date LIKE ? AND substr(date, 1, 10) <= ?")
        params += [_ISO_DAY, until]
    sources = [s for s in (sources or []) if s]
    if sources:
        clauses.append(f"source IN ({', '.join('?' for _ in sources)})")
        params.extend(sources)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def _is_db_error(e: BaseException) -> bool:
    if isinstance(e, sqlite3.Error):
        return True
    try:
        import psycopg
    except ImportError:
        return False
    return isinstance(e, psycopg.Error)


class _Autocommit:
    """sqlite3 in autocommit mode with explicit BEGIN; commit/rollback end it."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._c = conn

    def cursor(self) -> sqlite3.Cursor:
        return self._c.cursor()

    def commit(self) -> None:
        if self._c.in_transaction:
            self._c.execute("COMMIT")

    def rollback(self) -> None:
        if self._c.in_transaction:
            self._c.execute("ROLLBACK")

    def close(self) -> None:
        self._c.close()


def open_store(location: str | Path) -> ArticleStore:
    """Open (creating if need be) the store at a path or URL (see the module docstring).

    Raises :class:`StoreCorruptError` naming a damaged SQLite file, :class:`StoreError`
    for anything else that keeps the store from opening.
    """
    location = str(location)
    if location.startswith(("postgresql://", "postgres://")):
        return _open_postgresql(location)
    path = Path(location.removeprefix("sqlite:///") if location.startswith("sqlite:///") else location)
    if location.startswith("sqlite://") and not location.startswith("sqlite:///"):
        raise StoreError(f"unsupported store URL {location!r}: use sqlite:///PATH or postgresql://...")
    if "://" in location and not location.startswith("sqlite:///"):
        raise StoreError(f"unsupported store URL {location!r}: use a file path, sqlite:///PATH or postgresql://...")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        if not path.exists():  # the archive: readable by its owner only (its -wal/-shm files follow)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        conn = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
    except sqlite3.DatabaseError as e:
        kind = StoreCorruptError if type(e) is sqlite3.DatabaseError else StoreError
        raise kind(
            f"article store {path} is not a usable SQLite file ({e}); the index was left untouched. "
            "Restore the file from a backup, or move it away to start an empty store."
        ) from e

    return ArticleStore(str(path), _Autocommit(conn), "sqlite")


def _open_postgresql(url: str) -> ArticleStore:
    try:
        import psycopg
    except ImportError as e:
        raise StoreError("a postgresql:// store needs the psycopg package (pip install 'psycopg[binary]')") from e
    try:
        conn = psycopg.connect(url, connect_timeout=10)
    except psycopg.Error as e:
        raise StoreError(f"cannot connect to article store {_redact(url)}: {str(e).splitlines()[0]}") from e
    return ArticleStore(_redact(url), conn, "postgresql")


def _redact(url: str) -> str:
    """The URL without its password, for messages."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url
