"""Answer quality on the news dev set (``bench/news_dev.json``): Wikinews articles with
questions written for this project. Never train, tune or calibrate on it.

    python bench/eval_news.py [--rows rows.json]

The set's articles are indexed in a temporary folder and every question asked through the
engine, as a user would. Printed figures:

- right short answer: answerable questions answered with a short answer (``Answer.span``)
  whose token F1 with a gold answer is at least 0.5; exact: it equals one
- wrongly declined: answerable questions answered "the articles don't say"; wrong: answered
  with a short answer that is not right
- unanswerable declined: questions no article answers, answered "the articles don't say"
- follow-ups: chats whose second, context-dependent question gets a right short answer
- ECE: expected calibration error of ``Answer.probability`` against "right", over the
  answers given and over every question's best span (read with the decision switched off)
- right article in the top 5 passages (answerable questions)
- topic switches wrongly linked: each answerable question asked right after one about
  another article (the question 7 places on in the set, its gold answer as the previous
  short answer), counted when :mod:`qa.conversation` takes it as a follow-up
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import qa  # noqa: E402
from qa.reader.calibrate import RIGHT_F1, reliability  # noqa: E402
from qa.reader.metrics import exact_match, expected_calibration_error, f1_score, max_over  # noqa: E402

DEV = ROOT / "bench" / "news_dev.json"


def best_span(engine: qa.Engine, question: str, history=()) -> tuple[str, float]:
    """The reader's best span and its probability, whether or not it would be given."""
    reading = engine.answerer.read(question, history)
    return reading.best_text, reading.probability


def switches_linked(questions: list[dict], articles: list[dict]) -> int:
    """How many questions :func:`qa.conversation.understand` links to a previous turn about
    another article (a topic switch: none should be linked)."""
    from qa.conversation import Exchange, understand

    texts = {a["id"]: a["text"] for a in articles}
    linked = 0
    for i, q in enumerate(questions):
        j = (i + 7) % len(questions)
        while questions[j]["article"] == q["article"]:
            j = (j + 1) % len(questions)
        previous = questions[j]
        turn = Exchange(previous["question"], previous["answers"][0], previous["answers"][0], previous["article"])
        linked += understand(q["question"], [turn], texts.get).follows is not None
    return linked


def evaluate(engine: qa.Engine, dev: dict) -> dict:
    rows = []
    for q in dev["questions"]:
        a = engine.ask(q["question"])
        short = a.span.quote if a.found and a.span else ""
        f1 = max_over(f1_score, short, q["answers"]) if short else 0.0
        best, p_best = best_span(engine, q["question"])
        top5 = [p.article_id for p in engine.search(q["question"], 5)]
        rows.append({"kind": "answerable", "question": q["question"], "answers": q["answers"], "found": a.found,
                     "span": short, "probability": a.probability, "right": f1 >= RIGHT_F1,
                     "exact": bool(short) and max_over(exact_match, short, q["answers"]) == 1.0,
                     "best": best, "best_right": max_over(f1_score, best, q["answers"]) >= RIGHT_F1, "p_best": p_best,
                     "article_in_top5": q["article"] in top5})  # fmt: skip
    for question in dev["unanswerable"]:
        a = engine.ask(question)
        _, p_best = best_span(engine, question)
        rows.append({"kind": "unanswerable", "question": question, "found": a.found,
                     "span": a.span.quote if a.found and a.span else "", "probability": a.probability, "right": False,
                     "best_right": False, "p_best": p_best})  # fmt: skip
    for first, follow in dev["chats"]:
        previous = engine.ask(first["question"])
        history = [(first["question"], previous)]
        a = engine.ask(follow["question"], history)
        short = a.span.quote if a.found and a.span else ""
        rows.append({"kind": "follow_up", "question": f"{first['question']} / {follow['question']}",
                     "first": previous.span.quote if previous.span else "", "found": a.found, "span": short,
                     "probability": a.probability,
                     "right": bool(short) and max_over(f1_score, short, follow["answers"]) >= RIGHT_F1})  # fmt: skip
    ans = [r for r in rows if r["kind"] == "answerable"]
    una = [r for r in rows if r["kind"] == "unanswerable"]
    chats = [r for r in rows if r["kind"] == "follow_up"]
    given = [r for r in ans + una if r["found"]]
    scored = ans + una
    import numpy as np

    return {
        "answerable": len(ans),
        "unanswerable": len(una),
        "chats": len(chats),
        "right short answer": sum(r["right"] for r in ans) / len(ans),
        "exact short answer": sum(r["exact"] for r in ans) / len(ans),
        "wrongly declined": sum(not r["found"] for r in ans) / len(ans),
        "wrong short answer": sum(r["found"] and not r["right"] for r in ans) / len(ans),
        "best span right (decision off)": sum(r["best_right"] for r in ans) / len(ans),
        "unanswerable declined": sum(not r["found"] for r in una) / len(una),
        "follow-ups right": sum(r["right"] for r in chats) / len(chats),
        "ECE (answers given)": expected_calibration_error([r["probability"] for r in given], [r["right"] for r in given]),
        "ECE (best span, all questions)": expected_calibration_error([r["p_best"] for r in scored],
                                                                     [r["best_right"] for r in scored]),  # fmt: skip
        "right article in top 5": sum(r["article_in_top5"] for r in ans) / len(ans),
        "topic switches wrongly linked": switches_linked(dev["questions"], dev["articles"]) / len(dev["questions"]),
        "reliability (answers given)": reliability(np.array([r["probability"] for r in given]),
                                                   np.array([r["right"] for r in given], dtype=float)),  # fmt: skip
        "rows": rows,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dev", type=Path, default=DEV)
    ap.add_argument("--rows", type=Path, help="write every question's result here (JSON)")
    args = ap.parse_args(argv)
    dev = json.loads(args.dev.read_text(encoding="utf-8"))
    articles = [qa.Article(id=a["id"], title=a["title"], text=a["text"], source=a["source"], url=a["url"])
                for a in dev["articles"]]  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        qa.build_index(articles, Path(tmp) / "index")
        figures = evaluate(qa.load_engine(Path(tmp) / "index"), dev)
    rows = figures.pop("rows")
    if args.rows:
        args.rows.write_text(json.dumps(rows, indent=1, ensure_ascii=False), encoding="utf-8")
    table = figures.pop("reliability (answers given)")
    print(f"news dev set: {figures['answerable']} answerable, {figures['unanswerable']} unanswerable, "
          f"{figures['chats']} follow-up chats, {len(articles)} articles")  # fmt: skip
    for name, value in list(figures.items())[3:]:
        print(f"  {name:34s} {value:.3f}")
    print("  reliability of the answers given: probability bin, answers, mean probability, share right")
    for b in table:
        print(f"    {b['bin']}  {b['n']:4d}  {b['mean_probability']:.2f}  {b['right']:.2f}")
    for r in rows:
        if r["kind"] != "unanswerable" and not r["right"]:
            print(f"  MISS [{r['kind']}] {r['question']!r} -> {r['span']!r} (p={r['probability']:.2f})")
        elif r["kind"] == "unanswerable" and r["found"]:
            print(f"  ANSWERED [unanswerable] {r['question']!r} -> {r['span']!r} (p={r['probability']:.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
