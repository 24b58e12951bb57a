"""Extractive answers: pick the sentence that answers, cite it exactly, or abstain.

The answer is always a span of an article. Candidate sentences come from the top
retrieved passages and are scored on how much of the question (weighted by term
rarity) they cover, how close their meaning is (embeddings), how well their passage
ranked, and whether they hold the kind of thing the question asks for (a date for
"when", a number for "how many", a name for "who"). When even the best sentence leaves
the question's rarest words unexplained, the engine says the articles don't answer.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from .chunking import sentences
from .config import Config
from .retrieval import Candidate, Retriever
from .text import QUESTION_FORM, normalize, terms, words
from .types import Answer, Citation, Passage

__all__ = ["Answerer", "question_type", "NOT_FOUND", "EMPTY_QUESTION"]

NOT_FOUND = "The articles don't say. I couldn't find an answer to that in the indexed articles."
EMPTY_QUESTION = (
    "Please type a question about the articles, for example "
    '"Who is the Foreign Ministry spokesperson?"'
)
MAX_QUESTION_CHARS = 2000
"""Longer input (a pasted article, say) is cut here: questions are short."""

# --- question types --------------------------------------------------------------------

_QTYPES: list[tuple[str, re.Pattern[str]]] = [
    ("number", re.compile(r"\bhow (many|much|long|far|old|large|big|high|tall|often|fast)\b|\bwhat (percentage|percent|number|amount|proportion|share)\b", re.I)),
    ("time", re.compile(r"\bwhen\b|\b(what|which|in what|in which) (year|years|date|day|month|time|century|decade|era|period)\b|\bhow long ago\b", re.I)),
    ("person", re.compile(r"\bwho(m|se)?\b|\b(what|which) (person|people|man|woman|leader|king|president|spokesperson|minister|official)\b", re.I)),
    ("place", re.compile(r"\bwhere\b|\b(what|which|in what|in which) (country|countries|city|cities|place|region|state|town|continent|location|area)\b", re.I)),
]  # fmt: skip

_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_EVIDENCE = {
    "time": re.compile(
        rf"\b(1\d{{3}}|20\d{{2}})s?\b|\b({_MONTHS})\b|\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b"
        r"|\b\d+(st|nd|rd|th)[- ]centur|\bcentur(y|ies)\b|\b(yesterday|today|ago|decade|era)\b",
        re.I,
    ),
    "number": re.compile(
        r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty"
        r"|hundred|thousand|million|billion|trillion|dozen|half|percent|several)\b",
        re.I,
    ),
}
_CAPITALIZED = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w'-]+")


def question_type(question: str) -> str:
    """``"time"``, ``"number"``, ``"person"``, ``"place"`` or ``"other"``."""
    for name, pattern in _QTYPES:
        if pattern.search(question):
            return name
    return "other"


def _has_evidence(qtype: str, sentence: str, question_words: set[str]) -> bool:
    """Does the sentence hold an answer of the question's type not already in the question?"""
    if qtype in _EVIDENCE:
        return any(m.group(0).lower() not in question_words for m in _EVIDENCE[qtype].finditer(sentence))
    if qtype in ("person", "place"):
        return any(m.group(0).lower() not in question_words for m in _CAPITALIZED.finditer(sentence))
    return True


# --- follow-ups ------------------------------------------------------------------------

_REFERENCE = re.compile(
    r"\b(he|she|it|its|they|them|their|his|her|him|this|that|these|those|there|then|the same)\b", re.I
)


_OPENS_WITH_REFERENCE = re.compile(
    r"(?:He|She|It|They|His|Her|Its|Their|This|These|Those|The latter|The former)\b"
)


def _context(question: str, history: list[tuple[str, str]]) -> str:
    """Earlier turns that a follow-up question leans on ('' for a self-contained one)."""
    if not history:
        return ""
    # A pronoun ("when was it signed?") or no topic of its own ("what is the name?").
    if not _REFERENCE.search(question) and _topic_terms(question):
        return ""
    last_q, last_a = history[-1]
    return f"{last_q} {last_a if last_a and not last_a.startswith(NOT_FOUND[:20]) else ''}".strip()


# --- scoring ---------------------------------------------------------------------------

FEATURES = ("coverage", "passage_coverage", "previous_coverage", "similarity", "passage_score", "evidence", "novel")
"""What a candidate sentence is scored on; :attr:`Config.answer_weights` weighs them.

coverage: share of the question's term weight (IDF) the sentence contains; passage_coverage:
the same for its whole passage; previous_coverage: for the sentence before it (an answer
often follows the sentence that names the topic); similarity: embedding cosine with the
question; passage_score: the fused retrieval score; evidence: +1 if the sentence holds the
kind of answer asked for (a date for "when"...), else -1; novel: 1 if it says anything
beyond the question's own words.
"""


@dataclass
class _Sentence:
    cand: Candidate
    rank: int
    article: int
    start: int
    end: int
    text: str
    score: float = 0.0
    features: list[float] = field(default_factory=list)


class Answerer:
    """Turns retrieved passages into an :class:`Answer`."""

    def __init__(self, retriever: Retriever, config: Config) -> None:
        self.retriever = retriever
        self.data = retriever.data
        self.config = config
        self._n = max(1, self.data.lexical.size)

    def _idf(self, term: str) -> float:
        df = self.data.lexical.document_frequency(term)
        return math.log(1 + (self._n - df + 0.5) / (df + 0.5))

    def ask(self, question: str, history: list[tuple[str, str]]) -> Answer:
        question = (question or "")[:MAX_QUESTION_CHARS]
        if not terms(question):
            return Answer(text=EMPTY_QUESTION, found=False, citations=[], passages=[], question=question.strip())
        context = _context(question, history)
        shown = f"{question.strip()} (following up on: {history[-1][0].strip()})" if context else question.strip()
        cands = self.retriever.candidates(question, context=context)
        top = cands[: self.config.answer_passages]
        scored = self.score_sentences(question, context, top)
        best = max(scored, key=lambda x: (x.score, -x.rank, -x.start)) if scored else None
        cands = _rerank(cands, scored)
        passages = [self.retriever.to_passage(c) for c in cands[:5]]
        cfg = self.config
        unexplained = self._unexplained(question, top)
        if best is None or best.score < cfg.abstain_below or unexplained >= cfg.abstain_unexplained:
            return Answer(text=NOT_FOUND, found=False, citations=[], passages=passages,
                          score=round(best.score, 4) if best else 0.0, question=shown)  # fmt: skip
        start, end = self._trim(best)
        text = self.data.texts[best.article][start:end]
        if best.features[FEATURES.index("evidence")] < 0:  # e.g. a "when" answer without a date
            confidence = "low"
        elif best.score >= cfg.high_confidence and unexplained < 0.3:
            confidence = "high"
        elif best.score >= cfg.medium_confidence and unexplained < 0.5:
            confidence = "medium"
        else:
            confidence = "low"
        return Answer(text=text, found=True, citations=self._citations(best, start, end), passages=passages,
                      score=round(best.score, 4), confidence=confidence, question=shown)  # fmt: skip

    def search(self, query: str, k: int) -> list[Passage]:
        """Retrieval re-ranked by each top passage's best answer sentence."""
        cands = self.retriever.candidates(query, k=k)
        scored = self.score_sentences(query, "", cands[: self.config.answer_passages])
        return [self.retriever.to_passage(c) for c in _rerank(cands, scored)[:k]]

    def _unexplained(self, question: str, cands: list[Candidate]) -> float:
        """Share of the question's term weight that no retrieved passage mentions.

        Words match on a shared prefix too ("give" / "given"), since stemming misses some
        inflections and a paraphrase should not count as missing.
        """
        q_terms = _topic_terms(question)
        if not q_terms:
            return 0.0
        seen: set[str] = set()
        for cand in cands:
            for t in terms(self.data.texts[cand.article][cand.start : cand.end]):
                seen.update((t, t[:3], t[:4], t[:5]))
        weights = {t: self._idf(t) for t in q_terms}
        missing = sum(w for t, w in weights.items() if t not in seen and t[:5] not in seen)
        return missing / (sum(weights.values()) or 1.0)

    def score_sentences(self, question: str, context: str, cands: list[Candidate]) -> list[_Sentence]:
        """Every sentence of ``cands`` with its features and score (see :data:`FEATURES`)."""
        if not cands:
            return []
        q_terms = _topic_terms(question)
        c_terms = [t for t in _topic_terms(context) if t not in q_terms]
        weights = {t: self._idf(t) for t in q_terms}
        weights.update({t: 0.5 * self._idf(t) for t in c_terms})
        total = sum(weights.values()) or 1.0
        qtype = question_type(question)
        q_words = set(words(question)) | set(words(context))

        top_score = max(c.score for c in cands) or 1.0

        def coverage(found_terms: set[str]) -> float:
            return sum(w for t, w in weights.items() if t in found_terms) / total

        found: list[_Sentence] = []
        found_vectors: list[np.ndarray] = []
        seen: set[str] = set()
        for rank, cand in enumerate(cands):
            a, p_start, p_end = cand.article, cand.start, cand.end
            text = self.data.texts[a]
            p_cov = coverage(set(terms(text[p_start:p_end])))
            prev_cov = 0.0
            for (s, e), vector in zip(cand.sentences, cand.sentence_vectors):
                x_terms = set(terms(text[s:e]))
                cov = coverage(x_terms)
                key = normalize(text[s:e])
                if key not in seen:  # a caption printed twice is one sentence
                    seen.add(key)
                    x = _Sentence(cand, rank, a, s, e, text[s:e])
                    x.features = [
                        cov,
                        p_cov,
                        prev_cov,
                        0.0,  # similarity, filled in below in one batch
                        cand.score / top_score,
                        1.0 if _has_evidence(qtype, x.text, q_words) else -1.0,
                        1.0 if x_terms - weights.keys() else 0.0,
                    ]
                    found.append(x)
                    found_vectors.append(vector)
                prev_cov = cov
        if not found:
            return []
        qvec = self.retriever.embedder.encode([f"{context} {question}".strip()])[0]
        for x, sim in zip(found, np.stack(found_vectors) @ qvec):
            x.features[3] = max(0.0, float(sim))
            x.score = sum(w * f for w, f in zip(self.config.answer_weights, x.features))
        return found

    def _trim(self, best: _Sentence) -> tuple[int, int]:
        """The answer's span: the sentence, made self-contained and at most ``max_answer_chars``.

        A sentence that opens with a pronoun ("He appointed...") takes the sentence before
        it along, when that fits, so the reader learns who "he" is. A sentence over the
        limit is cut to its best-covered clause window.
        """
        limit = self.config.max_answer_chars
        if _OPENS_WITH_REFERENCE.match(best.text):
            before = [s for s in sentences(self.data.texts[best.article], best.cand.start, best.start)]
            if before and best.end - before[-1][0] <= limit:
                return before[-1][0], best.end
        if best.end - best.start <= limit:
            return best.start, best.end
        text = self.data.texts[best.article]
        cuts = [best.start] + [best.start + m.end() for m in re.finditer(r"[,;:]\s", best.text)] + [best.end]
        options = [(a, b) for i, a in enumerate(cuts) for b in cuts[i + 1 :] if b - a <= limit]
        if not options:
            return best.start, best.start + len(best.text[:limit].rsplit(" ", 1)[0])

        def density(span: tuple[int, int]) -> tuple[int, int]:
            return (len(set(terms(text[span[0] : span[1]]))), span[1] - span[0])

        a, b = max(options, key=density)
        while b > a and text[b - 1] in " ,;:":
            b -= 1
        return a, b

    def _citations(self, best: _Sentence, start: int, end: int) -> list[Citation]:
        """The answer's own span, plus the same words wherever a duplicate article has them."""
        meta = self.data.articles[best.article]
        quote = self.data.texts[best.article][start:end]
        cites = [Citation(meta["id"], meta["title"], start, end, quote)]
        key = normalize(quote)
        for pid in best.cand.also:
            a, p_start, p_end = (int(x) for x in self.data.passages[pid])
            text = self.data.texts[a]
            for s, e in sentences(text, p_start, p_end):
                if key in normalize(text[s:e]) and a != best.article:
                    m = _locate(text, s, e, quote)
                    if m:
                        other = self.data.articles[a]
                        cites.append(Citation(other["id"], other["title"], m[0], m[1], text[m[0] : m[1]]))
                        break
        return cites


def _topic_terms(question: str) -> list[str]:
    """The question's distinct terms, less the words of its form ("take place", "year")."""
    return [t for t in dict.fromkeys(terms(question)) if t not in QUESTION_FORM]


def _rerank(cands: list[Candidate], scored: list[_Sentence]) -> list[Candidate]:
    """Order the scored passages by their best sentence; the rest keep their place after."""
    best: dict[int, float] = {}
    for x in scored:
        best[x.cand.pid] = max(best.get(x.cand.pid, float("-inf")), x.score)
    head = sorted((c for c in cands if c.pid in best), key=lambda c: -best[c.pid])
    return head + [c for c in cands if c.pid not in best]


def _locate(text: str, start: int, end: int, quote: str) -> tuple[int, int] | None:
    """Span of ``quote`` inside ``text[start:end]``, tolerant of spacing differences."""
    exact = text.find(quote, start, end)
    if exact >= 0:
        return exact, exact + len(quote)
    pattern = r"\s+".join(re.escape(w) for w in quote.split())
    m = re.compile(pattern).search(text, start, end)
    return (m.start(), m.end()) if m else None
