"""Plain result types shared by every module.

Every span (``start``, ``end``) is a character offset into :attr:`Article.text`, the
article text exactly as it was loaded, so ``article.text[start:end]`` reproduces the
quoted text byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Article:
    """One news article, its raw text untouched.

    ``metadata`` holds what the loader found (``body_start``, ``format``, ``encoding``) and,
    for stored articles, ``origin`` (the file or feed it came from), ``added``, ``updated``.
    """

    id: str
    title: str
    text: str
    date: str | None = None
    author: str | None = None
    source: str | None = None
    """The publisher or site (``"Daily Planet"``), where known."""
    url: str | None = None
    """The article's address on the web, where known."""
    metadata: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def body_start(self) -> int:
        """Where the story starts after a scraped header (``metadata["body_start"]``) as an
        offset into the text; 0 when there is none, or it is not a valid offset (a record
        stored before metadata was checked)."""
        value = self.metadata.get("body_start", 0)
        ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(self.text)
        return value if ok else 0


@dataclass(frozen=True)
class Location:
    """Where a passage or quote also appears (the same story scraped twice)."""

    article_id: str
    title: str
    start: int
    end: int


@dataclass
class Passage:
    """A retrieved span of an article.

    ``also_in`` lists near-duplicate copies of this passage in other articles; they were
    collapsed into this one result so the same text is never shown twice.
    """

    article_id: str
    title: str
    start: int
    end: int
    text: str
    score: float
    also_in: list[Location] = field(default_factory=list)


@dataclass
class Citation:
    """An exact quote that backs an answer: ``article.text[start:end] == quote``."""

    article_id: str
    title: str
    start: int
    end: int
    quote: str


@dataclass
class Answer:
    """The reply to a question.

    ``span`` is the short answer (a name, number, date, phrase): an exact span of the
    article that lies inside the first citation's quote. ``text`` is the supporting
    sentence(s) (at most 400 characters), quoted by ``citations[0]``.

    ``found`` is False when the articles do not answer the question; ``text`` then says
    so, ``span`` is None and ``citations`` is empty, while ``passages`` still holds the
    closest passages. ``probability`` is the calibrated probability that the reader's
    best answer is right (the answer is given when it reaches the reader's threshold);
    ``confidence`` is ``"high"``, ``"medium"`` or ``"low"`` derived from it (``"none"``
    when not found). ``score`` is the reader's raw margin of the span over "no answer".
    ``question`` is the question as the engine understood it, with a follow-up's context
    from the chat history folded in.
    """

    text: str
    found: bool
    citations: list[Citation]
    passages: list[Passage]
    score: float = 0.0
    confidence: str = "none"
    question: str = ""
    span: Citation | None = None
    probability: float = 0.0


@dataclass(frozen=True)
class SkippedFile:
    """An input that could not be used, and why."""

    path: str
    reason: str


@dataclass
class IndexInfo:
    """What an index holds, and for a build, what the build did."""

    path: Path
    articles: int
    passages: int
    model: str
    dimension: int
    faiss_index: str
    created: str
    seconds: float = 0.0
    skipped: list[SkippedFile] = field(default_factory=list)
    added: int = 0
    updated: int = 0
    """Articles replaced in place by a newer text from the same URL."""
    removed: int = 0
    unindexed: dict[str, str] = field(default_factory=dict)
    """Stored articles that yield no passage to search, by id, with the reason."""
    location: str = ""
    """The index as named: a folder, or a Milvus location (``path`` is then its generation)."""
