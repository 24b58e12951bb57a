"""The index on Milvus: Milvus Lite (a local file) or a Milvus standalone / cluster server.

``milvus:///path/news.db`` runs Milvus Lite, embedded, from one file (tests, a laptop; one
process at a time); ``http://host:19530`` talks to a server (token: ``$QA_MILVUS_TOKEN``),
which any number of app replicas can share. A ``?collection=NAME`` suffix picks the
collection prefix (default ``qa``).

What Milvus holds, per generation (a full build writes a new one and switches to it with
one write of the state row, then drops the old one)::

    qa_state                  one row per key; "current": generation, manifest, the store
                              change held, committed article and passage counts
    qa_<gen>_passages         pid, article number, character span, ISO date, source, the
                              passage's BM25 terms (+ Milvus's BM25 function), its vector
    qa_<gen>_articles         article text in pieces, metadata on piece 0, why an article
                              yields no passage

Numbers are the FAISS index's: article and passage numbers only grow, so a write appends
rows numbered past the committed counts and commits them by rewriting the state row; a
write killed before that leaves rows no search can return (every search is limited to the
committed passages) and the next write deletes them. Removals are native deletes. The
article store stays the source of truth: nothing is written here that it does not hold.
"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np

from ..config import Config
from ..dates import iso_date
from ..embedding import Embedder
from ..filelock import file_lock
from ..errors import IndexCorruptError, IndexMissingError, IndexUnreachableError
from ..types import Article
from .layout import FORMAT_VERSION, IndexData, IndexLayout, IndexState
from .interface import Where
from .write import _article_meta, _chunk_articles, _passage_terms

__all__ = ["MilvusIndex", "is_milvus"]

TOKEN_ENV = "QA_MILVUS_TOKEN"
_PIECE_CHARS = 16_000
"""Text per article row: at most 4 bytes a character, within VARCHAR's 65,535 bytes."""
_PIECES = 1024
"""Row key = article number * _PIECES + piece: room for 16 M characters an article."""
_BATCH = 2_000
_TEXT_CACHE_BYTES = 32 << 20
_TOKEN_CHARS = 512
"""Longer tokens (a 250-character "word") are searched by BM25 but not counted in the terms
collection: their document frequency reads as 0, as for any rare term."""


def is_milvus(location: str | os.PathLike) -> bool:
    """Whether an ``--index`` value names a Milvus index rather than a FAISS folder."""
    return str(location).startswith(("milvus://", "http://", "https://"))


def milvus_token(term: str) -> str:
    """``term`` as one token of Milvus's standard analyzer: plain ASCII letters and digits
    pass; anything else ("jong-un", "u.s", "café") is spelled in hex, so the analyzer can
    neither split it nor merge two terms, and BM25 sees exactly our terms."""
    return term if term.isascii() and term.isalnum() else "z" + term.encode("utf-8").hex()


@dataclass(frozen=True)
class _Address:
    uri: str
    """A file path (Milvus Lite) or an http(s) URL (a server)."""
    prefix: str
    lite: bool

    @classmethod
    def parse(cls, location: str) -> "_Address":
        parts = urlsplit(location)
        prefix = (parse_qs(parts.query).get("collection") or ["qa"])[0]
        if not prefix.replace("_", "").isalnum() or not prefix[0].isalpha():
            raise ValueError(f"collection prefix {prefix!r} in {location!r}: use letters, digits and _")
        if parts.scheme == "milvus":
            path = location[len("milvus://") :].split("?", 1)[0]
            if not path.endswith(".db"):  # how pymilvus tells a Lite file from a server
                raise ValueError(f"{location!r} names no .db file: write milvus:///path/to/news.db")
            return cls(str(Path(path).expanduser().resolve()), prefix, True)
        return cls(location.split("?", 1)[0], prefix, False)


_CLIENTS: dict[tuple[str, str], object] = {}
_CLIENTS_LOCK = threading.Lock()


def _client(address: _Address):
    """One client per Milvus (and token) per process: a Lite file is served by one
    embedded server, which a second client in the same process shares."""
    from pymilvus import MilvusClient

    token = os.environ.get(TOKEN_ENV, "")
    key = (address.uri, token)
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(key)
        if client is None:
            if address.lite:
                Path(address.uri).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            try:
                client = MilvusClient(address.uri, token=token) if token else MilvusClient(address.uri)
            except Exception as e:
                raise IndexUnreachableError(_unreachable(address, e)) from e
            _CLIENTS[key] = client
        return client


def _close(address: _Address) -> None:
    with _CLIENTS_LOCK:
        for key in [k for k in _CLIENTS if k[0] == address.uri]:
            _CLIENTS.pop(key).close()
        if address.lite:  # stop the embedded server too: it holds the file's lock
            from milvus_lite.server_manager import server_manager_instance

            server_manager_instance.release_server(address.uri)


def _unreachable(address: _Address, error: Exception) -> str:
    if address.lite:
        held = "lock" in repr(error.__context__ or error).lower() or "Open local milvus failed" in str(error)
        why = ("another process has it open (Milvus Lite serves one process at a time: stop that one, "
               "or put the index on a Milvus server)") if held else str(error)  # fmt: skip
        return f"cannot open the Milvus Lite file {address.uri}: {why}"
    return f"cannot reach Milvus at {address.uri}: {error}"


def _string(value: str) -> str:
    """A string literal for a Milvus filter expression."""
    return json.dumps(value, ensure_ascii=False)


def _expression(where: Where | None, committed: int) -> str:
    """The filter: committed passages only, and the dates and sources ``where`` keeps."""
    clauses = [f"pid < {committed}"]
    if where is not None:
        if where.since or where.until:
            clauses.append('date != ""')
        if where.since:
            clauses.append(f"date >= {_string(where.since)}")
        if where.until:
            clauses.append(f"date <= {_string(where.until)}")
        if where.sources:
            clauses.append(f"source in [{', '.join(_string(s) for s in where.sources)}]")
    return " and ".join(clauses)


class MilvusDense:
    """Dense passage search in Milvus, shaped like :class:`qa.index.DenseIndex`."""

    def __init__(self, index: "MilvusIndex", collection: str, committed: int, live: int) -> None:
        self._index, self._collection, self._committed = index, collection, committed
        self.ntotal = live

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None, where: Where | None = None):
        """Top ``k`` (passage ids, scores). ``where`` is applied inside Milvus; ``allowed``,
        the same scope as one bool per passage, is for in-process indexes and unused here."""
        params = {"metric_type": "IP", "params": self._index.search_params}
        hits = self._index.client.search(
            self._collection, data=[query.reshape(-1).astype(np.float32).tolist()], anns_field="vector",
            limit=max(1, min(k, 16_384)), filter=_expression(where, self._committed), output_fields=[],
            search_params=params,
        )[0]  # fmt: skip
        return _arrays(hits)


class MilvusLexical:
    """BM25 passage search in Milvus (its BM25 function over our own terms), shaped like
    :class:`qa.index.Lexical`. Document frequencies come from the terms collection (for
    the reader's features; Milvus keeps its own for BM25)."""

    def __init__(self, index: "MilvusIndex", collection: str, terms: str, committed: int, live: int) -> None:
        self._index, self._collection, self._terms, self._committed = index, collection, terms, committed
        self.size = live
        self._df: OrderedDict[str, int] = OrderedDict()

    def document_frequency(self, term: str) -> int:
        cached = self._df.get(term)
        if cached is None:
            rows = self._index.client.get(self._terms, ids=[milvus_token(term)], output_fields=["df"])
            cached = int(rows[0]["df"]) if rows else 0
            self._df[term] = cached
            if len(self._df) > 50_000:
                self._df.popitem(last=False)
        return cached

    def search(self, query_terms: list[str], k: int, allowed: np.ndarray | None = None, where: Where | None = None):
        """Top ``k`` (passage ids, scores); ``where`` as in :meth:`MilvusDense.search`."""
        tokens = " ".join(milvus_token(t) for t in dict.fromkeys(query_terms))
        if not tokens:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        hits = self._index.client.search(
            self._collection, data=[tokens], anns_field="sparse", limit=max(1, min(k, 16_384)),
            filter=_expression(where, self._committed), output_fields=[], search_params={"metric_type": "BM25"},
        )[0]  # fmt: skip
        ids, scores = _arrays(hits)
        return ids, np.abs(scores)  # Milvus Lite reports BM25 scores negated


def _arrays(hits) -> tuple[np.ndarray, np.ndarray]:
    ids = np.array([int(h["pid"] if "pid" in h else h["id"]) for h in hits], dtype=np.int64)
    scores = np.array([float(h["distance"]) for h in hits], dtype=np.float32)
    return ids, scores


class MilvusTexts:
    """Article texts by number, read from Milvus (by primary key, the pieces of many
    articles in one call) when first asked for, and cached; "" for one deleted since."""

    def __init__(self, index: "MilvusIndex", collection: str, articles: list[dict]) -> None:
        self._index, self._collection, self._articles = index, collection, articles
        self._cache: OrderedDict[int, str] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._articles)

    def prefetch(self, numbers: Iterable[int]) -> None:
        with self._lock:
            wanted = [int(n) for n in numbers if int(n) not in self._cache]
        keys = [n * _PIECES + j for n in wanted for j in range(int(self._articles[n].get("pieces", 1)))]
        if not keys:
            return
        texts: dict[int, list[tuple[int, str]]] = {}
        for b in range(0, len(keys), 4_096):
            for row in self._index.client.get(self._collection, ids=keys[b : b + 4_096], output_fields=["text"]):
                n, j = divmod(int(row["key"]), _PIECES)
                texts.setdefault(n, []).append((j, row["text"]))
        with self._lock:
            for n, pieces in texts.items():
                text = "".join(t for _, t in sorted(pieces))
                self._cache[n] = text
                self._bytes += len(text)
            while self._bytes > _TEXT_CACHE_BYTES and len(self._cache) > 1:
                _, old = self._cache.popitem(last=False)
                self._bytes -= len(old)

    def __getitem__(self, number: int) -> str:
        number = int(number)
        with self._lock:
            text = self._cache.get(number)
            if text is not None:
                self._cache.move_to_end(number)
                return text
        self.prefetch([number])
        with self._lock:
            # "" for an article deleted since this engine loaded (a write by another process
            # or thread): retrieval drops its passages (see Retriever.candidates)
            return self._cache.get(number, "")


class MilvusIndex:
    """An index backend on Milvus (see the module's docstring), with the FAISS backend's
    operations: read, build, add and remove, each write committed by one state row."""

    kind = "milvus"

    def __init__(self, location: str) -> None:
        self.location = location
        self.address = _Address.parse(location)
        self._state_name = f"{self.address.prefix}_state"
        self.search_params: dict = {}
        self._loaded_names: set[str] = set()

    @property
    def client(self):
        return _client(self.address)

    def __str__(self) -> str:
        return self.location

    def close(self) -> None:
        """Close this process's connection (a Lite file is then free for another process)."""
        _close(self.address)
        self._loaded_names.clear()

    # --- the state row --------------------------------------------------------------

    def _ensure_state_collection(self) -> None:
        from pymilvus import DataType

        if not self.client.has_collection(self._state_name):
            self._table(self._state_name, [("key", DataType.VARCHAR, {"max_length": 64, "is_primary": True}),
                                           ("value", DataType.VARCHAR, {"max_length": 65_535})])  # fmt: skip

    def _table(self, name: str, fields: list[tuple]) -> None:
        """A collection that is only read by key (Milvus wants a vector field: an unused one)."""
        from pymilvus import DataType

        schema = self.client.create_schema(auto_id=False)
        for field_name, kind, options in [*fields, ("unused", DataType.FLOAT_VECTOR, {"dim": 2})]:
            schema.add_field(field_name, kind, **options)
        params = self.client.prepare_index_params()
        params.add_index("unused", index_type="FLAT", metric_type="L2")
        self.client.create_collection(name, schema=schema, index_params=params, consistency_level="Strong")

    def _loaded(self, *names: str) -> None:
        """Load collections for search (Milvus serves none it has not loaded), once each."""
        for name in names:
            if name not in self._loaded_names:
                self.client.load_collection(name)
                self._loaded_names.add(name)

    def _current(self) -> dict | None:
        c = self.client
        if not c.has_collection(self._state_name):
            return None
        self._loaded(self._state_name)
        rows = c.query(self._state_name, filter='key == "current"', output_fields=["value"])
        return json.loads(rows[0]["value"]) if rows else None

    def _commit(self, current: dict) -> None:
        self._ensure_state_collection()
        self.client.upsert(self._state_name, [{"key": "current", "value": json.dumps(current), "unused": [0.0, 0.0]}])

    def _names(self, generation: str) -> tuple[str, str, str]:
        base = f"{self.address.prefix}_{generation}"
        return f"{base}_passages", f"{base}_articles", f"{base}_terms"

    # --- reading --------------------------------------------------------------------

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Serialise writers in this process and, for Milvus Lite, on this machine (a lock
        file beside the database). Writers to a shared server are serialised by the article
        store's own lock (:meth:`qa.store.ArticleStore.writer`), which every write holds."""
        if not self.address.lite:
            yield
            return
        path = Path(self.address.uri + ".lock")
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with file_lock(path):
            yield

    def read_layout(self) -> IndexLayout:
        return self._layout(self._current())

    def _layout(self, current: dict | None) -> IndexLayout:
        """What the state row ``current`` commits: articles, passage spans, removals."""
        if current is None:
            raise IndexMissingError(f"no index in Milvus at {self.location}: build one with: "
                                    f"qa-index build SOURCE --index {self.location}")  # fmt: skip
        if current.get("format") != FORMAT_VERSION:
            raise IndexCorruptError(f"the Milvus index at {self.location} has format {current.get('format')!r}, "
                                    f"not {FORMAT_VERSION}: rebuild it with: qa-index rebuild --index {self.location}")  # fmt: skip
        passages_name, articles_name, terms_name = self._names(current["generation"])
        self._loaded(passages_name, articles_name, terms_name)
        n_articles, n_passages = int(current["articles"]), int(current["passages"])
        articles: list[dict] = [{"id": "", "title": ""} for _ in range(n_articles)]
        present = np.zeros(n_articles, dtype=bool)
        unindexed: dict[str, str] = {}
        for row in self._rows(articles_name, range(0, n_articles * _PIECES, _PIECES), ["number", "meta", "unindexed"]):
            n = int(row["number"])
            articles[n], present[n] = row["meta"], True
            if row["unindexed"]:
                unindexed[str(n)] = row["unindexed"]
        passages = np.zeros((n_passages, 3), dtype=np.int64)
        passages[:, 0] = -1
        for row in self._rows(passages_name, range(n_passages), ["pid", "article", "start", "end"]):
            passages[int(row["pid"])] = (row["article"], row["start"], row["end"])
        live = passages[:, 0] >= 0
        manifest = dict(current["manifest"], unindexed=unindexed, articles=n_articles, passages=n_passages)
        state = IndexState([], [int(i) for i in np.flatnonzero(~present)], current.get("store_id"),
                           current.get("store_seq"))  # fmt: skip
        return IndexLayout(Path(f"{self.address.prefix}_{current['generation']}"), manifest, articles, passages, state,
                           None if live.all() else live)  # fmt: skip

    def _rows(self, collection: str, keys: range, fields: list[str]) -> Iterator[dict]:
        """The rows with these primary keys (absent ones skipped), by key: no scan."""
        for lo in range(0, len(keys), 8_192):
            yield from self.client.get(collection, ids=list(keys[lo : lo + 8_192]), output_fields=fields)

    def read_index(self, config: Config | None = None, layout: IndexLayout | None = None) -> IndexData:
        """The index, searched in Milvus; ``layout`` if just read under the write lock."""
        current = self._current()
        layout = layout or self._layout(current)
        passages_name, articles_name, terms_name = self._names(current["generation"])
        config = config or layout.config
        self.search_params = {"nprobe": config.ivf_nprobe} if current.get("vector_index") == "IVF_FLAT" else {}
        committed, live = len(layout.passages), layout.live_passages
        return IndexData(
            path=layout.path, manifest=layout.manifest, articles=layout.articles, passages=layout.passages,
            state=layout.state, live=layout.live, texts=MilvusTexts(self, articles_name, layout.articles),
            dense=MilvusDense(self, passages_name, committed, live),
            lexical=MilvusLexical(self, passages_name, terms_name, committed, live),
        )  # fmt: skip

    # --- writing --------------------------------------------------------------------

    def _create(self, generation: str, dimension: int, vector_index: str, nlist: int = 0) -> None:
        from pymilvus import DataType, Function, FunctionType

        c = self.client
        passages_name, articles_name, terms_name = self._names(generation)
        schema = c.create_schema(auto_id=False)
        schema.add_field("pid", DataType.INT64, is_primary=True)
        schema.add_field("article", DataType.INT64)
        schema.add_field("start", DataType.INT64)
        schema.add_field("end", DataType.INT64)
        schema.add_field("date", DataType.VARCHAR, max_length=10)
        schema.add_field("source", DataType.VARCHAR, max_length=1_024)
        schema.add_field("terms", DataType.VARCHAR, max_length=65_535, enable_analyzer=True)
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
        schema.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["terms"],
                                     output_field_names=["sparse"]))  # fmt: skip
        params = c.prepare_index_params()
        vector_params = {"nlist": nlist} if vector_index == "IVF_FLAT" else {}
        params.add_index("vector", index_type=vector_index, metric_type="IP", params=vector_params)
        # bm25s's defaults, so that both backends rank alike
        params.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                         params={"bm25_k1": 1.5, "bm25_b": 0.75})  # fmt: skip
        c.create_collection(passages_name, schema=schema, index_params=params, consistency_level="Strong")

        self._table(articles_name, [
            ("key", DataType.INT64, {"is_primary": True}), ("number", DataType.INT64, {}),
            ("piece", DataType.INT64, {}), ("meta", DataType.JSON, {}),
            ("unindexed", DataType.VARCHAR, {"max_length": 1_024}), ("text", DataType.VARCHAR, {"max_length": 65_535}),
        ])  # fmt: skip
        self._table(terms_name, [("token", DataType.VARCHAR, {"max_length": _TOKEN_CHARS, "is_primary": True}),
                                 ("df", DataType.INT64, {})])  # fmt: skip

    def _insert(self, generation: str, articles: list[Article], first_article: int, first_pid: int,
                embedder: Embedder, config: Config, chunked=None) -> "_Added":  # fmt: skip
        """Insert ``articles`` numbered from ``first_article``, their passages from
        ``first_pid`` (``chunked``: their :func:`_chunk_articles`, if done)."""
        passages_name, articles_name, terms_name = self._names(generation)
        rows, inputs, unindexed = chunked or _chunk_articles(articles, config, 0)
        tokens = [" ".join(milvus_token(t) for t in toks) for toks in _passage_terms(articles, rows)]
        vectors = embedder.encode(inputs) if inputs else np.zeros((0, embedder.dimension), np.float32)
        texts: list[dict] = []
        metas: list[dict] = []
        for i, a in enumerate(articles):
            pieces = [a.text[p : p + _PIECE_CHARS] for p in range(0, len(a.text), _PIECE_CHARS)] or [""]
            n = first_article + i
            metas.append(dict(_article_meta(a), pieces=len(pieces)))
            for j, piece in enumerate(pieces):
                texts.append({"key": n * _PIECES + j, "number": n, "piece": j, "meta": metas[-1] if j == 0 else {},
                              "unindexed": unindexed.get(str(i), "")[:1_000] if j == 0 else "", "text": piece,
                              "unused": [0.0, 0.0]})  # fmt: skip
        for b in range(0, len(texts), _BATCH // 4):
            self.client.insert(articles_name, texts[b : b + _BATCH // 4])
        self._insert_passages(passages_name, articles, rows, tokens, vectors, first_article, first_pid)
        self._count_terms(terms_name, tokens, +1)
        for name in (passages_name, articles_name, terms_name):
            self.client.flush(name)  # unsealed rows are scanned by brute force: seal them
        spans = np.array(rows, dtype=np.int64).reshape(-1, 3)
        spans[:, 0] += first_article
        return _Added(metas, spans, {str(first_article + int(i)): why[:1_000] for i, why in unindexed.items()})

    def _count_terms(self, name: str, passages: list[str], sign: int) -> None:
        """Add (``sign`` +1) or take away (-1) the passages' terms in the document frequencies.

        Not part of a write's commit: a write killed in between leaves these counts off by its
        own passages (they feed the reader's features, not BM25) until the next full build."""
        counts = Counter(t for text in passages for t in set(text.split()) if len(t) <= _TOKEN_CHARS)
        tokens = sorted(counts)
        for b in range(0, len(tokens), 4_096):
            part = tokens[b : b + 4_096]
            have = {r["token"]: int(r["df"]) for r in self.client.get(name, ids=part, output_fields=["df"])}
            rows, gone = [], []
            for t in part:
                df = have.get(t, 0) + sign * counts[t]
                (rows.append({"token": t, "df": df, "unused": [0.0, 0.0]}) if df > 0 else gone.append(t))
            if rows:
                self.client.upsert(name, rows)
            if gone and have:
                self.client.delete(name, ids=[t for t in gone if t in have])

    def _insert_passages(self, name: str, articles: list[Article], rows: np.ndarray, tokens: list[str],
                         vectors: np.ndarray, first_article: int, first_pid: int) -> None:  # fmt: skip
        dated = [iso_date(a.date) or "" for a in articles]
        out = []
        for p, ((a, s, e), text, vec) in enumerate(zip(rows, tokens, vectors)):
            a = int(a)
            out.append({"pid": first_pid + p, "article": first_article + a, "start": int(s), "end": int(e),
                        "date": dated[a], "source": (articles[a].source or "")[:1_000], "terms": text[:60_000],
                        "vector": vec.tolist()})  # fmt: skip
            if len(out) >= _BATCH:
                self.client.insert(name, out)
                out = []
        if out:
            self.client.insert(name, out)

    def write_index(self, articles: list[Article], embedder: Embedder, config: Config, *, progress: bool = False,
                    source: str | None = None, store_id: str | None = None, store_seq: int | None = None) -> None:  # fmt: skip
        """Build a new generation of ``articles`` and switch to it (the caller holds :meth:`lock`)."""
        self._ensure_state_collection()
        previous = self._current()
        generation = "g" + datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S") + os.urandom(3).hex()
        self._drop_strays(keep=previous["generation"] if previous else None)
        chunked = _chunk_articles(articles, config, 0)
        # the FAISS rule (qa.index.dense): exact below ivf_threshold passages, then sqrt(n)/2 lists
        n = len(chunked[0])
        ivf = config.faiss_index in ("ivf", "ivfpq") or (config.faiss_index == "auto" and n >= config.ivf_threshold)
        vector_index, nlist = ("IVF_FLAT", int(max(1, min(65_536, np.sqrt(max(n, 1)) / 2)))) if ivf else ("FLAT", 0)
        self._create(generation, embedder.dimension, vector_index, nlist)
        try:
            added = self._insert(generation, articles, 0, 0, embedder, config, chunked)
        except BaseException:
            self._drop(generation)
            raise
        manifest = {
            "format": FORMAT_VERSION, "model": embedder.name, "model_fingerprint": embedder.fingerprint,
            "dimension": embedder.dimension,
            "faiss_index": f"milvus-{vector_index.lower()}" + (f"-{nlist}" if nlist else ""),
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"), "source": source,
            "config": config.to_dict(),
        }  # fmt: skip
        self._commit({"format": FORMAT_VERSION, "generation": generation, "manifest": manifest,
                      "articles": len(added.metas), "passages": len(added.spans), "store_id": store_id, "store_seq": store_seq,
                      "vector_index": vector_index})  # fmt: skip
        if previous:
            self._drop(previous["generation"])

    def write_segment(self, data: IndexLayout, articles: list[Article], embedder: Embedder, *,
                      remove: Iterable[int] = (), store_seq: int | None = None) -> IndexLayout:  # fmt: skip
        """Add ``articles`` and delete the article numbers ``remove``; commit with ``store_seq``.
        The caller holds :meth:`lock` and ``data`` was read under it."""
        current = self._current()
        if current is None:
            raise IndexMissingError(f"no index in Milvus at {self.location}")
        passages_name, articles_name, terms_name = self._names(current["generation"])
        self._loaded(passages_name, articles_name, terms_name)
        n_articles, n_passages = int(current["articles"]), int(current["passages"])
        # rows of a write killed before its commit
        self.client.delete(passages_name, filter=f"pid >= {n_passages}")
        self.client.delete(articles_name, filter=f"number >= {n_articles}")
        remove = sorted({int(i) for i in remove})
        for b in range(0, len(remove), 100):
            chunk = ", ".join(map(str, remove[b : b + 100]))
            gone = self.client.query(passages_name, filter=f"article in [{chunk}]", output_fields=["terms"],
                                     limit=16_384)  # fmt: skip
            self._count_terms(terms_name, [r["terms"] for r in gone], -1)
            self.client.delete(passages_name, filter=f"article in [{chunk}]")
            self.client.delete(articles_name, filter=f"number in [{chunk}]")
        added = _Added([], np.zeros((0, 3), dtype=np.int64), {})
        if articles:
            added = self._insert(current["generation"], articles, n_articles, n_passages, embedder, data.config)
        elif remove:
            for name in (passages_name, articles_name, terms_name):
                self.client.flush(name)
        seq = current.get("store_seq") if store_seq is None else store_seq
        self._commit(dict(current, articles=n_articles + len(added.metas), passages=n_passages + len(added.spans),
                          store_seq=seq))  # fmt: skip
        return _after_write(data, remove, added, seq)

    def bind_state(self, data: IndexLayout, store_id: str, store_seq: int) -> None:
        current = self._current()
        if current is None:
            raise IndexMissingError(f"no index in Milvus at {self.location}")
        self._commit(dict(current, store_id=store_id, store_seq=store_seq))

    def needs_compaction(self, data: IndexLayout, config: Config) -> bool:
        return False  # Milvus compacts its own segments; deletes are native

    def default_store(self) -> str | None:
        """Milvus Lite: a SQLite store beside its file. A server: none (name one: $QA_STORE)."""
        if not self.address.lite:
            return None
        path = Path(self.address.uri)
        return str(path.parent / f"{path.stem}.articles.sqlite3")

    def _drop(self, generation: str) -> None:
        for name in self._names(generation):
            if self.client.has_collection(name):
                self.client.drop_collection(name)
            self._loaded_names.discard(name)

    def _drop_strays(self, keep: str | None) -> None:
        """Drop generations a killed build left behind (any but ``keep``)."""
        prefix = f"{self.address.prefix}_g"
        for name in self.client.list_collections():
            if name.startswith(prefix) and name.endswith(("_passages", "_articles", "_terms")):
                generation = name[len(self.address.prefix) + 1 :].rsplit("_", 1)[0]
                if generation != keep:
                    self.client.drop_collection(name)
                    self._loaded_names.discard(name)


@dataclass(frozen=True)
class _Added:
    """What one insert wrote: the articles' metadata, their passage spans (article numbers
    counted over the whole index) and why any yields no passage."""

    metas: list[dict]
    spans: np.ndarray
    unindexed: dict[str, str]


def _after_write(data: IndexLayout, removed: list[int], added: _Added, store_seq: int | None) -> IndexLayout:
    """``data`` after a write: what :meth:`MilvusIndex.read_layout` would now read, without
    reading every article and span back."""
    articles = list(data.articles)
    passages = np.array(data.passages, dtype=np.int64)
    for n in removed:
        articles[n] = {"id": "", "title": ""}
    if removed:
        passages[np.isin(passages[:, 0], removed)] = (-1, 0, 0)  # as read_layout marks a deleted row
    articles += added.metas
    passages = np.concatenate([passages, added.spans])
    gone = {str(n) for n in removed}
    unindexed = {k: v for k, v in data.manifest.get("unindexed", {}).items() if k not in gone} | added.unindexed
    manifest = dict(data.manifest, unindexed=unindexed, articles=len(articles), passages=len(passages))
    state = IndexState([], sorted(set(data.state.removed) | set(removed)), data.state.store_id, store_seq)
    live = passages[:, 0] >= 0
    return IndexLayout(data.path, manifest, articles, passages, state, None if live.all() else live)
