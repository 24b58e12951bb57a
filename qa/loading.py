"""Load articles from files (see :mod:`qa.formats`), a folder of them, or Python objects.

Scraped news is messy: a ``date 2024-06-20`` marker, site chrome ("Most Popular"), a
headline glued to its byline ("...vows stern actionsBy Son Ji-hyoung"), a
"Published : June 20, 2024 - 15:26" line, photo captions printed twice. We parse the
date, byline and headline out of that header but never change :attr:`Article.text`,
because every citation offset points into it. Where the body starts is kept in
``metadata["body_start"]`` so the chunker can skip the header.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from .config import Config
from .dates import iso_date
from .errors import ArticleError, NoArticlesError
from .formats import RawArticle, Refused, read_file
from .types import Article, SkippedFile
from .validation import check_article

__all__ = ["LoadResult", "load_articles", "parse_header", "NoArticlesError"]

MAX_TITLE_CHARS = 120


@dataclass
class LoadResult:
    """Articles that loaded, files that did not (with the reason), and renamed ids."""

    articles: list[Article]
    skipped: list[SkippedFile] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)


# --- header parsing -------------------------------------------------------------------

_DATE_MARKER = re.compile(r"\s*date\s+(\d{4}-\d{2}-\d{2})\b[ \t]*")
_CHROME = re.compile(
    r"(?:Most Popular|Most Viewed|Advertisement|Skip to (?:main )?content|Top Stories|Latest News)"
    r"[ \t]*(?:\n|$)",
    re.IGNORECASE,
)
# A byline glued to the headline: "...vows stern actionsBy Son Ji-hyoung".
_HEADLINE_BYLINE = re.compile(
    r"(?P<headline>[^\n]*?\S)\s*By\s*(?P<author>[A-Z][\w.'-]*(?:[ \t]+[A-Z][\w.'-]*){0,3})[ \t]*(?:\n|$)"
)
_BYLINE_ONLY = re.compile(r"By\s+(?P<author>[A-Z][\w.'-]*(?:[ \t]+[A-Z][\w.'-]*){0,3})[ \t]*(?:\n|$)")
_PUBLISHED = re.compile(
    r"(?:Published|Updated|Posted)\s*:?\s*(?P<date>[A-Z][a-z]+\.? \d{1,2}, \d{4})[^\n]*(?:\n|$)"
)
_LEAD_SENTENCE = re.compile(r".+?[.!?](?=[\"')\]]?(?:\s|$))", re.DOTALL)


@dataclass(frozen=True)
class Header:
    """What :func:`parse_header` found; ``body_start`` is where the story text begins."""

    title: str | None
    date: str | None
    author: str | None
    body_start: int


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def _is_doubled(line: str) -> bool:
    """True for a photo caption printed twice in a row ("X (Yonhap) X (Yonhap)")."""
    line = line.strip()
    half = len(line) // 2
    for cut in range(max(1, half - 2), min(len(line), half + 3)):
        a, b = line[:cut].strip(), line[cut:].strip()
        if len(a) > 20 and a == b:
            return True
    return False


def _lead_sentence(text: str, start: int) -> str | None:
    """The first real sentence of the body, skipping doubled photo captions."""
    pos = start
    while pos < len(text):
        pos = _skip_space(text, pos)
        line_end = text.find("\n", pos)
        line_end = len(text) if line_end < 0 else line_end
        line = text[pos:line_end]
        if line.strip() and not _is_doubled(line):
            match = _LEAD_SENTENCE.match(line)
            sentence = (match.group(0) if match else line).strip()
            return _shorten(_first_clause(sentence))
        pos = line_end + 1
    return None


_CLAUSE = re.compile(r",\s+(?:where|which|who|while|after|as|when|saying|and)\b|;\s|:\s|\s[—–-]\s")
SHORT_TITLE_CHARS = 80
"""A lead sentence used as a title is cut to its first clause past this length."""


def _first_clause(sentence: str) -> str:
    """A long lead sentence's main clause: "South Korea expressed concern over the summit,
    where the two leaders agreed..." -> "South Korea expressed concern over the summit"."""
    if len(sentence) <= SHORT_TITLE_CHARS:
        return sentence
    cut = next((m.start() for m in _CLAUSE.finditer(sentence) if m.start() >= 30), None)
    return sentence[:cut].rstrip() if cut else sentence


def _shorten(title: str) -> str:
    title = " ".join(title.split())
    if len(title) <= MAX_TITLE_CHARS:
        return title
    return title[: MAX_TITLE_CHARS - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def parse_header(text: str) -> Header:
    """Find the headline, date and byline at the top of a scraped news article."""
    date = author = title = None
    pos = 0
    if m := _DATE_MARKER.match(text):
        date, pos = m.group(1), m.end()
    if m := _CHROME.match(text, pos):
        pos = m.end()
    pos = _skip_space(text, pos)
    if m := _HEADLINE_BYLINE.match(text, pos):
        headline = m.group("headline").strip()
        # A headline is one line of modest length; a long line is body text with "By" in it.
        if 10 <= len(headline) <= 200 and not headline.endswith((".", ":")):
            title, author, pos = _shorten(headline), m.group("author").strip(), m.end()
    elif m := _BYLINE_ONLY.match(text, pos):
        author, pos = m.group("author").strip(), m.end()
    pos = _skip_space(text, pos)
    if m := _PUBLISHED.match(text, pos):
        date = date or iso_date(m.group("date"))
        pos = _skip_space(text, m.end())
    if title is None:
        title = _lead_sentence(text, pos)
    return Header(title=title, date=date, author=author, body_start=pos)


def make_article(
    id: str,
    text: str,
    *,
    title: str | None = None,
    date: str | None = None,
    author: str | None = None,
    source: str | None = None,
    url: str | None = None,
    metadata: dict | None = None,
) -> Article:
    """Build an :class:`Article`, filling title/date/byline from the text's header."""
    header = parse_header(text)
    meta = dict(metadata or {})
    meta.setdefault("body_start", header.body_start)
    return Article(
        id=id,
        title=title or header.title or id,
        text=text,
        date=date or header.date,
        author=author or header.author,
        source=source,
        url=url,
        metadata=meta,
    )


# --- sources --------------------------------------------------------------------------


def _from_raw(raw: RawArticle) -> Article:
    meta = dict(raw.metadata or {})
    meta["origin"] = raw.where
    return make_article(
        raw.id, raw.text, title=raw.title, date=raw.date, author=raw.author, source=raw.source, url=raw.url,
        metadata=meta,
    )  # fmt: skip


def _load_file(path: Path, result: LoadResult, config: Config) -> None:
    """Add the articles of one file to ``result``; refused files and records go to ``skipped``."""
    try:
        items = read_file(path, max_bytes=config.max_file_bytes)
    except Refused as e:
        result.skipped.append(SkippedFile(str(path), str(e)))
        return
    except Exception as e:  # a parser's own failure refuses this file, not the batch
        why = str(e).splitlines()[0] if str(e) else ""
        result.skipped.append(SkippedFile(str(path), f"could not be read ({type(e).__name__}{': ' + why if why else ''})"))
        return
    for item in items:
        if isinstance(item, Refused):
            where, _, reason = str(item).partition("\x00")
            result.skipped.append(SkippedFile(where, reason))
        elif not item.text.strip():
            result.skipped.append(SkippedFile(item.where, "no article text"))
        elif len(item.text) > config.max_article_chars:
            result.skipped.append(SkippedFile(item.where, _too_long(len(item.text), config)))
        else:
            _append_checked(result, _from_raw(item), item.where)


def _append_checked(result: LoadResult, article: Article, where: str) -> None:
    try:
        result.articles.append(check_article(article))
    except ArticleError as e:
        result.skipped.append(SkippedFile(where, str(e)))


def _too_long(chars: int, config: Config) -> str:
    return (
        f"article text is {chars:,} characters, over the {config.max_article_chars:,} limit per article "
        "(Config.max_article_chars); split it into separate articles"
    )


def _dedupe_ids(result: LoadResult, taken: set[str]) -> None:
    """Rename repeated ids deterministically: the second ``x`` becomes ``x~2``, and so on."""
    out = []
    for article in result.articles:
        new_id, n = article.id, 1
        while new_id in taken:
            n += 1
            new_id = f"{article.id}~{n}"
        if new_id != article.id:
            result.renamed.append((article.id, new_id))
            article = replace(article, id=new_id)
        taken.add(new_id)
        out.append(article)
    result.articles = out


def load_articles(
    source: str | Path | Iterable[Article], *, existing_ids: Iterable[str] = (), config: Config | None = None
) -> LoadResult:
    """Load articles from a folder, one file, or an iterable of Articles.

    A file's format is recognised by its content (see :mod:`qa.formats`): web pages, RSS/
    Atom feeds, PDF, plain text and JSON Lines. A folder contributes every file below it
    (hidden ones aside), in sorted order; the article id of a page, PDF or text file is its
    file name without extension. Unusable files and records are reported in
    :attr:`LoadResult.skipped` with the reason, and the rest still load. Files over
    ``config.max_file_bytes`` and texts over ``config.max_article_chars`` are refused.
    Ids that repeat (within the source or against ``existing_ids``) are renamed ``id~2``,
    ``id~3``... and listed in :attr:`LoadResult.renamed`.
    """
    config = config or Config()
    result = LoadResult(articles=[])
    if isinstance(source, (str, Path)):
        path = Path(source)
        if path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.is_file()):
                if any(part.startswith(".") for part in file.relative_to(path).parts):
                    continue
                _load_file(file, result, config)
        elif path.is_file():
            _load_file(path, result, config)
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")
    else:
        for article in source:
            if not isinstance(article, Article):
                raise TypeError(f"expected Article objects, got {type(article).__name__}")
            if not article.text.strip():
                result.skipped.append(SkippedFile(article.id, "empty text"))
                continue
            if len(article.text) > config.max_article_chars:
                result.skipped.append(SkippedFile(article.id, _too_long(len(article.text), config)))
                continue
            if "body_start" not in article.metadata:
                article = make_article(
                    article.id,
                    article.text,
                    title=article.title,
                    date=article.date,
                    author=article.author,
                    source=article.source,
                    url=article.url,
                    metadata=article.metadata,
                )
            _append_checked(result, article, article.id)
    _dedupe_ids(result, set(existing_ids))
    return result
