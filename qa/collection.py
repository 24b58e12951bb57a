"""Writing to the collection: the article store first, then the index derived from it.

Every write (build, add, update, remove) is one store transaction followed by the index
catching up with the store's change log. The index records the last store change it
holds, so if a write is killed between the two, the next write or :func:`open_engine`
finds the index behind the store and applies exactly the missing changes: the store and
the index always end up agreeing, holding all of a write or none of it. A missing,
corrupt or stale index is rebuilt from the store.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .config import Config
from .embedding import Embedder
from .engine import Engine, _checked_embedder, _info, _loaded_engine, load_engine
from .index import IndexBackend, IndexLayout, IndexLoadError, IndexMissingError, open_index
from .loading import LoadResult, NoArticlesError, load_articles
from .store import ArticleStore, default_store_location, open_store
from .types import Article, IndexInfo, SkippedFile

__all__ = [
    "StoreLike",
    "add_articles",
    "build_index",
    "compact",
    "list_articles",
    "open_engine",
    "rebuild_index",
    "remove_articles",
    "update_article",
]

StoreLike = str | Path | ArticleStore | None
"""An open store, a path or URL, or None for the default (``$QA_STORE`` or a file next to
the index: see :func:`qa.store.default_store_location`)."""

IndexLike = str | Path | IndexBackend
"""An index folder, a Milvus location (``milvus:///path/news.db``, ``http://host:19530``)
or an opened backend: see :func:`qa.index.open_index`."""

Log = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


@contextmanager
def _opened(store: StoreLike, index: IndexBackend) -> Iterator[ArticleStore]:
    """``store`` opened (and closed afterwards unless it came open)."""
    if isinstance(store, ArticleStore):
        yield store
        return
    opened = open_store(store if store is not None else default_store_location(index))
    try:
        yield opened
    finally:
        opened.close()


def _source_name(articles: object) -> str | None:
    return str(Path(articles).resolve()) if isinstance(articles, (str, Path)) else None


def _no_articles_message(source: object, loaded: LoadResult) -> str:
    why = "; ".join(f"{s.path}: {s.reason}" for s in loaded.skipped[:10])
    return f"no usable article in {source}" + (f" ({why})" if why else "")


# --- keeping the index in step with the store --------------------------------------------


def _rebuild(index: IndexBackend, store: ArticleStore, config: Config, *, progress: bool = False, source=None) -> IndexLayout:
    """A full build of the index from every stored article (caller holds the lock)."""
    seq = store.last_seq()
    articles = list(store.articles())
    if not articles:
        raise NoArticlesError(
            f"article store {store.location} holds no articles: add some with: qa-index add FILES --index {index}"
        )
    index.write_index(
        articles, Embedder(config.model), config, progress=progress, source=source, store_id=store.store_id,
        store_seq=seq,
    )  # fmt: skip
    return index.read_layout()


def _live_numbers(data: IndexLayout) -> dict[str, int]:
    return {data.articles[i]["id"]: i for i in data.live_articles()}


def _catch_up(index: IndexBackend, data: IndexLayout, store: ArticleStore, embedder: Embedder) -> IndexLayout:
    """Apply the store's changes after the index's ``store_seq`` as one incremental write."""
    seq = store.last_seq()
    changed = store.changed_since(data.state.store_seq or 0)
    if not changed and seq == data.state.store_seq:
        return data
    live = _live_numbers(data)
    remove = [live[i] for i in changed if i in live]
    add = store.get_many(changed)
    data = index.write_segment(data, add, embedder, remove=remove, store_seq=seq)
    if index.needs_compaction(data, data.config):
        data = _rebuild(index, store, data.config)
    return data


def _synced(index: IndexBackend, store: ArticleStore, log: Log = _quiet, config: Config | None = None) -> IndexLayout:
    """The index, brought in step with ``store`` (the caller holds the lock).

    Missing, corrupt, stale or built from another store: rebuilt from the store. Behind
    the store (a write was interrupted, or another index shares the store): caught up.
    """
    config = config or Config()
    try:
        data = index.read_layout()
        embedder = _embedder(data, index)
    except IndexMissingError:
        log(f"No index in {index}: building it from the article store {store.location} ...")
        return _rebuild(index, store, config)
    except IndexLoadError as e:
        log(f"The index in {index} cannot be used ({e}).\nRebuilding it from the article store {store.location} ...")
        model_config = config
        try:
            model_config = index.read_layout().config  # keep the model it was built with
        except IndexLoadError:
            pass
        return _rebuild(index, store, model_config)
    state = data.state
    if state.store_id != store.store_id and store.last_seq() == 0:
        return _adopt(index, data, store, log)
    if state.store_id != store.store_id:
        log(f"The index in {index} was not built from the article store {store.location}: rebuilding it ...")
        return _rebuild(index, store, data.config)
    last = store.last_seq()
    if state.store_seq == last:
        return data
    if state.store_seq is None or state.store_seq > last:
        log(f"The index in {index} does not match the article store {store.location}: rebuilding it ...")
        return _rebuild(index, store, data.config)
    changed = store.changed_since(state.store_seq)
    if len(changed) > max(1000, len(data.articles) // 2):
        return _rebuild(index, store, data.config)
    log(f"The index in {index} is {len(changed)} article change(s) behind the store: catching up ...")
    return _catch_up(index, data, store, embedder)


# --- the public operations ------------------------------------------------------------------


def build_index(
    articles: str | Path | Iterable[Article],
    index_dir: IndexLike = "embeddings",
    *,
    model: str | None = None,
    progress: bool = False,
    config: Config | None = None,
    store: StoreLike = None,
) -> IndexInfo:
    """Make ``articles`` the whole collection: the store then holds exactly them (identical
    texts once), and a fresh index of them replaces the old one atomically.

    ``articles`` is a file or folder of news files (see :mod:`qa.formats`) or an iterable
    of :class:`Article`. Unusable files are listed in the result's ``skipped``. Raises
    :class:`NoArticlesError`, changing nothing, if none is usable.
    """
    t0 = time.perf_counter()
    index = open_index(index_dir)
    config = config or Config()
    if model:
        config = config.with_(model=model)
    loaded = load_articles(articles, config=config)
    if not loaded.articles:
        raise NoArticlesError(_no_articles_message(articles, loaded), loaded.skipped)
    embedder = Embedder(config.model)
    with index.lock(), _opened(store, index) as db, db.writer():
        result = db.ingest(loaded.articles, replace_all=True)
        index.write_index(
            list(db.articles()), embedder, config, progress=progress, source=_source_name(articles),
            store_id=db.store_id, store_seq=result.seq,
        )  # fmt: skip
        data = index.read_layout()
    skipped = loaded.skipped + _duplicates(result.duplicates)
    return _info(data, location=index.location, seconds=round(time.perf_counter() - t0, 3), skipped=skipped, added=len(result.added))


def _duplicates(duplicates: list[tuple[Article, str]]) -> list[SkippedFile]:
    return [
        SkippedFile(a.metadata.get("origin") or a.id, f"duplicate of article {existing!r} (the same text is stored)")
        for a, existing in duplicates
    ]


def add_articles(
    articles: str | Path | Iterable[Article],
    index_dir: IndexLike = "embeddings",
    *,
    progress: bool = False,
    store: StoreLike = None,
    config: Config | None = None,
) -> IndexInfo:
    """Store ``articles`` and add them to the index incrementally (only they are embedded).

    Text already stored is not stored twice (listed in ``skipped``, naming the article it
    duplicates); an article whose URL is stored with other text updates that article in
    place (same id; counted in ``updated``). New ids that clash with stored ones are
    renamed ``id~2``... Raises :class:`NoArticlesError` if nothing is usable.
    """
    t0 = time.perf_counter()
    index = open_index(index_dir)
    with index.lock(), _opened(store, index) as db, db.writer():
        data = _synced(index, db, config=config)
        loaded = load_articles(articles, existing_ids=db.ids(), config=config or data.config)
        if not loaded.articles:
            raise NoArticlesError(_no_articles_message(articles, loaded), loaded.skipped)
        result = db.ingest(loaded.articles)
        data = _catch_up(index, data, db, _embedder(data, index))
    skipped = loaded.skipped + _duplicates(result.duplicates)
    return _info(
        data, location=index.location, seconds=round(time.perf_counter() - t0, 3), skipped=skipped, added=len(result.added),
        updated=len(result.updated),
    )  # fmt: skip


def remove_articles(ids: Iterable[str], index_dir: IndexLike = "embeddings", *, store: StoreLike = None) -> IndexInfo:
    """Delete articles by id from the store and the index (at once: no rebuild).

    The result counts them in ``removed``; unknown ids are listed in ``skipped``.
    """
    t0 = time.perf_counter()
    index = open_index(index_dir)
    with index.lock(), _opened(store, index) as db, db.writer():
        data = _synced(index, db)
        removed, unknown, _ = db.remove(ids)
        data = _catch_up(index, data, db, _embedder(data, index))
    return _info(
        data, location=index.location, seconds=round(time.perf_counter() - t0, 3), removed=len(removed),
        skipped=[SkippedFile(i, "no such article") for i in unknown],
    )  # fmt: skip


def update_article(
    article_id: str, index_dir: IndexLike = "embeddings", *, store: StoreLike = None, **changes: str | None
) -> Article:
    """Change a stored article's ``text``, ``title``, ``date``, ``author``, ``source`` or
    ``url``; the index drops its old passages and indexes the new version (same id).

    Raises KeyError for an unknown id, ValueError when the text or URL is another article's.
    """
    index = open_index(index_dir)
    with index.lock(), _opened(store, index) as db, db.writer():
        data = _synced(index, db)
        article, _ = db.update(article_id, **changes)
        _catch_up(index, data, db, _embedder(data, index))
    return article


def list_articles(
    index_dir: IndexLike = "embeddings",
    *,
    since: str | None = None,
    until: str | None = None,
    sources: Iterable[str] | None = None,
    store: StoreLike = None,
) -> list[Article]:
    """The stored articles (oldest added first), filtered by date range and source."""
    with _opened(store, open_index(index_dir)) as db:
        return list(db.articles(since=since, until=until, sources=sources))


def rebuild_index(
    index_dir: IndexLike = "embeddings", *, store: StoreLike = None, progress: bool = False, model: str | None = None
) -> IndexInfo:
    """Build the index afresh from every stored article (also a compaction: segments and
    removed articles are folded away). Keeps the index's model unless ``model`` is given."""
    t0 = time.perf_counter()
    index = open_index(index_dir)
    with index.lock(), _opened(store, index) as db, db.writer():
        try:
            config = index.read_layout().config
        except IndexLoadError:
            config = Config()
        if model:
            config = config.with_(model=model)
        data = _rebuild(index, db, config, progress=progress)
    return _info(data, location=index.location, seconds=round(time.perf_counter() - t0, 3), added=len(data.articles))


compact = rebuild_index


def open_engine(
    index_dir: IndexLike = "embeddings",
    *,
    store: StoreLike = None,
    seeds: str | Path | None = None,
    log: Log = _quiet,
) -> Engine:
    """Open the collection for answering: the store, and the index in step with it.

    A store that never held an article is first filled from ``seeds`` (or, for an index
    from before the article store, from that index's own articles). A missing, corrupt or
    stale index is rebuilt from the store; one that is behind it catches up. Raises
    :class:`qa.store.StoreError` (naming the file) when the store cannot be opened, and
    leaves the index untouched then.
    """
    index = open_index(index_dir)
    with index.lock(), _opened(store, index) as db, db.writer():
        if db.last_seq() == 0:
            _seed(index, db, seeds, log)
        layout = _synced(index, db, log)
        try:
            return _loaded_engine(index, layout)  # read under the lock just now: not read again
        except IndexLoadError as e:  # damaged inside a file of the right size: seen only on loading
            log(f"The index in {index} cannot be used ({e}).\nRebuilding it from the article store "
                f"{db.location} ...")  # fmt: skip
            _rebuild(index, db, layout.config)
    return load_engine(index)


def _adopt(index: IndexBackend, data: IndexLayout, store: ArticleStore, log: Log) -> IndexLayout:
    """Move the articles of an index into a store that never held any (an index from
    before the article store, or whose store file was lost): its uploads may live only
    there. The caller holds the lock."""
    full = index.read_index()
    articles = [full.article(i) for i in full.live_articles()]
    result = store.ingest(articles)
    log(f"Moved the {len(result.added)} articles of the index in {index} into the article store "
        f"{store.location}.")  # fmt: skip
    if result.duplicates:  # the index held the same text twice: the store keeps it once
        return _rebuild(index, store, data.config)
    index.bind_state(data, store.store_id, result.seq)
    return index.read_layout()


def _seed(index: IndexBackend, db: ArticleStore, seeds: str | Path | None, log: Log) -> None:
    """Fill a store that never held an article from ``seeds``, unless the index has
    articles of its own (then :func:`_synced` moves those into the store)."""
    try:
        if index.read_layout().live_articles():
            return
    except IndexLoadError:
        pass
    if seeds is None:
        return
    loaded = load_articles(seeds)
    if not loaded.articles:
        raise NoArticlesError(_no_articles_message(seeds, loaded), loaded.skipped)
    result = db.ingest(loaded.articles)
    log(f"Seeded the article store {db.location} with {len(result.added)} articles from {seeds}/.")
    for skipped in loaded.skipped:
        log(f"  skipped {skipped.path}: {skipped.reason}")


_EMBEDDERS: dict[tuple[str, float], Embedder] = {}


def _embedder(data: IndexLayout, index: IndexBackend) -> Embedder:
    """The index's model, checked against its fingerprint; loaded once per process for
    a model that has not changed on disk since."""
    name = data.manifest["model"]
    try:
        stamp = os.stat(name).st_mtime
    except OSError:
        stamp = 0.0
    embedder = _EMBEDDERS.get((name, stamp))
    if embedder is None or embedder.fingerprint != data.manifest["model_fingerprint"]:
        embedder = _checked_embedder(data, None, index.location)
        _EMBEDDERS[(name, stamp)] = embedder
    return embedder
