"""Example questions: hand-written ones where the index answers them, plus derived ones."""

from __future__ import annotations

import qa
from qa import Answer, Article
from qa_app.examples import CURATED_QUESTIONS, TOPIC_TEMPLATE, example_questions, topic_names
from tests.support import SPOKESPERSON_QUESTION


def test_topic_names_are_recurring_names_spread_over_articles() -> None:
    articles = [
        Article("a", "A", "Header\nThe Tumen River froze. On Monday the Tumen River thawed. Kim Jong-un spoke.",
                metadata={"body_start": 7}),
        Article("b", "B", "The Red Cross came. Then the Red Cross left. The Tumen River rose.",),
    ]  # fmt: skip
    names = topic_names(articles)
    assert names[:2] == ["Tumen River", "Red Cross"]
    assert "Kim Jong-un" in names
    assert not any(n.startswith(("The ", "On ")) for n in names)


def test_seed_examples_are_answerable(engine: qa.Engine) -> None:
    examples = example_questions(engine)
    assert 1 <= len(examples) <= 4
    assert SPOKESPERSON_QUESTION in examples
    for question in examples:
        assert engine.ask(question).found


class _Engine:
    """Answers only the questions it is given; knows one article."""

    def __init__(self, answerable: set[str]) -> None:
        self.answerable = answerable

    def ask(self, question: str) -> Answer:
        found = question in self.answerable
        return Answer("x", found, [], [], confidence="high" if found else "none")

    def articles(self) -> list[Article]:
        return [Article("a", "A", "The Harbour Bridge opened. The Harbour Bridge closed.")]


def test_other_indexes_get_derived_examples_only() -> None:
    derived = TOPIC_TEMPLATE.format("Harbour Bridge")
    assert example_questions(_Engine({derived})) == [derived]  # type: ignore[arg-type]
    assert example_questions(_Engine(set())) == []  # type: ignore[arg-type]


def test_curated_examples_leave_room_for_a_derived_one() -> None:
    derived = TOPIC_TEMPLATE.format("Harbour Bridge")
    examples = example_questions(_Engine({*CURATED_QUESTIONS, derived}), limit=3)  # type: ignore[arg-type]
    assert examples == [*CURATED_QUESTIONS[:2], derived]
