"""The kind of answer a question asks for, and the answerer taking a span of that kind."""

import pytest

from qa.answer_kinds import Kind, asked_kind, fits


@pytest.mark.parametrize(
    "question, kind",
    [
        ("When did South Korea express serious concern?", Kind.TIME),
        ("In what year was the treaty signed?", Kind.TIME),
        ("And when did he leave?", Kind.TIME),
        ("How many net cafes did China close?", Kind.NUMBER),
        ("How old is Sonia O'Sullivan?", Kind.NUMBER),
        ("What percentage of voters backed it?", Kind.NUMBER),
        ("Who is the Foreign Ministry spokesperson?", Kind.NAME),
        ("Where did the briefing take place?", Kind.PLACE),
        ("To whom did she send her condolences?", Kind.NAME),
        ("What treaty did North Korea sign?", None),
        ("Why did the talks fail?", None),
        ("How did he describe the discovery?", None),
        ("Which country was second?", None),
    ],
)
def test_the_kind_a_question_asks_for(question, kind):
    assert asked_kind(question) is kind


def test_a_span_fits_its_kind_unless_it_plainly_is_not_one():
    for span in ("Thursday", "June 20, 2024", "1961", "two weeks ago", "after the war", "the 1990s"):
        assert fits(Kind.TIME, span), span
    for span in ("Lim Soo-suk", "the Foreign Ministry", "Seoul"):
        assert not fits(Kind.TIME, span), span
    for span in ("12,575", "35", "three", "more than US$300,000", "a dozen", "twice a year"):
        assert fits(Kind.NUMBER, span), span
    for span in ("Lim Soo-suk", "Thursday", "the government"):
        assert not fits(Kind.NUMBER, span), span
    for span in ("Lim Soo-suk", "Government Complex Seoul", "the 1961 treaty", "Theresa May", "at home"):
        assert fits(Kind.NAME, span), span
    for span in ("Thursday", "1961", "June 20, 2024", "last week", "two"):
        assert not fits(Kind.NAME, span), span
    assert fits(None, "anything at all") and fits(None, "")


def test_the_reader_gives_distinct_spans_best_first(engine):
    passages = ["Lim Soo-suk, spokesperson of the Foreign Ministry in Seoul, said in a briefing Thursday.", ""]
    spans, empty = engine.reader.read_n_best("Where did the briefing take place?", passages, 5)
    assert empty == [] and 1 < len(spans) <= 5
    assert [s.score for s in spans] == sorted((s.score for s in spans), reverse=True)
    assert len({(s.start, s.end) for s in spans}) == len(spans)
    assert spans[0] == engine.reader.read("Where did the briefing take place?", passages)[0]


def test_the_answer_is_a_span_of_the_asked_kind(engine):
    # The reader's best-margin span for this follow-up is "Thursday" ("said in a briefing
    # Thursday"): a time, not a place; the answerer takes the best place it read.
    previous = engine.ask("Who is the Foreign Ministry spokesperson?")
    answer = engine.ask("Where did the briefing take place?", [("Who is the Foreign Ministry spokesperson?", previous)])
    assert answer.found and fits(Kind.NAME, answer.span.quote) and "Seoul" in answer.span.quote
