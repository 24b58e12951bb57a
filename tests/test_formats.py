"""News formats in, by content: pages, feeds, PDFs, text in legacy encodings, and the
files that must be refused (each with its reason)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

import qa
from qa import load_articles
from qa.formats import Refused, sniff
from tests.newsgen import atom_feed, html_page, pdf_bytes, rss_feed, story, story_pdf


@pytest.fixture
def stories():
    rng = random.Random(7)
    return [story(rng, n) for n in range(4)]


def reasons(result: qa.LoadResult) -> dict[str, str]:
    return {Path(s.path).name: s.reason for s in result.skipped}


def test_saved_web_page_gives_main_text_and_metadata(tmp_path, stories):
    s = stories[0]
    (tmp_path / "page.html").write_text(html_page(s), encoding="utf-8")
    (article,) = load_articles(tmp_path / "page.html").articles
    assert (article.title, article.author, article.date) == (s.title, s.author, s.day.isoformat())
    assert (article.url, article.source) == (s.url, s.publisher)
    for paragraph in s.paragraphs:
        assert paragraph in article.text
    for chrome in ("Most Popular", "cookies", "Advertisement", "All rights reserved", "Sport"):
        assert chrome not in article.text
    assert article.metadata["format"] == "html"


def test_page_without_article_body_and_empty_page_are_refused(tmp_path):
    (tmp_path / "menu.html").write_text(
        "<!DOCTYPE html><html><body><nav><a href='/'>Home</a> <a href='/w'>World</a></nav>"
        "<footer>Copyright. All rights reserved.</footer></body></html>",
        encoding="utf-8",
    )
    (tmp_path / "empty.htm").write_text("   ", encoding="utf-8")
    result = load_articles(tmp_path)
    assert not result.articles
    assert reasons(result) == {
        "menu.html": "no article text found in the page (only menus, links or ads)",
        "empty.htm": "empty file",
    }


def test_rss_and_atom_feeds_give_one_article_per_entry(tmp_path, stories):
    (tmp_path / "herald.rss").write_text(rss_feed(stories[:2]), encoding="utf-8")
    (tmp_path / "valley.xml").write_text(atom_feed(stories[2:]), encoding="utf-8")
    result = load_articles(tmp_path)
    assert not result.skipped
    by_url = {a.url: a for a in result.articles}
    assert set(by_url) == {s.url for s in stories}
    for s in stories:
        a = by_url[s.url]
        assert (a.title, a.author, a.date) == (s.title, s.author, s.day.isoformat())
        assert a.text.split("\n")[:-1] == s.paragraphs
    assert {a.source for a in result.articles} == {"Harbour Herald: latest", "Valley Times"}


def test_feed_with_no_entries_is_refused(tmp_path):
    (tmp_path / "empty.xml").write_text(rss_feed([]), encoding="utf-8")
    result = load_articles(tmp_path)
    assert reasons(result) == {"empty.xml": "the feed has no entries"}


def test_pdf_text_is_stored_and_cited_exactly(tmp_path, stories):
    s = stories[1]
    (tmp_path / "report.pdf").write_bytes(story_pdf(s))
    (article,) = load_articles(tmp_path / "report.pdf").articles
    assert (article.title, article.author) == (s.title, s.author)
    for paragraph in s.paragraphs:
        assert paragraph in article.text
    starts = article.metadata["page_starts"]
    assert starts[0] == 0 and article.text[starts[1] :].startswith(s.paragraphs[3])

    qa.build_index(tmp_path / "report.pdf", tmp_path / "index")
    engine = qa.load_engine(tmp_path / "index")
    answer = engine.ask(f"How many workers will project {s.slug[-5:]} employ?")
    assert answer.found
    for c in answer.citations:
        assert engine.article(c.article_id).text[c.start : c.end] == c.quote


def test_pdf_without_text_layer_is_refused(tmp_path):
    (tmp_path / "scan.pdf").write_bytes(pdf_bytes([[], []]))
    result = load_articles(tmp_path)
    assert "no text layer" in reasons(result)["scan.pdf"]


def test_windows_1252_text_is_read_and_its_encoding_recorded(tmp_path):
    (tmp_path / "deal.txt").write_bytes("The club paid £15.8m for the striker – a record.\n".encode("cp1252"))
    (article,) = load_articles(tmp_path).articles
    assert "£15.8m" in article.text and "–" in article.text
    assert article.metadata["encoding"] == "cp1252"


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "PNG image"),
        (b"PK\x03\x04" + bytes(200), "ZIP archive"),
        (bytes((i * 37 + 11) % 256 for i in range(5000)), "binary"),
        (b"\x7fELF\x02\x01\x01" + bytes(100), "program"),
    ],
    ids=["png", "zip", "noise", "elf"],
)
def test_binary_disguised_as_text_is_refused_by_content(tmp_path, data, said):
    (tmp_path / "story.txt").write_bytes(data)
    result = load_articles(tmp_path)
    assert not result.articles and said in reasons(result)["story.txt"]


def test_type_comes_from_content_not_extension(tmp_path, stories):
    (tmp_path / "page.txt").write_text(html_page(stories[0]), encoding="utf-8")  # a page saved as .txt
    (tmp_path / "story.pdf").write_text("Just a plain story. Nothing else here.", encoding="utf-8")
    result = load_articles(tmp_path)
    by_id = {a.id: a for a in result.articles}
    assert by_id["page"].metadata["format"] == "html" and by_id["page"].url == stories[0].url
    assert by_id["story"].metadata["format"] == "text"
    assert sniff(b"%PDF-1.7\n...") == "pdf"
    with pytest.raises(Refused, match="empty"):
        sniff(b"  \n")


def test_file_over_the_size_limit_is_refused_without_reading_it(tmp_path):
    big = tmp_path / "huge.txt"
    with open(big, "wb") as f:
        line = b"The council met again on Tuesday and talked for a very long time. " * 16 + b"\n"
        for _ in range(20_000_000 // len(line) + 1):
            f.write(line)
    result = load_articles(tmp_path)
    assert not result.articles
    reason = reasons(result)["huge.txt"]
    assert "over the 10.0 MB limit per file" in reason and "Config.max_file_bytes" in reason
    assert load_articles(tmp_path, config=qa.Config(max_file_bytes=30_000_000, max_article_chars=30_000_000)).articles


def test_article_over_the_text_limit_is_refused(tmp_path):
    path = tmp_path / "news.jsonl"
    path.write_text(
        json.dumps({"id": "long", "text": "Words. " * 5000}) + "\n" + json.dumps({"id": "short", "text": "Short."}) + "\n",
        encoding="utf-8",
    )
    result = load_articles(path, config=qa.Config(max_article_chars=10_000))
    assert [a.id for a in result.articles] == ["short"]
    assert "35,000 characters, over the 10,000 limit per article" in reasons(result)["news.jsonl:1"]


def test_jsonl_takes_url_date_author_source(tmp_path):
    path = tmp_path / "wire.jsonl"
    path.write_text(
        json.dumps({"id": "w1", "title": "T", "text": "Body text here.", "url": "https://wire.example.com/w1",
                    "date": "2024-06-21", "author": "A. Writer", "source": "Wire"}) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    (a,) = load_articles(path).articles
    assert (a.url, a.date, a.author, a.source) == ("https://wire.example.com/w1", "2024-06-21", "A. Writer", "Wire")
