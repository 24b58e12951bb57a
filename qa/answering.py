"""Answers read from the retrieved passages by the trained reader, or an honest "not found".

The retriever's top passages are cut to windows around their best-matching sentences
and read by :class:`qa.reader.Reader` in one batch. The best span over all windows is
the short answer; "no answer" is weighed across the same windows. A logistic
calibration (fitted on held-out training data, see :mod:`qa.reader.calibrate`) turns
the scores into the probability that the answer is right, and the answer is given only
when that probability reaches the calibrated threshold.

Questions about an article itself (who wrote it, when, which outlet) are answered from
its byline, date and source (:mod:`qa.metadata`). Follow-ups lean on the previous turn:
its question and answer join the retrieval query, and a pronoun ("his", "it") is read
as the previous short answer.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from . import metadata
from .answer_kinds import Kind, asked_kind, fits
from .phrases import is_abbreviation, spells_out, well_formed, whole_phrase
from .chunking import reading_window, sentences
from .config import Config
from .conversation import History, last_exchange, topic_terms, understand
from .reader import Reader, SpanScore
from .retrieval import Candidate, Retriever
from .text import clean_query, normalize, terms
from .types import Answer, Article, Citation, Passage

__all__ = ["Answerer", "Reading", "NOT_FOUND", "EMPTY_QUESTION", "MAX_QUESTION_CHARS", "History"]

NOT_FOUND = "The articles don't say. I couldn't find an answer to that in the indexed articles."
EMPTY_QUESTION = (
    "Please type a question about the articles, for example "
    '"Who is the Foreign Ministry spokesperson?"'
)
MAX_QUESTION_CHARS = 2000
"""Longer input (a pasted article, say) is cut here: questions are short."""

# --- reading ---------------------------------------------------------------------------


@dataclass
class _Window:
    cand: Candidate
    start: int  # article offsets of the text the reader read
    end: int


@dataclass
class Reading:
    """What the reader found for one question, before the answer / no-answer decision.

    ``features`` are the calibration's inputs (see :data:`FEATURES`); ``probability``
    is the calibrated chance that ``best`` is a right answer.
    """

    question: str
    reader_question: str
    candidates: list[Candidate]
    windows: list[_Window] = field(default_factory=list)
    spans: list[SpanScore | None] = field(default_factory=list)
    best: int | None = None
    best_text: str = ""
    """The best span's text (``""`` when nothing was read)."""
    features: dict[str, float] = field(default_factory=dict)
    probability: float = 0.0


FEATURES = ("margin", "span_score", "null_gap", "retrieval", "rank", "unexplained", "span_words", "answerable")
"""margin: how much the best window's best span beats that window's no-answer score;
span_score: the best span's start + end logit; null_gap: the best window's own no-answer
score minus the lowest; retrieval: its passage's retrieval score; rank: its window's
rank; unexplained: share of the question's term weight no window mentions; span_words:
log of the answer's length in words; answerable: the answerability head's logit for the
best window's passage (only when the reader has that head, :mod:`qa.reader.head`)."""


class Answerer:
    """Turns retrieved passages into an :class:`Answer`."""

    def __init__(self, retriever: Retriever, reader: Reader, config: Config) -> None:
        self.retriever = retriever
        self.reader = reader
        self.data = retriever.data
        self.config = config
        self._n = max(1, self.data.lexical.size)

    def _idf(self, term: str) -> float:
        df = self.data.lexical.document_frequency(term)
        return math.log(1 + (self._n - df + 0.5) / (df + 0.5))

    def read(self, question: str, history: History = ()) -> Reading:
        """Retrieve, read the top windows in one batch and score the best span."""
        question = clean_query(question, MAX_QUESTION_CHARS)
        understood = understand(question, history, self._article_text)
        reader_question = understood.reader_question
        cands = self.retriever.candidates(reader_question, context=understood.context)
        reading = Reading(understood.shown, reader_question, cands)
        top = cands[: self.config.reader_passages]
        if not top:
            return reading
        reading.windows = [self._window(c) for c in top]
        texts = [self.data.texts[w.cand.article][w.start : w.end] for w in reading.windows]
        kind = asked_kind(reader_question)
        n_best = self.reader.read_n_best(reader_question, texts, self.config.reader_spans)
        # Each window's best well-formed span of the kind the question asks for ("when": a
        # time), or its best span when none is.
        picked = [_pick(kind, text, spans) for text, spans in zip(texts, n_best)]
        reading.spans = [span for span, _ in picked]
        scored = [(i, s) for i, s in enumerate(reading.spans) if s is not None]
        if not scored:
            return reading
        # One criterion ranks the windows and picks the answer: a span of the asked kind
        # first, then how much a window's span beats its own "no answer" (raw span scores
        # do not compare across windows).
        order = sorted(scored, key=lambda x: (not picked[x[0]][1], -x[1].margin, x[0]))
        # An abbreviation gives way to the name it stands for, when a window read spells it
        # out in a span the reader would give too: "KCNA" -> "Korean Central News Agency".
        full = _full_name(texts, n_best, order)
        if full is not None:
            reading.spans[full[0]] = full[1]
            order = [full] + [x for x in order if x[0] != full[0]]
        best_i, best = order[0]
        start, end = whole_phrase(texts[best_i], best.start, best.end)
        best = reading.spans[best_i] = SpanScore(start, end, best.score, best.null, best.answerable)
        lowest_null = min(s.null for _, s in scored)
        reading.best = best_i
        reading.best_text = answer_text = texts[best_i][best.start : best.end]
        reading.features = {
            "margin": best.margin,
            "span_score": best.score,
            "null_gap": best.null - lowest_null,
            "retrieval": reading.windows[best_i].cand.score,
            "rank": float(best_i),
            "unexplained": self._unexplained(reader_question, texts),
            "span_words": math.log1p(len(answer_text.split())),
        }
        if best.answerable is not None:
            reading.features["answerable"] = best.answerable
        if self.reader.calibration is not None:
            reading.probability = self.reader.calibration.probability(reading.features)
        # The passages as the reader ranked them, then the rest as retrieved.
        read_pids = {reading.windows[i].cand.pid for i, _ in order}
        rest = [c for c in cands if c.pid not in read_pids]
        reading.candidates = [reading.windows[i].cand for i, _ in order] + rest
        return reading

    def ask(self, question: str, history: History = ()) -> Answer:
        question = clean_query(question, MAX_QUESTION_CHARS)
        if not terms(question):
            return Answer(text=EMPTY_QUESTION, found=False, citations=[], passages=[], question=question.strip())
        turn = last_exchange(history)
        asked = metadata.asked_field(question, turn.question if turn else None)
        if asked:
            return self._about_article(question.strip(), asked, history)
        reading = self.read(question, history)
        passages = [self.retriever.to_passage(c) for c in reading.candidates[:5]]
        cal = self.reader.calibration
        p = round(reading.probability, 4)
        if reading.best is None or cal is None or reading.probability < cal.threshold:
            return Answer(text=NOT_FOUND, found=False, citations=[], passages=passages,
                          score=round(reading.features.get("margin", 0.0), 4), question=reading.question,
                          probability=p)  # fmt: skip
        window = reading.windows[reading.best]
        span = reading.spans[reading.best]
        a = window.cand.article
        s_start, s_end = window.start + span.start, window.start + span.end
        start, end = self._supporting(a, window, s_start, s_end)
        meta = self.data.articles[a]
        text = self.data.texts[a]
        short = Citation(meta["id"], meta["title"], s_start, s_end, text[s_start:s_end])
        return Answer(text=text[start:end], found=True, citations=self._citations(window.cand, start, end),
                      passages=passages, score=round(reading.features["margin"], 4), confidence=_confidence(p),
                      question=reading.question, span=short, probability=p)  # fmt: skip

    def search(self, query: str, k: int) -> list[Passage]:
        """The ``k`` best passages for ``query`` (retrieval only: fast, no reading)."""
        query = clean_query(query, MAX_QUESTION_CHARS)
        if not terms(query):
            return []
        return [self.retriever.to_passage(c) for c in self.retriever.candidates(query, k=k)[:k]]

    # --- windows and spans ---------------------------------------------------------------

    def _window(self, cand: Candidate) -> _Window:
        """The passage, or when longer than ``reader_window_chars``, the run of its
        sentences around the one most like the question (the reader's time grows with
        every token it reads)."""
        limit = self.config.reader_window_chars
        if cand.end - cand.start <= limit or not cand.sentences:
            return _Window(cand, cand.start, cand.end)
        text = self.data.texts[cand.article]
        start, end = reading_window(text, cand.sentences, cand.best_sentence, limit)
        return _Window(cand, start, end)

    def _supporting(self, article: int, window: _Window, s_start: int, s_end: int) -> tuple[int, int]:
        """The sentence(s) holding the answer span, at most ``max_answer_chars`` (cut
        around the span when a sentence is longer)."""
        text = self.data.texts[article]
        sents = sentences(text, window.cand.start, window.cand.end)
        inside = [(a, b) for a, b in sents if a < s_end and b > s_start]
        start, end = (inside[0][0], inside[-1][1]) if inside else (s_start, s_end)
        start, end = min(start, s_start), max(end, s_end)
        limit = self.config.max_answer_chars
        if end - start <= limit:
            return start, end
        # Keep the span, centred in as much of its sentence as fits, cut at spaces.
        room = max(0, limit - (s_end - s_start))
        a = max(start, s_start - room // 2)
        b = min(end, a + limit)
        a = max(start, b - limit)
        if a > start:
            a = min(s_start, text.find(" ", a, s_start) + 1 or a)
        if b < end:
            b = max(s_end, text.rfind(" ", s_end, b) if text.rfind(" ", s_end, b) > 0 else b)
        return a, b

    def _unexplained(self, question: str, texts: list[str]) -> float:
        """Share of the question's term weight that no window mentions.

        Words match on a shared prefix too ("give" / "given"), since stemming misses some
        inflections and a paraphrase should not count as missing.
        """
        q_terms = topic_terms(question)
        if not q_terms:
            return 0.0
        seen: set[str] = set()
        for t in terms(" ".join(texts)):
            seen.update((t, t[:3], t[:4], t[:5]))
        weights = {t: self._idf(t) for t in q_terms}
        missing = sum(w for t, w in weights.items() if t not in seen and t[:5] not in seen)
        return missing / (sum(weights.values()) or 1.0)

    def _citations(self, cand: Candidate, start: int, end: int) -> list[Citation]:
        """The answer's own span, plus the same words wherever a duplicate article has them."""
        meta = self.data.articles[cand.article]
        quote = self.data.texts[cand.article][start:end]
        cites = [Citation(meta["id"], meta["title"], start, end, quote)]
        key = normalize(quote)
        for pid in cand.also:
            a, p_start, p_end = (int(x) for x in self.data.passages[pid])
            text = self.data.texts[a]
            for s, e in sentences(text, p_start, p_end):
                if key in normalize(text[s:e]) and a != cand.article:
                    m = _locate(text, s, e, quote)
                    if m:
                        other = self.data.articles[a]
                        cites.append(Citation(other["id"], other["title"], m[0], m[1], text[m[0] : m[1]]))
                        break
        return cites

    # --- questions about the article itself --------------------------------------------

    def _about_article(self, question: str, asked: str, history: History) -> Answer:
        """Who wrote / when published / which outlet: from the article's metadata, cited
        to its header. The article is the previous answer's on a follow-up, else the best
        retrieved article that has the field."""
        turn = understand(question, history, self._article_text).follows
        cands = self.retriever.candidates(question, context=turn.context if turn else "")
        passages = [self.retriever.to_passage(c) for c in cands[:5]]
        order = [self.data.articles[c.article]["id"] for c in cands]
        if turn and turn.article_id:
            order.insert(0, turn.article_id)
        for article_id in dict.fromkeys(order):
            article = self._article(article_id)
            if article is None or not getattr(article, asked):
                continue
            value = getattr(article, asked)
            span = metadata.header_span(article, asked)
            label = {"author": "Written by", "date": "Published on", "source": "Published by"}[asked]
            if span is None:  # stated only in the metadata, not in the text: no quote to cite
                return Answer(text=f"{label} {value} (from the article's metadata).", found=True, citations=[],
                              passages=passages, confidence="medium", question=question, probability=0.9)  # fmt: skip
            s, e = span
            line_start = article.text.rfind("\n", 0, s) + 1
            line_end = article.text.find("\n", e)
            line_end = len(article.text) if line_end < 0 else line_end
            if line_end - line_start > self.config.max_answer_chars:
                line_start, line_end = s, e
            short = Citation(article.id, article.title, s, e, article.text[s:e])
            cite = Citation(article.id, article.title, line_start, line_end, article.text[line_start:line_end])
            return Answer(text=cite.quote, found=True, citations=[cite], passages=passages, confidence="high",
                          question=question, span=short, probability=0.99)  # fmt: skip
        return Answer(text=NOT_FOUND, found=False, citations=[], passages=passages, question=question)

    def _article_text(self, article_id: str) -> str:
        article = self._article(article_id)
        return article.text if article is not None else ""

    def _article(self, article_id: str) -> Article | None:
        """The live version of the article (an update in place leaves the old one, removed,
        before it), if the filters keep it; None otherwise."""
        i = self.data.article_number(article_id)
        if i is None:
            return None
        allowed = self.retriever.allowed
        if allowed is not None and not allowed[np.asarray(self.data.passages[:, 0]) == i].any():
            return None
        return self.data.article(i)


def _pick(kind: Kind | None, text: str, spans: list[SpanScore]) -> tuple[SpanScore | None, bool]:
    """The first of ``spans`` (best first, offsets into ``text``) that fits ``kind``, and
    True; else the first span and False (None when there is none). A span that is
    :func:`~qa.phrases.well_formed` (one sentence, balanced quotes) is taken before one
    that is not."""
    if not spans:
        return None, False
    bounds = sentences(text)  # once for all of the window's spans
    shaped = [s for s in spans if well_formed(text, s.start, s.end, bounds)] or spans
    for span in shaped + spans:
        if fits(kind, text[span.start : span.end]):
            return (_the_place_itself(text, span, shaped) if kind is Kind.PLACE else span), True
    return shaped[0], False


_PLACE_IN = re.compile(r"\s(?:in|at|near|outside)\s+$")
PLACE_SCORE_SLACK = 1.0
"""How far (in span score, start + end logit) the place named with its city may trail the
city alone and still be preferred to it: about as likely by the reader's own reckoning."""


def _the_place_itself(text: str, span: SpanScore, spans: list[SpanScore]) -> SpanScore:
    """For a "where" question: when the reader also gives the place that ``span`` (a city,
    say) is where ("Kumsusan State Guest House in Pyongyang" beside "Pyongyang"), about as
    highly and over its "no answer", that longer span; else ``span``."""
    for s in spans:
        if (s.end == span.end and s.start < span.start and _PLACE_IN.search(text, s.start, span.start)
                and s.margin > 0 and s.score >= span.score - PLACE_SCORE_SLACK):  # fmt: skip
            return s
    return span


def _full_name(texts: list[str], n_best: list[list[SpanScore]], order: list[tuple[int, SpanScore]]) -> tuple[int, SpanScore] | None:
    """When the best span (``order[0]``) is an abbreviation, the first span of the windows
    (in ``order``) that spells it out and beats its window's "no answer", with its window's
    index; else None."""
    best_i, best = order[0]
    short = texts[best_i][best.start : best.end]
    if not is_abbreviation(short):
        return None
    for i, _ in order:
        for span in n_best[i]:
            if span.margin > 0 and spells_out(texts[i][span.start : span.end], short):
                return i, span
    return None


def _confidence(probability: float) -> str:
    return "high" if probability >= 0.75 else "medium" if probability >= 0.5 else "low"


def _locate(text: str, start: int, end: int, quote: str) -> tuple[int, int] | None:
    """Span of ``quote`` inside ``text[start:end]``, tolerant of spacing differences."""
    exact = text.find(quote, start, end)
    if exact >= 0:
        return exact, exact + len(quote)
    pattern = r"\s+".join(re.escape(w) for w in quote.split())
    m = re.compile(pattern).search(text, start, end)
    return (m.start(), m.end()) if m else None
