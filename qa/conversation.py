"""Follow-up questions: what a turn of a chat refers to, and the question it stands for.

A chat's earlier turns are :class:`Exchange` records (the question, the answer's text and
short answer, the article it came from), oldest first. :func:`understand` decides whether
a new question follows up on one of them and rewrites it for retrieval and reading:

* a pronoun or possessive ("What is **his** title?", "Who met **her**?") is read as the
  entity it stands for: the previous short answer (never a date or a number); a personal
  one (he, she, him, his, her) as the last turn's answer to a "who" question, so that
  "Where did he speak?" after "Who is ...?" and "What is his title?" still means the person,
  or, after a question whose answer cannot be a person ("Where was Benefield's body
  found?"), as the one name that question brings; the part of the answer the new question
  asks for is left out ("In which year was it signed?" after "the 1961 treaty" reads "...
  was the treaty signed?": a question holding its own answer reads as unanswerable);
* a question with no topic of its own ("What is the name?") or an ellipsis ("And in
  2003?", "What about the prize?") takes the previous turn's topic;
* a question with a topic too thin to stand alone ("How much was the prize?": at most
  :data:`THIN_TOPIC_TERMS` terms) follows up when the previous turn or its answer's article
  mentions every one of them (the caller gives the article's text: ``article_text``);
  otherwise it stands alone. Linking every short question had linked 13 of the news dev set's 149 topic
  switches to win one of its 10 chats;
* a question that names a subject the previous turns never mentioned is a clean break,
  pronoun or not; so is one (not an ellipsis) whose topic (:data:`OWN_TOPIC_TERMS` terms or more) shares no
  term with the previous turn or its answer's article: "Where do cicadas lay their eggs?"
  after a question about a tax bill asks about cicadas, whatever "their" is.

The previous turn that answered is used (a declined turn in between is skipped), so a
chat can follow up over several turns. No state is kept here: the caller passes the turns.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .answer_kinds import Kind, asked_kind
from .dates import MONTHS, WEEKDAYS
from .text import QUESTION_FORM, terms
from .types import Answer

__all__ = ["Exchange", "History", "Understood", "last_exchange", "topic_terms", "understand"]


@dataclass(frozen=True)
class Exchange:
    """One earlier turn: the question, the answer's ``text`` and ``short`` answer ("" when
    none), the ``article_id`` it was taken from, and whether it was ``found``."""

    question: str
    text: str = ""
    short: str = ""
    article_id: str | None = None
    found: bool = True

    @classmethod
    def of(cls, question: str, answer: "str | Answer | None") -> "Exchange":
        """From an :class:`Answer`, or from an answer's text (a text that opens with a
        bold short answer, ``**Lin Jian** ...``, gives it; one that says the articles
        don't say is a declined turn)."""
        if isinstance(answer, Answer):
            if not answer.found:
                return cls(question, found=False)
            article = answer.citations[0].article_id if answer.citations else None
            return cls(question, answer.text, answer.span.quote if answer.span else "", article)
        text = answer or ""
        if text.startswith(_DECLINED):
            return cls(question, found=False)
        m = _BOLD.match(text)
        if m is None:
            return cls(question, text)
        # The reply's words after its bold short answer: what an Answer's own text holds.
        return cls(question, text[m.end() :].strip(), m.group(1).strip())

    @property
    def context(self) -> str:
        """The turn's words, searched beside a follow-up."""
        return f"{self.question} {self.text}".strip()


History = Sequence["Exchange | tuple[str, str | Answer]"]
"""Earlier turns, oldest first: :class:`Exchange` records or ``(question, answer)`` pairs."""


@dataclass(frozen=True)
class Understood:
    """A question as the engine reads it.

    ``reader_question`` is what retrieval and the reader get (the entity filled in);
    ``shown`` is what the page shows the question was understood as; ``follows`` is the
    turn it follows up on (None: a question of its own), whose ``context`` retrieval adds.
    """

    question: str
    reader_question: str
    shown: str
    follows: Exchange | None = None

    @property
    def context(self) -> str:
        return self.follows.context if self.follows else ""


_DECLINED = "The articles don't say"
_BOLD = re.compile(r"^\s*\*\*(.+?)\*\*")
_REFERENCE = re.compile(r"\b(he|she|it|its|they|them|their|his|her|him|there|the same)\b", re.I)
_PRONOUN = re.compile(r"\b(he|she|him|it|they|them|his|her|its|their)\b", re.I)
_POSSESSIVES = frozenset(("his", "her", "its", "their"))
_PERSONAL = frozenset(("he", "she", "him", "his", "her"))
_ASKS_WHO = re.compile(r"^\s*(?:who|whom|whose)\b", re.I)
_WHO_IS = re.compile(r"^\s*who\s+(?:is|was)\s+(?P<subject>(?:the|a|an)\s+[^?]{3,80}?)\s*\??\s*$", re.I)
"""A "who is the ...?" question: its subject is the person a later he/she/his/her means."""
# "her" before one of these is the object ("Who met her?", "gave her the prize"), not a possessive.
_AFTER_OBJECT_HER = re.compile(r"\s*(?:$|[?.!,;:]|(?:to|in|on|at|about|for|with|from|by|as|the|a|an|and|or|when|where|why|how)\b)", re.I)
_NUMERIC = re.compile(rf"\d[\W\d]*$|^(?:{'|'.join(WEEKDAYS + MONTHS)})\b")
"""A short answer that ends in a number (an amount, a count, a date) or names a day or
month: never read into a pronoun ("the 1961 treaty" is; "more than US$300,000" is not)."""
_ELLIPSIS = re.compile(r"^\s*(?:and|what about|how about|and what about)\b\s*(?P<rest>[^?]*)\??\s*$", re.I)
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_NAME = re.compile(r"\b[A-Z][\w'’.-]*[A-Za-z]")
_NAME_RUN = re.compile(r"(?<=\s)[A-Z][\w'’.-]*[A-Za-z](?:\s+[A-Z][\w'’.-]*[A-Za-z])*")
"""A run of capitalised words after a question's first: a name it brings."""
_POSSESSIVE_S = re.compile(r"['’]s?$")
_ASKS_NO_PERSON = re.compile(r"^\s*(?:where|when|why|how)\b", re.I)
"""A question whose answer is a place, a time, a reason or an amount: never a person."""
_TIME_PART = re.compile(rf"\d[\d,.:/-]*(?:s|th|st|nd|rd)?|(?:{'|'.join(WEEKDAYS + MONTHS)})", re.I)
_NUMBER_PART = re.compile(r"(?:US)?[$€£]?\d[\d,.]*%?")
_DETERMINERS = frozenset(("the", "a", "an", "this", "that"))
MAX_SUBSTITUTE_CHARS = 80
"""A longer short answer is not read into a pronoun: it is a clause, not a name."""
LOOK_BACK = 3
"""Turns looked back over for the last one that answered."""
THIN_TOPIC_TERMS = 1
"""A question with at most this many topic terms may lean on the previous answer's article."""
OWN_TOPIC_TERMS = 2
"""A question with at least this many topic terms, none of them in the previous turn or its
article, has a topic of its own (its pronouns refer inside it: "How much of its battery
power did the solar plane use?")."""


def understand(question: str, history: History, article_text: Callable[[str], str] | None = None) -> Understood:
    """``question`` as the engine should read it after ``history`` (see the module).

    ``article_text`` gives an article's text by id (the previous answer's article, for a
    question whose topic is too thin to stand alone); without it only the previous turn's
    own words are looked in."""
    previous = _last_answered(history)
    if previous is None or _names_new_subject(question, history):
        return Understood(question, question, question)
    ellipsis = _ELLIPSIS.match(question)
    if ellipsis and len(ellipsis.group("rest").split()) <= 6 and not _REFERENCE.search(ellipsis.group("rest")):
        rewritten = _fill_ellipsis(previous.question, ellipsis.group("rest").strip())
        return Understood(question, rewritten, rewritten, previous)
    own = topic_terms(question)
    known = _known_terms(previous, article_text) if own else set()
    # A topic of its own, none of it in the previous turn or its article: no follow-up,
    # whatever its pronouns (checked after the ellipsis: "What about ...?" says it follows up).
    if len(own) >= OWN_TOPIC_TERMS and not known.intersection(own):
        return Understood(question, question, question)
    if own and not _REFERENCE.search(question):
        # A topic too thin to stand alone leans on the previous turn when it mentions all of it.
        if len(own) <= THIN_TOPIC_TERMS and all(t in known for t in own):
            return Understood(question, question, f"{question} (following up on: {previous.question.strip()})", previous)
        return Understood(question, question, question)
    rewritten = _resolve(question, previous, _last_person(history))
    shown = rewritten if rewritten != question else f"{question} (following up on: {previous.question.strip()})"
    return Understood(question, rewritten, shown, previous)


def last_exchange(history: History) -> Exchange | None:
    """The latest turn, answered or not."""
    return _exchange(history[-1]) if history else None


def _exchange(item: "Exchange | tuple[str, str | Answer]") -> Exchange:
    return item if isinstance(item, Exchange) else Exchange.of(*item)


def _last_answered(history: History) -> Exchange | None:
    for item in list(history)[::-1][:LOOK_BACK]:
        turn = _exchange(item)
        if turn.found and (turn.text or turn.short):
            return turn
    return None


def _last_person(history: History) -> Exchange | None:
    """The latest recent turn that answered a "who" question with a name-sized answer."""
    for item in list(history)[::-1][:LOOK_BACK]:
        turn = _exchange(item)
        if turn.found and turn.short and _ASKS_WHO.match(turn.question) and _substitutable(turn.short):
            return turn
    return None


def _substitutable(short: str) -> bool:
    return bool(short) and len(short) <= MAX_SUBSTITUTE_CHARS and not _NUMERIC.search(short)


def _known_terms(turn: Exchange, article_text: Callable[[str], str] | None) -> set[str]:
    """The terms of ``turn``'s words and of its answer's article (when ``article_text`` gives it)."""
    known = set(terms(turn.context))
    if article_text is not None and turn.article_id:
        known |= set(terms(article_text(turn.article_id) or ""))
    return known


def topic_terms(question: str) -> list[str]:
    """The question's distinct terms, less the words of its form ("take place", "year")."""
    return [t for t in dict.fromkeys(terms(question)) if t not in QUESTION_FORM]


def _own_names(question: str) -> list[str]:
    """Capitalised words after the first: the names a question brings."""
    return [m.group() for m in _NAME.finditer(question) if question[: m.start()].strip()]


def _names_new_subject(question: str, history: History) -> bool:
    """Whether ``question`` names someone or something (a capitalised word after its first)
    that none of the recent turns mentions: then it asks about that, not about them."""
    names = _own_names(question)
    if not names:
        return False
    seen = set(terms(" ".join(_exchange(t).context for t in list(history)[-LOOK_BACK:])))
    return any(not (set(terms(name)) & seen) for name in names if terms(name))


def _fill_ellipsis(previous: str, rest: str) -> str:
    """"And in 2003?" after "Who won the prize in 2002?" -> "Who won the prize in 2003?";
    otherwise the previous question with the new part added."""
    year = _YEAR.search(rest)
    if year and _YEAR.search(previous):
        return _YEAR.sub(year.group(1), previous, count=1)
    return f"{previous.strip().rstrip('?')} {rest}?".replace("  ", " ")


def _referent(word: str, turn: Exchange, person: Exchange | None) -> str:
    """What ``word`` (a pronoun) stands for after ``turn``: a personal one (he, she, his,
    her, him) is a person, so after a question whose answer cannot be one ("Where was
    Benefield's body found?") it is the one name that question brings ("Benefield"), else
    the last "who" answer; any other is the previous short answer. "" when none fits."""
    if word not in _PERSONAL:
        return turn.short
    no_person = bool(_ASKS_NO_PERSON.match(turn.question)) or asked_kind(turn.question) in (Kind.TIME, Kind.NUMBER)
    names = _NAME_RUN.findall(turn.question) if no_person else []
    if len(names) == 1:
        return _POSSESSIVE_S.sub("", names[0])
    if person is not None:
        return person.short
    return "" if no_person else turn.short


def _without_asked_part(short: str, kind: Kind | None) -> str:
    """``short`` less the part a question of ``kind`` asks for: "In which year was it
    signed?" after "the 1961 treaty" asks "... was the treaty signed?", since a question
    that holds its own answer reads as one the passage cannot answer."""
    if kind not in (Kind.TIME, Kind.NUMBER):
        return short
    asked = _TIME_PART if kind is Kind.TIME else _NUMBER_PART
    words = [w for w in short.split() if not asked.fullmatch(w.strip(",.;:"))]
    if len(words) == len(short.split()) or not any(w.lower() not in _DETERMINERS for w in words):
        return short
    if words[0].lower() not in _DETERMINERS:
        words.insert(0, "the")
    return " ".join(words).rstrip(",;:")


def _resolve(question: str, turn: Exchange, person: Exchange | None = None) -> str:
    """The question with its first pronoun read as the previous short answer ("What is his
    title?" -> "What is Lin Jian's title?", "Who met her?" -> "Who met Lin Jian?"), or a
    personal pronoun as ``person``'s, the last "who" answer. A date or number is never read
    into a pronoun, nor is a long answer. Without a short answer (a history of plain
    texts), a personal pronoun after "Who is the X?" is read as "the X"."""
    m = _PRONOUN.search(question)
    if not m:
        return question
    word = m.group(1).lower()
    short = _referent(word, turn, person)
    if not _substitutable(short):
        subject = _WHO_IS.match(turn.question) if word in _PERSONAL else None
        if subject is None:
            return question
        short = subject.group("subject")
    short = _without_asked_part(short, asked_kind(question))
    possessive = word in _POSSESSIVES and not (word == "her" and _AFTER_OBJECT_HER.match(question, m.end()))
    return question[: m.start()] + short + ("'s" if possessive else "") + question[m.end() :]
