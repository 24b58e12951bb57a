"""All tunable settings in one place.

The defaults were chosen by measuring on the public SQuAD 2.0 sample
(``bench/eval_squad.py``); change them with care and re-run that script.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

DEFAULT_MODEL = "wordllama-l2-supercat-256"
"""Static token embeddings shipped inside the ``wordllama`` wheel (no download)."""


@dataclass(frozen=True)
class Config:
    """Settings for chunking, retrieval and answering."""

    model: str = DEFAULT_MODEL

    # Chunking: passages are packed from whole sentences, breaking at paragraph ends.
    chunk_chars: int = 900
    """Target passage size; a paragraph longer than this is split into sentence windows."""
    chunk_overlap_sentences: int = 1
    """Sentences repeated between consecutive windows of one long paragraph."""

    # Retrieval.
    candidates: int = 50
    """Passages fetched from each of the dense and the lexical side before fusion."""
    dense_weight: float = 0.5
    """Weight of the dense (embedding) score in the fused score; lexical gets the rest."""
    sentence_weight: float = 0.8
    """Weight of a passage's best single-sentence similarity, added to the fused score."""
    duplicate_overlap: float = 0.6
    """Share of word 5-grams two passages must share to be collapsed as duplicates."""

    # FAISS index type: exact below ``ivf_threshold`` passages, IVF above it.
    faiss_index: str = "auto"
    """``"auto"``, ``"flat"``, ``"ivf"`` or ``"hnsw"``."""
    ivf_threshold: int = 200_000
    ivf_nprobe: int = 32

    # Answering (the reader's answer / no-answer threshold lives in its calibration.json).
    reader_passages: int = 3
    """How many top passages the reader reads (its time grows with each)."""
    reader_window_chars: int = 800
    """A longer passage is read only around its sentence most like the question. 800 (with
    3 passages) read the right span for 57.5% of held-out training questions asked through
    the engine, against 53.7% at 500, for ~1.7x the reader's time (4 x 650: 58.0%; 5 x 800:
    60.0% at 2.6x, past the latency goal). With the weights of 2026-12-04, 4 passages read
    gave best-span F1 57.9 against 58.2 on 1,037 such questions: the fourth window brings
    more wrong spans than right ones."""
    reader_spans: int = 5
    """Spans of each window weighed: the best one that keeps to one sentence and closes its
    quotes (:func:`qa.phrases.well_formed`) and is of the kind the question asks for (a
    time, a number, a name: :mod:`qa.answer_kinds`) is taken."""
    max_answer_chars: int = 400
    """Longest supporting extract shown with the short answer."""

    # Input limits (qa.loading): larger files and texts are refused with the reason.
    max_file_bytes: int = 10_000_000
    """Largest file read for articles (10 MB)."""
    max_article_chars: int = 500_000
    """Longest article text accepted; a longer one is refused, not cut."""

    # Incremental index writes (qa.index): adds and removals go to small segments and a
    # list of removed articles; the index is compacted (rebuilt from the store) past these.
    compact_segments: int = 64
    """Segments written since the last full build."""
    compact_share: float = 0.25
    """Share of the passages that sit in segments or belong to removed articles."""
    compact_min_passages: int = 20_000
    """Segments and removals below this many passages never trigger a compaction."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Config":
        """Build from a dict, ignoring keys this version does not know."""
        known = {f.name for f in fields(cls)}
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in known}
        return cls(**values)

    def with_(self, **changes: Any) -> "Config":
        return replace(self, **changes)


@dataclass(frozen=True)
class WebConfig:
    """Limits of the web app (``qa_app``): what one request may send, and how many wrong
    credentials a client may try."""

    max_question_chars: int = 2000
    """Longer input is answered with a polite note instead (the engine cuts there too)."""
    shown_question_chars: int = 600
    """A longer question is shortened to this in its chat bubble (with a note of how much)."""
    max_upload_bytes: int = Config.max_file_bytes
    """Per uploaded file; Gradio's ``max_file_size`` refuses bigger files with HTTP 413.
    The loader's own limit, so that no file is taken at upload and refused later."""
    max_files_per_upload: int = 20
    upload_types: tuple[str, ...] = (".txt", ".jsonl", ".html", ".htm", ".xml", ".rss", ".atom", ".pdf")
    """File name endings an upload may have; the content must match the type too."""
    follow_store_s: float = 2.0
    """How often a running app looks for writes made by other processes (the store's change log)."""
    page_refresh_s: float = 10.0
    """How often an open page updates its article counts and lists."""
    failed_attempts: int = 5
    """Wrong editor tokens or logins from one client address before it is locked out..."""
    failed_window_s: float = 300.0
    """...for the rest of this many seconds."""
