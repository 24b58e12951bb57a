"""The pure formatting functions, on hand-made articles and answers (no engine, no Gradio)."""

from __future__ import annotations

import dataclasses
import html
import re
from urllib.parse import parse_qs

import pytest

from qa import Answer, Article, Citation, IndexInfo, Location, Passage, SkippedFile
from qa_app.formatting import (
    OPEN_PREFIX,
    add_report_markdown,
    answer_html,
    byline,
    format_date,
    index_html,
    inline,
    location_text,
    notice_html,
    open_href,
    open_source_html,
    paragraph_number,
    paragraph_spans,
    plain_answer_text,
    snippet_html,
    source_card_html,
    viewer_html,
)

HEADER = "date 2024-06-20 Most Popular\nTalks end <b>badly</b>By Jane Doe\n"
BODY = (
    "The ministers met on Monday. The spokesperson, Kim & Lee, said the talks had ended.\n"
    "Observers were <script>alert(1)</script> surprised.\n\n"
    "A final paragraph with $5 and *stars*."
)
TEXT = HEADER + BODY
QUOTE = "The spokesperson, Kim & Lee, said the talks had ended."
START = TEXT.index(QUOTE)
END = START + len(QUOTE)

ARTICLE = Article(
    id="story one&two",
    title="Talks end <b>badly</b>",
    text=TEXT,
    date="2024-06-20",
    author="Jane Doe",
    source="/srv/articles/story.txt",
    metadata={"body_start": len(HEADER)},
)
COPY = Article(id="copy", title="Same story, scraped again", text="Intro.\n" + QUOTE + "\n", date=None, author=None)
COPY_START = COPY.text.index(QUOTE)
ARTICLES = {a.id: a for a in (ARTICLE, COPY)}


def found_answer(*, question: str = "Who is the spokesperson?", confidence: str = "high") -> Answer:
    citations = [
        Citation(ARTICLE.id, ARTICLE.title, START, END, QUOTE),
        Citation(COPY.id, COPY.title, COPY_START, COPY_START + len(QUOTE), QUOTE),
    ]
    return Answer(QUOTE, True, citations, [], score=0.9, confidence=confidence, question=question)


def not_found_answer() -> Answer:
    passage = Passage(
        ARTICLE.id, ARTICLE.title, len(HEADER), END, TEXT[len(HEADER) : END], 0.4,
        also_in=[Location(COPY.id, COPY.title, COPY_START, COPY_START + len(QUOTE))],
    )  # fmt: skip
    return Answer("The articles don't say.", False, [], [passage], question="What is the capital of France?")


def test_paragraphs_are_non_blank_lines() -> None:
    spans = paragraph_spans("One.\n\n  \nTwo.\nThree.")
    assert spans == [(0, 4), (9, 13), (14, 20)]
    assert paragraph_number("One.\n\n  \nTwo.\nThree.", 0) == 1
    assert paragraph_number("One.\n\n  \nTwo.\nThree.", 6) == 2  # in the gap: the next paragraph
    assert paragraph_number("One.\n\n  \nTwo.\nThree.", 15) == 3
    assert paragraph_number("", 0) == 1


def test_dates_and_bylines() -> None:
    assert format_date("2024-06-20") == "June 20, 2024"
    assert format_date("last spring") == "last spring"
    assert format_date(None) is None
    assert byline(ARTICLE) == "June 20, 2024 · By Jane Doe"
    assert byline(COPY) == ""


def test_location_names_paragraph_and_characters() -> None:
    # Paragraphs are counted from where the story starts: the scraped header is not one.
    assert location_text(ARTICLE, START, END) == f"paragraph 1 of 3 · characters {START:,}–{END:,}"


def test_open_href_round_trips_odd_ids() -> None:
    href = open_href("a b&c/d", 5, 9)
    assert href.startswith(OPEN_PREFIX)
    assert parse_qs(href[len(OPEN_PREFIX) :]) == {"article": ["a b&c/d"], "start": ["5"], "end": ["9"]}
    assert parse_qs(open_href("x")[len(OPEN_PREFIX) :]) == {"article": ["x"]}


def test_snippet_highlights_the_quote_inside_its_paragraph() -> None:
    snippet = snippet_html(TEXT, START, END, floor=len(HEADER))
    assert f"<mark>{html.escape(QUOTE)}</mark>" in snippet
    assert "The ministers met on Monday." in snippet  # a little context before...
    assert "Observers" not in snippet  # ...but not past the paragraph
    assert "Most Popular" not in snippet


def test_snippet_is_cut_at_word_edges_with_ellipses() -> None:
    text = " ".join(f"word{i}" for i in range(200))
    start = text.index("word100")
    snippet = snippet_html(text, start, start + len("word100"), context=30)
    assert snippet.startswith("…word") and snippet.endswith("…")
    assert "<mark>word100</mark>" in snippet


def test_source_card_shows_title_byline_quote_and_location() -> None:
    card = source_card_html(1, ARTICLE, START, END)
    assert "Talks end &lt;b&gt;badly&lt;/b&gt;" in card
    assert "June 20, 2024 · By Jane Doe" in card
    assert f"<mark>{html.escape(QUOTE)}</mark>" in card
    assert "paragraph 1 of 3" in card and "story one&amp;two" in card
    assert html.escape(open_href(ARTICLE.id, START, END)) in card


def test_found_answer_has_markers_confidence_and_one_card_per_citation() -> None:
    reply = answer_html(found_answer(), ARTICLES.__getitem__, "Who is the spokesperson?")
    assert reply.count('class="qa-marker"') == 2
    assert "[1]" in reply and "[2]" in reply
    assert reply.count('class="qa-source"') == 2
    assert "Same story, scraped again" in reply
    assert "qa-confidence-high" in reply and "High confidence" in reply
    assert "Understood as" not in reply


@pytest.mark.parametrize("confidence", ["medium", "low"])
def test_weaker_answers_ask_the_reader_to_check(confidence: str) -> None:
    reply = answer_html(found_answer(confidence=confidence), ARTICLES.__getitem__, "Who is the spokesperson?")
    assert f"qa-confidence-{confidence}" in reply and "the source" in reply


def test_follow_up_shows_how_the_question_was_understood() -> None:
    answer = found_answer(question="And who? (following up on: Who is the spokesperson?)")
    assert "Understood as: And who? (following up on" in answer_html(answer, ARTICLES.__getitem__, "And who?")


def test_not_found_offers_related_passages_not_an_answer() -> None:
    reply = answer_html(not_found_answer(), ARTICLES.__getitem__, "What is the capital of France?")
    assert "The articles don&#x27;t say." in reply
    assert "Related passages" in reply and "not an answer" in reply
    assert "Sources" not in reply and "qa-marker" not in reply and "confidence" not in reply
    assert "Also in:" in reply and "Same story, scraped again" in reply


def test_not_found_without_passages_is_a_plain_notice() -> None:
    answer = Answer("Please type a question.", False, [], [])
    assert answer_html(answer, ARTICLES.__getitem__) == notice_html("Please type a question.")


def test_article_text_is_always_escaped() -> None:
    evil = Article("x", "<img src=x onerror=alert(1)>", "<script>alert(1)</script> said <b>it</b>.", author="<i>")
    cite = Citation("x", evil.title, 0, len(evil.text), evil.text)
    outputs = [
        answer_html(Answer(evil.text, True, [cite], [], confidence="high"), {"x": evil}.__getitem__),
        viewer_html(evil, 0, 10),
        index_html(IndexInfo(None, 1, 1, "m", 1, "flat", ""), [evil]),  # type: ignore[arg-type]
    ]
    for out in outputs:
        assert "<script>" not in out and "<img" not in out and "<b>" not in out and "<i>" not in out


def test_chat_html_stays_one_block_for_the_markdown_renderer() -> None:
    for reply in (
        answer_html(found_answer(), ARTICLES.__getitem__),
        answer_html(not_found_answer(), ARTICLES.__getitem__),
    ):
        assert "\n" not in reply
    assert inline("a\n\n b") == "a b"


def test_plain_answer_text_drops_markers_sources_and_html() -> None:
    reply = answer_html(found_answer(), ARTICLES.__getitem__)
    assert plain_answer_text(reply) == QUOTE
    assert plain_answer_text(answer_html(not_found_answer(), ARTICLES.__getitem__)) == "The articles don't say."
    assert plain_answer_text("<p>Just <b>text</b> &amp; more</p>") == "Just text & more"
    assert plain_answer_text("plain words") == "plain words"


def test_viewer_highlights_exactly_the_span() -> None:
    page = viewer_html(ARTICLE, START, END)
    marks = re.findall(r"<mark>(.*?)</mark>", page)
    assert [html.unescape(m) for m in marks] == [QUOTE]
    assert "Highlighted: paragraph 1 of 3" in page
    assert 'class="qa-pnum" aria-hidden="true">3<' in page
    assert "&lt;script&gt;" in page
    assert "Source: story.txt" in page and "/srv/" not in page


def test_viewer_does_not_show_page_chrome_as_paragraph_one() -> None:
    page = viewer_html(ARTICLE)
    first = re.search(r'<p class="qa-para"><span class="qa-pnum" aria-hidden="true">1</span>(.*?)</p>', page)
    assert first and first.group(1).startswith("The ministers met on Monday.")
    assert "Most Popular" not in page and "date 2024-06-20" not in page


def test_viewer_shows_a_header_citation_in_its_header_line_split_from_the_headline() -> None:
    start = TEXT.index("Jane Doe")
    page = viewer_html(ARTICLE, start, start + len("Jane Doe"))
    assert "Highlighted: the article's header" in page and "paragraph 1 of" not in page
    line = re.search(r'<p class="qa-para qa-head-line">(.*?)</p>', page)
    assert line and line.group(1) == "By <mark>Jane Doe</mark>"  # the glued headline is its own line, not shown here
    assert "Most Popular" not in page and page.count("<mark>") == 1
    assert "qa-head-line" not in viewer_html(ARTICLE, START, END)  # a story quote: no header line


def test_article_url_is_a_link_in_cards_and_viewer_only_for_http() -> None:
    web = dataclasses.replace(ARTICLE, url="https://www.example.com/2024/06/20/talks?x=1&y=2")
    link = 'href="https://www.example.com/2024/06/20/talks?x=1&amp;y=2" target="_blank" rel="noopener noreferrer nofollow"'
    assert link in source_card_html(1, web, START, END)
    assert link in viewer_html(web)
    for bad in ("javascript:alert(1)", "file:///etc/passwd", "//evil.example.com/x"):
        unsafe = dataclasses.replace(ARTICLE, url=bad)
        assert bad not in source_card_html(1, unsafe, START, END) and f'href="{bad}' not in viewer_html(unsafe)


def test_viewer_splits_a_highlight_across_paragraphs() -> None:
    start, end = TEXT.index("talks had ended"), TEXT.index("surprised")
    marks = re.findall(r"<mark>(.*?)</mark>", viewer_html(ARTICLE, start, end), flags=re.S)
    assert "".join(html.unescape(m) for m in marks) == TEXT[start:end].replace("\n", "")
    assert len(marks) == 2


@pytest.mark.parametrize("span", [(None, None), (5, 5), (-1, 4), (0, 10**6)])
def test_viewer_without_a_valid_span_highlights_nothing(span: tuple[int | None, int | None]) -> None:
    page = viewer_html(ARTICLE, *span)
    assert "<mark>" not in page and "Highlighted" not in page


def test_open_source_html_handles_unknown_ids() -> None:
    assert "<mark>" in open_source_html(ARTICLES.__getitem__, ARTICLE.id, START, END)
    assert "not in the index" in open_source_html(ARTICLES.__getitem__, "gone<>", None, None)


def test_index_lists_counts_and_linked_titles() -> None:
    info = IndexInfo(None, 2, 12, "m", 1, "flat", "")  # type: ignore[arg-type]
    page = index_html(info, [ARTICLE, COPY])
    assert "<strong>2</strong> articles" in page and "<strong>12</strong> passages" in page
    assert html.escape(open_href(COPY.id)) in page and "June 20, 2024 · By Jane Doe" in page


def test_add_report_names_skipped_files_and_why() -> None:
    info = IndexInfo(None, 3, 15, "m", 1, "flat", "")  # type: ignore[arg-type]
    report = add_report_markdown(1, info, [SkippedFile("notes.pdf", "not a .txt or .jsonl file")])
    assert "Added 1 article." in report and "3 articles (15 passages)" in report
    assert "`notes.pdf`: not a .txt or .jsonl file" in report
    failed = add_report_markdown(0, None, [SkippedFile("empty.txt", "empty file")], "None usable.")
    assert failed.startswith("**Nothing was added.** None usable.") and "empty.txt" in failed


def test_the_article_list_is_searched_and_paged() -> None:
    from pathlib import Path

    from qa.types import Article, IndexInfo
    from qa_app.formatting import MAX_LISTED_ARTICLES, index_html

    articles = [Article(f"id{i}", f"Ferry story {i}" if i % 2 else f"Bus story {i}", "text", source="Daily") for i in range(120)]
    info = IndexInfo(Path("index"), 120, 300, "model", 256, "flat", "2026-12-01")
    first = index_html(info, articles)
    assert first.count("<li>") == MAX_LISTED_ARTICLES and f"1–{MAX_LISTED_ARTICLES} of 120" in first
    last = index_html(info, articles, "ferry", page=99)  # past the end: the last page
    assert "51–60 of 60 matching “ferry” · page 2 of 2" in last and "Bus story" not in last
    assert "No article matching “tram”" in index_html(info, articles, "tram")
