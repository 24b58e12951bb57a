"""Training and held-out data for the reader: SQuAD-format files in, examples out.

Every question becomes an :class:`Example` (question, context, answer span or none).
Besides the real questions, two kinds of unanswerable examples are made, because the
training files hold only 348 real ones:

- ``other_passage``: the question against the passage of its article (or, for one-passage
  articles, of its source) that shares most words with it but lacks the answer. This is
  what the reader meets most after retrieval: the right topic, the wrong passage.
- ``entity_swap``: a name, number or year of the question that the passage mentions is
  swapped for one it does not mention ("When did Madonna start ..." against Beyoncé's
  passage). This imitates SQuAD 2.0's adversarial unanswerable questions.
- ``role_swap``: the harder swap SQuAD 2.0's writers made most: the name, number or year
  swapped for another of the same shape that the passage *does* mention, just not in the
  answer's sentence ("When did Liszt move to Paris?" against "In 1831 Chopin moved to
  Paris ..."). No word of it is new to the passage, so word overlap cannot tell.
- ``sentence_cut``: the passage with the sentence that states the answer cut out; the
  rest still speaks of the question's topic and names, often with a plausible answer of
  the right type nearby: SQuAD 2.0's adversarial questions, seen from the passage's side
  (the article covers the story but does not say what is asked).
- ``antonym`` / ``negation``: SQuAD 2.0's two other common adversarial kinds, made from an
  answerable question: a word turned into its opposite that the passage never uses
  ("the largest" -> "the smallest"), or, failing that, the question negated ("Who was the
  first ...?" -> "Who wasn't the first ...?") where no negation is near the answer.
- ``sibling_swap``: a word of the question that the passage uses swapped for a sibling it
  never uses (another weekday, month, number word, colour, country, US state, relative, body
  part, sport, season, time unit, profession ...: "New York" -> "New Mexico", "his knee" ->
  "his arm"), or given or stripped of a negating prefix ("official" ->
  "unofficial"): the one-word change that most of SQuAD 2.0's real unanswerable questions
  that the reader still answers turn out to be.
- ``not_in_archive``: the question against the passage of *another* article most like it
  (by the engine's own embedder and word overlap): what a news user's unanswerable
  question usually is, a question whose article the archive does not hold.
- ``window_miss``: the window the engine would cut around the sentence most like the
  question, when that window lacks the answer.

Every example is then cut the way the engine cuts what the reader reads
(:func:`engine_windows`: :func:`qa.chunking.chunk` into passages, then
:func:`qa.chunking.reading_window` around the sentence the embedder finds most like the
question), so the reader trains on the windows it will meet.

Articles of the SQuAD 2.0 dev split are refused outright: the evaluation sets come from them.
"""

from __future__ import annotations

import json
import random
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "Example", "DevSplitError", "load_squad", "dev_titles", "split", "other_passage_negatives", "entity_swap_negatives",
    "role_swap_negatives", "sentence_cut_negatives", "sibling_swap_negatives", "cut_answer_sentence", "holds_gold", "still_answers", "not_in_archive_negatives", "engine_windows",
]  # fmt: skip

_WORD = re.compile(r"\w+", re.UNICODE)
_STOP = frozenset(
    "a an the of in on at to for from by with and or is are was were be been what which who whom whose when where why how "
    "did do does that this these those it its as into than then there their his her he she they them has have had not no "
    "many much one".split()
)
# A run of capitalised words (not the question's first word), or a number.
_ENTITY = re.compile(r"(?<!^)(?<![.?!] )\b(?:[A-Z][\w'’.-]*\w(?:\s+(?:of\s+|the\s+)?[A-Z][\w'’.-]*\w)*)|\b\d[\d,.]*\b")
_YEAR = re.compile(r"^(1[5-9]|20)\d\d$")


class DevSplitError(ValueError):
    """A training file holds an article of the SQuAD 2.0 dev split."""


@dataclass(frozen=True)
class Example:
    """One reading-comprehension example. ``answer_start`` is None when unanswerable."""

    id: str
    title: str
    source: str
    question: str
    context: str
    answer_start: int | None
    answer_text: str
    kind: str  # "answerable", "unanswerable" (real), "other_passage", "entity_swap", "role_swap", "sentence_cut", "antonym", "negation", "not_in_archive", "window_miss"
    other_answers: tuple[str, ...] = ()
    """Further gold answers to the same question (QAMR's and SQuAD's other annotators):
    trained on is ``answer_text``, judged against is any of :attr:`golds`."""

    @property
    def answerable(self) -> bool:
        return self.answer_start is not None

    @property
    def golds(self) -> tuple[str, ...]:
        """Every gold answer, the trained one first (``()`` when unanswerable)."""
        return (self.answer_text, *self.other_answers) if self.answerable else ()


def _norm_title(title: str) -> str:
    return re.sub(r"[\s_]+", "_", title.strip()).casefold()


def dev_titles(path: str | Path) -> frozenset[str]:
    """The normalised titles listed in ``squad2-dev-titles.txt``."""
    return frozenset(_norm_title(t) for t in Path(path).read_text(encoding="utf-8").splitlines() if t.strip())


def load_squad(path: str | Path, refused_titles: frozenset[str]) -> list[tuple[str, str, list[Example]]]:
    """Read a SQuAD-format file into ``(title, source, examples)`` per article.

    Raises :class:`DevSplitError` if any article's title is a SQuAD dev-split title.
    Each article's paragraphs are kept in order (examples carry their context).
    """
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    default_source = Path(path).stem
    articles = []
    for art in raw["data"]:
        title = art.get("title", "")
        if _norm_title(title) in refused_titles:
            raise DevSplitError(f"{path}: article {title!r} belongs to the SQuAD 2.0 dev split; it may not be used for training")
        source = art.get("source") or default_source
        examples = []
        for p in art["paragraphs"]:
            ctx = p["context"]
            for q in p["qas"]:
                if q.get("is_impossible") or not q.get("answers"):
                    examples.append(Example(q["id"], title, source, q["question"], ctx, None, "", "unanswerable"))
                else:
                    a = q["answers"][0]  # the writer's own span comes first (QAMR has several)
                    others = tuple(dict.fromkeys(o["text"] for o in q["answers"][1:] if o["text"] != a["text"]))
                    examples.append(Example(q["id"], title, source, q["question"], ctx, a["answer_start"], a["text"], "answerable", others))
        articles.append((title, source, examples))
    return articles


def split(articles: list[tuple[str, str, list[Example]]], held_out_titles: Iterable[str], held_out_share: float, seed: int,
          share_by_source: dict[str, float] | None = None):
    """Split articles (never questions of one article) into training and held-out sets.

    Titles in ``held_out_titles`` are held out; of the rest, ``held_out_share`` of each
    source's articles (or its ``share_by_source``), drawn with ``seed``. One shuffle per
    source whatever the shares, so changing one source's share leaves the others' split.
    """
    rng = random.Random(seed)
    fixed = {_norm_title(t) for t in held_out_titles}
    train, held = [], []
    by_source = defaultdict(list)
    for art in articles:
        (held if _norm_title(art[0]) in fixed else by_source[art[1]]).append(art)
    for source in sorted(by_source):
        arts = by_source[source]
        rng.shuffle(arts)
        n = int(round(len(arts) * (share_by_source or {}).get(source, held_out_share)))
        held += arts[:n]
        train += arts[n:]
    return train, held


def words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.casefold()) if w not in _STOP}


def other_passage_negatives(articles, per_question: float, seed: int) -> Iterator[Example]:
    """The question against the most similar other passage that lacks its answer.

    Candidates are the article's other passages; for an article with one passage, the
    passages of up to 200 other articles of the same source.
    """
    rng = random.Random(seed)
    by_source = defaultdict(list)
    context_words: dict[str, set[str]] = {}
    for title, source, examples in articles:
        for c in dict.fromkeys(e.context for e in examples):
            by_source[source].append(c)
            context_words[c] = words(c)
    for title, source, examples in articles:
        own = list(dict.fromkeys(e.context for e in examples))
        for e in examples:
            if not e.answerable or rng.random() >= per_question:
                continue
            pool = [c for c in own if c != e.context]
            if not pool:
                pool = rng.sample(by_source[source], min(200, len(by_source[source])))
            qwords = words(e.question)
            best = None
            for c in sorted(pool, key=lambda c: -len(qwords & context_words[c])):
                if c != e.context and not holds_gold(e, c):
                    if qwords & context_words[c]:
                        best = c
                    break
            if best is not None:
                yield Example(e.id + "-op", title, source, e.question, best, None, "", "other_passage")


def _entities(text: str) -> list[re.Match]:
    return [m for m in _ENTITY.finditer(text) if m.group(0).casefold() not in _STOP]


def entity_swap_negatives(articles, per_question: float, seed: int) -> Iterator[Example]:
    """The question with one of its names, numbers or years (one the passage mentions)
    swapped for one the passage does not mention; the passage then no longer answers it."""
    rng = random.Random(seed)
    names: list[str] = []
    for _, _, examples in articles:
        for e in examples:
            names += [m.group(0) for m in _entities(e.question) if not m.group(0)[0].isdigit()]
    names = sorted(set(names))
    for e, m in _swappable(articles, per_question, rng):
        new = _swap(m.group(0), names, e.context.casefold(), rng)
        if new is not None:
            question = e.question[: m.start()] + new + e.question[m.end() :]
            yield Example(e.id + "-es", e.title, e.source, question, e.context, None, "", "entity_swap")


def _swappable(articles, per_question: float, rng: random.Random) -> Iterator[tuple[Example, re.Match]]:
    """A ``per_question`` share of the answerable questions, each with one of its names,
    numbers or years that the passage mentions (drawn with ``rng``), for a swap."""
    for _, _, examples in articles:
        for e in examples:
            if not e.answerable or rng.random() >= per_question:
                continue
            ctx_folded = e.context.casefold()
            found = [m for m in _entities(e.question) if m.group(0).casefold() in ctx_folded]
            if found:
                yield e, rng.choice(found)


def _answer_sentences(text: str, start: int, end: int) -> tuple[int, int]:
    """Offsets from the first to the last sentence (:func:`qa.chunking.sentences`) that
    ``text[start:end]`` touches."""
    from ..chunking import sentences

    touched = [(a, b) for a, b in sentences(text) if a < end and b > start]
    return (touched[0][0], touched[-1][1]) if touched else (start, end)


def _shape(entity: str) -> str | int:
    """What an entity may be swapped with: a year, another number, or a name of as many words."""
    if entity[0].isdigit():
        return "year" if _YEAR.match(entity) else "number"
    return entity.count(" ")


def role_swap_negatives(articles, per_question: float, seed: int) -> Iterator[Example]:
    """The question with one of its names, numbers or years swapped for another of the same
    shape that the passage mentions outside the answer's sentence (see the module)."""
    rng = random.Random(seed)
    for e, m in _swappable(articles, per_question, rng):
        s0, s1 = _answer_sentences(e.context, e.answer_start, e.answer_start + len(e.answer_text))
        q_folded, sentence = e.question.casefold(), e.context.casefold()[s0:s1]
        shape = _shape(m.group(0))
        others = sorted({name for o in _entities(e.context) if _shape(name := o.group(0)) == shape
                         and name.casefold() not in q_folded and name.casefold() not in sentence})  # fmt: skip
        if others:
            question = e.question[: m.start()] + rng.choice(others) + e.question[m.end() :]
            yield Example(e.id + "-rs", e.title, e.source, question, e.context, None, "", "role_swap")


def cut_answer_sentence(e: Example) -> str:
    """``e.context`` without the sentence (or sentences) that hold ``e``'s answer."""
    s0, s1 = _answer_sentences(e.context, e.answer_start, e.answer_start + len(e.answer_text))
    left, right = e.context[:s0].rstrip(), e.context[s1:].lstrip()
    seam = "\n" if "\n" in e.context[len(left) : len(e.context) - len(right)] else " "
    return (left + seam + right).strip()


def holds_gold(e: Example, text: str) -> bool:
    """Whether ``text`` holds one of ``e``'s gold answers (case aside)."""
    folded = text.casefold()
    return any(g.casefold().strip() in folded for g in e.golds)


def still_answers(e: Example, text: str) -> bool:
    """Whether ``text`` still holds one of ``e``'s gold answers, or no word of its question
    (then it is no near miss, only another passage)."""
    return holds_gold(e, text) or not words(e.question) & words(text)


def sentence_cut_negatives(articles, per_question: float, seed: int, min_chars: int = 150) -> Iterator[Example]:
    """The passage with the answer's sentence cut out: the question's topic, names and
    neighbouring facts are all still there, only the sentence that states the answer is
    not (see the module). Skipped when what is left is under ``min_chars`` or
    :func:`still_answers` the question."""
    rng = random.Random(seed)
    for _, _, examples in articles:
        for e in examples:
            if not e.answerable or rng.random() >= per_question:
                continue
            rest = cut_answer_sentence(e)
            if len(rest) >= min_chars and not still_answers(e, rest):
                yield Example(e.id + "-sc", e.title, e.source, e.question, rest, None, "", "sentence_cut")


_OPPOSITES = (
    "first last", "largest smallest", "biggest smallest", "most least", "highest lowest", "longest shortest",
    "oldest youngest", "earliest latest", "best worst", "before after", "increase decrease", "increased decreased",
    "won lost", "win lose", "north south", "northern southern", "east west", "eastern western", "maximum minimum",
    "above below", "larger smaller", "higher lower", "older younger", "more fewer", "began ended", "rise fall",
    "rose fell", "success failure", "successful unsuccessful", "legal illegal", "male female", "men women",
    "upper lower", "inside outside", "internal external", "public private", "same different", "earlier later",
    "opened closed", "accepted rejected", "supported opposed", "positive negative", "strongest weakest",
    "richest poorest", "hottest coldest", "fastest slowest", "heaviest lightest", "deepest shallowest", "top bottom",
    "imports exports", "bought sold", "buy sell", "born died", "birth death", "majority minority", "ancient modern",
    "domestic foreign", "rural urban", "winter summer", "wettest driest", "minimum maximum",
)  # fmt: skip
"""Word pairs for the ``antonym`` kind (superlatives and directions, not "long" or "old":
"How long ...?" turned into "How short ...?" is no question)."""
_OPPOSITE = {}
for _pair in _OPPOSITES:
    _a, _b = _pair.split()
    _OPPOSITE.setdefault(_a, _b)
    _OPPOSITE.setdefault(_b, _a)
_AUXILIARY = re.compile(r"^\s*(?:what|who|whom|whose|which|when|where|why|how)\b(?:\s+[\w'-]+){0,3}?\s+"
                        r"(?P<aux>is|was|are|were|did|does|do|can|could|has|have|had|will|would|should)\b", re.I)  # fmt: skip
_NOT = {"is": "isn't", "was": "wasn't", "are": "aren't", "were": "weren't", "did": "didn't", "does": "doesn't",
        "do": "don't", "can": "can't", "could": "couldn't", "has": "hasn't", "have": "haven't", "had": "hadn't",
        "will": "won't", "would": "wouldn't", "should": "shouldn't"}  # fmt: skip
"""The auxiliary negated in place ("Where did X speak?" -> "Where didn't X speak?"): right
whatever follows it, where a "not" would need the verb found."""
_NEGATED = re.compile(r"\b(?:not|never|no|none|nor|neither|without|\w+n't)\b", re.I)
NEGATION_SHARE = 0.3
"""Of the questions given a near miss but with no word to turn, the share negated instead:
a negated question is the noisier kind (the passage may still answer it otherwise)."""


def _cased(word: str, like: str) -> str:
    """``word`` capitalised as ``like`` is (the question's first word)."""
    return word.capitalize() if like[0].isupper() else word


def near_miss_negatives(articles, per_question: float, seed: int) -> Iterator[Example]:
    """Answerable questions turned into ones their passage does not answer: a word made its
    opposite (one the passage never uses), else, now and then, the question negated when no
    negation stands within 150 characters of the answer (see the module)."""
    rng = random.Random(seed)
    for title, source, examples in articles:
        for e in examples:
            if not e.answerable or rng.random() >= per_question:
                continue
            used = set(re.findall(r"[a-z]+", e.context.casefold()))
            turnable = [m for m in re.finditer(r"[A-Za-z]+", e.question)
                        if m.group(0).casefold() in _OPPOSITE and _OPPOSITE[m.group(0).casefold()] not in used]  # fmt: skip
            if turnable:
                m = rng.choice(turnable)
                new = _cased(_OPPOSITE[m.group(0).casefold()], m.group(0))
                question = e.question[: m.start()] + new + e.question[m.end() :]
                yield Example(e.id + "-an", title, source, question, e.context, None, "", "antonym")
                continue
            aux = _AUXILIARY.match(e.question)
            near = e.context[max(0, e.answer_start - 150) : e.answer_start + len(e.answer_text) + 150]
            if aux and not _NEGATED.search(e.question) and not _NEGATED.search(near) and rng.random() < NEGATION_SHARE:
                negated = _cased(_NOT[aux.group("aux").casefold()], aux.group("aux"))
                question = e.question[: aux.start("aux")] + negated + e.question[aux.end("aux") :]
                yield Example(e.id + "-ng", title, source, question, e.context, None, "", "negation")


_SIBLINGS = (
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday",
    "January February March April May June July August September October November December",
    "two three four five six seven eight nine ten eleven twelve",
    "twenty thirty forty fifty sixty seventy eighty ninety",
    "hundred thousand million billion trillion",
    "third fourth fifth sixth seventh eighth ninth tenth",
    "red blue green yellow black white orange purple brown pink grey",
    "Africa Asia Europe Antarctica",
    "American British English French German Italian Spanish Portuguese Dutch Russian Polish Greek Turkish Chinese "
    "Japanese Korean Indian Pakistani Iranian Egyptian Mexican Canadian Brazilian Australian Irish Scottish Swedish",
    "America Britain England France Germany Italy Spain Portugal Netherlands Russia Poland Greece Turkey China Japan "
    "Korea India Pakistan Iran Egypt Mexico Canada Brazil Australia Ireland Scotland Sweden Norway Denmark Israel",
    "Alabama Alaska Arizona Arkansas California Colorado Connecticut Delaware Florida Georgia Hawaii Idaho Illinois "
    "Indiana Iowa Kansas Kentucky Louisiana Maine Maryland Massachusetts Michigan Minnesota Mississippi Missouri "
    "Montana Nebraska Nevada Ohio Oklahoma Oregon Pennsylvania Tennessee Texas Utah Vermont Virginia Washington "
    "Wisconsin Wyoming",
    "New_York New_Jersey New_Mexico New_Hampshire",
    "North_Carolina South_Carolina North_Dakota South_Dakota West_Virginia",
    "father mother son daughter brother sister uncle aunt nephew niece grandfather grandmother husband wife",
    "king queen prince princess emperor empress duke duchess",
    "boys girls", "boy girl", "actor actress",
    "arm leg knee shoulder ankle wrist hip elbow neck chest",
    "football basketball baseball tennis cricket rugby hockey golf volleyball boxing",
    "north south east west", "northern southern eastern western",
    "northeast northwest southeast southwest",
    "spring summer autumn winter",
    "minutes hours days weeks months years decades centuries",
    "gold silver bronze",
    "dollars euros pounds yen francs rupees",
    "piano guitar violin drums cello flute trumpet saxophone",
    "dog cat horse cow pig sheep goat chicken lion tiger wolf fox deer",
    "singer dancer painter composer director producer writer poet architect engineer lawyer",
    "president governor mayor senator chancellor",
    "television radio newspaper magazine",
    "breakfast lunch dinner",
    "morning afternoon evening",
    "Christian Muslim Jewish Hindu Buddhist", "Catholic Protestant",
    "Christianity Islam Judaism Hinduism Buddhism",
    "Mercury Venus Mars Jupiter Saturn Uranus Neptune",
)  # fmt: skip
"""Words of one class for the ``sibling_swap`` kind, each class one line (``_`` joins a
name's words); closed classes only, whose members no one reads as synonyms ("writer" is
here, "author" is not). A capitalised class is matched only capitalised ("May", "March");
a lower-case one capitalised inside a question is part of a name ("the White House")."""
_SIBLING: dict[str, tuple[str, ...]] = {}
for _line in _SIBLINGS:
    _class = tuple(w.replace("_", " ") for w in _line.split())
    for _w in _class:
        _SIBLING.setdefault(_w if _w[0].isupper() else _w.casefold(), _class)
_SIBLING_WORD = re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, _SIBLING), key=len, reverse=True)) + r")\b", re.I)
_DIGITS = {w: str(n) for n, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve".split())}
_FLIP_PREFIXES = ("un", "non", "in", "im", "il", "ir", "dis")
_FLIP_ENDINGS = ("able", "ible", "al", "ent", "ant", "ive", "ect", "ete", "ar", "ate", "ure", "ous", "id", "ful")
"""A word takes or loses ``in``/``im``/``il``/``ir``/``dis`` only when it ends as an
adjective does: "consistent"/"inconsistent", but not "form"/"inform" or "play"/"display"."""


def _flips(word: str, vocabulary: set[str]) -> list[str]:
    """The words ``word`` turns into with a negating prefix added or taken off, among
    ``vocabulary`` ("official" -> "unofficial", "inconsistent" -> "consistent")."""
    w = word.casefold()
    out = []
    for p in _FLIP_PREFIXES:
        loose = p in ("un", "non")
        if (loose or w.endswith(_FLIP_ENDINGS)) and len(w) >= (4 if loose else 5) and p + w in vocabulary:
            out.append(p + w)
        base = w[len(p) :]
        if w.startswith(p) and len(base) >= (4 if loose else 5) and (loose or base.endswith(_FLIP_ENDINGS)) and base in vocabulary:
            out.append(base)
    return out


def _in_name(question: str, m: re.Match, siblings: tuple[str, ...]) -> bool:
    """Whether the class word ``m`` is part of a longer name: next to another capitalised
    word ("North America", "New York City"; the question's own first word opens no name),
    or, of a lower-case class, capitalised inside the question ("the White House")."""
    before = re.search(r"[A-Z][\w'’.-]*\s$", question[: m.start()])
    if (before and before.start() > 0) or re.match(r"\s[A-Z]", question[m.end() :]):
        return True
    return siblings[0][0].islower() and m.group(0)[0].isupper() and m.start() > 0


def _mentions(folded: str, word: str) -> bool:
    return re.search(r"\b" + re.escape(word.casefold()) + r"\b", folded) is not None


def sibling_swap_negatives(articles, per_question: float, seed: int, min_count: int = 3) -> Iterator[Example]:
    """The question with a word its passage uses swapped for a sibling the passage never
    uses: another weekday, month, number word, colour, country, nationality, US state,
    relative, body part, sport, season, compass point, time unit, profession ... (see
    :data:`_SIBLINGS`: "Monday" -> "Tuesday", "New York" -> "New Mexico", "knee" -> "arm"),
    or the word with a negating prefix added or taken off ("official" -> "unofficial") when
    that word occurs at least ``min_count`` times in the articles' passages. SQuAD 2.0's writers made most of their
    unanswerable questions so: one word changed, the rest of the question still matching."""
    rng = random.Random(seed)
    counts: dict[str, int] = defaultdict(int)
    for _, _, examples in articles:
        for c in dict.fromkeys(e.context for e in examples):
            for w in set(re.findall(r"[a-z]+", c.casefold())):
                counts[w] += 1
    vocabulary = {w for w, n in counts.items() if n >= min_count}
    for title, source, examples in articles:
        for e in examples:
            if not e.answerable or rng.random() >= per_question:
                continue
            folded = e.context.casefold()
            options = []
            for m in _SIBLING_WORD.finditer(e.question):
                siblings = _SIBLING.get(m.group(0)) or _SIBLING.get(m.group(0).casefold())
                if siblings is None or not _mentions(folded, m.group(0)) or _in_name(e.question, m, siblings):
                    continue
                new = [s for s in siblings if s.casefold() != m.group(0).casefold() and not _mentions(folded, s)
                       and not (s in _DIGITS and _mentions(folded, _DIGITS[s]))]  # fmt: skip
                if new:
                    options.append((m, [s if s[0].isupper() else _cased(s, m.group(0)) for s in new]))
            if not options:
                for m in re.finditer(r"(?<![-\w])[A-Za-z]+(?![-\w])", e.question):  # not half of "Non-standard"
                    if m.group(0).casefold() not in _STOP and _mentions(folded, m.group(0)):
                        new = [f for f in _flips(m.group(0), vocabulary) if not _mentions(folded, f)]
                        if new:
                            options.append((m, [_cased(f, m.group(0)) for f in new]))
            if options:
                m, new = rng.choice(options)
                word = rng.choice(new)
                before = re.sub(r"\b([Aa])n? $", lambda a: a.group(1) + ("n " if word[0] in "aeiouAEIOU" else " "),
                                e.question[: m.start()])  # fmt: skip
                question = before + word + e.question[m.end() :]
                yield Example(e.id + "-ss", title, source, question, e.context, None, "", "sibling_swap")


def _swap(old: str, names: list[str], ctx_folded: str, rng: random.Random) -> str | None:
    for _ in range(20):
        if old[0].isdigit():
            digits = old.replace(",", "")
            if _YEAR.match(digits):
                new = str(int(digits) + rng.choice([-30, -12, -7, -3, -2, 2, 3, 7, 12, 30]))
            elif digits.isdigit():
                new = str(max(2, int(digits) * rng.choice([2, 3, 5]) + rng.randint(1, 9)))
            else:
                return None
        else:
            new = rng.choice(names)
            if new.count(" ") != old.count(" ") and rng.random() < 0.5:
                continue
        if new.casefold() != old.casefold() and new.casefold() not in ctx_folded:
            return new
    return None


def _vectors(embedder, texts: list[str], batch: int = 50_000):
    import numpy as np

    return np.concatenate([embedder.encode(texts[i : i + batch]) for i in range(0, len(texts), batch)]) if texts else None


def not_in_archive_negatives(articles, pool, embedder, per_question: float, seed: int, top: int = 20) -> Iterator[Example]:
    """The question against the passage of another article (of ``pool``, a list of
    articles) that the embedder finds most like it and that shares most of its words,
    among the ``top`` nearest; passages holding a gold answer are skipped."""
    import numpy as np

    from ..chunking import chunk

    rng = random.Random(seed)
    passages, owner = [], []
    for title, _, examples in pool:
        for c in dict.fromkeys(e.context for e in examples):
            for a, b in chunk(c):
                passages.append(c[a:b])
                owner.append(title)
    asked = [(title, source, e) for title, source, examples in articles for e in examples
             if e.answerable and rng.random() < per_question]  # fmt: skip
    if not asked or not passages:
        return
    pvec = _vectors(embedder, passages)
    pwords = [None] * len(passages)
    for lo in range(0, len(asked), 2048):
        block = asked[lo : lo + 2048]
        qvec = embedder.encode([e.question for _, _, e in block])
        sims = qvec @ pvec.T
        k = min(top, len(passages))
        near = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        for row, (title, source, e) in enumerate(block):
            qwords = words(e.question)
            best, best_score = None, -1.0
            for j in near[row]:
                if owner[j] == title:
                    continue
                if pwords[j] is None:
                    pwords[j] = words(passages[j])
                score = float(sims[row, j]) + 0.1 * len(qwords & pwords[j])
                if score > best_score and not holds_gold(e, passages[j]):
                    best, best_score = j, score
            if best is not None:
                yield Example(e.id + "-na", title, source, e.question, passages[best], None, "", "not_in_archive")


def engine_windows(examples: list[Example], embedder, limit: int, miss_share: float, seed: int) -> list[Example]:
    """Each example cut to what the engine's reader would read of its context.

    The context is chunked into passages as the index chunks articles; the window is the
    run of sentences around the one most like the question (:func:`qa.chunking.reading_window`).
    An answerable example whose window lacks the answer gives two examples: the window
    around the answer's own sentence (the reader should still learn to read it), and,
    for ``miss_share`` of them, the window it missed, as a ``window_miss`` negative.
    """
    import numpy as np

    from ..chunking import chunk, reading_window, sentences

    if not examples:
        return []
    rng = random.Random(seed)
    layout: dict[str, list[tuple[tuple[int, int], list[tuple[int, int]]]]] = {}
    sent_texts: list[str] = []
    sent_index: dict[str, int] = {}
    for e in examples:
        if e.context in layout:
            continue
        parts = []
        for a, b in chunk(e.context):
            sents = sentences(e.context, a, b) or [(a, b)]
            parts.append(((a, b), sents))
        layout[e.context] = parts
        sent_index[e.context] = len(sent_texts)
        sent_texts += [e.context[s:t] for _, sents in parts for s, t in sents]
    svec = _vectors(embedder, sent_texts)
    qvec = _vectors(embedder, [e.question for e in examples])
    out: list[Example] = []
    for e, q in zip(examples, qvec):
        parts = layout[e.context]
        flat = [(p, k) for p, (_, sents) in enumerate(parts) for k in range(len(sents))]
        first = sent_index[e.context]
        sims = svec[first : first + len(flat)] @ q
        p, k = flat[int(np.argmax(sims))]

        def window(p: int, k: int) -> tuple[int, int]:
            (a, b), sents = parts[p]
            return (a, b) if b - a <= limit else reading_window(e.context, sents, k, limit)

        w0, w1 = window(p, k)
        if not e.answerable:
            out.append(_cut(e, w0, w1, e.kind))
            continue
        a0, a1 = e.answer_start, e.answer_start + len(e.answer_text)
        if w0 <= a0 and a1 <= w1:
            out.append(_cut(e, w0, w1, e.kind))
            continue
        if rng.random() < miss_share and e.answer_text.casefold() not in e.context[w0:w1].casefold():
            out.append(_cut(e, w0, w1, "window_miss"))
        own = [(p, k) for p, k in flat if parts[p][1][k][0] <= a0 < parts[p][1][k][1]]
        if own:
            w0, w1 = window(*own[0])
            if w0 <= a0 and a1 <= w1:
                out.append(_cut(e, w0, w1, e.kind))
    return out


def _cut(e: Example, start: int, end: int, kind: str) -> Example:
    answerable = kind == "answerable" or (kind == e.kind and e.answerable)
    return Example(e.id if kind == e.kind else e.id + "-wm", e.title, e.source, e.question, e.context[start:end],
                   e.answer_start - start if answerable else None, e.answer_text if answerable else "", kind,
                   e.other_answers if answerable else ())  # fmt: skip
