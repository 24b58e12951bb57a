"""A newsroom's worth of files at once: 2,000+ generated pages, feeds, PDFs and scraped
texts (some broken) ingest, and every refused file is listed with its reason."""

from __future__ import annotations

from pathlib import Path

import qa
from tests.newsgen import write_corpus

N_FILES = 2100


def test_two_thousand_mixed_news_files_ingest_with_every_refusal_explained(tmp_path):
    articles, refused = write_corpus(tmp_path / "news", N_FILES)
    assert len(refused) >= 100 and articles > N_FILES

    info = qa.build_index(tmp_path / "news", tmp_path / "index")

    skipped = {Path(s.path).name: s.reason for s in info.skipped}
    assert set(skipped) == set(refused), "every refused file is listed, and only those"
    for name, word in refused.items():
        assert word in skipped[name], (name, skipped[name])
    assert info.articles == articles and info.added == articles

    engine = qa.load_engine(tmp_path / "index")
    formats = {a.metadata["format"] for a in engine.articles()}
    assert formats == {"html", "feed", "pdf", "text"}
    assert sum(1 for a in engine.articles() if a.metadata.get("encoding") == "cp1252") > 50
    # Spot-check one story of each format: found by its project number, cited exactly.
    for fmt in sorted(formats):
        article = next(a for a in engine.articles() if a.metadata["format"] == fmt)
        code = article.title.rsplit(" ", 1)[-1]
        assert engine.search(f"budget for project {code}", 1)[0].article_id == article.id
        answer = engine.ask(f"What did critics say about the budget for project {code}?")
        assert answer.found and answer.citations[0].article_id == article.id, (fmt, answer.text)
        assert code in answer.text
        for c in answer.citations:
            assert engine.article(c.article_id).text[c.start : c.end] == c.quote
