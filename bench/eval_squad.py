"""Measure retrieval and answer quality on a SQuAD 2.0 sample.

    python bench/eval_squad.py [--data ../shared/eval/squad2-public] [--distractors seeds]
                               [--backend faiss|milvus|both]

The sample's articles (plus the seed articles as distractors) are indexed in a temporary
folder, then every question is asked. Printed figures:

- R@1 / R@5: a top-k passage overlaps the gold paragraph (all questions, and answerable)
- answer hit: answerable questions with a found answer of at most 400 characters that
  contains a gold answer string
- span EM / F1: SQuAD 2.0's exact match and token F1 of the short answer (``Answer.span``,
  empty when not found) against the gold answers ("" for unanswerable questions)
- declined: unanswerable questions answered "not found"; answerable ones wrongly declined
- ECE: expected calibration error of the probability (``Answer.probability``) against "the
  reader's best span is right" (token F1 >= 0.5 with a gold answer), over every question
  and over the answers given
- closed setting: the reader given each question's gold paragraph alone (no retrieval),
  answering at the calibrated threshold
- median answer length, spans outside their citation or citations whose span does not
  reproduce their quote (must be 0), and ms per question

``--backend both`` indexes the same articles in an index folder (FAISS) and in Milvus Lite
and prints both columns, the R@1/R@5 differences and the share of questions given the same
short answer (the issue's goal: within 0.01, and at least 95%).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import qa  # noqa: E402
from qa.config import Config  # noqa: E402
from qa.engine import Engine  # noqa: E402
from qa.loading import load_articles  # noqa: E402
from qa.reader.calibrate import RIGHT_F1, reliability  # noqa: E402
from qa.reader.metrics import exact_match, expected_calibration_error, f1_score, max_over  # noqa: E402


def load_questions(data: Path) -> list[dict]:
    with open(data / "questions.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def gold_spans(articles: list[qa.Article], questions: list[dict]) -> dict[tuple[str, int], tuple[int, int]]:
    """Character span of each question's gold paragraph inside its article."""
    texts = {a.id: a.text for a in articles}
    spans = {}
    for q in questions:
        key = (q["article_id"], q["paragraph"])
        if key not in spans:
            start = texts[q["article_id"]].find(q["context"])
            if start < 0:
                raise ValueError(f"context of {q['id']} not found in {q['article_id']}")
            spans[key] = (start, start + len(q["context"]))
    return spans


def overlaps(passage: qa.Passage, article_id: str, start: int, end: int) -> bool:
    """Does the passage (or a copy of it folded in from another article) overlap the span?"""
    locations = [(passage.article_id, passage.start, passage.end)]
    locations += [(o.article_id, o.start, o.end) for o in passage.also_in]
    return any(a == article_id and s < end and e > start for a, s, e in locations)


def evaluate(engine: Engine, questions: list[dict], spans: dict) -> dict:
    """Ask every question; return the figures and per-question rows."""
    r1 = r5 = r1_ans = r5_ans = hits = found_ans = abstained_unans = bad_citations = 0
    em = f1 = 0.0
    probabilities: list[float] = []
    right: list[bool] = []
    answered_p: list[float] = []
    answered_right: list[bool] = []
    lengths: list[int] = []
    rows = []
    latencies = []
    n_ans = sum(q["answerable"] for q in questions)
    for q in questions:
        g_start, g_end = spans[(q["article_id"], q["paragraph"])]
        t0 = time.perf_counter()
        answer = engine.ask(q["question"])
        latencies.append(time.perf_counter() - t0)
        passages = engine.search(q["question"], 5)

        top1 = bool(passages) and overlaps(passages[0], q["article_id"], g_start, g_end)
        top5 = any(overlaps(p, q["article_id"], g_start, g_end) for p in passages)
        r1 += top1
        r5 += top5
        for c in answer.citations + ([answer.span] if answer.span else []):
            if engine.article(c.article_id).text[c.start : c.end] != c.quote:
                bad_citations += 1
        if answer.span and not (answer.citations and answer.citations[0].start <= answer.span.start
                                and answer.span.end <= answer.citations[0].end):  # fmt: skip
            bad_citations += 1
        short = answer.span.quote if answer.found and answer.span else ""
        golds = q["answers"] if q["answerable"] else [""]
        em += max_over(exact_match, short, golds)
        f1 += max_over(f1_score, short, golds)
        # Calibration: the probability is that the reader's best span is right, given or not.
        reading = engine.answerer.read(q["question"])
        if reading.best is not None:
            probabilities.append(reading.probability)
            right.append(q["answerable"] and max_over(f1_score, reading.best_text, golds) >= RIGHT_F1)
            if answer.found:
                answered_p.append(reading.probability)
                answered_right.append(right[-1])
        hit = False
        if q["answerable"]:
            r1_ans += top1
            r5_ans += top5
            if answer.found:
                found_ans += 1
                lengths.append(len(answer.text))
                hit = len(answer.text) <= 400 and any(g in answer.text for g in q["answers"])
                hits += hit
        elif not answer.found:
            abstained_unans += 1
        rows.append(
            {"id": q["id"], "question": q["question"], "answerable": q["answerable"], "answers": q["answers"],
             "found": answer.found, "score": answer.score, "probability": answer.probability, "span": short,
             "answer": answer.text, "hit": hit, "r1": top1, "r5": top5}
        )  # fmt: skip
    n = len(questions)
    n_unans = n - n_ans
    latencies.sort()
    return {
        "questions": n,
        "answerable": n_ans,
        "R@1": r1 / n,
        "R@5": r5 / n,
        "R@1 answerable": r1_ans / max(1, n_ans),
        "R@5 answerable": r5_ans / max(1, n_ans),
        "answer hit": hits / max(1, n_ans),
        "span EM": 100 * em / n,
        "span F1": 100 * f1 / n,
        "declined (unanswerable)": abstained_unans / max(1, n_unans),
        "wrongly declined (answerable)": 1 - found_ans / max(1, n_ans),
        "ECE (best span, all questions)": expected_calibration_error(probabilities, right),
        "ECE (answers given)": expected_calibration_error(answered_p, answered_right),
        "median answer chars": statistics.median(lengths) if lengths else 0,
        "bad citations": bad_citations,
        "ask p50 ms": 1000 * latencies[len(latencies) // 2],
        "reliability (answers given)": reliability(np.array(answered_p), np.array(answered_right, dtype=float)),
        "rows": rows,
    }


def closed_setting(engine: Engine, questions: list[dict]) -> dict:
    """The reader alone on each gold paragraph (no retrieval), answering when its best
    span beats "no answer" (SQuAD 2.0's plain null-score rule; the calibration's other
    features come from retrieval, which this setting leaves out)."""
    reader = engine.reader
    em = f1 = 0.0
    declined_unans = declined_ans = 0
    for q in questions:
        span = reader.read(q["question"], [q["context"]])[0]
        answered = span is not None and span.margin > 0
        short = q["context"][span.start : span.end] if answered else ""
        golds = q["answers"] if q["answerable"] else [""]
        em += max_over(exact_match, short, golds)
        f1 += max_over(f1_score, short, golds)
        declined_unans += not answered and not q["answerable"]
        declined_ans += not answered and q["answerable"]
    n, n_ans = len(questions), sum(q["answerable"] for q in questions)
    return {
        "closed span EM": 100 * em / n,
        "closed span F1": 100 * f1 / n,
        "closed declined (unanswerable)": declined_unans / max(1, n - n_ans),
        "closed wrongly declined (answerable)": declined_ans / max(1, n_ans),
    }


def build(data: Path, distractors: Path | None, index_dir: str | Path, config: Config) -> tuple[Engine, list[qa.Article]]:
    articles = load_articles(data / "articles.jsonl").articles
    corpus = list(articles)
    if distractors is not None:
        corpus += load_articles(distractors, existing_ids=[a.id for a in articles]).articles
    qa.build_index(corpus, index_dir, config=config)
    return qa.load_engine(index_dir), articles


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "eval" / "squad2-public")
    parser.add_argument("--distractors", type=Path, default=ROOT / "seeds", help="extra articles to index ('' for none)")
    parser.add_argument("--json", type=Path, help="write per-question rows here")
    parser.add_argument("--backend", choices=["faiss", "milvus", "both"], default="faiss",
                        help="index backend to measure (both: side by side, with their agreement)")  # fmt: skip
    args = parser.parse_args(argv)

    questions = load_questions(args.data)
    backends = ["faiss", "milvus"] if args.backend == "both" else [args.backend]
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        distractors = args.distractors if str(args.distractors) else None
        for backend in backends:
            location = Path(tmp) / "index" if backend == "faiss" else f"milvus://{tmp}/index.db"
            engine, articles = build(args.data, distractors, location, Config())
            result = evaluate(engine, questions, gold_spans(articles, questions))
            result.update(closed_setting(engine, questions))
            results[backend] = result
    rows = {b: r.pop("rows") for b, r in results.items()}
    tables = {b: r.pop("reliability (answers given)") for b, r in results.items()}
    if args.json:
        args.json.write_text(json.dumps(rows[backends[0]] if len(backends) == 1 else rows, indent=1))
    width = max(map(len, results[backends[0]]))
    print(f"{'':<{width}}  " + "  ".join(f"{b:>8}" for b in backends))
    for key in results[backends[0]]:
        values = [results[b][key] for b in backends]
        print(f"{key:<{width}}  " + "  ".join(f"{v:8.3f}" if isinstance(v, float) else f"{v:>8}" for v in values))
    for backend, table in tables.items():
        print(f"reliability of the answers given ({backend}): probability bin, answers, mean probability, share right")
        for b in table:
            print(f"    {b['bin']}  {b['n']:4d}  {b['mean_probability']:.2f}  {b['right']:.2f}")
    if len(backends) == 2:
        a, b = rows["faiss"], rows["milvus"]
        same = sum((x["found"], x["span"]) == (y["found"], y["span"]) for x, y in zip(a, b)) / len(a)
        top1 = sum(x["r1"] == y["r1"] for x, y in zip(a, b)) / len(a)
        print(f"{'same short answer (faiss vs milvus)':<{width}}  {same:8.3f}")
        print(f"{'same R@1 hit per question':<{width}}  {top1:8.3f}")
        for key in ("R@1", "R@5"):
            print(f"{key + ' milvus - faiss':<{width}}  {results['milvus'][key] - results['faiss'][key]:+8.3f}")
    return 0 if all(r["bad citations"] == 0 for r in results.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
