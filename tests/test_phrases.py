"""Short answers widened to whole words, names and "between X and Y" (qa.phrases)."""

import pytest

from qa.answer_kinds import Kind
from qa.answering import _full_name, _pick
from qa.phrases import is_abbreviation, spells_out, well_formed, whole_phrase
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


@pytest.mark.parametrize(
    "name, short, ok",
    [
        ("Korean Central News Agency", "KCNA", True),
        ("the Korean Central News Agency", "KCNA", True),
        ("Federal Bureau of Investigation", "FBI", True),  # small linking words are skipped
        ("United States", "U.S.", True),
        ("Korean Central News", "KCNA", False),  # a letter short
        ("North Korea's state-run Korean Central News Agency", "KCNA", False),  # more than the name
        ("Korean central news agency", "KCNA", False),  # not a name
        ("KCNA", "KCNA", False),
        ("Kim Central", "Kim", False),  # not an abbreviation
    ],
)
def test_a_full_name_spells_out_its_abbreviation(name, short, ok):
    assert spells_out(name, short) is ok


def test_abbreviations_are_capitals():
    assert is_abbreviation("NATO") and is_abbreviation("U.N.") and is_abbreviation(" KCNA ")
    assert not is_abbreviation("A") and not is_abbreviation("Nato") and not is_abbreviation("NATO summit")


def test_an_abbreviation_gives_way_to_the_name_a_window_spells_out():
    texts = ["The pact was released by the KCNA on Thursday.",
             "The pact was released by North Korea's state-run Korean Central News Agency."]  # fmt: skip

    def at(i: int, span: str, score: float, null: float) -> SpanScore:
        start = texts[i].index(span)
        return SpanScore(start, start + len(span), score, null)

    kcna, the_kcna = at(0, "KCNA", 12.9, 4.1), at(0, "the KCNA", 12.0, 4.1)
    name, longer = at(1, "Korean Central News Agency", 12.1, 4.9), at(1, "state-run Korean Central News Agency", 9.8, 4.9)
    order = [(0, kcna), (1, name)]
    assert _full_name(texts, [[kcna, the_kcna], [longer, name]], order) == (1, name)
    # Only a span the reader would give too: one under its window's "no answer" is not taken.
    weak = at(1, "Korean Central News Agency", 4.0, 4.9)
    assert _full_name(texts, [[kcna], [weak]], [(0, kcna), (1, weak)]) is None
    # A best span that is no abbreviation stays.
    assert _full_name(texts, [[name], [kcna]], [(1, name), (0, kcna)]) is None


def test_a_where_question_gets_the_place_itself_not_just_its_city():
    text = "Kim and Putin toured the garden of the Kumsusan State Guest House in Pyongyang on Thursday."

    def at(span: str, score: float, null: float = 4.4) -> SpanScore:
        start = text.index(span)
        return SpanScore(start, start + len(span), score, null)

    city, place = at("Pyongyang", 9.99), at("Kumsusan State Guest House in Pyongyang", 9.50)
    assert _pick(Kind.PLACE, text, [city, place]) == (place, True)
    # Only for "where": a "who" question keeps the reader's best span.
    assert _pick(Kind.NAME, text, [city, place]) == (city, True)
    # Far below the city, or under its "no answer", the longer span is not taken.
    assert _pick(Kind.PLACE, text, [city, at("Kumsusan State Guest House in Pyongyang", 8.5)]) == (city, True)
    assert _pick(Kind.PLACE, text, [city, at("Kumsusan State Guest House in Pyongyang", 9.5, null=9.6)]) == (city, True)
