"""Fit the reader's answer probability and threshold on held-out training data.

    python -m qa.reader.calibrate [--model qa/reader/model] [--data ../shared/data]

The held-out articles of :mod:`qa.reader.train` (rebuilt from the arguments recorded in
``reader.json``: two SQuAD 2.0 train articles and a share of every other source, none
of them trained on) are indexed, and their questions asked through the whole engine,
as a user would: retrieval, windows, reader. Asked are answerable questions, questions
whose article is left out of the index (not in the archive), SQuAD's real unanswerable
ones, entity-swapped ones (a name or number of an answerable question replaced by one
the articles do not mention) and sentence cuts (the answer's sentence cut from the
indexed article): about half of them unanswerable. A logistic regression of the answer features
(:data:`qa.answering.FEATURES`) on "the answer is right" (token F1 >= 0.5 with a gold
answer) gives the probability; the threshold maximises SQuAD 2.0 F1 over the
cross-validated probabilities. Writes ``calibration.json`` next to the weights.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from argparse import Namespace
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from . import MODEL_DIR, Reader
from . import data as rd
from .metrics import expected_calibration_error, f1_score, max_over

RIGHT_F1 = 0.5
"""An answer counts as right when its token F1 with a gold answer reaches this."""


ASKED_SOURCES = ("squad2-train-sample", "squad11-train", "squadshifts-new_wiki", "tydiqa-en-train", "tydiqa-en-dev",
                 "squad11-train-trunc", "qamr-wikinews")  # fmt: skip
"""Whose questions are asked: encyclopaedic ones and news ones (QAMR's held-out Wikinews
articles: the product's own kind of text), specific enough to ask of a whole collection,
as a newsroom asks of its archive. Review, forum and fairy-tale questions ("What did the
author like?") only make sense beside their own passage; their articles are still
indexed, as distractors."""
NOT_IN_ARCHIVE_SHARE = 0.6
NEAR_MISS_SHARE = {"unanswerable": 0.2, "entity_swap": 0.1, "sentence_cut": 0.1}
"""Questions asked per answerable one: not in the archive, and near misses of each kind
(SQuAD's real unanswerable ones, entity swaps, and questions whose answer's sentence is
cut from the indexed article: the archive holds the story but not the fact asked). Mixed
like use, about 50% answerable, 30% not in the archive, 20% near misses: a newsroom's
unanswerable question is mostly one its archive has no article for; SQuAD's adversarial
ones (188 of them, nearly all from one film article) had made a fit that declined most
right answers on news."""
FEATURES = ("margin", "unexplained", "span_words")
"""The calibration's inputs (of :data:`qa.answering.FEATURES`): the reader's margin of the
span over "no answer", how much of the question the passages leave unexplained, and the
answer's length. The retrieval score and rank are left out: their scale depends on the
collection (its size and topics), so a fit on one collection does not carry over to
another. So are the span and no-answer scores on their own: fitted beside the margin they
took opposite signs and turned clear answers in small collections into refusals. A reader
with an answerability head (:mod:`qa.reader.head`) adds its logit (:func:`features_of`)."""


def features_of(reader: Reader) -> tuple[str, ...]:
    """The calibration's inputs for ``reader``: :data:`FEATURES`, and ``answerable`` when
    its model has an answerability head."""
    return FEATURES + (("answerable",) if reader.has_head else ())


NEWS_SOURCES = ("qamr-wikinews",)
NEWS_SHARE = 0.5
"""Share of the questions of each kind asked of news articles (QAMR's held-out Wikinews
ones): the product reads news, and on news the reader's margin means more than on
encyclopaedic text (a fit without news answers was under-confident there: answers given
at 70-90% were right 97-100% of the time)."""


def _group(source: str) -> str:
    return "news" if source in NEWS_SOURCES else "other"


def _spread(rng: random.Random, by_article: dict[str, list], n: int) -> list:
    """``n`` items taken in turn from each article's shuffled list, so that no article
    (QAMR's hold ~240 questions on two paragraphs) fills the sample alone."""
    lists = [rng.sample(v, len(v)) for _, v in sorted(by_article.items())]
    rng.shuffle(lists)
    out: list = []
    while len(out) < n and any(lists):
        for items in lists:
            if items and len(out) < n:
                out.append(items.pop())
    return out


def held_out_questions(record: dict, data_dir: Path, answerable: int, seed: int) -> tuple[list, list[rd.Example]]:
    """The held-out articles to index (as :class:`qa.Article`) and the questions to ask.

    Some of the held-out articles asked about are left out of the index: their questions are the
    ``not_in_archive`` kind, a question whose article the archive lacks, which is what a
    news user's unanswerable question usually is. The indexed articles give answerable
    questions, SQuAD's real unanswerable ones and entity-swapped near misses. Mixed like
    use (:data:`NOT_IN_ARCHIVE_SHARE`, :data:`NEAR_MISS_SHARE`), news and encyclopaedic
    articles apart (:data:`NEWS_SHARE`), each kind spread over the articles.
    """
    from ..types import Article
    from .train import build_examples

    args = Namespace(**(record["arguments"] | {"data": str(data_dir)}))
    refused = rd.dev_titles(data_dir / "squad2-dev-titles.txt")
    train_arts, held_arts = build_examples(args, refused)
    # A few sources repeat a title or a paragraph across their articles (TyDi QA) or
    # were taken in parts: keep only held-out articles sharing neither with training.
    trained = {t for t, _, _ in train_arts} | set(record.get("train_titles", []))
    trained_contexts = {e.context for _, _, ex in train_arts for e in ex}
    held_arts = [a for a in held_arts if a[0] not in trained and not any(e.context in trained_contexts for e in a[2])]
    rng = random.Random(seed)
    asked = [a for a in held_arts if a[1] in ASKED_SOURCES]
    wanted = {"news": round(answerable * NEWS_SHARE), "other": answerable - round(answerable * NEWS_SHARE)}
    if not any(_group(a[1]) == "news" for a in asked):
        wanted = {"news": 0, "other": answerable}
    absent: set[str] = set()
    for group in ("other", "news"):  # articles left out of the index until they hold enough questions
        counts = Counter(t for t, source, ex in asked if _group(source) == group for e in ex if e.answerable)
        titles = sorted(counts)
        rng.shuffle(titles)
        mine: set[str] = set()
        for t in titles:
            enough = sum(counts[a] for a in mine) >= wanted[group] * NOT_IN_ARCHIVE_SHARE and len(mine) >= len(titles) // 3
            if enough or len(mine) >= len(titles) // 2:
                break
            mine.add(t)
        absent |= mine
    present = [a for a in asked if a[0] not in absent]
    cuts = _sentence_cuts(held_arts, present, wanted, random.Random(seed + 1))
    articles, by_title = [], defaultdict(list)
    for title, source, examples in held_arts:
        if title not in absent:
            by_title[(title, source)].extend(dict.fromkeys(e.context for e in examples))
    for n, ((title, source), contexts) in enumerate(by_title.items()):
        text = "\n\n".join(cuts[c].context if c in cuts else c for c in dict.fromkeys(contexts))
        articles.append(Article(id=f"held-{n}", title=title, text=text, source=source))
    swaps = list(rd.entity_swap_negatives(present, 0.5, seed))
    questions: list[rd.Example] = []
    missing: dict[str, dict[str, list]] = {g: defaultdict(list) for g in wanted}
    for t, source, ex in asked:
        if t in absent:
            missing[_group(source)][t] += [e for e in ex if e.answerable]
    for group, n in wanted.items():
        mine = [a for a in present if _group(a[1]) == group]
        ans, real = defaultdict(list), defaultdict(list)
        for title, _, ex in mine:
            ans[title] += [e for e in ex if e.answerable and _still_there(e, cuts)]
            real[title] += [e for e in ex if e.kind == "unanswerable"]  # SQuAD's, nearly all from one article
        questions += _spread(rng, ans, n)
        questions += _spread(rng, real, round(n * NEAR_MISS_SHARE["unanswerable"]))
        swapped = defaultdict(list)
        for e in swaps:
            if _group(e.source) == group:
                swapped[e.title].append(e)
        questions += _spread(rng, swapped, round(n * NEAR_MISS_SHARE["entity_swap"]))
        questions += [e for e in cuts.values() if _group(e.source) == group]
    # Not in the archive: each group's share, a group without articles to leave out (a
    # reader trained before news was held out has one news article) filled by the other.
    wanted_missing = {g: round(n * NOT_IN_ARCHIVE_SHARE) for g, n in wanted.items()}
    taken = {g: _spread(rng, missing[g], k) for g, k in wanted_missing.items()}
    short = sum(wanted_missing.values()) - sum(map(len, taken.values()))
    for g in wanted:
        if short > 0:
            used = {id(e) for e in taken[g]}
            more = _spread(rng, {t: [e for e in v if id(e) not in used] for t, v in missing[g].items()}, short)
            taken[g] += more
            short -= len(more)
    questions += [rd.Example(e.id + "-na", e.title, e.source, e.question, "", None, "", "not_in_archive")
                  for g in wanted for e in taken[g]]  # fmt: skip
    return articles, questions


def _sentence_cuts(held_arts, present, wanted: dict[str, int], rng: random.Random) -> dict[str, rd.Example]:
    """Near misses made by cutting an answer's sentence out of the indexed article: at
    most one question per paragraph (keyed by its uncut context), as many per group as
    :data:`NEAR_MISS_SHARE` asks, spread over the articles. Only where no gold answer is
    left in the article's other paragraphs either. Of a cut paragraph's other questions
    only those whose answer is still in it are asked as answerable ones (:func:`_still_there`)."""
    texts = defaultdict(list)
    for title, source, ex in held_arts:
        texts[(title, source)] += dict.fromkeys(e.context for e in ex)
    cuts: dict[str, rd.Example] = {}
    for group, n in wanted.items():
        by_article = defaultdict(list)
        for title, source, ex in present:
            if _group(source) == group:
                by_article[(title, source)] += [e for e in ex if e.answerable]
        want, taken = round(n * NEAR_MISS_SHARE["sentence_cut"]), 0
        for e in _spread(rng, by_article, sum(map(len, by_article.values()))):
            if taken >= want:
                break
            if e.context in cuts:
                continue
            rest = rd.cut_answer_sentence(e)
            others = " ".join(c for c in texts[(e.title, e.source)] if c != e.context)
            if rd.still_answers(e, rest) or rd.holds_gold(e, others):
                continue
            cuts[e.context] = rd.Example(e.id + "-sc", e.title, e.source, e.question, rest, None, "", "sentence_cut")
            taken += 1
    return cuts


def _still_there(e: rd.Example, cuts: dict[str, rd.Example]) -> bool:
    """Whether ``e``'s answer is still in its paragraph as indexed (after any cut)."""
    return e.context not in cuts or e.answer_text.casefold() in cuts[e.context].context.casefold()


def ask_all(engine, questions: list[rd.Example], features: tuple[str, ...] = FEATURES) -> list[dict]:
    """Ask every question through the engine; the ``features`` and whether the answer is right."""
    rows = []
    for n, e in enumerate(questions, 1):
        if n % 100 == 0:
            print(f"asked {n}/{len(questions)}", flush=True)
        reading = engine.answerer.read(e.question)
        if reading.best is None:
            continue
        f1 = max_over(f1_score, reading.best_text, e.golds) if e.answerable else 0.0
        rows.append({"kind": e.kind, "source": e.source, "features": [reading.features[k] for k in features],
                     "all": reading.features, "f1": f1, "right": f1 >= RIGHT_F1, "answerable": e.answerable})  # fmt: skip
    return rows


def fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Logistic regression on standardised features, returned in raw-feature terms."""
    from sklearn.linear_model import LogisticRegression

    mean, std = x.mean(0), x.std(0) + 1e-9
    model = LogisticRegression(C=1.0, max_iter=1000).fit((x - mean) / std, y)
    w = model.coef_[0] / std
    return w, float(model.intercept_[0] - np.sum(model.coef_[0] * mean / std))


def squad_f1(p: np.ndarray, rows: list[dict], threshold: float) -> float:
    """SQuAD 2.0 F1 when answering only at ``p >= threshold`` (declining scores 1 on
    unanswerable questions, 0 on answerable ones)."""
    return float(np.mean([(r["f1"] if pi >= threshold else float(not r["answerable"])) for pi, r in zip(p, rows)]))


def reliability(p: np.ndarray, right: np.ndarray, bins: int = 10) -> list[dict]:
    """The reliability table: per probability bin, how many answers, their mean
    probability and the share that was right (a calibrated reader has the two equal)."""
    rows = []
    for k in range(bins):
        lo, hi = k / bins, (k + 1) / bins
        inside = (p >= lo) & ((p < hi) if k < bins - 1 else (p <= hi))
        if inside.any():
            rows.append({"bin": f"{lo:.1f}-{hi:.1f}", "n": int(inside.sum()), "mean_probability": round(float(p[inside].mean()), 3),
                         "right": round(float(right[inside].mean()), 3)})  # fmt: skip
    return rows


def decision_figures(p: np.ndarray, rows: list[dict], threshold: float) -> dict:
    """Out-of-fold calibration error, SQuAD 2.0 F1 and share declined by kind of ``rows``."""
    y = [r["right"] for r in rows]
    kinds = dict.fromkeys(r["kind"] for r in rows)
    return {
        "cv_expected_calibration_error": round(expected_calibration_error(p.tolist(), y), 4),
        "cv_squad2_f1": round(100 * squad_f1(p, rows, threshold), 1),
        "declined_share_by_kind": {k: round(float(np.mean([pi < threshold for pi, r in zip(p, rows) if r["kind"] == k])), 3)
                                   for k in kinds},  # fmt: skip
    }


def by_group(p: np.ndarray, rows: list[dict], threshold: float) -> dict:
    """:func:`decision_figures` of news and of the other questions apart."""
    out = {}
    for group in sorted({_group(r["source"]) for r in rows}):
        idx = [i for i, r in enumerate(rows) if _group(r["source"]) == group]
        out[group] = {"questions": len(idx), **decision_figures(p[idx], [rows[i] for i in idx], threshold)}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, default=MODEL_DIR)
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--answerable", type=int, default=400, help="answerable held-out questions to ask")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--rows", type=Path, help="also write every question's features and result here (JSON)")
    ap.add_argument("--limit", type=int, default=0, help="ask at most this many questions (a quick check; 0 = all)")
    args = ap.parse_args(argv)

    import qa

    t0 = time.time()
    record = json.loads((args.model / "reader.json").read_text(encoding="utf-8"))
    articles, questions = held_out_questions(record, args.data, args.answerable, args.seed)
    if args.limit:
        questions = random.Random(args.seed).sample(questions, min(args.limit, len(questions)))
    reader = Reader.load(args.model, calibrated=False)
    with tempfile.TemporaryDirectory() as tmp:
        qa.build_index(articles, tmp)
        engine = qa.load_engine(tmp, reader=reader)
        rows = ask_all(engine, questions, features_of(reader))
    if args.rows:
        args.rows.write_text(json.dumps(rows), encoding="utf-8")
    x = np.array([r["features"] for r in rows])
    y = np.array([r["right"] for r in rows], dtype=int)

    # Out-of-fold probabilities: the figures below are not measured on the data fitted.
    folds = 5
    order = np.random.default_rng(args.seed).permutation(len(rows))
    p_cv = np.zeros(len(rows))
    for k in range(folds):
        test = order[k::folds]
        train = np.setdiff1d(order, test)
        w, b = fit(x[train], y[train])
        p_cv[test] = 1 / (1 + np.exp(-(x[test] @ w + b)))
    grid = np.round(np.arange(0.05, 0.96, 0.01), 2)
    threshold = float(max(grid, key=lambda t: (squad_f1(p_cv, rows, t), -abs(t - 0.5))))
    w, b = fit(x, y)

    figures = {
        "questions": dict(Counter(r["kind"] for r in rows)),
        "articles": len(articles),
        **decision_figures(p_cv, rows, threshold),
        "always_decline_f1": round(100 * float(np.mean([not r["answerable"] for r in rows])), 1),
        "right_if_answered": round(float(y.mean()), 3),
        "answerable_right_when_answered": round(float(np.mean([r["right"] for p, r in zip(p_cv, rows)
                                                               if r["answerable"] and p >= threshold] or [0])), 3),  # fmt: skip
        "reliability": reliability(p_cv, y),
        "by_group": by_group(p_cv, rows, threshold),
    }
    out = {"features": list(features_of(reader)), "weights": [round(float(v), 6) for v in w], "bias": round(b, 6),
           "threshold": threshold, "right_means": f"token F1 >= {RIGHT_F1} with a gold answer",
           "fitted_on": "held-out training articles, open setting", "titles": sorted({a.title for a in articles}),
           **figures}  # fmt: skip
    (args.model / "calibration.json").write_text(json.dumps(out, indent=1), encoding="utf-8")
    print(json.dumps(figures, indent=1))
    print(f"threshold {threshold}; written {args.model / 'calibration.json'} in {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
