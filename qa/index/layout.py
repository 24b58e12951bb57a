"""Reading an index folder: its live version, manifest, state and files, checked.

Every failure inside the files is an :class:`~qa.errors.IndexCorruptError`, so that the
caller rebuilds the index from the store instead of failing on every start.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np

from ..config import Config
from ..errors import IndexCorruptError, IndexLoadError, IndexMissingError, IndexStaleError
from ..types import Article
from .interface import DenseSearch, LexicalSearch, TextLookup
from .dense import DenseIndex, _read_faiss, _set_search_params
from .lexical import Lexical, LexicalIndex, _SegmentLexical
from .texts import TextStore, Texts, open_bytes


_T = TypeVar("_T")


FORMAT_VERSION = 1


CURRENT = "CURRENT"


STATE = "STATE.json"


SEGMENT_PREFIX = "seg-"


_FILES = ("manifest.json", "articles.jsonl", "texts.bin", "text_offsets.npy", "passages.npy", "dense.faiss")


def rebuild_hint(index_dir: Path) -> str:
    return f"rebuild it with: qa-index build SOURCE --index {index_dir}"


@dataclass
class IndexState:
    """What changed since the build (``STATE.json``, replaced atomically on every write).

    ``segments`` were added in order after the build; ``removed`` holds the numbers of
    articles deleted or replaced since; ``store_id``/``store_seq`` say which article store
    the index is derived from and the last change of it that the index holds.
    """

    segments: list[dict] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    store_id: str | None = None
    store_seq: int | None = None

    def to_json(self) -> str:
        return json.dumps(
            {"segments": self.segments, "removed": sorted(set(self.removed)), "store_id": self.store_id,
             "store_seq": self.store_seq},
            indent=1,
        )  # fmt: skip


@dataclass
class IndexLayout:
    """What an index holds, without its search structures: enough to write to it.

    Article and passage numbers run over the build and then each segment. Removed
    articles stay in ``articles`` (numbers never shift) but are off in ``live``.
    """

    path: Path
    manifest: dict
    articles: list[dict]
    passages: np.ndarray
    state: IndexState = field(default_factory=IndexState)
    live: np.ndarray | None = None
    """One bool per passage: False for passages of removed articles (None: none removed)."""

    @property
    def config(self) -> Config:
        return Config.from_dict(self.manifest["config"])

    @property
    def removed(self) -> set[int]:
        return set(self.state.removed)

    def live_articles(self) -> list[int]:
        """Numbers of the articles that are not removed, in index order."""
        removed = self.removed
        return [i for i in range(len(self.articles)) if i not in removed]

    @property
    def live_passages(self) -> int:
        return int(len(self.passages) if self.live is None else self.live.sum())

    @property
    def segment_passages(self) -> int:
        return sum(int(s["passages"]) for s in self.state.segments)

    def unindexed(self) -> dict[str, str]:
        """Live articles that are stored but yield no passage, by id, with the reason."""
        found, first = {}, 0
        for part in [self.manifest, *self.state.segments]:  # numbered within each part
            found.update({first + int(n): why for n, why in (part.get("unindexed") or {}).items()})
            first += int(part["articles"])
        removed = self.removed
        return {self.articles[n]["id"]: why for n, why in sorted(found.items()) if n not in removed}


@dataclass(kw_only=True)
class IndexData(IndexLayout):
    """A loaded index: its layout plus texts and the dense and lexical search structures.
    Read-only once loaded."""

    texts: TextLookup
    dense: DenseSearch
    lexical: LexicalSearch

    def article_number(self, article_id: str) -> int | None:
        """The number of the live article with this id (after an update in place, the new
        version's); None if there is none."""
        return self._numbers.get(article_id)

    @functools.cached_property
    def _numbers(self) -> dict[str, int]:
        return {self.articles[i]["id"]: i for i in self.live_articles()}

    def article(self, i: int) -> Article:
        meta = self.articles[i]
        return Article(
            id=meta["id"],
            title=meta["title"],
            text=self.texts[i],
            date=meta.get("date"),
            author=meta.get("author"),
            source=meta.get("source"),
            url=meta.get("url"),
            metadata=meta.get("metadata", {}),
        )


def resolve_version(index_dir: Path) -> Path:
    """The live version folder of ``index_dir`` (or ``index_dir`` itself if it is one)."""
    index_dir = Path(index_dir)
    if (index_dir / "manifest.json").exists():
        return index_dir
    pointer = index_dir / CURRENT
    if not pointer.exists():
        raise IndexMissingError(f"no index in {index_dir}: build one with: qa-index build SOURCE --index {index_dir}")
    name = pointer.read_text(encoding="utf-8", errors="replace").strip()
    version = index_dir / name
    if not name or not version.is_dir():
        raise IndexCorruptError(f"{pointer} points to {name!r}, which is missing; {rebuild_hint(index_dir)}")
    if not (version / "manifest.json").exists():
        raise IndexCorruptError(f"index file {version / 'manifest.json'} is missing; {rebuild_hint(index_dir)}")
    return version


def _live(state: IndexState, n_articles: int, passages: np.ndarray) -> np.ndarray | None:
    if not state.removed:
        return None
    removed = np.zeros(n_articles, dtype=bool)
    removed[[i for i in state.removed if 0 <= i < n_articles]] = True
    return ~removed[np.asarray(passages[:, 0])]


def _damaged_bm25_file(folder: Path) -> str:
    """Which file of the bm25 folder fails to read (for the error message)."""
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        try:
            if path.suffix == ".json":
                json.loads(path.read_text(encoding="utf-8"))
            elif path.suffix == ".npy":
                np.load(path, mmap_mode="r")
        except (OSError, ValueError):
            return f"bm25/{path.name}"
    return "bm25"


def _read_state(version: Path, corrupt: Callable[[str, str], IndexCorruptError]) -> IndexState:
    path = version / STATE
    if not path.exists():  # an index from before the article store
        return IndexState()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        state = IndexState(
            segments=list(raw["segments"]),
            removed=[int(i) for i in raw["removed"]],
            store_id=raw.get("store_id"),
            store_seq=raw.get("store_seq"),
        )
        for seg in state.segments:
            seg["name"], seg["articles"], seg["passages"], seg["files"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise corrupt(STATE, f"unreadable ({e})") from e
    return state


def _check_sizes(folder: Path, files: dict[str, int], prefix: str, corrupt) -> None:
    for name, size in files.items():
        path = folder / name
        if not path.exists():
            raise corrupt(prefix + name, "missing")
        if path.stat().st_size != size:
            raise corrupt(prefix + name, f"truncated or altered ({path.stat().st_size} bytes, expected {size})")


def _corrupt_in(version: Path, index_dir: Path) -> Callable[[str, str], IndexCorruptError]:
    hint = rebuild_hint(index_dir if version != index_dir else version)

    def corrupt(name: str, why: str) -> IndexCorruptError:
        return IndexCorruptError(f"index file {version / name} is {why}; {hint}")

    return corrupt


_BUILDS: dict[tuple[str, int], tuple[list[dict], np.ndarray]] = {}
"""Parsed article lists and passage spans of builds, by folder: a build never changes
after it is published (folder names are unique), so repeated writes skip re-reading it."""


def _read_build(version: Path, manifest: dict, corrupt) -> tuple[list[dict], np.ndarray]:
    key = (str(version.resolve()), (version / "articles.jsonl").stat().st_mtime_ns)
    cached = _BUILDS.get(key)
    if cached is not None:
        return cached
    try:
        with open(version / "articles.jsonl", encoding="utf-8") as f:
            articles = json.loads("[" + ",".join(line for line in f if line.strip()) + "]")
    except (OSError, ValueError) as e:
        raise corrupt("articles.jsonl", f"unreadable ({e})") from e
    try:
        passages = np.load(version / "passages.npy", mmap_mode="r")
    except (OSError, ValueError) as e:
        raise corrupt("passages.npy", f"unreadable ({e})") from e
    for name, have, want in (
        ("articles.jsonl", len(articles), manifest["articles"]),
        ("passages.npy", len(passages), manifest["passages"]),
    ):
        if have != want:
            raise corrupt(name, f"inconsistent ({have} entries, manifest says {want})")
    if len(_BUILDS) >= 4:
        _BUILDS.clear()
    _BUILDS[key] = (articles, passages)
    return articles, passages


def _loading(read: Callable[..., _T]) -> Callable[..., _T]:
    """``read`` with any failure inside the index files raised as :class:`IndexCorruptError`
    (whatever numpy, faiss or bm25s raise), so that callers rebuild the index from the
    store instead of failing on every start."""

    @functools.wraps(read)
    def checked(index_dir, *args, **kwargs):
        try:
            return read(index_dir, *args, **kwargs)
        except IndexLoadError:
            raise
        except Exception as e:
            raise IndexCorruptError(
                f"the index in {index_dir} cannot be read ({type(e).__name__}: {e}); {rebuild_hint(Path(index_dir))}"
            ) from e

    return checked


@_loading
def read_layout(index_dir: Path) -> IndexLayout:
    """The live version's manifest, article list, passage spans, segments and removals,
    checked (file sizes, counts) but without loading texts, vectors or BM25: what a write
    needs. Raises an :class:`IndexLoadError`."""
    index_dir = Path(index_dir)
    version = resolve_version(index_dir)
    corrupt = _corrupt_in(version, index_dir)
    try:
        manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
        manifest["config"], manifest["files"], manifest["passages"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise corrupt("manifest.json", f"unreadable ({e})") from e
    if manifest.get("format") != FORMAT_VERSION:
        raise IndexStaleError(
            f"index {version} has format {manifest.get('format')}, this version reads {FORMAT_VERSION}; "
            f"{rebuild_hint(index_dir if version != index_dir else version)}"
        )
    _check_sizes(version, manifest["files"], "", corrupt)
    articles, passages = _read_build(version, manifest, corrupt)

    state = _read_state(version, corrupt)
    all_articles, rows = list(articles), [np.asarray(passages)]
    for seg in state.segments:
        folder, prefix = version / seg["name"], f"{seg['name']}/"
        _check_sizes(folder, seg["files"], prefix, corrupt)
        current = "articles.jsonl"
        try:
            with open(folder / current, encoding="utf-8") as f:
                s_articles = [json.loads(line) for line in f]
            current = "passages.npy"
            s_rows = np.array(np.load(folder / current), dtype=np.int64).reshape(-1, 3)
        except (OSError, ValueError) as e:
            raise corrupt(prefix + current, f"unreadable ({e})") from e
        if len(s_articles) != seg["articles"] or len(s_rows) != seg["passages"]:
            raise corrupt(seg["name"], "inconsistent (its files disagree with STATE.json)")
        s_rows[:, 0] += len(all_articles)
        all_articles += s_articles
        rows.append(s_rows)
    all_passages = passages if not state.segments else np.concatenate(rows)
    return IndexLayout(version, manifest, all_articles, all_passages, state, _live(state, len(all_articles), all_passages))


@_loading
def read_index(index_dir: Path, config: Config | None = None, layout: IndexLayout | None = None) -> IndexData:
    """Load the live index version, checking every file; raises an :class:`IndexLoadError`.
    ``layout``: the live version's, if just read (under the write lock), not read again."""
    layout = layout or read_layout(index_dir)
    version, manifest = layout.path, layout.manifest
    corrupt = _corrupt_in(version, Path(index_dir))
    try:
        offsets = np.load(version / "text_offsets.npy")
    except (OSError, ValueError) as e:
        raise corrupt("text_offsets.npy", f"unreadable ({e})") from e
    try:
        data = open_bytes(version / "texts.bin") if offsets[-1] else np.zeros(0, np.uint8)
        texts = TextStore(data, offsets)
    except (OSError, ValueError) as e:
        raise corrupt("texts.bin", f"unreadable ({e})") from e
    try:
        dense = _read_faiss(version / "dense.faiss")
    except (OSError, RuntimeError) as e:
        raise corrupt("dense.faiss", f"unreadable ({str(e).splitlines()[0]})") from e
    try:
        lexical = LexicalIndex.load(version / "bm25")
    except Exception as e:  # bm25s raises whatever numpy/json raise on a damaged file
        raise corrupt(_damaged_bm25_file(version / "bm25"), f"unreadable ({e})") from e
    n = manifest["passages"]
    for name, (have, want) in {
        "text_offsets.npy": (len(texts), manifest["articles"]),
        "dense.faiss": (dense.ntotal, n),
        "bm25": (lexical.size, n),
    }.items():
        if have != want:
            raise corrupt(name, f"inconsistent ({have} entries, manifest says {want})")
    _set_search_params(dense, config or Config.from_dict(manifest["config"]))

    parts, vectors, seg_terms = [texts], [], []
    for seg in layout.state.segments:
        folder, current = version / seg["name"], ""
        try:
            current = "text_offsets.npy"
            s_offsets = np.load(folder / current)
            current = "texts.bin"
            parts.append(TextStore(np.fromfile(folder / current, dtype=np.uint8), s_offsets))
            current = "vectors.npy"
            vectors.append(np.load(folder / current))
            current = "terms.json"
            s_terms = json.loads((folder / current).read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise corrupt(f"{seg['name']}/{current}", f"unreadable ({e})") from e
        if not (len(parts[-1]) == seg["articles"] and len(vectors[-1]) == len(s_terms) == seg["passages"]):
            raise corrupt(seg["name"], "inconsistent (its files disagree with STATE.json)")
        seg_terms += s_terms
    delta = np.concatenate(vectors) if vectors else np.zeros((0, dense.d), dtype=np.float32)
    seg_lexical = _SegmentLexical(seg_terms, n, lexical, manifest.get("avg_terms", 0.0)) if seg_terms else None
    return IndexData(
        path=version,
        manifest=manifest,
        articles=layout.articles,
        passages=layout.passages,
        state=layout.state,
        live=layout.live,
        texts=Texts(parts),
        dense=DenseIndex(dense, delta),
        lexical=Lexical(lexical, seg_lexical, len(seg_terms)),
    )
