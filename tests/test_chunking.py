from pathlib import Path

from qa.chunking import chunk, sentences
from qa.loading import load_articles

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def test_sentences_respect_abbreviations_and_initials():
    text = 'Mr. Kim met U.S. envoy J. Smith at 3.5 p.m. on Monday. "It went well," he said. Then (Yonhap) Next one.'
    got = [text[s:e] for s, e in sentences(text)]
    assert got[0] == "Mr. Kim met U.S. envoy J. Smith at 3.5 p.m. on Monday."
    assert got[1] == '"It went well," he said.'


def test_lone_photo_credit_stays_with_its_caption():
    text = "Officials meet in Seoul on Thursday. (Yonhap) Officials meet in Seoul on Thursday. (Yonhap)"
    got = [text[s:e] for s, e in sentences(text)]
    assert got == ["Officials meet in Seoul on Thursday. (Yonhap)"] * 2


def test_passages_are_exact_spans_within_size():
    for article in load_articles(SEEDS).articles:
        body = article.metadata["body_start"]
        spans = chunk(article.text, body, max_chars=400, overlap=1)
        assert spans and spans[0][0] >= body
        for s, e in spans:
            piece = article.text[s:e]
            assert piece == piece.strip() and piece
            # only a single sentence longer than the limit may exceed it
            assert e - s <= 400 or len(sentences(article.text, s, e)) == 1
        # every sentence of the body lies in some passage
        for s, e in sentences(article.text, body):
            assert any(ps <= s and e <= pe for ps, pe in spans)


def test_long_paragraph_windows_overlap():
    text = " ".join(f"Sentence number {i} is here." for i in range(60))
    spans = chunk(text, max_chars=200, overlap=1)
    assert len(spans) > 5
    for (_, e1), (s2, _) in zip(spans, spans[1:]):
        assert s2 < e1  # one shared sentence
