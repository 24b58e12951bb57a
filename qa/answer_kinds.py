"""What kind of short answer a question asks for, and whether a span is one.

The reader scores a span by how well it fits the passage around the question's words,
not by the question's form, so it can answer "Where did the briefing take place?" with
"Thursday" when the passage says "said in a briefing Thursday". A question's first words
say what kind of answer it wants: "when" a time, "how many" a number, "who" a name and
"where" a place, neither a bare date nor a bare number. :func:`asked_kind` reads that kind and
:func:`fits` checks a span against it; the answerer takes the best span that fits, and
the best span when none does (a question may be phrased oddly: the kind only re-ranks).

The checks are lenient on purpose: a span fails only when it plainly is not of the kind
("Thursday" for "where", "Lim Soo-suk" for "how many"), never for its wording.
"""

from __future__ import annotations

import re
from enum import Enum

from .dates import MONTHS, WEEKDAYS

__all__ = ["Kind", "asked_kind", "fits"]


class Kind(Enum):
    """The kinds of short answer a question's form asks for."""

    TIME = "time"
    """"When ...?", "What year ...?": a date, a day, a year, a time of day or "after the war"."""
    NUMBER = "number"
    """"How many / much / old / long ...?": an amount, count, age or duration."""
    NAME = "name"
    """"Who / whom ...?": a person or a group: not a bare time or number."""
    PLACE = "place"
    """"Where ...?": a place, a name too; the answerer prefers the place itself to the city
    it is in ("Kumsusan State Guest House in Pyongyang", not "Pyongyang")."""


_LEAD = r"^\s*(?:(?:and|so|but|then)\s*,?\s+)?(?:(?:in|on|at|since|until|by|from|of|to|for)\s+)?"
_ASKS: tuple[tuple[Kind, re.Pattern[str]], ...] = (
    (Kind.TIME, re.compile(_LEAD + r"(?:when\b|(?:what|which)\s+(?:year|date|day|month|time|century|decade|season)s?\b)", re.I)),
    (Kind.NUMBER, re.compile(_LEAD + r"(?:how\s+(?:many|much|old|long|far|tall|high|big|large|deep|wide|heavy|often|fast)\b|"
                                     r"(?:what|which)\s+(?:percentage|proportion|share|age|number|amount)\b)", re.I)),
    (Kind.NAME, re.compile(_LEAD + r"(?:who|whom|whose)\b", re.I)),
    (Kind.PLACE, re.compile(_LEAD + r"where\b", re.I)),
)  # fmt: skip

_TIME_WORDS = frozenset(
    [w.lower() for w in MONTHS + WEEKDAYS] + """jan feb mar apr jun jul aug sep sept oct nov dec yesterday today
    tomorrow tonight now ago morning afternoon evening night noon midnight dawn week weeks weekend month months
    year years decade decades century centuries era age ages season
    spring summer autumn fall winter christmas easter recently later earlier soon once formerly previously
    after before during following since until till when while prior late early mid bc ad bce ce am pm
    time times day days hour hours minute minutes moment""".split()
)  # fmt: skip
_NUMBER_WORDS = frozenset(
    """zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen
    seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred hundreds thousand
    thousands million millions billion billions trillion dozen dozens score half quarter third thirds fifth
    percent twice thrice once single double triple several few many dozens couple none no all most every each
    daily weekly monthly yearly annually hourly""".split()
)  # fmt: skip
_DIGIT = re.compile(r"\d")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_FILLER = frozenset("a an the of and or to on in at by about around nearly almost over under more than less some "
                    "last next past this that previous coming recent".split())


def asked_kind(question: str) -> Kind | None:
    """The kind of answer ``question``'s form asks for, or None (what, which, why, how ...)."""
    for kind, pattern in _ASKS:
        if pattern.match(question):
            return kind
    return None


def fits(kind: Kind | None, span: str) -> bool:
    """Whether ``span`` can be an answer of ``kind`` (any span fits no kind)."""
    if kind is None:
        return True
    words = [w.lower() for w in _WORD.findall(span)]
    digit = bool(_DIGIT.search(span))
    if kind is Kind.TIME:
        return digit or any(w in _TIME_WORDS for w in words)
    if kind is Kind.NUMBER:
        return digit or any(w in _NUMBER_WORDS for w in words)
    # A name or a place: anything but a span made only of time and number words and digits.
    return any(w not in _TIME_WORDS and w not in _NUMBER_WORDS and w not in _FILLER for w in words)
