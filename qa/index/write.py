"""Writing an index: full builds published atomically, and incremental segments.

The caller holds :func:`build_lock`; every write ends with one atomic rename, so a
killed write leaves the previous index as it was.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ..chunking import Span, chunk
from ..config import Config
from ..embedding import Embedder
from ..filelock import file_lock
from ..text import terms
from ..types import Article
from .dense import _new_faiss_index, _train
from .layout import CURRENT, FORMAT_VERSION, IndexLayout, IndexState, SEGMENT_PREFIX, STATE, _FILES, _live
from .lexical import LexicalIndex
from .texts import _write_texts


def _embedding_input(title: str, passage: str) -> str:
    # The headline gives short passages their topic ("he said" -> who and what).
    return f"{title}\n{passage}"


def _chunk_articles(
    articles: list[Article], config: Config, first: int
) -> tuple[np.ndarray, list[str], dict[str, str]]:
    """Passage rows ``(article number, start, end)``, the embedder's inputs, and the
    articles that yield no passage with the reason: those are kept (listed, never
    searched) instead of failing the whole write, by their number among ``articles``."""
    rows: list[tuple[int, int, int]] = []
    inputs: list[str] = []
    unindexed: dict[str, str] = {}
    for i, article in enumerate(articles):
        try:
            start = article.body_start
            spans: list[Span] = chunk(
                article.text, start, max_chars=config.chunk_chars, overlap=config.chunk_overlap_sentences
            ) or (chunk(article.text, 0, max_chars=config.chunk_chars, overlap=config.chunk_overlap_sentences)
                  if start else [])  # fmt: skip
        except Exception as e:  # a record no check foresaw must not block every later write
            unindexed[str(i)] = f"its text could not be split into passages ({type(e).__name__}: {e})"
            continue
        if not spans:
            unindexed[str(i)] = "its text holds no passage to index (only white space)"
        for s, e in spans:
            rows.append((first + i, s, e))
            inputs.append(_embedding_input(article.title, article.text[s:e]))
    return np.array(rows, dtype=np.int64).reshape(-1, 3), inputs, unindexed


def _passage_terms(articles: list[Article], rows: np.ndarray) -> list[list[str]]:
    """Each passage's BM25 terms; a passage with none of its own (``!!!``, a stopword
    sentence) is found by its article's title (else its id: the file name) instead of
    holding no term at all."""
    out = []
    for a, s, e in rows:
        article = articles[int(a)]
        out.append(terms(article.text[int(s) : int(e)]) or terms(article.title) or terms(article.id))
    return out


def _write_articles(folder: Path, articles: list[Article], passages: np.ndarray) -> None:
    """What a build and a segment both hold: the texts, the article list, the passage spans."""
    _write_texts(folder, [a.text for a in articles])
    with open(folder / "articles.jsonl", "w", encoding="utf-8") as f:
        for a in articles:
            f.write(json.dumps(_article_meta(a), ensure_ascii=False) + "\n")
    np.save(folder / "passages.npy", passages)


def _article_meta(a: Article) -> dict:
    return {"id": a.id, "title": a.title, "date": a.date, "author": a.author, "source": a.source, "url": a.url,
            "metadata": a.metadata}  # fmt: skip


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb+") as f:
                os.fsync(f.fileno())
    _fsync_dir(folder)


def _private(folder: Path) -> None:
    """Files 0600 and folders 0700 under ``folder``: an index holds the archive's text."""
    for path in folder.rglob("*"):
        os.chmod(path, 0o700 if path.is_dir() else 0o600)
    os.chmod(folder, 0o700)


@contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """Hold the index folder's write lock: one build, add or removal at a time, across processes.

    A write reads the live version and replaces it or its state; two at once would drop
    one's articles, or delete the other's half-written folder. The lock is released by the
    operating system if the process dies.
    """
    index_dir = Path(index_dir)
    index_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    with file_lock(index_dir / ".lock"):
        yield


def _publish(index_dir: Path, version: Path) -> None:
    """Point CURRENT at ``version`` atomically, then remove the versions it replaced."""
    _fsync_tree(version)
    tmp = index_dir / f".{CURRENT}.{os.getpid()}.tmp"
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        f.write(version.name + "\n")
    os.replace(tmp, index_dir / CURRENT)
    _fsync_dir(index_dir)
    for old in index_dir.iterdir():
        if old.is_dir() and old.name.startswith("v-") and old != version:
            shutil.rmtree(old, ignore_errors=True)
    for stray in index_dir.glob(".build-*"):
        shutil.rmtree(stray, ignore_errors=True)


def _write_state(version: Path, state: IndexState) -> None:
    """Replace ``version/STATE.json`` atomically (a killed write leaves the old one)."""
    tmp = version / f".{STATE}.{os.getpid()}.tmp"
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as f:
        f.write(state.to_json())
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, version / STATE)
    _fsync_dir(version)


class _InBackground:
    """``fn(*args, **kwargs)`` on a daemon thread; :meth:`result` waits and re-raises its error."""

    def __init__(self, fn, *args, **kwargs) -> None:
        self._value = self._error = None

        def run() -> None:
            try:
                self._value = fn(*args, **kwargs)
            except BaseException as e:  # handed to the caller by result()
                self._error = e

        self._thread = threading.Thread(target=run, name="qa-index-embed", daemon=True)
        self._thread.start()

    def result(self):
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


def write_index(
    index_dir: Path,
    articles: list[Article],
    embedder: Embedder,
    config: Config,
    *,
    progress: bool = False,
    source: str | None = None,
    store_id: str | None = None,
    store_seq: int | None = None,
) -> Path:
    """Build a complete new index version of ``articles`` and publish it.

    ``store_id``/``store_seq`` record the article store (and its last change) the
    articles came from. The caller holds :func:`build_lock`.
    """
    import faiss

    index_dir = Path(index_dir)
    index_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    passages, inputs, unindexed = _chunk_articles(articles, config, 0)
    # The model (mostly native code) embeds on another thread while this one counts BM25.
    embedding = _InBackground(embedder.encode, inputs, progress=progress)
    passage_terms = _passage_terms(articles, passages)
    lexical = LexicalIndex.build(passage_terms)
    vectors = embedding.result()
    dense, kind = _new_faiss_index(config.faiss_index, embedder.dimension, len(passages), config)
    _train(dense, vectors)
    dense.add(vectors)

    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    building = Path(tempfile.mkdtemp(prefix=".build-", dir=index_dir))
    try:
        _write_articles(building, articles, passages)
        faiss.write_index(dense, str(building / "dense.faiss"))
        lexical.save(building / "bm25")
        files = {name: (building / name).stat().st_size for name in _FILES if name != "manifest.json"}
        files.update({f"bm25/{p.name}": p.stat().st_size for p in sorted((building / "bm25").iterdir())})
        manifest = {
            "format": FORMAT_VERSION,
            "model": embedder.name,
            "model_fingerprint": embedder.fingerprint,
            "dimension": embedder.dimension,
            "faiss_index": kind,
            "articles": len(articles),
            "passages": int(len(passages)),
            "unindexed": unindexed,
            "avg_terms": float(np.mean([len(t) for t in passage_terms])) if passage_terms else 0.0,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "source": source,
            "config": config.to_dict(),
            "files": files,
        }
        (building / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
        (building / STATE).write_text(IndexState(store_id=store_id, store_seq=store_seq).to_json())
        _private(building)
        version = index_dir / f"v-{stamp}-{os.urandom(3).hex()}"
        os.rename(building, version)
    except BaseException:  # a failed build leaves nothing behind (a killed one: see _publish)
        shutil.rmtree(building, ignore_errors=True)
        raise
    _publish(index_dir, version)
    return version


def write_segment(
    data: IndexLayout,
    articles: list[Article],
    embedder: Embedder,
    *,
    remove: Iterable[int] = (),
    store_seq: int | None = None,
) -> IndexLayout:
    """Add ``articles`` and remove the article numbers ``remove``, in one atomic step.

    The new articles go to a new segment folder inside the live version (only they are
    chunked and embedded; nothing else is rewritten), then ``STATE.json`` is replaced to
    list it, the removals and ``store_seq``. A write killed before that replacement
    leaves the index as it was. The caller holds :func:`build_lock` and ``data`` is the
    live version, freshly read under it. Returns the index's layout after the write.
    """
    version = data.path
    state = IndexState(list(data.state.segments), list(data.state.removed), data.state.store_id, data.state.store_seq)
    listed = {s["name"] for s in state.segments}
    for stray in version.iterdir():  # left by a write that was killed before it was listed
        if stray.name.startswith((SEGMENT_PREFIX, ".seg-")) and stray.name not in listed:
            shutil.rmtree(stray, ignore_errors=True)
    if articles:
        config = data.config
        rows, inputs, unindexed = _chunk_articles(articles, config, 0)
        vectors = embedder.encode(inputs)
        passage_terms = _passage_terms(articles, rows)
        name = f"{SEGMENT_PREFIX}{len(state.segments) + 1:06d}-{os.urandom(3).hex()}"
        building = Path(tempfile.mkdtemp(prefix=".seg-", dir=version))
        try:
            _write_articles(building, articles, rows)
            np.save(building / "vectors.npy", vectors.astype(np.float32))
            (building / "terms.json").write_text(json.dumps(passage_terms, ensure_ascii=False), encoding="utf-8")
            files = {p.name: p.stat().st_size for p in sorted(building.iterdir())}
            _private(building)
            # Not fsynced: the store is the durable copy. A segment damaged by a power loss
            # fails read_layout's size and count checks, and the index is rebuilt from the store.
            os.rename(building, version / name)
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
        state.segments.append({"name": name, "articles": len(articles), "passages": int(len(rows)), "files": files,
                               "unindexed": unindexed})  # fmt: skip
    state.removed = sorted(set(state.removed) | {int(i) for i in remove})
    if store_seq is not None:
        state.store_seq = store_seq
    _write_state(version, state)
    return _with_state(data, state, articles, rows if articles else None)


def _with_state(data: IndexLayout, state: IndexState, added: list[Article], rows: np.ndarray | None) -> IndexLayout:
    """``data`` after a write: ``added`` appended (their passage ``rows`` numbered from 0),
    ``state`` in force. What :func:`read_layout` would now read, without reading it."""
    articles = data.articles + [_article_meta(a) for a in added]
    passages = data.passages
    if rows is not None and len(rows):
        rows = np.array(rows, dtype=np.int64)
        rows[:, 0] += len(data.articles)
        passages = np.concatenate([np.asarray(passages), rows])
    return IndexLayout(data.path, data.manifest, articles, passages, state, _live(state, len(articles), passages))


def bind_state(data: IndexLayout, store_id: str, store_seq: int) -> None:
    """Record that ``data`` (the live version, under :func:`build_lock`) holds the store's
    changes up to ``store_seq``."""
    state = IndexState(list(data.state.segments), list(data.state.removed), store_id, store_seq)
    _write_state(data.path, state)
