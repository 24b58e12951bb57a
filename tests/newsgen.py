"""Real-looking news files for the tests: saved web pages, RSS/Atom feeds, PDFs, scraped
text files, and the broken inputs a newsroom also gets. Deterministic for a given seed.

Each story is generated from templates (a place, a person, an organisation, figures
and dates), so every article is distinct and has facts a question can ask about.
"""

from __future__ import annotations

import html
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

CITIES = ["Port Avalon", "Northbridge", "Lakeside", "Westhaven", "Eastmoor", "Riverton", "Kingsford", "Ashdown",
          "Millbrook", "Stonegate", "Fairport", "Oakridge", "Brightwater", "Harrowgate", "Elmstead", "Redcliff"]
FIRST = ["Alma", "Jonas", "Mira", "Tomasz", "Priya", "Kenji", "Lena", "Omar", "Sofia", "Diego", "Hana", "Marek",
         "Ines", "Rafael", "Yuki", "Nadia", "Pavel", "Grace", "Lucas", "Amara"]
LAST = ["Ferreira", "Lindqvist", "Castellanos", "Nowak", "Raman", "Sato", "Okafor", "Haddad", "Moretti", "Varga",
        "Brennan", "Kowalski", "Duarte", "Ishikawa", "Mensah", "Petrov", "Sandoval", "Whitlock", "Andersen", "Osei"]
ORGS = ["city council", "transport office", "harbour authority", "health board", "water company",
        "school district", "chamber of commerce", "police department", "energy regulator", "housing agency"]
THINGS = ["ferry terminal", "bridge", "hospital wing", "rail depot", "solar farm", "library", "water plant",
          "bus corridor", "sports hall", "sea wall", "tram line", "recycling centre"]
VERBS = ["opened", "approved", "postponed", "expanded", "cancelled", "inspected", "funded", "reopened"]
PUBLISHERS = ["Daily Planet", "Harbour Herald", "Northern Courier", "Evening Ledger", "Valley Times"]


@dataclass
class Story:
    """One generated article."""

    slug: str
    title: str
    author: str
    day: date
    publisher: str
    url: str
    paragraphs: list[str]

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)


def story(rng: random.Random, n: int) -> Story:
    city, org, thing, verb = rng.choice(CITIES), rng.choice(ORGS), rng.choice(THINGS), rng.choice(VERBS)
    person = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    author = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    cost = rng.randint(2, 95)
    workers = rng.randint(12, 480)
    day = date(2023, 1, 1) + timedelta(days=rng.randint(0, 700))
    publisher = rng.choice(PUBLISHERS)
    code = f"{n:05d}"
    title = f"{city} {org} {verb} the {thing} plan {code}"
    paragraphs = [
        f"The {org} of {city} {verb} the new {thing} on {day:%A}, officials said, ending months of debate "
        f"over project {code}.",
        f"The project will cost {cost} million dollars and employ {workers} workers, according to figures "
        f"released by the {org}.",
        f"{person}, who chairs the {org}, said the {thing} would serve residents for decades. \"This is a "
        f"good day for {city},\" {person.split()[0]} said.",
        f"Critics said the budget for project {code} was too high and asked for an independent review before "
        f"construction starts next year.",
        f"The {org} will publish its final report on the {thing} in {rng.choice(['spring', 'summer', 'autumn'])}.",
    ]
    slug = f"{city.lower().replace(' ', '-')}-{thing.replace(' ', '-')}-{code}"
    url = f"https://{publisher.lower().replace(' ', '')}.example.com/{day:%Y/%m/%d}/{slug}"
    return Story(slug, title, author, day, publisher, url, paragraphs)


# --- file formats ---------------------------------------------------------------------------


def html_page(s: Story) -> str:
    """A saved article page with menus, ads, a cookie banner and a footer around the story."""
    e = html.escape
    body = "".join(f"<p>{e(p)}</p>" for p in s.paragraphs)
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{e(s.title)} | {e(s.publisher)}</title>"
        f"<meta property='og:title' content='{e(s.title)}'><meta name='author' content='{e(s.author)}'>"
        f"<meta property='article:published_time' content='{s.day.isoformat()}T08:00:00Z'>"
        f"<meta property='og:url' content='{e(s.url)}'><meta property='og:site_name' content='{e(s.publisher)}'>"
        "</head><body><nav><a href='/'>Home</a> <a href='/world'>World</a> <a href='/sport'>Sport</a> "
        "<span>Most Popular</span></nav><div class='cookie'>We use cookies. Accept all?</div>"
        "<aside class='ad'>Advertisement: subscribe for one dollar a month</aside>"
        f"<main><article><h1>{e(s.title)}</h1><p class='byline'>By {e(s.author)}</p>{body}</article></main>"
        f"<footer>Copyright {s.day.year} {e(s.publisher)}. All rights reserved. Privacy. Terms.</footer>"
        "</body></html>"
    )


def rss_feed(stories: list[Story], title: str = "Harbour Herald: latest") -> str:
    e = html.escape
    items = "".join(
        f"<item><title>{e(s.title)}</title><link>{e(s.url)}</link><guid>{e(s.url)}</guid>"
        f"<pubDate>{s.day:%a, %d %b %Y} 08:00:00 +0000</pubDate><author>news@example.com ({e(s.author)})</author>"
        f"<description>{e(''.join(f'<p>{p}</p>' for p in s.paragraphs))}</description></item>"
        for s in stories
    )
    return (
        "<?xml version='1.0' encoding='UTF-8'?><rss version='2.0'><channel>"
        f"<title>{e(title)}</title><link>https://herald.example.com/</link><description>News</description>"
        f"{items}</channel></rss>"
    )


def atom_feed(stories: list[Story], title: str = "Valley Times") -> str:
    e = html.escape
    entries = "".join(
        f"<entry><title>{e(s.title)}</title><link href='{e(s.url)}'/><id>{e(s.url)}</id>"
        f"<updated>{s.day.isoformat()}T08:00:00Z</updated><published>{s.day.isoformat()}T08:00:00Z</published>"
        f"<author><name>{e(s.author)}</name></author>"
        f"<content type='html'>{e(''.join(f'<p>{p}</p>' for p in s.paragraphs))}</content></entry>"
        for s in stories
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'>"
        f"<title>{e(title)}</title><id>urn:valley</id><updated>2024-06-21T08:00:00Z</updated>{entries}</feed>"
    )


def _pdf_string(text: str) -> str:
    return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def pdf_bytes(pages: list[list[str]], title: str | None = None, author: str | None = None) -> bytes:
    """A small, valid PDF with a real text layer: each page's lines in Helvetica.
    A page given as ``[]`` holds only a drawn rectangle (no text, like a scan)."""
    objects: list[bytes] = []
    n_pages = len(pages)
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(n_pages))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    for i, lines in enumerate(pages):
        if lines:
            body = "BT /F1 10 Tf 40 800 Td 13 TL\n" + "".join(f"{_pdf_string(l)} Tj T*\n" for l in lines) + "ET"
        else:
            body = "0.5 0.5 0.5 rg 40 40 500 700 re f"
        stream = body.encode("latin-1")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {5 + 2 * i} 0 R "
            "/Resources << /Font << /F1 3 0 R >> >> >>".encode()
        )
        objects.append(f"<< /Length {len(stream)} >>\nstream\n".encode() + stream + b"\nendstream")
    info_ref = ""
    if title or author:
        fields = (f"/Title {_pdf_string(title)} " if title else "") + (f"/Author {_pdf_string(author)}" if author else "")
        objects.append(f"<< {fields} >>".encode("latin-1"))
        info_ref = f" /Info {len(objects)} 0 R"
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R{info_ref} >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def story_pdf(s: Story) -> bytes:
    return pdf_bytes([[s.title, *s.paragraphs[:3]], s.paragraphs[3:]], title=s.title, author=s.author)


def scraped_text(s: Story) -> str:
    """A scraped page as text: date marker and site chrome, headline glued to the byline."""
    return f" date {s.day.isoformat()} Most Popular\n{s.title}By {s.author}\n" + s.text + "\n"


# --- a mixed corpus ---------------------------------------------------------------------------


def write_corpus(folder: Path, n_files: int, seed: int = 0) -> tuple[int, dict[str, str]]:
    """Write ``n_files`` news files into ``folder``: pages, feeds, PDFs, text (UTF-8 and
    Windows-1252), JSON Lines, and some that must be refused.

    Returns (the number of articles the good files hold, {refused file name: a word its
    reason must contain}).
    """
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    articles, refused, n = 0, {}, 0
    for i in range(n_files):
        kind = i % 20
        name = f"f{i:05d}"
        if kind == 7:  # a broken file of some kind
            bad = (i // 20) % 5
            if bad == 0:
                (folder / f"{name}.txt").write_bytes(bytes(rng.randrange(256) for _ in range(3000)))
                refused[f"{name}.txt"] = "binary"
            elif bad == 1:
                (folder / f"{name}.html").write_text("", encoding="utf-8")
                refused[f"{name}.html"] = "empty"
            elif bad == 2:
                (folder / f"{name}.html").write_text(
                    "<!DOCTYPE html><html><body><nav><a href='/'>Home</a> <a href='/a'>World</a></nav>"
                    "<footer>Copyright. All rights reserved.</footer></body></html>", encoding="utf-8")  # fmt: skip
                refused[f"{name}.html"] = "no article text"
            elif bad == 3:
                (folder / f"{name}.xml").write_text(rss_feed([], title="Empty feed"), encoding="utf-8")
                refused[f"{name}.xml"] = "no entries"
            else:
                (folder / f"{name}.pdf").write_bytes(pdf_bytes([[]]))
                refused[f"{name}.pdf"] = "no text layer"
            continue
        if kind in (3, 13):  # a feed of three stories
            stories = [story(rng, n + j) for j in range(3)]
            n += 3
            text = rss_feed(stories) if kind == 3 else atom_feed(stories)
            (folder / f"{name}.xml").write_text(text, encoding="utf-8")
            articles += 3
            continue
        s = story(rng, n)
        n += 1
        if kind in (0, 5, 10, 15, 18):
            (folder / f"{name}.html").write_text(html_page(s), encoding="utf-8")
        elif kind in (1, 11, 16):
            (folder / f"{name}.pdf").write_bytes(story_pdf(s))
        elif kind == 9:  # Windows-1252 with a pound sign
            (folder / f"{name}.txt").write_bytes((scraped_text(s) + "It cost £15.8m in the end.\n").encode("cp1252"))
        else:
            (folder / f"{name}.txt").write_text(scraped_text(s), encoding="utf-8")
        articles += 1
    return articles, refused
