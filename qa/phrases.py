"""Short answers that end at phrase boundaries, never mid-name or mid-word.

The reader picks its span token by token, so it can start inside a name ("Complex Seoul"
for "Government Complex Seoul") or stop halfway through "between North Korea and the
Soviet Union". :func:`whole_phrase` widens such a span, inside the text it was read from,
to the whole word, the rest of a name, and both sides of "between ... and". It can also run
on past its phrase, into the next sentence ("New York to undergo minor surgery ... It was
reported ...") or over a closing quote ('Largest film stunt explosion" in cinematic
history'): :func:`well_formed` tells such spans apart, so that the answerer can take the
reader's next-best span instead. An abbreviation ("KCNA") says less to a reader than the
name it stands for: :func:`spells_out` tells when a span is that name ("Korean Central
News Agency"), so that the answerer can give the name.
"""

from __future__ import annotations

import re

from .chunking import sentences
from .dates import MONTHS, WEEKDAYS

__all__ = ["whole_phrase", "well_formed", "is_abbreviation", "spells_out"]

# Capitalised words that open sentences or clauses rather than belong to a name.
_NOT_NAME = frozenset(
    "The A An In On At By For From Of To With And Or But As If When While After Before Since Until "
    "He She It They We I You His Her Its Their Our My This That These Those There Then Mr Mrs Ms Dr".split()
    + list(WEEKDAYS + MONTHS)
)
_NAME = r"[A-Z][\w'’.-]*\w|[A-Z]"
"""One capitalised word of a name ("Soo-suk", "U.S", "J")."""
_NAME_WORD = re.compile(_NAME)
_NAME_BEFORE = re.compile(rf"({_NAME}) $")  # the name word just before a position
_NAME_LAST = re.compile(rf"({_NAME})$")  # the span's last word, when it is one
_NAME_NEXT = re.compile(rf" ({_NAME})\b")  # the name word just after
_THE_BEFORE = re.compile(r"\b[Tt]he $")
_BETWEEN_REST = re.compile(r"\s+and\s+(?:the\s+)?(?:[A-Z][\w'’.-]*\w(?:\s+(?:of\s+|the\s+)?[A-Z][\w'’.-]*\w)*)")
_WORD_CHAR = re.compile(r"[\w'’-]")


def _is_word_char(ch: str) -> bool:
    return bool(_WORD_CHAR.match(ch))


def whole_phrase(text: str, start: int, end: int, lo: int = 0, hi: int | None = None) -> tuple[int, int]:
    """``(start, end)`` widened within ``text[lo:hi]`` so the span holds whole words, whole
    capitalised names and both members of "between X and Y"."""
    hi = len(text) if hi is None else hi
    # Whole words: a span never starts or ends inside one.
    while start > lo and _is_word_char(text[start - 1]) and _is_word_char(text[start]):
        start -= 1
    while end < hi and _is_word_char(text[end - 1]) and _is_word_char(text[end]):
        end += 1
    # Whole names: a run of capitalised words after "the" is one name ("the Government
    # Complex Seoul"), so a span inside it takes the run's start; elsewhere the words
    # before are often a title ("Foreign Minister Lim"), so the span keeps its start.
    first = _NAME_WORD.match(text, start)
    if first and first.group(0) not in _NOT_NAME:
        run = start
        while True:
            m = _NAME_BEFORE.search(text, max(lo, run - 40), run)
            if not m or m.group(1) in _NOT_NAME:
                break
            run = m.start()
        if run < start and _THE_BEFORE.search(text, max(lo, run - 4), run):
            start = run
    last = _NAME_LAST.search(text, start, end)
    if last and last.group(1) not in _NOT_NAME:
        while True:
            m = _NAME_NEXT.match(text, end, hi)
            if not m or m.group(1) in _NOT_NAME:
                break
            end = m.end()
    # "between X and Y": the span that names X names Y too.
    if re.search(r"\bbetween\b", text[start:end]) and not re.search(r"\band\b", text[start:end].split("between")[-1]):
        m = _BETWEEN_REST.match(text, end, hi)
        if m:
            end = m.end()
    return start, end


_PAIRS = (("(", ")"), ("[", "]"), ("“", "”"))


def well_formed(text: str, start: int, end: int, sentence_spans: list[tuple[int, int]] | None = None) -> bool:
    """Whether ``text[start:end]`` lies inside one sentence of ``text`` and opens every
    bracket and double quote it closes (and closes every one it opens). ``sentence_spans``
    are ``text``'s sentences when the caller has them (several spans of one text)."""
    span = text[start:end]
    if span.count('"') % 2 or any(span.count(a) != span.count(b) for a, b in _PAIRS):
        return False
    return any(a <= start and end <= b for a, b in (sentences(text) if sentence_spans is None else sentence_spans))


_ABBREVIATION = re.compile(r"(?:[A-Z]\.?){2,6}")
"""Two to six capitals, with or without dots: "KCNA", "NATO", "U.N."."""
_LINKS = frozenset("of the and for on in at to de du la & -".split())
"""Small words inside a name that its abbreviation skips ("Federal Bureau of Investigation")."""


def is_abbreviation(span: str) -> bool:
    """Whether ``span`` is an abbreviation made of capitals ("KCNA", "U.S.")."""
    return bool(_ABBREVIATION.fullmatch(span.strip()))


def spells_out(name: str, abbreviation: str) -> bool:
    """Whether ``name`` is the full name that ``abbreviation`` stands for: every word of it
    capitalised but the small linking ones, their initials the abbreviation's letters
    ("Korean Central News Agency" for "KCNA", "Federal Bureau of Investigation" for "FBI")."""
    if not is_abbreviation(abbreviation):
        return False
    words = [w for w in re.split(r"[\s-]+", name.strip()) if w and w.lower() not in _LINKS]
    if len(words) < 2 or not all(w[0].isupper() for w in words):
        return False
    return "".join(w[0] for w in words) == abbreviation.replace(".", "").strip()
