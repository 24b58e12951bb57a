"""No input bricks the archive: each bad file or record is refused with its reason or
indexed safely, and the archive still opens afterwards (a restart after each one)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import zlib
from datetime import date
from pathlib import Path

import pytest

import qa
from qa.errors import ArticleError, FilterError, NotFoundError, QAError
from qa.store import default_store_location

GOOD = "Harbour fares rise\nThe harbour authority said on Monday that ferry fares will rise by 8 percent in March.\n"


def copy_archive(seed_index: Path, tmp_path: Path) -> Path:
    """A private copy of the seed index and its store."""
    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    shutil.copy(default_store_location(seed_index), default_store_location(index))
    return index


def restarts(index: Path) -> qa.Engine:
    """What the app does on start-up: the engine over the store, then a question."""
    engine = qa.open_engine(index)
    engine.ask("Who is the Foreign Ministry spokesperson?")
    return engine


@pytest.mark.parametrize(
    "name, body",
    [
        ("stopwords_only.txt", "It is what it is, and so it was.\n"),
        ("punctuation.txt", "!!! ??? ...\n"),
        ("rule.txt", "Ferry notice\n" + "=" * 300 + "\nSee you there.\n"),
        ("excerpt.rss", '<?xml version="1.0"?><rss version="2.0"><channel><title>Blog</title><item>'
                        "<title>Cafe opens</title><description>[&#8230;]</description></item></channel></rss>"),
    ],
)
def test_an_article_without_a_searchable_term_leaves_the_archive_usable(seed_index, tmp_path, name, body) -> None:
    index = copy_archive(seed_index, tmp_path)
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    try:
        info = qa.add_articles(path, index)
    except qa.NoArticlesError as e:  # refused with its reason: also fine
        assert e.skipped and e.skipped[0].reason
    else:
        assert info.added == 1
    engine = restarts(index)  # reopens, and every later write still works
    qa.add_articles(_good(tmp_path), index)
    qa.remove_articles(["good"], index)
    qa.rebuild_index(index)
    assert engine.info.articles >= 3


def test_an_untermed_article_is_found_by_its_title(seed_index, tmp_path) -> None:
    index = copy_archive(seed_index, tmp_path)
    (tmp_path / "Zanzibar cordial.txt").write_text("!!! ??? ...\n", encoding="utf-8")
    qa.add_articles(tmp_path / "Zanzibar cordial.txt", index)
    hits = qa.load_engine(index).search("zanzibar cordial", k=3)
    assert hits and hits[0].article_id == "Zanzibar cordial"


@pytest.mark.parametrize(
    "record, field",
    [
        ({"body_start": "zzz"}, "metadata.body_start"),
        ({"body_start": 10**12}, "metadata.body_start"),
        ({"body_start": -50}, "metadata.body_start"),
        ({"body_start": True}, "metadata.body_start"),
        ({"date": "sometime soon"}, "date"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"title": {"nested": 1}}, "title"),
        ({"author": "x" * 5000}, "author"),
    ],
)
def test_a_bad_jsonl_field_is_refused_naming_it_and_the_rest_is_added(seed_index, tmp_path, record, field) -> None:
    index = copy_archive(seed_index, tmp_path)
    lines = [{"id": "bad", "text": "Ferry fares rise in Oslo.", **record}, {"id": "fine", "text": "Tram fares fall in Bergen."}]
    path = tmp_path / "feed.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in lines) + "\n", encoding="utf-8")
    info = qa.add_articles(path, index)
    assert info.added == 1
    (skipped,) = info.skipped
    assert skipped.path.endswith("feed.jsonl:1") and skipped.reason.startswith(f"{field}: ")
    engine = restarts(index)
    assert engine.article("fine") and "bad" not in {a.id for a in engine.articles()}
    qa.remove_articles(["fine"], index)
    qa.rebuild_index(index)


def test_a_record_stored_before_the_checks_is_indexed_from_the_start(seed_index, tmp_path) -> None:
    """A store written by an older version may hold what today's checks refuse."""
    index = copy_archive(seed_index, tmp_path)
    qa.add_articles(_good(tmp_path), index)
    with sqlite3.connect(default_store_location(index)) as db:
        db.execute("UPDATE articles SET metadata = ?, date = ? WHERE id = 'good'", ('{"body_start": "zzz"}', "June 20th"))
    shutil.rmtree(index)  # the index is rebuilt from the store, bad record and all
    engine = restarts(index)
    assert engine.search("ferry fares rise", k=1)[0].article_id == "good"
    assert engine.ask("How much will ferry fares rise?", since="2024-01-01").found is False  # free text matches no filter
    qa.add_articles(_good(tmp_path, "Later story\nBuses run late tonight in Bergen.\n", "later"), index)


def test_an_article_the_chunker_cannot_split_is_kept_listed_not_blocking(seed_index, tmp_path, monkeypatch, capsys):
    import qa.index.write as qa_index

    real = qa_index.chunk

    def failing(text, *args, **kwargs):
        if "ferry fares" in text:
            raise RuntimeError("unforeseen text")
        return real(text, *args, **kwargs)

    index = copy_archive(seed_index, tmp_path)
    monkeypatch.setattr(qa_index, "chunk", failing)
    info = qa.add_articles(_good(tmp_path), index)
    assert info.added == 1 and "unforeseen text" in info.unindexed["good"]
    monkeypatch.setattr(qa_index, "chunk", real)
    assert "good" in qa.index_info(index).unindexed
    restarts(index)
    from qa.cli import main

    assert main(["list", "--index", str(index)]) == 0
    assert "stored, not indexed" in capsys.readouterr().out
    qa.rebuild_index(index)  # a rebuild indexes it again
    assert not qa.index_info(index).unindexed


def _nested_pdf(depth: int) -> bytes:
    body = b"[" * depth + b"]" * depth
    objects = [b"<< /Type /Catalog /Pages 2 0 R /Bad " + body + b" >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]
    return _pdf(objects)


def _bomb_pdf() -> bytes:
    stream = zlib.compress(b"0" * 200_000_000, 9)
    content = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        content,
    ]
    return _pdf(objects)


def _pdf(objects: list[bytes]) -> bytes:
    out, offsets = b"%PDF-1.4\n", []
    for n, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)


def test_a_file_no_parser_can_read_is_refused_alone(seed_index, tmp_path) -> None:
    index = copy_archive(seed_index, tmp_path)
    batch = tmp_path / "batch"
    batch.mkdir()
    (batch / "deep.pdf").write_bytes(_nested_pdf(50_000))
    (batch / "bomb.pdf").write_bytes(_bomb_pdf())
    (batch / "deep.jsonl").write_text("[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    (batch / "late-binary.txt").write_bytes(b"A plain story about the port. " * 4000 + bytes(range(1, 256)) * 50)
    (batch / "good.txt").write_text(GOOD, encoding="utf-8")
    info = qa.add_articles(batch, index)
    assert info.added == 1
    reasons = {Path(s.path.split(":")[0]).name: s.reason for s in info.skipped}
    assert set(reasons) == {"deep.pdf", "bomb.pdf", "deep.jsonl", "late-binary.txt"}
    assert all(reasons.values())
    assert "binary" in reasons["late-binary.txt"]
    restarts(index)


def test_a_huge_batch_of_bad_records_gets_a_bounded_report(tmp_path) -> None:
    path = tmp_path / "junk.jsonl"
    path.write_text("{}\n" * 20_000, encoding="utf-8")
    loaded = qa.load_articles(path)
    assert not loaded.articles and len(loaded.skipped) == 1001
    assert "19,000 more" in loaded.skipped[-1].reason

    from qa_app.formatting import add_report_markdown

    report = add_report_markdown(0, None, loaded.skipped, "None of the files holds a usable article.")
    assert report.count("\n- ") == 21 and "more" in report.splitlines()[-1]


def test_dates_are_stored_as_days_and_filters_read_them_alike(seed_index, tmp_path) -> None:
    index = copy_archive(seed_index, tmp_path)
    path = tmp_path / "dated.jsonl"
    path.write_text(json.dumps({"id": "dated", "text": "Ferry fares rise in Oslo.", "date": "June 21st, 2024"}) + "\n")
    qa.add_articles(path, index)
    assert qa.load_engine(index).article("dated").date == "2024-06-21"
    assert [a.id for a in qa.list_articles(index, since=date(2024, 6, 21))] == ["dated"]
    assert qa.load_engine(index).search("ferry fares Oslo", since=date(2024, 6, 21))[0].article_id == "dated"
    for call in (lambda: qa.list_articles(index, since="June"), lambda: qa.load_engine(index).ask("x", until="June")):
        with pytest.raises(FilterError, match="must be a date like 2024-06-20"):
            call()
    for call in (lambda: qa.list_articles(index, since="2024-07-01", until="2024-06-01"),
                 lambda: qa.load_engine(index).search("ferry", since="2024-07-01", until="2024-06-01")):  # fmt: skip
        with pytest.raises(FilterError, match="the range holds no day"):
            call()
    with pytest.raises(ArticleError, match="date"):
        qa.update_article("dated", index, date="next week")


def test_metadata_answers_come_from_the_live_version(seed_index, tmp_path) -> None:
    index = copy_archive(seed_index, tmp_path)
    old = "Harbour fares rise\nBy Ada Old\nThe harbour authority said ferry fares will rise.\n"
    new = "Harbour fares rise\nBy Bea New\nThe harbour authority said ferry fares will rise by 8 percent.\n"
    qa.add_articles(_good(tmp_path, old), index)
    qa.update_article("good", index, text=new, author="Bea New")
    engine = qa.load_engine(index)
    answer = engine.ask("Who wrote the article about harbour fares?")
    assert answer.found and "Bea New" in answer.text
    for c in answer.citations:
        assert engine.article(c.article_id).text[c.start : c.end] == c.quote
    qa.remove_articles(["good"], index)
    gone = qa.load_engine(index).ask("Who wrote the article about harbour fares?")
    assert all(c.article_id != "good" for c in gone.citations)


def test_the_archive_is_private_to_its_owner(tmp_path) -> None:
    index = tmp_path / "private"
    qa.build_index(_good(tmp_path), index)
    store = Path(default_store_location(index))
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    for path in [index, *index.rglob("*")]:
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600), path


def test_the_temp_root_must_be_the_users_own(tmp_path) -> None:
    from qa_app.tempfiles import AppTemp

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    link = tmp_path / "link"
    link.symlink_to(elsewhere)
    with pytest.raises(PermissionError, match="link"):
        AppTemp(link)
    opened = tmp_path / "opened"
    opened.mkdir(mode=0o777)
    os.chmod(opened, 0o777)
    temp = AppTemp(opened)
    assert stat.S_IMODE(opened.stat().st_mode) == 0o700
    temp.cleanup()


def test_the_cli_prints_names_as_text(seed_index, tmp_path, capsys) -> None:
    from qa.cli import main

    index = copy_archive(seed_index, tmp_path)
    odd = tmp_path / "[bold]odd.txt"  # a name, and a headline, that Rich would read as markup
    odd.write_text("Fares [/x] rise\n" + GOOD, encoding="utf-8")
    assert main(["add", str(odd), "--index", str(index)]) == 0
    assert main(["list", "--index", str(index)]) == 0
    out = capsys.readouterr().out
    assert "[bold]odd" in out and "Fares [/x] rise" in out


def test_one_error_hierarchy() -> None:
    for error in (qa.StoreError, qa.StoreCorruptError, qa.IndexLoadError, qa.IndexCorruptError, qa.ReaderModelError,
                  qa.NoArticlesError, FilterError, ArticleError, NotFoundError):  # fmt: skip
        assert issubclass(error, QAError)
    assert issubclass(FilterError, ValueError) and issubclass(NotFoundError, KeyError)
    assert issubclass(qa.StoreError, RuntimeError) and issubclass(qa.IndexMissingError, FileNotFoundError)


def _good(tmp_path: Path, text: str = GOOD, name: str = "good") -> Path:
    path = tmp_path / f"{name}.txt"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_failed_commit_is_a_store_error_and_stores_nothing(tmp_path, monkeypatch) -> None:
    from qa.store import open_store

    store = open_store(tmp_path / "store.sqlite3")

    def full_disk() -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(store._conn, "commit", full_disk)
    article = qa.load_articles(_good(tmp_path)).articles[0]
    with pytest.raises(qa.StoreError, match="disk is full"):
        store.ingest([article])
    monkeypatch.undo()
    assert store.ids() == []
    store.close()


def test_a_damaged_segment_file_is_named_and_the_index_rebuilt(seed_index, tmp_path) -> None:
    index = copy_archive(seed_index, tmp_path)
    qa.add_articles(_good(tmp_path), index)
    (passages,) = index.glob("v-*/seg-*/passages.npy")
    passages.write_bytes(b"\xff" * passages.stat().st_size)  # same size: only reading finds it
    with pytest.raises(qa.IndexCorruptError, match="passages.npy"):
        qa.index_info(index)
    assert restarts(index).article("good")


def test_the_text_cache_is_bounded_by_bytes(tmp_path, monkeypatch) -> None:
    import numpy as np

    import qa.index.texts as texts

    big = ["é" * 300_000 for _ in range(8)]  # 600 KB of UTF-8 each
    texts._write_texts(tmp_path, big)
    store = texts.TextStore(np.fromfile(tmp_path / "texts.bin", dtype=np.uint8), np.load(tmp_path / "text_offsets.npy"))
    monkeypatch.setattr(texts, "TEXT_CACHE_BYTES", 1_500_000)
    for i in range(8):
        assert store[i] == big[i]
        assert store._cached_bytes <= 1_500_000
