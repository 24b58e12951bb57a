"""News file formats: what a file is (by its content), and the articles in it.

A file's type is decided by sniffing its bytes, not by its name: a PNG named ``.txt``
is refused, a saved web page named ``.txt`` is read as a web page. Supported:

* web pages (``.html``/``.htm``): main text, title, date, author, URL and site name by
  trafilatura, without menus and ads;
* RSS/Atom feeds: one article per entry (full text from the entry's content, else its
  summary), by feedparser;
* PDF: text page by page (pypdf), pages separated by a blank line; every offset is into
  that stored text;
* plain text: UTF-8, else Windows-1252, else Latin-1 (the encoding used is recorded in
  ``metadata["encoding"]``);
* JSON Lines: one ``{"id", "title", "text", "url", "date", "author", "source"}`` object a
  line.

Every refusal says why (:class:`Refused`), for the skipped-files report.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from .dates import iso_date

__all__ = ["Refused", "RawArticle", "sniff", "decode_text", "read_file", "html_to_text"]


class Refused(ValueError):
    """A file (or one record in it) that cannot become an article; the message says why."""


@dataclass
class RawArticle:
    """An article as found in a file, before header parsing. ``where`` names it for reports
    (``feed.xml#3``, ``news.jsonl:7``)."""

    id: str
    text: str
    where: str
    title: str | None = None
    date: str | None = None
    author: str | None = None
    source: str | None = None
    url: str | None = None
    metadata: dict | None = None


# --- sniffing ----------------------------------------------------------------------------

_MAGIC: list[tuple[bytes, str]] = [
    (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
    (b"PK\x03\x04", "a ZIP archive (or a Word/OpenDocument file)"), (b"\x1f\x8b", "a gzip archive"),
    (b"\x7fELF", "a program (ELF)"), (b"MZ", "a Windows program"), (b"RIFF", "a RIFF media file"),
    (b"ID3", "an MP3 file"), (b"OggS", "an Ogg media file"), (b"\xd0\xcf\x11\xe0", "an old Office document"),
    (b"7z\xbc\xaf", "a 7-Zip archive"), (b"Rar!", "a RAR archive"), (b"BZh", "a bzip2 archive"),
    (b"\xfd7zXZ", "an xz archive"),
    (b"{\\rtf", "an RTF document"), (b"SQLite format 3", "a SQLite database"),
]  # fmt: skip
_FEED = re.compile(rb"<(rss|feed|rdf:rdf)\b", re.I)
_HTML = re.compile(rb"<!doctype html|<html\b|<head\b|<body\b|<article\b", re.I)


def sniff(data: bytes, name: str = "") -> str:
    """The kind of a file from its content: ``"pdf"``, ``"feed"``, ``"html"``, ``"jsonl"``
    or ``"text"``. Raises :class:`Refused` for empty files and anything else."""
    if not data.strip():
        raise Refused("empty file")
    if data.startswith(b"%PDF"):
        return "pdf"
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise Refused(f"unsupported file type: the content is {what}, not an article")
    if data[4:8] == b"ftyp":
        raise Refused("unsupported file type: the content is a video/MP4 file, not an article")
    if not data.startswith((b"\xff\xfe", b"\xfe\xff")):  # (UTF-16 text holds NUL bytes)
        nul = data.find(b"\x00")  # anywhere: binary data after a text start is binary too
        if nul >= 0:
            raise Refused(f"binary file, not text (a NUL byte at offset {nul:,})")
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        if _FEED.search(head) and not re.match(rb"<!doctype html|<html\b", head, re.I):
            return "feed"
        if _HTML.search(head):
            return "html"
    suffix = Path(name).suffix.lower()
    if suffix in (".jsonl", ".json", ".ndjson") or (head.startswith(b"{") and suffix not in (".txt", ".text")):
        return "jsonl"
    return "text"


def decode_text(data: bytes) -> tuple[str, str]:
    """``(text, encoding)``: UTF-8 (with or without BOM, or UTF-16 with a BOM), else
    Windows-1252, else Latin-1. Raises :class:`Refused` for binary content."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text, encoding = data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as e:
            raise Refused(f"not valid UTF-16 text (invalid bytes at offset {e.start})") from None
    else:
        for encoding in ("utf-8-sig", "cp1252", "latin-1"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        encoding = "utf-8" if encoding == "utf-8-sig" else encoding
    at = _binary_at(text)
    if at is not None:
        raise Refused(f"binary file, not text (control characters from character {at:,})")
    return text, encoding


_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_BLOCK_CHARS = 4096


def _binary_at(text: str) -> int | None:
    """Where binary data starts: the first block of 4,096 characters of which over 0.5%
    are control characters (a stray one in a real article is tolerated). The whole text is
    looked at, so binary data after a text start is found too."""
    limit = max(2, min(len(text), _BLOCK_CHARS) // 200)
    counts: dict[int, int] = {}
    for m in _CONTROLS.finditer(text):
        block = m.start() // _BLOCK_CHARS
        counts[block] = counts.get(block, 0) + 1
        if counts[block] > limit:
            return block * _BLOCK_CHARS
    return None


# --- HTML fragments to text ----------------------------------------------------------------

_BLOCK = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr", "section", "article",
          "header", "footer", "pre", "ul", "ol", "table", "figure", "figcaption", "hr"}  # fmt: skip
_SKIP = {"script", "style", "noscript", "template", "svg", "iframe"}


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in _SKIP:
            self._skip += 1
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(fragment: str) -> str:
    """The text of an HTML fragment (a feed entry's content), one paragraph a line."""
    parser = _TextParser()
    parser.feed(fragment)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)


# --- readers -------------------------------------------------------------------------------


def _clean(value: object) -> str | None:
    text = " ".join(str(value).split()) if value not in (None, "") else ""
    return text or None


def _read_html(data: bytes, path: Path) -> list[RawArticle]:
    import trafilatura

    text, _ = decode_text(data)
    doc = trafilatura.bare_extraction(text, with_metadata=True, fast=True, favor_precision=True)
    body = (getattr(doc, "text", None) or "").strip() if doc is not None else ""
    if not body:
        raise Refused("no article text found in the page (only menus, links or ads)")
    return [
        RawArticle(
            id=path.stem,
            text=body + "\n",
            where=str(path),
            title=_clean(doc.title),
            date=iso_date(doc.date),
            author=_clean(doc.author),
            source=_clean(doc.sitename) or _clean(doc.hostname),
            url=_clean(doc.url),
            metadata={"format": "html"},
        )
    ]


def _read_feed(data: bytes, path: Path) -> list[RawArticle]:
    import feedparser

    feed = feedparser.parse(data)
    if not feed.entries:
        if feed.bozo and not feed.version:
            raise Refused(f"not a readable RSS/Atom feed ({feed.get('bozo_exception', 'malformed XML')})")
        raise Refused("the feed has no entries")
    source = _clean(feed.feed.get("title"))
    out: list[RawArticle] = []
    for n, entry in enumerate(feed.entries, 1):
        content = entry.get("content") or []
        html = max((c.get("value", "") for c in content), key=len, default="") or entry.get("summary", "")
        text = html_to_text(html)
        out.append(
            RawArticle(
                id=f"{path.stem}-{n}",
                text=text + "\n" if text else "",
                where=f"{path}#{n}",
                title=_clean(entry.get("title")),
                date=iso_date(entry.get("published_parsed") or entry.get("updated_parsed")),
                author=_clean((entry.get("author_detail") or {}).get("name") or entry.get("author")),
                source=source,
                url=_clean(entry.get("link")),
                metadata={"format": "feed", "feed": str(path.name)},
            )
        )
    return out


_PDF_LIMITS = {
    # A news PDF's text is at most Config.max_article_chars (500k characters); its streams
    # may decode to a few times their size, never to pypdf's default 75 MB each. Past
    # these, the file is refused as a decompression bomb instead of filling memory.
    "maximum_declared_stream_length": 25_000_000,
    "zlib_maximum_output_length": 25_000_000,
    "lzw_maximum_output_length": 25_000_000,
    "run_length_maximum_output_length": 25_000_000,
    "stream_decoding_work_maximum_length": 100_000_000,
}


def _read_pdf(data: bytes, path: Path) -> list[RawArticle]:
    import pypdf
    from pypdf.errors import LimitReachedError, PdfReadError

    try:
        with pypdf.apply_configuration(**_PDF_LIMITS):
            reader = pypdf.PdfReader(io.BytesIO(data))
            if reader.is_encrypted:
                raise Refused("the PDF is encrypted")
            pages = [(page.extract_text() or "").strip() for page in reader.pages]
            info = dict(reader.metadata or {})
    except Refused:
        raise
    except LimitReachedError as e:
        raise Refused(f"the PDF decompresses past the safety limits ({_first_line(e)})") from None
    except RecursionError:
        raise Refused("the PDF is nested too deeply to read (a damaged or hostile file)") from None
    except (PdfReadError, ValueError, KeyError, TypeError) as e:
        raise Refused(f"unreadable PDF ({_first_line(e)})") from None
    text, starts = "", []
    for page in pages:
        starts.append(len(text))
        if page:
            text += page + "\n\n"
    if not text.strip():
        raise Refused("the PDF has no text layer (a scan or images only); run OCR on it first")
    return [
        RawArticle(
            id=path.stem,
            text=text.rstrip() + "\n",
            where=str(path),
            title=_clean(info.get("/Title")),
            date=iso_date(info.get("/CreationDate")),
            author=_clean(info.get("/Author")),
            metadata={"format": "pdf", "page_starts": starts},
        )
    ]


def _first_line(e: BaseException) -> str:
    return str(e).splitlines()[0] if str(e) else type(e).__name__


def _read_text(data: bytes, path: Path) -> list[RawArticle]:
    text, encoding = decode_text(data)
    if not text.strip():
        raise Refused("empty file")
    meta = {"format": "text"}
    if encoding != "utf-8":
        meta["encoding"] = encoding
    return [RawArticle(id=path.stem, text=text, where=str(path), metadata=meta)]


MAX_REFUSED_RECORDS = 1000
"""Refused records of one file reported one by one; the rest are counted in one line (a
million bad lines must not make a million-line report)."""

_JSONL_FIELDS = {"id", "title", "text", "date", "author", "byline", "url", "source"}


def _read_jsonl(data: bytes, path: Path) -> list[RawArticle | Refused]:
    text, _ = decode_text(data)
    out: list[RawArticle | Refused] = []
    refused = 0
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        item = _jsonl_record(line, path, lineno)
        if isinstance(item, Refused):
            refused += 1
            if refused > MAX_REFUSED_RECORDS:
                continue
        out.append(item)
    if refused > MAX_REFUSED_RECORDS:
        out.append(Refused(f"{path}\x00and {refused - MAX_REFUSED_RECORDS:,} more records refused ({refused:,} in all)"))
    return out


def _jsonl_record(line: str, path: Path, lineno: int) -> RawArticle | Refused:
    where = f"{path}:{lineno}"
    try:
        record = json.loads(line)
    except json.JSONDecodeError as e:
        return Refused(f"{where}\x00invalid JSON ({e.msg})")
    except RecursionError:
        return Refused(f"{where}\x00JSON nested too deeply")
    if not isinstance(record, dict):
        return Refused(f"{where}\x00not a JSON object")
    body = record.get("text")
    if not isinstance(body, str) or not body.strip():
        return Refused(f'{where}\x00no "text" field with text in it')
    return RawArticle(
        # The fields as given: qa.validation checks them and names what is wrong.
        id=record["id"] if record.get("id") not in (None, "") else f"{path.stem}-{lineno}",
        text=body,
        where=where,
        title=record.get("title"),
        date=record.get("date"),
        author=record.get("author") or record.get("byline"),
        source=record.get("source"),
        url=record.get("url"),
        metadata={k: v for k, v in record.items() if k not in _JSONL_FIELDS} | {"format": "jsonl"},
    )


_READERS: dict[str, Callable[[bytes, Path], list]] = {
    "pdf": _read_pdf,
    "feed": _read_feed,
    "html": _read_html,
    "jsonl": _read_jsonl,
    "text": _read_text,
}


def read_file(path: Path, *, max_bytes: int) -> list[RawArticle | Refused]:
    """The articles in one file, and the refused records (``Refused`` items whose message
    is ``where\\x00reason``). Raises :class:`Refused` when the whole file is refused."""
    try:
        size = path.stat().st_size
    except OSError as e:
        raise Refused(e.strerror or str(e)) from None
    if size > max_bytes:
        raise Refused(
            f"file is {size / 1e6:,.1f} MB, over the {max_bytes / 1e6:,.1f} MB limit per file "
            "(Config.max_file_bytes)"
        )
    try:
        data = path.read_bytes()
    except OSError as e:
        raise Refused(e.strerror or str(e)) from None
    return _READERS[sniff(data, path.name)](data, path)
