"""Word-level text analysis shared by lexical retrieval and answer selection."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

import Stemmer

__all__ = ["QUESTION_FORM", "STOPWORDS", "words", "terms", "normalize", "shingles", "text_hash", "clean_query"]

# Function words carry no topic; question words are kept out too, since every question
# has them and no answer needs them.
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each few
    for from further had has have having he her here hers herself him himself his how i if
    in into is it its itself just me more most my myself no nor not now of off on once only
    or other our ours ourselves out over own same she should so some such than that the their
    theirs them themselves then there these they this those through to too under until up
    very was we were what when where which while who whom why will with would you your
    yours yourself yourselves s t don isn wasn weren didn doesn hasn haven hadn won wouldn
    shouldn couldn many much whose""".split()
)

# Stems of words that give a question its form rather than its topic ("when did it take
# place", "what is his name", "in which year"): an answer need not repeat them, so they
# neither make a question self-contained nor count as unexplained by the passages.
QUESTION_FORM = frozenset(
    "take place happen occur locat call name known refer mean type kind year date time day "
    "month centuri decad amount percentag exampl".split()
)

_WORD = re.compile(r"[^\W_]+(?:['’.-][^\W_]+)*", re.UNICODE)


@lru_cache(maxsize=4)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def words(text: str) -> list[str]:
    """Lower-cased word tokens ("Kim Jong-un's" -> ["kim", "jong-un's"])."""
    return [w.lower() for w in _WORD.findall(text)]


def terms(text: str) -> list[str]:
    """Stemmed content terms: the units that lexical matching compares.

    Hyphenated and possessive words also yield their parts, so "Jong-un's" matches "Jong-un".
    """
    return [t for w in words(text) for t in _word_terms(w)]


@lru_cache(maxsize=1 << 18)
def _word_terms(word: str) -> tuple[str, ...]:
    # Memoised: a corpus repeats the same words, and stemming dominates index builds.
    word = re.sub(r"['’]s$", "", word).replace("’", "'")
    parts = [word.rstrip(".")]
    if re.search(r"[-.']", parts[0]):
        parts += [p for p in re.split(r"[-.']", parts[0]) if len(p) > 1]
    return tuple(_stemmer().stemWords([p for p in parts if p and p not in STOPWORDS]))


def normalize(text: str) -> str:
    """Text with case, punctuation and spacing folded, for duplicate detection."""
    return " ".join(words(text))


def shingles(text: str, n: int = 5) -> set[int]:
    """Hashes of the word n-grams of ``text`` (fewer words: the whole text as one)."""
    ws = words(text)
    if len(ws) < n:
        return {hash(" ".join(ws))} if ws else set()
    return {hash(" ".join(ws[i : i + n])) for i in range(len(ws) - n + 1)}


def text_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_query(text: str | None, limit: int) -> str:
    """A question or query as the engine reads it: at most ``limit`` characters, lone
    surrogates (text no encoder accepts) replaced, control characters dropped, trimmed."""
    text = (text or "")[:limit]
    text = text.encode("utf-8", "replace").decode("utf-8")
    return _CONTROL.sub(" ", text).strip()
