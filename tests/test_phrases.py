"""Short answers widened to whole words, names and "between X and Y" (qa.phrases)."""

import pytest

from qa.phrases import whole_phrase

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
