"""The engine's contract on the seed articles: answers, citations, abstention, follow-ups."""

import pytest

import qa
from qa.answering import EMPTY_QUESTION, NOT_FOUND
from tests.support import SEED_DECLINED, SEED_QUESTIONS, known_misses



def check_spans(engine, answer):
    for c in answer.citations:
        assert engine.article(c.article_id).text[c.start : c.end] == c.quote
    for p in answer.passages:
        assert engine.article(p.article_id).text[p.start : p.end] == p.text
        for loc in p.also_in:
            assert 0 <= loc.start < loc.end <= len(engine.article(loc.article_id).text)


@pytest.mark.parametrize("question", known_misses(SEED_QUESTIONS, SEED_DECLINED))
def test_answers_are_short_cited_extracts(engine, question):
    answer = engine.ask(question)
    assert answer.found, f"declined: {question!r} (p={answer.probability})"
    assert 0 < len(answer.text) <= 400
    assert answer.citations and answer.confidence in {"high", "medium", "low"}
    check_spans(engine, answer)
    first = answer.citations[0]
    assert first.quote == answer.text
    assert answer.text in engine.article(first.article_id).text


@pytest.mark.parametrize(
    "question, expected",
    [
        ("Who is the Foreign Ministry spokesperson?", "Lim Soo-suk"),
        ("What treaty did North Korea sign with the Soviet Union?", "1961 treaty"),
        ("Who is the Japanese Chief Cabinet Secretary?", "Yoshimasa Hayashi"),
        ("What will Pyongyang and Moscow build across the Tumen River?", "motorway bridge"),
    ],
)
def test_seed_answers_contain_the_fact(engine, question, expected):
    answer = engine.ask(question)
    assert answer.found and expected in answer.text, answer
    assert answer.span.quote in answer.text and answer.passages[0].article_id == answer.span.article_id


@pytest.mark.parametrize(
    "question",
    ["What is the population of Pyongyang?", "How much did the Aurus car cost?", "Who won the 2022 FIFA World Cup?"],
)
def test_abstains_when_articles_do_not_say(engine, question):
    answer = engine.ask(question)
    assert not answer.found
    assert answer.text == NOT_FOUND and answer.citations == []
    assert answer.confidence == "none"
    check_spans(engine, answer)  # the closest passages are still offered


@pytest.mark.parametrize("question", ["", "   \n\t", "?!...", None])
def test_empty_question_gets_a_helpful_reply(engine, question):
    answer = engine.ask(question)
    assert not answer.found and answer.text == EMPTY_QUESTION


def test_very_long_question_is_handled(engine):
    question = ("What did the Foreign Ministry spokesperson say about the pact? " * 1700)[:100_000]
    assert len(question) == 100_000
    answer = engine.ask(question)
    check_spans(engine, answer)
    assert engine.search("x" * 100_000, k=3) is not None


@pytest.mark.parametrize(
    "question",
    [
        "Aurus " * 42,  # 250 characters of a rare word: once made the tokenizer panic
        "Who " + "Zyqxwv-" * 400 + "?",
        "\u200b\u0000 Who is the spokesperson? \ud83d\ude00 " * 50,
        "漢字の質問は何ですか" * 300,
        "?" * 5000 + " Who",
        "a" * 100_000,
    ],
)
def test_odd_questions_never_crash(engine, question):
    answer = engine.ask(question)
    check_spans(engine, answer)
    assert 0.0 <= answer.probability <= 1.0


def test_the_year_follow_up_uses_the_conversation(engine):
    first = engine.ask("What treaty did North Korea sign with the Soviet Union?")
    follow = engine.ask("In which year was it signed?", [("What treaty did North Korea sign with the Soviet Union?", first.text)])
    assert follow.found and "1961" in follow.span.quote, follow
    assert "following up on" in follow.question


def test_follow_up_uses_the_conversation(engine):
    first = engine.ask("Who is the Foreign Ministry spokesperson?")
    follow = engine.ask("What is his name?", [("Who is the Foreign Ministry spokesperson?", first.text)])
    assert follow.found and "Lim Soo-suk" in follow.span.quote, follow
    assert follow.question == "What is the Foreign Ministry spokesperson's name?"  # shown with the entity filled in


def test_duplicate_story_is_one_result_citing_both_sources(engine):
    passages = engine.search("Japanese Chief Cabinet Secretary Yoshimasa Hayashi expressed concern", k=5)
    texts = [p.text for p in passages]
    hayashi = [t for t in texts if "Hayashi" in t]
    assert len(hayashi) == 1, "the same paragraph from two scrapes must be collapsed"
    top = next(p for p in passages if "Hayashi" in p.text)
    assert {top.article_id} | {o.article_id for o in top.also_in} == {"000_61fa93c29d891d97", "004_c75256f9babe0d3c"}

    answer = engine.ask("Who is the Japanese Chief Cabinet Secretary?")
    assert {c.article_id for c in answer.citations} == {"000_61fa93c29d891d97", "004_c75256f9babe0d3c"}
    check_spans(engine, answer)


def test_search_returns_scored_exact_passages(engine):
    passages = engine.search("Aurus vehicle gift", k=3)
    assert 1 <= len(passages) <= 3
    assert "Aurus" in passages[0].text
    assert all(isinstance(p, qa.Passage) for p in passages)
    for p in passages:
        assert engine.article(p.article_id).text[p.start : p.end] == p.text
    assert engine.search("   ") == []


def test_article_lookup(engine):
    article = engine.article("000_61fa93c29d891d97")
    assert article.author == "Son Ji-hyoung" and article.date == "2024-06-20"
    with pytest.raises(KeyError):
        engine.article("no-such-id")
    assert len(engine.articles()) == 2
