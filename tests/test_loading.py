import json
from pathlib import Path

import pytest

from qa import Article, load_articles
from qa.loading import parse_header

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def test_seed_headers_are_parsed_and_text_kept_raw():
    articles = {a.id: a for a in load_articles(SEEDS).articles}
    first = articles["000_61fa93c29d891d97"]
    assert first.title == "Seoul expresses 'grave concern' over NK-Russia summit, vows stern actions"
    assert first.author == "Son Ji-hyoung"
    assert first.date == "2024-06-20"
    assert first.text == (SEEDS / "000_61fa93c29d891d97.txt").read_text(encoding="utf-8")
    assert first.text[first.metadata["body_start"] :].startswith("South Korea on Thursday")
    assert first.metadata["origin"].endswith("000_61fa93c29d891d97.txt") and first.metadata["format"] == "text"

    second = articles["004_c75256f9babe0d3c"]
    # No headline: the lead sentence, not the date marker or the doubled photo caption.
    assert second.title.startswith("South Korea on Thursday expressed serious concern")
    assert "date" not in second.title and "Most Popular" not in second.title
    assert second.title == "South Korea on Thursday expressed serious concern over Wednesday's North Korea-Russia summit"
    assert second.date == "2024-06-20"


@pytest.mark.parametrize(
    "text, title, author, date",
    [
        ("Big news todayBy Jane Doe\nPublished : March 3, 2023 - 10:00\nBody.", "Big news today", "Jane Doe", "2023-03-03"),
        (" date 2021-01-02 Most Popular\nThe story starts here. More.", "The story starts here.", None, "2021-01-02"),
        ("Plain text with no header at all. Second sentence.", "Plain text with no header at all.", None, None),
    ],
)
def test_parse_header(text, title, author, date):
    header = parse_header(text)
    assert (header.title, header.author, header.date) == (title, author, date)


def test_jsonl_keeps_extra_fields_as_metadata(tmp_path):
    path = tmp_path / "a.jsonl"
    rows = [
        {"id": "x1", "title": "T1", "text": "Alpha beta. Gamma.", "date": "2020-01-01", "author": "A", "url": "http://e/1", "section": "World"},
        {"id": "x2", "text": "Second article text."},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    result = load_articles(path)
    a, b = result.articles
    assert (a.id, a.title, a.date, a.author, a.url) == ("x1", "T1", "2020-01-01", "A", "http://e/1")
    assert a.metadata["section"] == "World" and a.metadata["origin"] == f"{path}:1"
    assert b.title == "Second article text."
    assert not result.skipped


def test_bad_files_are_reported_and_skipped(tmp_path, monkeypatch):
    (tmp_path / "good.txt").write_text("A good article. It has text.", encoding="utf-8")
    (tmp_path / "empty.txt").write_text("  \n", encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02PNG\x00")
    (tmp_path / "latin1.txt").write_bytes("Caf\xe9 au lait.".encode("latin-1"))
    (tmp_path / "locked.txt").write_text("Cannot be read.", encoding="utf-8")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    (tmp_path / "broken.jsonl").write_text('{"id": "j1", "text": "Fine line."}\nnot json\n{"id": "j2"}\n', encoding="utf-8")

    real_read_bytes = Path.read_bytes

    def read_bytes(self):
        if self.name == "locked.txt":  # root can read any file, so refuse this one here
            raise PermissionError(13, "Permission denied")
        return real_read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    result = load_articles(tmp_path)
    assert sorted(a.id for a in result.articles) == ["good", "j1", "latin1"]
    reasons = {Path(s.path).name: s.reason for s in result.skipped}
    assert reasons["empty.txt"] == "empty file"
    assert "binary" in reasons["binary.txt"]
    latin1 = next(a for a in result.articles if a.id == "latin1")
    assert latin1.text == "Café au lait." and latin1.metadata["encoding"] == "cp1252"
    assert "Permission denied" in reasons["locked.txt"]
    assert "unreadable PDF" in reasons["notes.pdf"]
    assert "invalid JSON" in reasons["broken.jsonl:2"]
    assert "text" in reasons["broken.jsonl:3"]


def test_duplicate_ids_are_renamed_deterministically(tmp_path):
    articles = [Article("a", "One", "First text."), Article("a", "Two", "Second text."), Article("b", "B", "Third.")]
    result = load_articles(articles, existing_ids=["b"])
    assert [a.id for a in result.articles] == ["a", "a~2", "b~2"]
    assert result.renamed == [("a", "a~2"), ("b", "b~2")]


def test_missing_source_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_articles(tmp_path / "nope")
