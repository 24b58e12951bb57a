"""The two index backends side by side, in one run: the FAISS folder and Milvus Lite.

    python bench/bench_backends.py [--size 1000000] [--questions 418] [--out bench/BACKENDS.md]

The corpus is bench_speed's (the SQuAD sample and seed articles, which hold the gold
paragraphs, plus topical variants up to ``--size`` passages). The passages are embedded
once (timed); each backend is then built from the same articles with those vectors handed
in, so "ingest" is what the backend itself costs (chunking, BM25, writing), and end to end
is that plus the embedding. Then, in a fresh process per backend: ``load_engine()``,
``search()`` and ``ask()`` p50/p95 over the sample's questions, R@1/R@5 over the answerable
ones, and resident memory after loading and after the questions. Last, the agreement: for
how many questions the two backends return the same top-5 passages and the same short
answer.

Milvus Lite runs in the app's process (milvus-lite 3 is Python over numpy: each search scans
its segments), so its memory is the app's. A Milvus server keeps the vectors and postings in
its own processes. This is a benchmark that prints a table and writes ``--out``: it asserts
nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_speed import _status_kb, load_average, machine, make_corpora, source_articles  # noqa: E402

K = 5


def build(corpus: list, location: str, vectors, rows) -> dict:
    """Build ``corpus`` at ``location`` with the passage vectors handed in."""
    import qa
    from qa.embedding import Embedder

    real_encode = Embedder.encode

    def handed_in(self, texts, **kwargs):
        return vectors if len(texts) == len(vectors) else real_encode(self, texts, **kwargs)

    Embedder.encode = handed_in
    try:
        t0 = time.perf_counter()
        info = qa.build_index(corpus, location)
        seconds = time.perf_counter() - t0
    finally:
        Embedder.encode = real_encode
    if location.startswith("milvus://"):
        qa.index.open_index(location).close()  # Milvus Lite serves one process: free it for the worker
    return {"seconds": seconds, "passages": info.passages, "articles": info.articles, "index": info.faiss_index}


def _percentiles(seconds: list[float]) -> tuple[float, float]:
    ms = sorted(1000 * s for s in seconds)
    q = statistics.quantiles(ms, n=100, method="inclusive")
    return q[49], q[94]


def worker(location: str, data: Path, limit: int, out: Path) -> None:
    """Load, then time every question; writes the figures and per-question results."""
    import qa

    rss_start = _status_kb("VmRSS")["VmRSS"]
    t0 = time.perf_counter()
    engine = qa.load_engine(location)
    load_s = time.perf_counter() - t0
    rss_load = _status_kb("VmRSS")["VmRSS"]
    with open(data / "questions.jsonl", encoding="utf-8") as f:
        questions = [json.loads(line) for line in f if line.strip()][:limit]
    for q in questions[:10]:  # warm-up
        engine.search(q["question"], K)
    search_s, ask_s, rows = [], [], []
    r1 = r5 = answerable = 0
    for q in questions:
        t0 = time.perf_counter()
        passages = engine.search(q["question"], K)
        search_s.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        answer = engine.ask(q["question"])
        ask_s.append(time.perf_counter() - t0)
        text = engine.article(q["article_id"]).text
        g_start = text.find(q["context"])
        g_end = g_start + len(q["context"])
        hits = [any(a == q["article_id"] and s < g_end and e > g_start
                    for a, s, e in [(p.article_id, p.start, p.end)] + [(o.article_id, o.start, o.end) for o in p.also_in])
                for p in passages]  # fmt: skip
        if q["answerable"]:
            answerable += 1
            r1 += any(hits[:1])
            r5 += any(hits[:K])
        rows.append({"top": [(p.article_id, p.start, p.end) for p in passages],
                     "short": answer.span.quote if answer.found and answer.span else None})  # fmt: skip
    s50, s95 = _percentiles(search_s)
    a50, a95 = _percentiles(ask_s)
    out.write_text(json.dumps({
        "load_s": load_s, "rss_start_mb": rss_start, "rss_load_mb": rss_load,
        "rss_after_mb": _status_kb("VmRSS")["VmRSS"], "rss_peak_mb": _status_kb("VmHWM")["VmHWM"],
        "search_p50": s50, "search_p95": s95, "ask_p50": a50, "ask_p95": a95,
        "R@1": r1 / max(1, answerable), "R@5": r5 / max(1, answerable), "questions": len(questions), "rows": rows,
    }))  # fmt: skip


def run_worker(location: str, data: Path, limit: int, tmp: Path, name: str) -> dict:
    out, log = tmp / f"{name}.json", tmp / f"{name}.log"
    cmd = [sys.executable, __file__, "--worker", location, "--data", str(data), "--questions", str(limit),
           "--worker-out", str(out)]  # fmt: skip
    with open(log, "w") as err:
        proc = subprocess.run(cmd, stdout=err, stderr=subprocess.STDOUT, env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    if proc.returncode != 0:
        sys.stderr.write(log.read_text()[-4000:])
        raise SystemExit(f"worker for {location} failed ({proc.returncode})")
    return json.loads(out.read_text())


def disk_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1_000_000, help="corpus size in passages")
    parser.add_argument("--questions", type=int, default=418, help="how many of the sample's questions to time")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "eval" / "squad2-public")
    parser.add_argument("--seeds", type=Path, default=ROOT / "seeds")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "BACKENDS.md", help="markdown report ('' for none)")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.data, args.questions, args.worker_out)
        return 0

    started, load_before = time.perf_counter(), load_average()
    import qa
    from qa.config import Config
    from qa.embedding import Embedder
    from qa.index.write import _chunk_articles

    corpus = make_corpora(source_articles(args.data, args.seeds), [args.size])[args.size]
    print(f"corpus: {len(corpus):,} articles", flush=True)
    cfg = Config()
    t0 = time.perf_counter()
    rows, inputs, _ = _chunk_articles(corpus, cfg, 0)
    vectors = Embedder(cfg.model).encode(inputs)
    embed_s = time.perf_counter() - t0
    print(f"embedded {len(rows):,} passages in {embed_s:.0f} s", flush=True)
    builds, queries, disk = {}, {}, {}
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp_name:
        tmp = Path(tmp_name)
        locations = {"faiss": str(tmp / "faiss"), "milvus": f"milvus://{tmp}/milvus.db"}
        for name, location in locations.items():
            print(f"[{name}] building ...", flush=True)
            builds[name] = build(corpus, location, vectors, rows)
            disk[name] = disk_bytes(tmp / "faiss") if name == "faiss" else disk_bytes(tmp / "milvus.db")
            print(f"[{name}] {builds[name]}; querying in a fresh process ...", flush=True)
            queries[name] = run_worker(location, args.data, args.questions, tmp, name)
            print(f"[{name}] " + ", ".join(f"{k} {v:.3f}" for k, v in queries[name].items() if isinstance(v, float)),
                  flush=True)  # fmt: skip
    a, b = queries["faiss"]["rows"], queries["milvus"]["rows"]
    same_top = sum(x["top"] == y["top"] for x, y in zip(a, b)) / len(a)
    same_top1 = sum(x["top"][:1] == y["top"][:1] for x, y in zip(a, b)) / len(a)
    overlap = statistics.mean(len({tuple(t) for t in x["top"]} & {tuple(t) for t in y["top"]}) / K for x, y in zip(a, b))
    same_short = sum(x["short"] == y["short"] for x, y in zip(a, b)) / len(a)
    info = machine()
    n = builds["faiss"]["passages"]
    lines = [
        "# Index backends: FAISS folder and Milvus Lite",
        "",
        f"`python bench/bench_backends.py --size {args.size} --questions {args.questions}` — ran "
        f"{time.strftime('%Y-%m-%d %H:%M %Z')} in {(time.perf_counter() - started) / 60:.1f} min.",
        "",
        f"Machine: {info['cpu']}, {info['cores']} cores, {info['memory']} RAM; Python {info['python']}; "
        f"{info['versions']}; pymilvus {_version('pymilvus')}, milvus-lite {_version('milvus-lite')}. "
        f"Load average (1/5/15 min) {load_before} at the start, {load_average()} at the end.",
        "",
        f"{n:,} passages ({builds['faiss']['articles']:,} articles), embedded once in {embed_s:.0f} s "
        f"({n / embed_s:,.0f} passages/s); {queries['faiss']['questions']} SQuAD-sample questions timed.",
        "",
        "| | FAISS folder | Milvus Lite |",
        "|---|---:|---:|",
        f"| index | {builds['faiss']['index']} | {builds['milvus']['index']} |",
        "| ingest passages/s (vectors handed in) | " + " | ".join(
            f"{n / builds[k]['seconds']:,.0f}" for k in ("faiss", "milvus")) + " |",
        "| end to end passages/s (with the embedding) | " + " | ".join(
            f"{n / (builds[k]['seconds'] + embed_s):,.0f}" for k in ("faiss", "milvus")) + " |",
        "| on disk | " + " | ".join(f"{disk[k] / 1024**2:,.0f} MB" for k in ("faiss", "milvus")) + " |",
        "| `load_engine()` s | " + " | ".join(f"{queries[k]['load_s']:.2f}" for k in ("faiss", "milvus")) + " |",
        "| `search()` p50 / p95 ms | " + " | ".join(
            f"{queries[k]['search_p50']:.1f} / {queries[k]['search_p95']:.1f}" for k in ("faiss", "milvus")) + " |",
        "| `ask()` p50 / p95 ms | " + " | ".join(
            f"{queries[k]['ask_p50']:.1f} / {queries[k]['ask_p95']:.1f}" for k in ("faiss", "milvus")) + " |",
        "| R@1 / R@5 (answerable) | " + " | ".join(
            f"{queries[k]['R@1']:.3f} / {queries[k]['R@5']:.3f}" for k in ("faiss", "milvus")) + " |",
        "| app process RSS after load / after the questions | " + " | ".join(
            f"{queries[k]['rss_load_mb']:,.0f} / {queries[k]['rss_after_mb']:,.0f} MB" for k in ("faiss", "milvus")) + " |",
        "",
        f"Agreement over the {len(a)} questions: same top passage {same_top1:.3f}, same top-5 list {same_top:.3f}, "
        f"top-5 overlap {overlap:.3f}, same short answer {same_short:.3f}.",
        "",
    ]  # fmt: skip
    print("\n".join(lines))
    if str(args.out):
        args.out.write_text("\n".join(lines))
    return 0


def _version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


if __name__ == "__main__":
    raise SystemExit(main())
