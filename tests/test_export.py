"""Markdown export of a conversation, with numbered references."""

from __future__ import annotations

from datetime import datetime, timezone

from qa import Answer, Article, Citation
from qa_app.export import Reference, Turn, export_markdown, turn_from_answer

WHEN = datetime(2024, 6, 21, 9, 30, tzinfo=timezone.utc)
REF = Reference("a1", "Seoul vows *stern* actions", "2024-06-20", "Son Ji-hyoung", 10, 40, 4, "Lim Soo-suk said so.")
OTHER = Reference("b2", "Summit ends", None, None, 0, 12, 1, "Kim and Putin")


def test_export_numbers_references_and_reuses_numbers() -> None:
    turns = [
        Turn("Who spoke?", "Lim Soo-suk said so.", True, "high", (REF,)),
        Turn("Who met?", "Kim and Putin", True, "medium", (OTHER, REF)),
    ]
    md = export_markdown(turns, WHEN)
    assert md.startswith("# Article QA conversation\n\nExported 2024-06-21 09:30 UTC")
    assert "## 1. Who spoke?\n\nLim Soo-suk said so. [1]\n\n*Confidence: high*" in md
    assert "## 2. Who met?\n\nKim and Putin [2][1]\n\n*Confidence: medium*" in md
    refs = md.split("## References\n\n", 1)[1]
    assert refs.startswith(
        "1. *Seoul vows \\*stern\\* actions*, June 20, 2024, by Son Ji-hyoung. "
        "Article `a1`, paragraph 4, characters 10–40.\n   > Lim Soo-suk said so."
    )
    assert "2. *Summit ends*. Article `b2`" in refs
    assert refs.count("\n   > ") == 2


def test_export_of_unanswered_and_empty_conversations() -> None:
    md = export_markdown([Turn("Capital of France?", "The articles don't say.")], WHEN)
    assert "The articles don't say." in md and "Confidence" not in md and "References" not in md
    assert "*No questions asked yet.*" in export_markdown([], WHEN)


def test_turn_from_answer_looks_up_date_byline_and_paragraph() -> None:
    article = Article("a1", "Title", "Header\n\nFirst.\nThe quote.", date="2024-06-20", author="Jane Doe")
    start = article.text.index("The quote.")
    end = start + len("The quote.")
    answer = Answer("The quote.", True, [Citation("a1", "Title", start, end, "The quote.")], [], confidence="low")
    turn = turn_from_answer("Q?", answer, {"a1": article}.__getitem__)
    reference = Reference("a1", "Title", "2024-06-20", "Jane Doe", start, end, 3, "The quote.")
    assert turn == Turn("Q?", "The quote.", True, "low", (reference,))


def test_a_byline_cited_from_the_header_is_exported_as_the_header() -> None:
    text = "Talks endBy Jane Doe\nThe story."
    article = Article("a1", "Talks end", text, author="Jane Doe", metadata={"body_start": text.index("The story.")})
    start = text.index("Jane Doe")
    answer = Answer("Written by Jane Doe.", True, [Citation("a1", "Talks end", start, start + 8, "Jane Doe")], [])
    turn = turn_from_answer("Who wrote it?", answer, {"a1": article}.__getitem__)
    assert turn.references[0].paragraph == 0
    assert f"Article `a1`, the header, characters {start}–{start + 8}" in export_markdown([turn], WHEN)
