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


def test_reading_window_grows_around_the_best_sentence_within_the_limit():
    from qa.chunking import reading_window

    text = "One short. Two is here. Three is the answer sentence. Four follows it. Five ends."
    sents = sentences(text)
    start, end = reading_window(text, sents, 2, 60)
    assert "Three is the answer sentence." in text[start:end] and end - start <= 60
    assert (start, end) in {(s, e) for s, _ in sents for _, e in sents}  # whole sentences
    assert reading_window(text, sents, 2, 10_000) == (0, len(text))
    long = "word " * 200
    start, end = reading_window(long, [(0, len(long) - 1)], 0, 100)
    assert end - start <= 100 and long[end - 1] != " " and long[end] == " "  # cut at a word boundary
