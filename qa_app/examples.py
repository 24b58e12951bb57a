"""Example questions for the empty chat, checked against the index they are shown for."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

import qa

__all__ = ["CURATED_QUESTIONS", "example_questions", "topic_names"]

CURATED_QUESTIONS = (
    "Who is the Foreign Ministry spokesperson?",
    "What treaty did North Korea sign with the Soviet Union?",
    "Where did Kim and Putin tour?",
    "What did the Japanese Chief Cabinet Secretary say?",
)
"""Hand-written questions about the seed articles; shown only where the index answers them."""

TOPIC_TEMPLATE = "What do the articles say about {}?"

# A name: two to five capitalised words ("Tumen River", "Kim Jong-un", "Korean Central News Agency").
_NAME = re.compile(r"\b[A-Z][a-z]+(?:-[a-z]+)?(?:[ -][A-Z][a-z]+(?:-[a-z]+)?){1,4}\b")
_NOT_IN_NAMES = frozenset(
    (
        "The A An This That These Those Neither Either Both Also But And Or If When While As "
        "Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May "
        "June July August September October November December"
    ).split()
)
_GOOD_ENOUGH = ("high", "medium")


def topic_names(articles: Iterable[qa.Article], limit: int = 8) -> list[str]:
    """Names that recur in the articles' bodies, most mentioned first, one per article first."""
    counts: Counter[str] = Counter()
    first_seen: dict[str, str] = {}
    for article in articles:
        body = article.text[article.body_start :]
        for match in _NAME.finditer(body):
            name = _clean_name(match.group(0))
            if name:
                counts[name] += 1
                first_seen.setdefault(name, article.id)
    ranked = sorted(counts, key=lambda n: (-counts[n], n))
    spread = {first_seen[n]: n for n in reversed(ranked)}  # each article's most mentioned name
    ordered = [n for n in ranked if n in spread.values()] + [n for n in ranked if n not in spread.values()]
    return ordered[:limit]


def _clean_name(words: str) -> str | None:
    """``"The Tumen River"`` -> ``"Tumen River"``; None unless two or more name words remain."""
    tokens = words.split(" ")
    while tokens and tokens[0] in _NOT_IN_NAMES:
        tokens.pop(0)
    if len(tokens) < 2 or _NOT_IN_NAMES.intersection(tokens):
        return None
    return " ".join(tokens)


def example_questions(engine: qa.Engine, limit: int = 4) -> list[str]:
    """Up to ``limit`` questions the index answers with at least medium confidence.

    The hand-written questions come first (all but one slot), then questions about
    names that recur in the indexed articles, so any index gets examples of its own.
    """
    curated = [q for q in CURATED_QUESTIONS if _answers_well(engine, q)][: max(0, limit - 1)]
    derived = (TOPIC_TEMPLATE.format(name) for name in topic_names(engine.articles()))
    chosen = list(curated)
    for question in derived:
        if len(chosen) >= limit:
            break
        if _answers_well(engine, question):
            chosen.append(question)
    return chosen


def _answers_well(engine: qa.Engine, question: str) -> bool:
    answer = engine.ask(question)
    return answer.found and answer.confidence in _GOOD_ENOUGH
