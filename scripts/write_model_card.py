"""Write qa/reader/MODEL_CARD.md from the training and calibration records.

    python scripts/write_model_card.py [--figures FILE]

The numbers come from ``qa/reader/model/reader.json`` (what ``qa.reader.train`` did) and
``calibration.json`` (what ``qa.reader.calibrate`` measured); ``--figures`` adds a
Markdown file of public figures (``qa/reader/public_figures.md``: the bench/eval_* results
of the shipped reader, written by hand when it changes).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READER = ROOT / "qa" / "reader"
LICENCES = {
    "squad2-train-sample": "CC BY-SA 4.0",
    "squadshifts-new_wiki": "CC BY 4.0",
    "squadshifts-amazon": "CC BY 4.0 (third-party review text)",
    "squadshifts-reddit": "CC BY 4.0 (third-party text)",
    "tydiqa-en-train": "Apache-2.0",
    "tydiqa-en-dev": "Apache-2.0",
    "fairytaleqa": "Apache-2.0 (texts public domain)",
    "covidqa": "Apache-2.0 (papers mostly CC BY)",
    "squad11-train-trunc": "CC BY-SA 4.0",
    "squad11-train": "CC BY-SA 4.0",
    "qamr-wikinews": "MIT (questions); sentences Wikinews, CC BY 2.5",
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--figures", type=Path, default=READER / "public_figures.md",
                    help="Markdown with the public figures (default: qa/reader/public_figures.md)")
    args = ap.parse_args()
    record = json.loads((READER / "model" / "reader.json").read_text(encoding="utf-8"))
    cal = json.loads((READER / "model" / "calibration.json").read_text(encoding="utf-8"))
    a = record["arguments"]
    training = "\n".join([
        "| setting | value |", "|---|---|",
        f"| windows | {a['max_len']} tokens, stride {a['stride']}; the engine's reading windows of at most {a['window_chars']} characters |",
        f"| precision | {record.get('precision', 'fp32')} |",
        f"| optimiser | AdamW, lr {a['lr']}, weight decay 0.01, batch {a['batch']}, warm-up {a['warmup']:.0%}, linear decay over the time budget |",
        f"| frozen | {record['frozen']} |",
        f"| steps | {record['steps']} of {record['planned_steps']} planned ({record['steps'] * a['batch']:,} windows of {record['train_windows']:,}) |",
        f"| time | {record['train_seconds'] / 60:.0f} min on {record['threads']} CPU cores, seed {a['seed']} |",
        f"| reproduce the same steps | `--steps {record['steps']}` instead of `--max-minutes` |",
        *([f"| continued from | the previous run's weights (`--init`)"
           + (f", its first {a['skip_steps']:,} batches of the seeded plan skipped (`--skip-steps`)" if a.get("skip_steps") else "")
           + ": see the run table |"] if a.get("init") else []),
    ])  # fmt: skip
    sources = "\n".join(f"| {s} | {LICENCES.get(s, '?')} | {n:,} |" for s, n in sorted(record["train_sources"].items()))
    kinds = ", ".join(f"{k} {n:,}" for k, n in record["train_examples"].items())
    held = record.get("held_out_closed", {})
    figures = ["### Held out, closed setting (the passage given), at the plain no-answer rule", "",
               "| kind | n | token F1, decision off / on (answerable) | declined |", "|---|---|---|---|"]  # fmt: skip
    for kind, f in held.items():
        if kind in ("all", "by_source"):
            continue
        f1 = f"{f['f1_if_answered']} / {f.get('f1', '–')}" if "f1_if_answered" in f else "–"
        figures.append(f"| {kind} | {f['n']} | {f1} | {f['declined']:.1%} |")
    if "all" in held:
        figures += ["", f"SQuAD 2.0 F1 over all {held['all']['n']} of them (a declined negative scores 1): "
                        f"**{held['all']['squad2_f1']}**."]  # fmt: skip
    figures += ["", "### Calibration (held-out articles, open setting: the whole engine)", "",
                f"{sum(cal['questions'].values())} questions ({', '.join(f'{k} {n}' for k, n in cal['questions'].items())}) "
                f"over {cal['articles']} held-out articles. Logistic regression of "
                f"{', '.join(cal['features'])} on \"right\" ({cal['right_means']}); five-fold out-of-fold figures:", "",
                "| measure | value |", "|---|---|",
                f"| threshold (max SQuAD 2.0 F1) | {cal['threshold']} |",
                f"| SQuAD 2.0 F1 at the threshold | {cal['cv_squad2_f1']} (always declining: {cal['always_decline_f1']}) |",
                f"| expected calibration error | {cal['cv_expected_calibration_error']} |",
                *(f"| declined, {k} | {v:.1%} |" for k, v in cal["declined_share_by_kind"].items())]  # fmt: skip
    if cal.get("by_group"):
        groups = cal["by_group"]
        kinds_seen = sorted({k for g in groups.values() for k in g["declined_share_by_kind"]})
        figures += ["", "News (held-out Wikinews articles) and the other questions apart, at the same threshold:", "",
                    "| questions | n | expected calibration error | SQuAD 2.0 F1 | " + " | ".join(f"declined, {k}" for k in kinds_seen) + " |",
                    "|---|---|---|---|" + "---|" * len(kinds_seen)]  # fmt: skip
        for name, g in groups.items():
            cells = [f"{g['declined_share_by_kind'][k]:.1%}" if k in g["declined_share_by_kind"] else "–" for k in kinds_seen]
            figures.append(f"| {name} | {g['questions']} | {g['cv_expected_calibration_error']} | {g['cv_squad2_f1']} | "
                           + " | ".join(cells) + " |")  # fmt: skip
    if cal.get("reliability"):
        figures += ["", "Reliability (out of fold): of the best spans given each probability, the share right.", "",
                    "| probability | answers | mean probability | right |", "|---|---|---|---|"]  # fmt: skip
        figures += [f"| {b['bin']} | {b['n']} | {b['mean_probability']:.2f} | {b['right']:.2f} |" for b in cal["reliability"]]
    if args.figures:
        figures += ["", args.figures.read_text(encoding="utf-8").strip()]
    titles = record.get("train_titles_by_source") or {"all": record["train_titles"]}
    listing = "\n".join(f"- **{s}** ({len(t)}): " + "; ".join(t) for s, t in sorted(titles.items()))
    size_mb = (READER / "model" / "model.safetensors").stat().st_size / 2**20
    onnx_mb = (READER / "model" / "model.onnx").stat().st_size / 2**20
    runs = json.loads((READER / "runs.json").read_text(encoding="utf-8"))
    run_rows = ["| run | data | steps × batch = windows | minutes | machine | held-out closed F1 / answerable declined | shipped |",
                "|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in runs:
        run_rows.append(f"| {r['run']} | {r['data']} | {r['steps']:,} × {r['batch']} = {r['steps'] * r['batch']:,} | "
                        f"{r['minutes']} | {r['machine']} | {r['held_out']} | {'yes' if r.get('shipped') else 'no'} |")  # fmt: skip
    command = " ".join(f"--{k.replace('_', '-')} {v}" for k, v in a.items()
                       if k in ("max_minutes", "eval_limit", "news_held_out_share") and v)  # fmt: skip
    template = (READER / "MODEL_CARD.template.md").read_text(encoding="utf-8")
    card = template.format(size_mb=f"{size_mb:.0f}", onnx_mb=f"{onnx_mb:.0f}", training=training, sources=sources,
                           kinds=kinds, figures="\n".join(figures), titles=listing, runs="\n".join(run_rows),
                           command=command, held_share=f"{a['held_out_share']:.0%}",
                           news_share=f"{a.get('news_held_out_share', a['held_out_share']):.0%}")  # fmt: skip
    (READER / "MODEL_CARD.md").write_text(card, encoding="utf-8")
    print(f"wrote {READER / 'MODEL_CARD.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
