"""Write latency: adding and removing one article, at 10k and 100k passages, against the
full rewrite every add did before the article store (measured in the same run).

    python bench/bench_writes.py [--sizes 10000,100000] [--repeat 5] [--out bench/WRITES.md]

For each corpus size (the same corpus as bench_speed.py: the SQuAD sample and seed
articles plus word-substituted variants), in one run:

- ``qa.add_articles`` of one new article (store transaction, one segment, index state
  switch), median and max over ``--repeat`` adds after one warm-up add, with the store held
  open as the chat app holds it;
- ``qa.remove_articles`` of one article (store transaction, index state switch);
- loading the engine with those segments and removals in place, and ``search()`` p50;
- the previous add: ``write_index(..., base=...)`` of the pre-store index module (taken
  from git, commit ``BEFORE_STORE``), which copied the FAISS index, re-counted BM25 over
  every passage and rewrote every file, on a copy of the same index.

A benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

BEFORE_STORE = "3ba0a1e"
"""The last commit whose adds rewrote the whole index."""


def legacy_index_module():
    """``qa/index.py`` as it was at :data:`BEFORE_STORE`, importable next to today's qa."""
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{BEFORE_STORE}:qa/index.py"], check=True, capture_output=True, text=True
    ).stdout
    spec = importlib.util.spec_from_loader("qa._index_before_store", loader=None)
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "qa"
    sys.modules[spec.name] = module  # dataclasses look their module up there
    exec(compile(source, f"{BEFORE_STORE}:qa/index.py", "exec"), module.__dict__)
    return module


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def measure(size: int, corpus: list, variants, tmp: Path, repeat: int, legacy) -> dict:
    import qa
    from qa.embedding import Embedder

    index_dir = tmp / f"index-{size}"
    store = qa.open_store(tmp / f"store-{size}.sqlite3")  # held open, as the app holds it
    build_s = timed(lambda: qa.build_index(corpus, index_dir, store=store))
    passages = qa.index_info(index_dir).passages
    fresh = [variants.article(len(corpus) + 1000 + i) for i in range(repeat + 1)]
    qa.add_articles([fresh[0]], index_dir, store=store)  # warm-up: model loaded once per process
    adds = [timed(lambda a=a: qa.add_articles([a], index_dir, store=store)) for a in fresh[1:]]
    victims = [a.id for a in fresh[1:]]
    removes = [timed(lambda v=v: qa.remove_articles([v], index_dir, store=store)) for v in victims]
    load_s = timed(lambda: qa.load_engine(index_dir))
    engine = qa.load_engine(index_dir)
    queries = [a.title for a in corpus[:200]]
    engine.search(queries[0])
    search = sorted(timed(lambda q=q: engine.search(q)) for q in queries)

    # The previous add, on a copy of a fresh build of the same corpus (the formats agree).
    old_dir = tmp / f"old-{size}"
    qa.build_index(corpus, old_dir, store=tmp / f"old-store-{size}.sqlite3")
    embedder = Embedder(qa.index_info(old_dir).model)
    old = []
    for a in fresh[1 : 1 + min(repeat, 3)]:
        base = legacy.read_index(old_dir)
        old.append(timed(lambda a=a, base=base: legacy.write_index(old_dir, [a], embedder, base.config, base=base)))
    shutil.rmtree(old_dir)
    store.close()
    return {
        "passages": passages,
        "build_s": build_s,
        "add_p50": statistics.median(adds),
        "add_max": max(adds),
        "remove_p50": statistics.median(removes),
        "remove_max": max(removes),
        "load_s": load_s,
        "search_p50_ms": 1000 * search[len(search) // 2],
        "old_add_p50": statistics.median(old),
        "old_add_max": max(old),
    }


def main(argv: list[str] | None = None) -> int:
    from bench_speed import load_average, machine, make_corpora, source_articles, Variants

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "eval" / "squad2-public")
    parser.add_argument("--seeds", type=Path, default=ROOT / "seeds")
    parser.add_argument("--out", default=str(ROOT / "bench" / "WRITES.md"), help="markdown report ('' for none)")
    args = parser.parse_args(argv)

    sizes = sorted(int(s) for s in args.sizes.split(","))
    load_before = load_average()
    sources = source_articles(args.data, args.seeds)
    corpora = make_corpora(sources, sizes)
    variants = Variants(sources)
    legacy = legacy_index_module()
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            print(f"[{size:,}] building and writing ...", flush=True)
            rows[size] = measure(size, corpora[size], variants, Path(tmp), args.repeat, legacy)
            print(rows[size], flush=True)

    info = machine()
    lines = [
        "# Write latency: incremental adds and removals",
        "",
        f"`python bench/bench_writes.py --sizes {args.sizes} --repeat {args.repeat}` — ran "
        f"{time.strftime('%Y-%m-%d %H:%M %Z')}. Machine: {info['cpu']}, {info['cores']} cores; Python "
        f"{info['python']}; {info['versions']}. Load average {load_before} at the start, {load_average()} at "
        "the end.",
        "",
        "| passages | add 1 article: p50 / max | remove 1 article: p50 / max | before the store: add 1 article "
        "(full rewrite) p50 / max | full build | load with segments | search p50 |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size in sizes:
        r = rows[size]
        lines.append(
            f"| {r['passages']:,} | {r['add_p50']:.3f} / {r['add_max']:.3f} s | {r['remove_p50']:.3f} / "
            f"{r['remove_max']:.3f} s | {r['old_add_p50']:.2f} / {r['old_add_max']:.2f} s | {r['build_s']:.1f} s "
            f"| {r['load_s']:.2f} s | {r['search_p50_ms']:.1f} ms |"
        )
    lines += [
        "",
        "An add is a store transaction, one segment folder (the new article's texts, passages,",
        "vectors and terms) and an atomic replacement of the version's `STATE.json`; a removal is a",
        "store transaction and the state replacement. Neither rewrites the built FAISS or BM25",
        "files, so their cost does not grow with the corpus. The previous add copied the FAISS",
        f"index, re-counted BM25 over every passage and rewrote every file (commit {BEFORE_STORE}).",
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    if args.out:
        Path(args.out).write_text(report, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
