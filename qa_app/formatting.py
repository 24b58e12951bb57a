"""Pure formatting: engine answers to chat HTML, source cards, the article viewer.

Nothing here touches Gradio or the engine; every function takes plain values and
returns a string, so it is easy to test. All article text is HTML-escaped.

Chat messages are rendered by Gradio's Markdown renderer, which passes an HTML block
through untouched only while it contains no blank line, so chat HTML is kept on one
logical line (:func:`inline`). Links to ``#qa-open?...`` are intercepted in the page
(``assets/viewer.js``) and open the article in the viewer instead of navigating.
"""

from __future__ import annotations

import bisect
import html
import re
from collections.abc import Callable, Iterable
from datetime import date
from html.parser import HTMLParser
from urllib.parse import urlencode

from qa import Answer, Article, Citation, IndexInfo, Passage, SkippedFile

__all__ = [
    "OPEN_PREFIX",
    "VIEWER_PLACEHOLDER",
    "ArticleLookup",
    "add_report_markdown",
    "answer_html",
    "delete_question_markdown",
    "byline",
    "format_date",
    "in_header",
    "index_html",
    "inline",
    "location_text",
    "missing_article_html",
    "notice_html",
    "matching_articles",
    "index_pages",
    "filter_note_html",
    "original_link",
    "open_href",
    "open_source_html",
    "paragraph_number",
    "paragraph_spans",
    "plain_answer_text",
    "is_question_html",
    "question_html",
    "question_text",
    "safe_url",
    "snippet_html",
    "source_card_html",
    "viewer_html",
]

ArticleLookup = Callable[[str], Article]
"""Returns the full article for an id (``engine.article``)."""

OPEN_PREFIX = "#qa-open?"
"""Links starting with this open an article in the viewer (see ``assets/viewer.js``)."""

CONTEXT_CHARS = 160
"""How much surrounding text a source card shows on each side of the quote."""
RELATED_CHARS = 320
"""How much of a related passage a card shows."""
MAX_RELATED = 3
MAX_LISTED_ARTICLES = 50
"""Articles listed per page of the "Indexed articles" panel."""

CONFIDENCE_NOTES = {
    "high": "High confidence",
    "medium": "Medium confidence: worth a look at the source",
    "low": "Low confidence: check the source before relying on this",
}

VIEWER_PLACEHOLDER = (
    '<div class="qa-viewer qa-viewer-empty"><p>Click a source in an answer, or an article in the list, '
    "to read the full article here with the quote highlighted.</p></div>"
)

_PARAGRAPH = re.compile(r"[^\n]*\S[^\n]*")
_SPACE_WITH_NEWLINE = re.compile(r"\s*\n\s*")


# --- small helpers -----------------------------------------------------------------------


def inline(text: str) -> str:
    """Escape ``text`` for HTML and fold its line breaks into spaces (one logical line)."""
    return html.escape(_SPACE_WITH_NEWLINE.sub(" ", text))


def open_href(article_id: str, start: int | None = None, end: int | None = None) -> str:
    """The in-page link that opens ``article_id`` in the viewer, highlighting ``start:end``."""
    params: dict[str, str | int] = {"article": article_id}
    if start is not None and end is not None:
        params.update(start=start, end=end)
    return OPEN_PREFIX + urlencode(params)


def safe_url(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) URL with a host, else None: only those become links
    (never ``javascript:``, ``data:`` or a relative path)."""
    if not url:
        return None
    url = url.strip()
    return url if re.match(r"(?i)https?://[^\s/?#]+", url) and not re.search(r"[\s<>\"']", url) else None


def _external_link(url: str, label: str) -> str:
    """``label`` linking to ``url`` when it is a safe http(s) URL; plain text otherwise."""
    href = safe_url(url)
    if href is None:
        return html.escape(label)
    return f'<a href="{html.escape(href)}" target="_blank" rel="noopener noreferrer nofollow">{html.escape(label)}</a>'


def original_link(article: Article) -> str:
    """A link to the article's web address (http/https only; '' when it has none)."""
    if not article.url or safe_url(article.url) is None:
        return ""
    return _external_link(article.url, f"Original: {_url_label(article.url)} ↗")


def _url_label(url: str) -> str:
    """``https://www.example.com/2024/06/story`` -> ``example.com/2024/06/story`` (cut if long)."""
    label = re.sub(r"^https?://(www\.)?", "", url, flags=re.I).rstrip("/")
    return label if len(label) <= 60 else label[:59] + "…"


def _link(href: str, label_html: str, css: str, title: str) -> str:
    return f'<a class="{css}" href="{html.escape(href)}" title="{html.escape(title)}">{label_html}</a>'


def format_date(value: str | None) -> str | None:
    """``"2024-06-20"`` -> ``"June 20, 2024"``; any other text is returned as it is."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value[:10])
    except ValueError:
        return value
    return f"{day:%B} {day.day}, {day.year}"


def byline(article: Article) -> str:
    """The article's date and author, where known: ``"June 20, 2024 · By Son Ji-hyoung"``."""
    parts = [format_date(article.date), f"By {article.author}" if article.author else None]
    return " · ".join(p for p in parts if p)


def paragraph_spans(text: str, floor: int = 0) -> list[tuple[int, int]]:
    """``(start, end)`` of every non-blank line of ``text``: its paragraphs.

    ``floor`` is where the story starts: a scraped header before it (a date marker, "Most
    Popular", the headline and byline) is not a paragraph of the story.
    """
    spans = ((max(m.start(), floor), m.end()) for m in _PARAGRAPH.finditer(text))
    return [(a, b) for a, b in spans if a < b and text[a:b].strip()]


def paragraph_number(text: str, offset: int, floor: int = 0) -> int:
    """1-based number of the paragraph holding ``offset`` (or the next one, in a gap),
    counted from ``floor`` (see :func:`paragraph_spans`)."""
    ends = [e for _, e in paragraph_spans(text, floor)]
    return min(bisect.bisect_right(ends, offset), len(ends) - 1) + 1 if ends else 1


def in_header(article: Article, end: int) -> bool:
    """Whether a span ending at ``end`` lies in the article's header (a byline, a date),
    before its first story paragraph."""
    return end <= article.body_start


def location_text(article: Article, start: int, end: int) -> str:
    """Where a span sits: ``"paragraph 9 of 14 · characters 1,663–1,999"``, or ``"the
    article's header · …"`` for a byline or date cited from the header."""
    floor = article.body_start
    if in_header(article, end):
        return f"the article's header · characters {start:,}–{end:,}"
    total = len(paragraph_spans(article.text, floor))
    return f"paragraph {paragraph_number(article.text, start, floor)} of {total} · characters {start:,}–{end:,}"


def _context_bounds(text: str, start: int, end: int, chars: int, floor: int) -> tuple[int, int]:
    """A window of about ``chars`` around ``start:end``, within its paragraphs and not
    before ``floor`` (unless the quote is), cut at word edges."""
    spans = paragraph_spans(text)
    starts = [s for s, _ in spans]
    first = spans[max(0, bisect.bisect_right(starts, start) - 1)] if spans else (0, len(text))
    last = spans[max(0, bisect.bisect_right(starts, max(start, end - 1)) - 1)] if spans else (0, len(text))
    edge = max(first[0], floor if floor <= start else 0)
    lo, hi = max(edge, start - chars), min(last[1], end + chars)
    if lo > edge:
        space = text.find(" ", lo, start)
        lo = space + 1 if space >= 0 else start
    if hi < last[1]:
        space = text.rfind(" ", end, hi)
        hi = space if space >= 0 else end
    return lo, hi


def snippet_html(text: str, start: int, end: int, context: int = CONTEXT_CHARS, floor: int = 0) -> str:
    """The quote ``text[start:end]`` highlighted inside a little of its surrounding text.

    ``floor`` is where the story starts (after a scraped header); context stops there.
    """
    lo, hi = _context_bounds(text, start, end, context, floor)
    before = ("…" if lo > 0 and lo != floor and text[lo - 1] != "\n" else "") + inline(text[lo:start])
    after = inline(text[end:hi]) + ("…" if hi < len(text) and text[hi] != "\n" else "")
    return f"{before}<mark>{inline(text[start:end])}</mark>{after}"


def _source_label(source: str) -> str:
    """A URL as it is; a server file path by its file name only."""
    return source if re.match(r"https?://", source) else source.replace("\\", "/").rsplit("/", 1)[-1]


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "…"


# --- chat replies ------------------------------------------------------------------------


def _card_html(
    article: Article, start: int, end: int, *, number: int | None, snippet: str, link_title: str, extra: str = ""
) -> str:
    """A source card (numbered) or a related-passage card (``number`` None)."""
    href = open_href(article.id, start, end)
    badge = f'<span class="qa-source-num">{number}</span>' if number is not None else ""
    meta = " · ".join(part for part in (inline(byline(article)), original_link(article)) if part)
    return (
        f'<div class="qa-source{" qa-related-card" if number is None else ""}">'
        f'<div class="qa-source-head">{badge}{_link(href, inline(article.title), "qa-source-title", link_title)}</div>'
        + (f'<div class="qa-source-meta">{meta}</div>' if meta else "")
        + f'<blockquote class="qa-snippet">{snippet}</blockquote>'
        f'<div class="qa-source-where">Article <code>{inline(article.id)}</code>, '
        f"{location_text(article, start, end)} · {_link(href, 'Read in context →', 'qa-open', link_title)}"
        f"{extra}</div></div>"
    )


def source_card_html(number: int, article: Article, start: int, end: int) -> str:
    """One numbered source: title, date and byline, the highlighted quote, where it sits."""
    snippet = snippet_html(article.text, start, end, floor=article.body_start)
    return _card_html(
        article, start, end, number=number, snippet=snippet, link_title="Open the full article at this quote"
    )


def _related_card_html(passage: Passage, article: Article) -> str:
    also = ", ".join(
        _link(open_href(loc.article_id, loc.start, loc.end), inline(loc.title), "qa-open", "Open this copy")
        for loc in passage.also_in
    )
    return _card_html(
        article,
        passage.start,
        passage.end,
        number=None,
        snippet=inline(_clip(passage.text, RELATED_CHARS)),
        link_title="Open the full article at this passage",
        extra=f"<br>Also in: {also}" if also else "",
    )


def _marker_html(number: int, citation: Citation) -> str:
    href = open_href(citation.article_id, citation.start, citation.end)
    return f'<sup class="qa-marker">{_link(href, f"[{number}]", "qa-marker-link", f"Source {number}")}</sup>'


def _understood_html(answer: Answer, asked: str) -> str:
    understood = " ".join(answer.question.split())
    if not understood or understood == " ".join(asked.split()):
        return ""
    return f'<p class="qa-understood">Understood as: {inline(understood)}</p>'


_QUESTION_HTML = re.compile(
    r'<p class="qa-question">([^<>]*)(<span class="qa-question-cut">[^<>]*</span>)?</p>', re.DOTALL
)


def question_html(text: str, shown_chars: int) -> str:
    """A question as its chat bubble shows it: every character as typed (HTML and Markdown
    escaped, line breaks kept), and a long paste cut after ``shown_chars`` with a note
    saying how much is not shown."""
    cut = ""
    if len(text) > shown_chars:
        cut = f'<span class="qa-question-cut"> … ({len(text) - shown_chars:,} more characters not shown)</span>'
        text = text[:shown_chars]
    # Markdown is not applied inside an HTML block that has no blank line: keep one line.
    body = html.escape(text).replace("\r", "").replace("\n", "&#10;")
    return f'<p class="qa-question">{body}{cut}</p>'


def question_text(message: str) -> str:
    """The question in a bubble made by :func:`question_html` (``message`` itself otherwise)."""
    match = _QUESTION_HTML.fullmatch(message)
    if match is None:
        return message
    return html.unescape(match.group(1)) + ("…" if match.group(2) else "")


def is_question_html(message: str) -> bool:
    """True if ``message`` is exactly what :func:`question_html` makes (so already safe)."""
    return _QUESTION_HTML.fullmatch(message) is not None


def notice_html(text: str) -> str:
    """A polite reply that is not an answer (empty input, a paste that is too long...)."""
    return f'<div class="qa-reply qa-notice"><p class="qa-text">{inline(text)}</p></div>'


def filter_note_html(text: str) -> str:
    """A note above a reply about what the article filters left out (not part of the
    answer: a follow-up never reads it)."""
    return f'<p class="qa-filter-note" role="note">{inline(text)}</p>'


def answer_html(answer: Answer, article_for: ArticleLookup, asked: str = "") -> str:
    """The chat reply for an engine answer.

    Found: the extract with numbered markers, its confidence, and one card per citation.
    Not found: the engine's plain "the articles don't say", then the closest passages
    offered as related reading, clearly not as an answer.
    """
    if not answer.found:
        return _not_found_html(answer, article_for, asked)
    markers = "".join(_marker_html(i, c) for i, c in enumerate(answer.citations, 1))
    cards = "".join(
        source_card_html(i, article_for(c.article_id), c.start, c.end) for i, c in enumerate(answer.citations, 1)
    )
    confidence = answer.confidence if answer.confidence in CONFIDENCE_NOTES else "low"
    short = f'<p class="qa-short"><strong>{inline(answer.span.quote)}</strong></p>' if answer.span else ""
    percent = f" ({answer.probability:.0%} likely right)" if answer.probability else ""
    return (
        '<div class="qa-reply qa-found">'
        f"{_understood_html(answer, asked)}"
        f"{short}"
        f'<p class="qa-text">{_highlighted_text(answer)}{markers}</p>'
        f'<p class="qa-confidence qa-confidence-{confidence}">'
        f"{CONFIDENCE_NOTES[confidence]}{percent}</p>"
        f'<div class="qa-sources"><p class="qa-sources-title">Sources</p>{cards}</div></div>'
    )


def _highlighted_text(answer: Answer) -> str:
    """The supporting text, the short answer in it marked."""
    first = answer.citations[0] if answer.citations else None
    span = answer.span
    if not span or not first or not (first.start <= span.start and span.end <= first.end):
        return inline(answer.text)
    a, b = span.start - first.start, span.end - first.start
    text = answer.text
    return f'{inline(text[:a])}<mark class="qa-span">{inline(text[a:b])}</mark>{inline(text[b:])}'


def _not_found_html(answer: Answer, article_for: ArticleLookup, asked: str) -> str:
    if not answer.passages:
        return notice_html(answer.text)
    cards = "".join(_related_card_html(p, article_for(p.article_id)) for p in answer.passages[:MAX_RELATED])
    return (
        '<div class="qa-reply qa-not-found">'
        f"{_understood_html(answer, asked)}"
        f'<p class="qa-text">{inline(answer.text)}</p>'
        '<div class="qa-related"><p class="qa-sources-title">Related passages '
        '<span class="qa-related-note">(the closest matches, not an answer)</span></p>'
        f"{cards}</div></div>"
    )


class _AnswerTextParser(HTMLParser):
    """Collects the text of ``.qa-text`` elements, leaving out ``.qa-marker`` markers,
    and the short answer (``.qa-short``)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.short: list[str] = []
        self._stack: list[str] = []  # "text", "short", "marker" or "" for each open element

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "img", "hr", "wbr"):
            return
        classes = (dict(attrs).get("class") or "").split()
        kind = "marker" if "qa-marker" in classes else "text" if "qa-text" in classes else ""
        self._stack.append(kind or ("short" if "qa-short" in classes else ""))

    def handle_endtag(self, tag: str) -> None:
        if self._stack and tag not in ("br", "img", "hr", "wbr"):
            self._stack.pop()

    def handle_data(self, data: str) -> None:
        if "text" in self._stack and "marker" not in self._stack:
            self.parts.append(data)
        elif "short" in self._stack:
            self.short.append(data)


def plain_answer_text(message: str) -> str:
    """The answer's own words from a chat reply, without markers, sources or HTML; the
    short answer, if any, first in bold (``**Lin Jian** Foreign Ministry ...``), which is
    how :meth:`qa.Engine.ask` reads a follow-up's previous answer.

    A message that is not one of our replies is returned with its tags stripped.
    """
    parser = _AnswerTextParser()
    parser.feed(message)
    parser.close()
    if parser.parts:
        short = " ".join("".join(parser.short).split())
        text = " ".join("".join(parser.parts).split())
        return f"**{short}** {text}" if short else text
    return " ".join(html.unescape(re.sub(r"<[^>]*>", " ", message)).split())


# --- the article viewer ------------------------------------------------------------------


def _marked(text: str, span: tuple[int, int], start: int, end: int) -> str:
    ps, pe = span
    a, b = min(max(start, ps), pe), min(max(end, ps), pe)
    if a < b:
        return f"{html.escape(text[ps:a])}<mark>{html.escape(text[a:b])}</mark>{html.escape(text[b:pe])}"
    return html.escape(text[ps:pe])


def _paragraph_html(text: str, span: tuple[int, int], number: int, start: int, end: int) -> str:
    return f'<p class="qa-para"><span class="qa-pnum" aria-hidden="true">{number}</span>{_marked(text, span, start, end)}</p>'


def _header_line_html(text: str, span: tuple[int, int], start: int, end: int) -> str:
    return f'<p class="qa-para qa-head-line">{_marked(text, span, start, end)}</p>'


_GLUED_BYLINE = re.compile(r"(?<=\S)By(?=[ \t]*[A-Z])")
"""Where a scraped headline runs into its byline ("...vows stern actionsBy Son Ji-hyoung")."""


def _header_lines(text: str, floor: int, start: int, end: int) -> list[tuple[int, int]]:
    """The header lines (before the story's ``floor``) that overlap ``start:end``, a glued
    headline and byline shown as two lines (the text itself is never changed)."""
    lines = []
    for a, b in paragraph_spans(text[:floor]):
        m = _GLUED_BYLINE.search(text, a, b)
        lines += [(a, m.start()), (m.start(), b)] if m else [(a, b)]
    return [(a, b) for a, b in lines if a < end and start < b]


def viewer_html(article: Article, start: int | None = None, end: int | None = None) -> str:
    """The full article, paragraphs numbered, with ``start:end`` highlighted (``<mark>``).

    The viewer's script scrolls the first ``<mark>`` into view.
    """
    text = article.text
    lo, hi = (start, end) if start is not None and end is not None and 0 <= start < end <= len(text) else (0, 0)
    has_span = hi > 0
    spans = paragraph_spans(text, article.body_start) or paragraph_spans(text)
    paragraphs = "".join(_paragraph_html(text, span, n, lo, hi) for n, span in enumerate(spans, 1))
    if has_span and lo < article.body_start:  # a byline or date cited from the header: show that line
        head = "".join(_header_line_html(text, span, lo, hi) for span in _header_lines(text, article.body_start, lo, hi))
        paragraphs = f'<div class="qa-viewer-header-text" aria-label="From the article\'s header">{head}</div>{paragraphs}'
    meta = html.escape(byline(article))
    for label, value in (("Source", article.source), ("URL", article.url)):
        if value:
            shown = f"{label}: {_external_link(value, _source_label(value))}"
            meta = f"{meta} · {shown}" if meta else shown
    where = f'<p class="qa-viewer-where">Highlighted: {location_text(article, lo, hi)}</p>' if has_span else ""
    return (
        '<article class="qa-viewer" tabindex="-1" aria-label="Article viewer">'
        f'<header class="qa-viewer-head"><h3 class="qa-viewer-title">{html.escape(article.title)}</h3>'
        f'<p class="qa-viewer-meta">{meta}</p>'
        f'<p class="qa-viewer-id">Article <code>{html.escape(article.id)}</code></p>{where}</header>'
        f'<div class="qa-viewer-body" tabindex="0" role="region" aria-label="Article text">{paragraphs}</div></article>'
    )


def missing_article_html(article_id: str) -> str:
    """The viewer's message for an id that is no longer in the index."""
    note = f"Article <code>{html.escape(article_id)}</code> is not in the index."
    return f'<div class="qa-viewer qa-viewer-empty"><p>{note}</p></div>'


# --- the index panel ---------------------------------------------------------------------


def index_html(info: IndexInfo, articles: Iterable[Article], query: str = "", page: int = 0) -> str:
    """What is indexed: counts, then one page of the articles matching ``query`` (in their
    title, id, source or byline; all when empty), each title a link to the viewer."""
    articles = matching_articles(articles, query)
    words = query.split()
    pages = index_pages(articles)
    page = min(max(0, int(page)), pages - 1)
    first = page * MAX_LISTED_ARTICLES
    shown = articles[first : first + MAX_LISTED_ARTICLES]
    items = "".join(_index_item_html(a) for a in shown)
    found = f" matching “{html.escape(query.strip())}”" if words else ""
    if not articles:
        tail = f'<p class="qa-index-more">No article{found}.</p>'
    elif pages > 1 or words:
        tail = (f'<p class="qa-index-more">{first + 1:,}–{first + len(shown):,} of {len(articles):,}{found}'
                f"{f' · page {page + 1} of {pages}' if pages > 1 else ''}</p>")  # fmt: skip
    else:
        tail = ""
    return (
        '<div class="qa-index">'
        f'<p class="qa-index-counts"><strong>{info.articles:,}</strong> article{"s" if info.articles != 1 else ""} · '
        f"<strong>{info.passages:,}</strong> passages</p>"
        f'<ul class="qa-index-list">{items}</ul>{tail}</div>'
    )


def index_pages(articles: list[Article]) -> int:
    """Pages of the article list that ``articles`` fill (at least one)."""
    return max(1, -(-len(articles) // MAX_LISTED_ARTICLES))


def matching_articles(articles: Iterable[Article], query: str) -> list[Article]:
    """The articles with every word of ``query`` in their title, id, source or byline."""
    words = query.casefold().split()
    return [a for a in articles if all(w in _searchable(a) for w in words)]


def _searchable(article: Article) -> str:
    return " ".join(filter(None, (article.title, article.id, article.source, article.author))).casefold()


def _index_item_html(article: Article) -> str:
    meta = byline(article)
    return (
        f"<li>{_link(open_href(article.id), html.escape(article.title), 'qa-index-title', 'Read this article')}"
        + (f'<span class="qa-index-meta">{html.escape(meta)}</span>' if meta else "")
        + "</li>"
    )


def add_report_markdown(
    added: int, info: IndexInfo | None, skipped: Iterable[SkippedFile], error: str = "", *, updated: int = 0
) -> str:
    """What an upload did: articles added (and updated in place: same URL, new text), the new
    totals, and each skipped file with why (duplicates name the article they repeat)."""
    lines = []
    if error:
        lines.append(f"**Nothing was added.** {error}")
    else:
        lines.append(f"**Added {added:,} article{'s' if added != 1 else ''}.**")
        if updated:
            lines.append(f"Updated {updated:,} article{'s' if updated != 1 else ''} whose web address was "
                         "already stored (same id, new text).")  # fmt: skip
        if info is not None:
            lines.append(f"The index now holds {info.articles:,} articles ({info.passages:,} passages).")
    skipped = list(skipped)
    if skipped:
        lines.append(f"\nSkipped {len(skipped):,}:" if len(skipped) > SHOWN_SKIPPED else "\nSkipped:")
        for s in skipped[:SHOWN_SKIPPED]:
            name = s.path.replace("`", "'")  # a backtick in a file name would end the code span
            reason = _MD_SPECIAL.sub(r"\\\1", s.reason)
            lines.append(f"- `{name}`: {reason}")
        if len(skipped) > SHOWN_SKIPPED:
            lines.append(f"- …and {len(skipped) - SHOWN_SKIPPED:,} more (`qa-index add` lists every one)")
    return "\n".join(lines)


SHOWN_SKIPPED = 20
"""Skipped files and records listed one by one in an upload's report; the rest are counted."""

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


def delete_question_markdown(articles: list[tuple[str, str | None]]) -> str:
    """The confirmation shown before deleting: ``(id, title or None if gone)`` pairs."""
    n = len(articles)
    lines = [
        f"**Delete {n} article{'s' if n != 1 else ''}?** They leave the article store and the index; "
        "answers stop using them at once."
    ]
    for article_id, title in articles:
        shown = _MD_SPECIAL.sub(r"\\\1", " ".join(title.split())) if title else "(no longer indexed)"
        code = article_id.replace("`", "'")  # a backtick would end the code span
        lines.append(f"- {shown} (`{code}`)")
    return "\n".join(lines)


def open_source_html(article_for: ArticleLookup, article_id: str, start: int | None, end: int | None) -> str:
    """The viewer for a ``#qa-open`` link's article and span, or a note if the id is unknown."""
    try:
        article = article_for(str(article_id))
    except KeyError:
        return missing_article_html(str(article_id))
    return viewer_html(article, start, end)
