"""Split article text into sentences and passages, as exact character spans.

Nothing here copies or normalises text: a span ``(start, end)`` always indexes the
original string, so citations built from spans quote the article exactly.
"""

from __future__ import annotations

import re

__all__ = ["Span", "sentences", "paragraphs", "chunk", "reading_window"]

Span = tuple[int, int]

# Words that end in a period without ending the sentence.
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "vs", "etc", "e.g", "i.e", "no",
    "gen", "col", "lt", "sgt", "capt", "gov", "sen", "rep", "rev", "fr", "pres", "inc", "ltd",
    "co", "corp", "dept", "univ", "approx", "fig", "vol", "pp", "ca", "cf", "al", "u.s", "u.k",
    "u.n", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
}  # fmt: skip

# A candidate boundary: sentence punctuation, optional closing quotes/brackets, then space.
_BOUNDARY = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])")
# A photo credit such as "(Yonhap)" or "(KCNA via Yonhap)" that ends a caption.
_CREDIT = re.compile(r"\((?:[A-Z][\w&.-]*)(?: [\w&.-]+){0,3}\)(?=\s+[A-Z]|$)")
_WORD_BEFORE = re.compile(r"([\w.]+)$")


def _is_abbreviation(text: str, dot: int) -> bool:
    """True when the period at ``dot`` belongs to an abbreviation or an initial."""
    m = _WORD_BEFORE.search(text, max(0, dot - 12), dot)
    if not m:
        return False
    word = m.group(1)
    if word.lower().rstrip(".") in _ABBREVIATIONS:
        return True
    # A single capital letter is an initial ("J. Smith", "U.S.").
    return len(word.rstrip(".").split(".")[-1]) == 1 and word[-1:].isupper()


def _trim(text: str, start: int, end: int) -> Span | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


def paragraphs(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Non-empty lines (paragraphs) of ``text[start:end]`` as trimmed spans."""
    end = len(text) if end is None else end
    spans = []
    for m in re.finditer(r"[^\n]+", text[start:end]):
        span = _trim(text, start + m.start(), start + m.end())
        if span:
            spans.append(span)
    return spans


def sentences(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Sentence spans of ``text[start:end]``; a line break always ends a sentence."""
    out: list[Span] = []
    for p_start, p_end in paragraphs(text, start, end):
        cuts = [p_start]
        for m in _BOUNDARY.finditer(text, p_start, p_end):
            if text[m.start()] == "." and m.group(0).rstrip("\"'”’)]") == "." and _is_abbreviation(
                text, m.start()
            ):
                continue
            cuts.append(m.end())
        cuts.extend(m.end() for m in _CREDIT.finditer(text, p_start, p_end))
        cuts = sorted(set(cuts)) + [p_end]
        para: list[Span] = []
        for a, b in zip(cuts, cuts[1:]):
            span = _trim(text, a, b)
            if not span:
                continue
            if para and _CREDIT.fullmatch(text, *span):
                para[-1] = (para[-1][0], span[1])  # a lone "(Yonhap)" closes its caption
            else:
                para.append(span)
        out.extend(para)
    return out


def chunk(
    text: str, start: int = 0, *, max_chars: int = 900, overlap: int = 1
) -> list[Span]:
    """Pack sentences into passages of about ``max_chars``, preferring paragraph breaks.

    Short paragraphs are merged; a paragraph longer than ``max_chars`` becomes windows
    of whole sentences, consecutive windows sharing ``overlap`` sentences.
    """
    passages: list[Span] = []
    current: list[Span] = []

    def flush() -> None:
        if current:
            passages.append((current[0][0], current[-1][1]))
            current.clear()

    for p_start, p_end in paragraphs(text, start):
        if current and p_end - current[0][0] > max_chars:
            flush()
        if p_end - p_start <= max_chars:
            current.append((p_start, p_end))
            continue
        flush()
        sents = sentences(text, p_start, p_end)
        window: list[Span] = []
        for s in sents:
            if window and s[1] - window[0][0] > max_chars:
                passages.append((window[0][0], window[-1][1]))
                window = window[len(window) - overlap :] if overlap and len(window) > overlap else []
            window.append(s)
        if window:
            passages.append((window[0][0], window[-1][1]))
    flush()
    return passages


def reading_window(text: str, sents: list[Span], best: int, limit: int) -> Span:
    """The run of ``sents`` around sentence ``best`` that fits in ``limit`` characters:
    what the reader reads of a passage longer than that.

    It grows by the sentence before, then the one after, while the run fits; one sentence
    longer than ``limit`` is cut at a word boundary. The engine cuts its windows here and
    so does the reader's training data, so the reader trains on what it will read.
    """
    lo = hi = best
    while True:
        grew = False
        if lo > 0 and sents[hi][1] - sents[lo - 1][0] <= limit:
            lo, grew = lo - 1, True
        if hi + 1 < len(sents) and sents[hi + 1][1] - sents[lo][0] <= limit:
            hi, grew = hi + 1, True
        if not grew:
            break
    start, end = sents[lo][0], sents[hi][1]
    if end - start > limit:
        end = start + limit
        while end > start + limit // 2 and not text[end - 1].isspace():
            end -= 1
        while end > start and text[end - 1].isspace():
            end -= 1
    return start, end
