"""Date and source filters on search and ask, and "the latest" preferring newer articles."""

from __future__ import annotations

import json
from datetime import date

import pytest

import qa

ROWS = [
    {"id": "herald-may", "date": "2024-05-20", "source": "Herald", "url": "https://herald.example.com/may",
     "text": "Flood barrier\nThe Lakeside flood barrier was closed on Monday after heavy rain, engineers said."},
    {"id": "courier-june", "date": "2024-06-12", "source": "Courier", "url": "https://courier.example.com/june",
     "text": "Flood barrier again\nThe Lakeside flood barrier was closed again on Friday as the river rose, engineers said."},
    {"id": "herald-july", "date": "2024-07-03", "source": "Herald", "url": "https://herald.example.com/july",
     "text": "Flood barrier repaired\nThe Lakeside flood barrier was repaired in July and reopened, engineers said."},
    {"id": "undated", "source": "Herald",
     "text": "Flood barrier history\nThe Lakeside flood barrier was built in 1987 by the river authority."},
]  # fmt: skip
PRICE = "Council update\nThe council set the water price at 3 dollars per cubic metre, the mayor said on Tuesday.\n"


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> qa.Engine:
    folder = tmp_path_factory.mktemp("filters")
    rows = list(ROWS)
    rows += [
        {"id": "price-old", "text": " date 2024-03-01 Most Popular\n" + PRICE, "source": "Gazette"},
        {"id": "price-new", "text": " date 2024-09-01 Most Popular\n" + PRICE, "source": "Gazette"},
    ]
    (folder / "news.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    qa.build_index(folder / "news.jsonl", folder / "index")
    return qa.load_engine(folder / "index")


def found(passages) -> set[str]:
    return {p.article_id for p in passages}


def test_date_range_and_sources_restrict_search(engine):
    query = "Lakeside flood barrier engineers"
    assert {"herald-may", "courier-june", "herald-july", "undated"} <= found(engine.search(query, 10))
    assert found(engine.search(query, 10, since="2024-06-01")) <= {"courier-june", "herald-july", "price-new"}
    assert "courier-june" in found(engine.search(query, 10, since="2024-06-01"))
    assert found(engine.search(query, 10, until=date(2024, 6, 30), sources=["Herald"])) == {"herald-may"}
    assert found(engine.search(query, 10, sources=["Herald"])) == {"herald-may", "herald-july", "undated"}
    assert engine.search(query, 10, since="2030-01-01") == []


def test_ask_answers_only_from_the_filtered_articles(engine):
    answer = engine.ask("When was the Lakeside flood barrier closed again?", sources=["Courier"])
    assert answer.found and {c.article_id for c in answer.citations} == {"courier-june"}
    answer = engine.ask("When was the Lakeside flood barrier closed again?", sources=["Nobody"])
    assert not answer.found and not answer.passages
    with pytest.raises(ValueError, match="until must be a date"):
        engine.ask("When was the barrier closed?", until="soon")
    assert engine.sources() == ["Courier", "Gazette", "Herald"]


def test_latest_prefers_the_newer_of_equally_relevant_articles(engine):
    plain = engine.ask("What water price did the council set?")
    assert plain.found and plain.citations[0].article_id == "price-old"  # index order on a tie
    latest = engine.ask("What latest water price did the council set?")  # the same question, "latest" added
    assert latest.found and latest.citations[0].article_id == "price-new"
    assert [p.article_id for p in engine.search("latest council water price", 1)] == ["price-new"]
