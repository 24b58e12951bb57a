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
from .engine import Engine, _checked_embedder, _info, load_engine
from .index import (
    IndexLayout,
    IndexLoadError,
    IndexMissingError,
    bind_state,
    build_lock,
    read_index,
    read_layout,
    write_index,
    write_segment,
)
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

Log = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


@contextmanager
def _opened(store: StoreLike, index_dir: Path) -> Iterator[ArticleStore]:
    """``store`` opened (and closed afterwards unless it came open)."""
    if isinstance(store, ArticleStore):
        yield store
        return
    opened = open_store(store if store is not None else default_store_location(index_dir))
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


def _rebuild(index_dir: Path, store: ArticleStore, config: Config, *, progress: bool = False, source=None) -> IndexLayout:
    """A full build of the index from every stored article (caller holds the lock)."""
    seq = store.last_seq()
    articles = list(store.articles())
    if not articles:
        raise NoArticlesError(
            f"article store {store.location} holds no articles: add some with: qa-index add FILES --index {index_dir}"
        )
    write_index(
        index_dir, articles, Embedder(config.model), config, progress=progress, source=source,
        store_id=store.store_id, store_seq=seq,
    )  # fmt: skip
    return read_layout(index_dir)


def _live_numbers(data: IndexLayout) -> dict[str, int]:
    return {data.articles[i]["id"]: i for i in data.live_articles()}


def _needs_compaction(data: IndexLayout, config: Config) -> bool:
    removed = 0 if data.live is None else int(len(data.live) - data.live.sum())
    churn = data.segment_passages + removed
    total = max(1, len(data.passages))
    return len(data.state.segments) > config.compact_segments or (
        churn > config.compact_min_passages and churn > config.compact_share * total
    )


def _catch_up(index_dir: Path, data: IndexLayout, store: ArticleStore, embedder: Embedder) -> IndexLayout:
    """Apply the store's changes after the index's ``store_seq`` as one incremental write."""
    seq = store.last_seq()
    changed = store.changed_since(data.state.store_seq or 0)
    if not changed and seq == data.state.store_seq:
        return data
    live = _live_numbers(data)
    remove = [live[i] for i in changed if i in live]
    add = store.get_many(changed)
    data = write_segment(data, add, embedder, remove=remove, store_seq=seq)
    if _needs_compaction(data, data.config):
        data = _rebuild(index_dir, store, data.config)
    return data


def _synced(index_dir: Path, store: ArticleStore, log: Log = _quiet, config: Config | None = None) -> IndexLayout:
    """The index in ``index_dir``, brought in step with ``store`` (the caller holds the lock).

    Missing, corrupt, stale or built from another store: rebuilt from the store. Behind
    the store (a write was interrupted, or another index shares the store): caught up.
    """
    config = config or Config()
    try:
        data = read_layout(index_dir)
        embedder = _embedder(data)
    except IndexMissingError:
        log(f"No index in {index_dir}/: building it from the article store {store.location} ...")
        return _rebuild(index_dir, store, config)
    except IndexLoadError as e:
        log(f"The index in {index_dir}/ cannot be used ({e}).\nRebuilding it from the article store {store.location} ...")
        model_config = config
        try:
            model_config = read_layout(index_dir).config  # keep the model it was built with
        except IndexLoadError:
            pass
        return _rebuild(index_dir, store, model_config)
    state = data.state
    if state.store_id != store.store_id and store.last_seq() == 0:
        return _adopt(data, store, log)
    if state.store_id != store.store_id:
        log(f"The index in {index_dir}/ was not built from the article store {store.location}: rebuilding it ...")
        return _rebuild(index_dir, store, data.config)
    last = store.last_seq()
    if state.store_seq == last:
        return data
    if state.store_seq is None or state.store_seq > last:
        log(f"The index in {index_dir}/ does not match the article store {store.location}: rebuilding it ...")
        return _rebuild(index_dir, store, data.config)
    changed = store.changed_since(state.store_seq)
    if len(changed) > max(1000, len(data.articles) // 2):
        return _rebuild(index_dir, store, data.config)
    log(f"The index in {index_dir}/ is {len(changed)} article change(s) behind the store: catching up ...")
    return _catch_up(index_dir, data, store, embedder)


# --- the public operations ------------------------------------------------------------------


def build_index(
    articles: str | Path | Iterable[Article],
    index_dir: str | Path = "embeddings",
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
    index_dir = Path(index_dir)
    config = config or Config()
    if model:
        config = config.with_(model=model)
    loaded = load_articles(articles, config=config)
    if not loaded.articles:
        raise NoArticlesError(_no_articles_message(articles, loaded), loaded.skipped)
    embedder = Embedder(config.model)
    with build_lock(index_dir), _opened(store, index_dir) as db:
        result = db.ingest(loaded.articles, replace_all=True)
        write_index(
            index_dir, list(db.articles()), embedder, config, progress=progress, source=_source_name(articles),
            store_id=db.store_id, store_seq=result.seq,
        )  # fmt: skip
        data = read_layout(index_dir)
    skipped = loaded.skipped + _duplicates(result.duplicates)
    return _info(data, seconds=round(time.perf_counter() - t0, 3), skipped=skipped, added=len(result.added))


def _duplicates(duplicates: list[tuple[Article, str]]) -> list[SkippedFile]:
    return [
        SkippedFile(a.metadata.get("origin") or a.id, f"duplicate of article {existing!r} (the same text is stored)")
        for a, existing in duplicates
    ]


def add_articles(
    articles: str | Path | Iterable[Article],
    index_dir: str | Path = "embeddings",
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
    index_dir = Path(index_dir)
    with build_lock(index_dir), _opened(store, index_dir) as db:
        data = _synced(index_dir, db, config=config)
        loaded = load_articles(articles, existing_ids=db.ids(), config=config or data.config)
        if not loaded.articles:
            raise NoArticlesError(_no_articles_message(articles, loaded), loaded.skipped)
        result = db.ingest(loaded.articles)
        data = _catch_up(index_dir, data, db, _embedder(data))
    skipped = loaded.skipped + _duplicates(result.duplicates)
    return _info(
        data, seconds=round(time.perf_counter() - t0, 3), skipped=skipped, added=len(result.added),
        updated=len(result.updated),
    )  # fmt: skip


def remove_articles(ids: Iterable[str], index_dir: str | Path = "embeddings", *, store: StoreLike = None) -> IndexInfo:
    """Delete articles by id from the store and the index (at once: no rebuild).

    The result counts them in ``removed``; unknown ids are listed in ``skipped``.
    """
    t0 = time.perf_counter()
    index_dir = Path(index_dir)
    with build_lock(index_dir), _opened(store, index_dir) as db:
        data = _synced(index_dir, db)
        removed, unknown, _ = db.remove(ids)
        data = _catch_up(index_dir, data, db, _embedder(data))
    return _info(
        data, seconds=round(time.perf_counter() - t0, 3), removed=len(removed),
        skipped=[SkippedFile(i, "no such article") for i in unknown],
    )  # fmt: skip


def update_article(
    article_id: str, index_dir: str | Path = "embeddings", *, store: StoreLike = None, **changes: str | None
) -> Article:
    """Change a stored article's ``text``, ``title``, ``date``, ``author``, ``source`` or
    ``url``; the index drops its old passages and indexes the new version (same id).

    Raises KeyError for an unknown id, ValueError when the text or URL is another article's.
    """
    index_dir = Path(index_dir)
    with build_lock(index_dir), _opened(store, index_dir) as db:
        data = _synced(index_dir, db)
        article, _ = db.update(article_id, **changes)
        _catch_up(index_dir, data, db, _embedder(data))
    return article


def list_articles(
    index_dir: str | Path = "embeddings",
    *,
    since: str | None = None,
    until: str | None = None,
    sources: Iterable[str] | None = None,
    store: StoreLike = None,
) -> list[Article]:
    """The stored articles (oldest added first), filtered by date range and source."""
    with _opened(store, Path(index_dir)) as db:
        return list(db.articles(since=since, until=until, sources=sources))


def rebuild_index(
    index_dir: str | Path = "embeddings", *, store: StoreLike = None, progress: bool = False, model: str | None = None
) -> IndexInfo:
    """Build the index afresh from every stored article (also a compaction: segments and
    removed articles are folded away). Keeps the index's model unless ``model`` is given."""
    t0 = time.perf_counter()
    index_dir = Path(index_dir)
    with build_lock(index_dir), _opened(store, index_dir) as db:
        try:
            config = read_layout(index_dir).config
        except IndexLoadError:
            config = Config()
        if model:
            config = config.with_(model=model)
        data = _rebuild(index_dir, db, config, progress=progress)
    return _info(data, seconds=round(time.perf_counter() - t0, 3), added=len(data.articles))


compact = rebuild_index


def open_engine(
    index_dir: str | Path = "embeddings",
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
    index_dir = Path(index_dir)
    with build_lock(index_dir), _opened(store, index_dir) as db:
        if db.last_seq() == 0:
            _seed(index_dir, db, seeds, log)
        layout = _synced(index_dir, db, log)
        try:
            return load_engine(index_dir)
        except IndexLoadError as e:  # damaged inside a file of the right size: seen only on loading
            log(f"The index in {index_dir}/ cannot be used ({e}).\nRebuilding it from the article store "
                f"{db.location} ...")  # fmt: skip
            _rebuild(index_dir, db, layout.config)
    return load_engine(index_dir)


def _adopt(data: IndexLayout, store: ArticleStore, log: Log) -> IndexLayout:
    """Move the articles of an index into a store that never held any (an index from
    before the article store, or whose store file was lost): its uploads may live only
    there. The caller holds the lock."""
    full = read_index(data.path.parent)
    articles = [full.article(i) for i in full.live_articles()]
    result = store.ingest(articles)
    log(f"Moved the {len(result.added)} articles of the index in {data.path.parent}/ into the article store "
        f"{store.location}.")  # fmt: skip
    if result.duplicates:  # the index held the same text twice: the store keeps it once
        return _rebuild(data.path.parent, store, data.config)
    bind_state(data, store.store_id, result.seq)
    return read_layout(data.path.parent)


def _seed(index_dir: Path, db: ArticleStore, seeds: str | Path | None, log: Log) -> None:
    """Fill a store that never held an article from ``seeds``, unless the index has
    articles of its own (then :func:`_synced` moves those into the store)."""
    try:
        if read_layout(index_dir).live_articles():
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


def _embedder(data: IndexLayout) -> Embedder:
    """The index's model, checked against its fingerprint; loaded once per process for
    a model that has not changed on disk since."""
    name = data.manifest["model"]
    try:
        stamp = os.stat(name).st_mtime
    except OSError:
        stamp = 0.0
    embedder = _EMBEDDERS.get((name, stamp))
    if embedder is None or embedder.fingerprint != data.manifest["model_fingerprint"]:
        embedder = _checked_embedder(data, None)
        _EMBEDDERS[(name, stamp)] = embedder
    return embedder
