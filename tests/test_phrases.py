"""Short answers widened to whole words, names and "between X and Y" (qa.phrases)."""

import pytest

from qa.answer_kinds import Kind
from qa.answering import _pick
from qa.phrases import well_formed, whole_phrase
from qa.reader.model import SpanScore

TEXT = (
    "The briefing was held at the Government Complex Seoul on Thursday. It cited the 1961 treaty "
    "signed between North Korea and the Soviet Union, he said. Foreign Minister Lim Soo-suk spoke. "
    "Kim met Putin in Pyongyang Thursday."
)


@pytest.mark.parametrize(
    "span, whole",
    [
        ("Complex Seoul", "Government Complex Seoul"),
        ("Government", "Government Complex Seoul"),
        ("1961 treaty signed between North Korea", "1961 treaty signed between North Korea and the Soviet Union"),
        ("Lim Soo", "Lim Soo-suk"),
        ("oo-suk", "Soo-suk"),
        ("Soo-suk", "Soo-suk"),  # the words before a name may be a title: the span keeps its start
        ("Pyongyang", "Pyongyang"),  # a weekday after a name is not part of it
        ("Thursday", "Thursday"),
        ("the 1961 treaty", "the 1961 treaty"),
        ("It cited", "It cited"),  # a sentence's first word does not pull in the one before
    ],
)
def test_spans_are_widened_to_whole_phrases(span, whole):
    start = TEXT.index(span)
    a, b = whole_phrase(TEXT, start, start + len(span))
    assert TEXT[a:b] == whole


def test_widening_stays_inside_the_window():
    lo = TEXT.index("Complex")
    seoul = TEXT.index("Seoul") + len("Seoul")
    assert whole_phrase(TEXT, lo, lo + 7, lo, len(TEXT)) == (lo, seoul)
    assert whole_phrase(TEXT, lo, lo + 7, lo, lo + 7) == (lo, lo + 7)


QUOTED = ('Craig flew to New York to undergo minor surgery. It was reported that filming went on at Pinewood. '
          'The lockdown was to remain in place for "several hours." Mr. Smith (the sheriff) said so.')


@pytest.mark.parametrize(
    "span, ok",
    [
        ("New York", True),
        ("New York to undergo minor surgery. It was reported", False),  # runs into the next sentence
        ('remain in place for "several hours', False),  # a quote opened, never closed
        ('remain in place for "several hours."', True),
        ("remain in place", True),
        ("Mr. Smith", True),  # an abbreviation's full stop ends no sentence
        ("Smith (the sheriff", False),
        ("Smith (the sheriff)", True),
    ],
)
def test_a_well_formed_span_keeps_to_one_sentence_and_closes_what_it_opens(span, ok):
    start = QUOTED.index(span)
    assert well_formed(QUOTED, start, start + len(span)) is ok


def test_the_answerer_takes_the_best_well_formed_span_of_the_asked_kind():
    def at(span: str, score: float) -> SpanScore:
        start = QUOTED.index(span)
        return SpanScore(start, start + len(span), score, 0.0)

    running_on = at("New York to undergo minor surgery. It was reported", 9.0)
    city, studio = at("New York", 8.0), at("Pinewood", 7.0)
    assert _pick(None, QUOTED, [running_on, city, studio]) == (city, True)
    assert _pick(Kind.NAME, QUOTED, [running_on, studio]) == (studio, True)
    # Nothing well formed: the reader's best span still answers.
    assert _pick(None, QUOTED, [running_on]) == (running_on, True)
    # None of the asked kind: the best well-formed span, marked as not of the kind.
    assert _pick(Kind.TIME, QUOTED, [running_on, city]) == (city, False)
