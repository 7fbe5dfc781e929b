"""Fine-tune multilingual-e5-small into the span reader (`qa.reader`), on CPU, resumably.

Recipe (chosen for 2 cores; the comparison is in `qa/reader_model/MODEL_CARD.md`): every weight
but the word embeddings is trained, in bfloat16 autocast (about twice as fast as fp32 on CPUs with
AVX-512 BF16), with layer-wise learning-rate decay, a faster head, warm-up then linear decay. Each
epoch every question gives one context holding its answer and one that does not (its own article's
or a retrieved one, drawn anew each epoch). A checkpoint is written atomically every few hundred
steps; running the same command again resumes from it.
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eval.metrics import char_f1, exact_match
from index.split import file_sha256
from qa.gloss import shared_glossary
from qa.reader import (
    FROZEN_PARAMETERS,
    READER_FORMAT,
    Forward,
    ReaderConfig,
    build_span_reader,
    encode,
    load_tokenizer,
    read_spans,
    span_labels,
)

from .data import Context, ReaderExample, read_examples
from .glossed import english_question
from .near_miss import NameBank, near_miss

log = logging.getLogger(__name__)

WEIGHTS_NAME = "reader.safetensors"
META_NAME = "reader.json"
CHECKPOINT_NAME = "checkpoint.pt"


@dataclass(frozen=True)
class Recipe:
    """Every training choice, recorded in the shipped metadata."""

    epochs: float = 2.0
    batch_size: int = 32
    lr: float = 1e-4
    head_lr: float = 1e-3
    layer_decay: float = 0.9
    weight_decay: float = 0.01
    warmup: float = 0.1
    #: Attention dropout doubles the step time on CPU (a mask the size of every attention map,
    #: measured 0.18 vs 0.10 s per window); hidden-state dropout stays at the model's 0.1.
    attention_dropout: float = 0.0
    negatives_per_question: int = 1
    #: From epoch `glossed_from_epoch` on, this share of the questions is asked in English words
    #: instead (`train.glossed`), so the reader learns to read English questions over Chinese text.
    glossed_share: float = 0.0
    glossed_from_epoch: int = 0
    #: This share of the (not glossed) questions also gives a near miss (`train.near_miss`): the
    #: question with a name or number swapped for one its answer context lacks, read over that
    #: context and labelled "no answer".
    near_miss_share: float = 0.0
    bf16: bool = True
    seed: int = 13
    checkpoint_every: int = 100
    eval_every: int = 400
    eval_questions: int = 200


@dataclass
class _Batch:
    ids: list[list[int]]
    starts: list[int]
    ends: list[int]


def _windows_for(tokenizer: Any, question: str, contexts: list, config: ReaderConfig,
                 ) -> list[tuple[list[int], int, int]]:
    windows = encode(tokenizer, question, [c.text for c in contexts], config)
    out = []
    for ids, offsets, ci in zip(windows.input_ids, windows.offsets, windows.context_index, strict=True):
        context = contexts[ci]
        if context.start is None:
            out.append((ids, 0, 0))
        else:
            s, e = span_labels(offsets, context.start, context.end)
            out.append((ids, s, e))
    return out


def epoch_batches(examples: Sequence[ReaderExample], tokenizer: Any, config: ReaderConfig,
                  recipe: Recipe, epoch: int, names: NameBank | None = None) -> list[_Batch]:
    """The batches of one epoch, the same every time for the same epoch (so a run can resume).
    `names`: what near misses draw their swapped-in names from (needed when the recipe has them)."""
    rng = random.Random(recipe.seed * 1000 + epoch)
    glossing = recipe.glossed_share > 0 and epoch >= recipe.glossed_from_epoch
    gloss_rng = random.Random(recipe.seed * 7919 + epoch)  # apart, so earlier epochs stay as they were
    miss_rng = random.Random(recipe.seed * 104729 + epoch)
    glossary = shared_glossary() if glossing else None
    if recipe.near_miss_share > 0 and names is None:
        names = NameBank(example.question for example in examples)
    windows: list[tuple[list[int], int, int]] = []
    for example in examples:
        contexts = [rng.choice(example.positives)]
        negatives = list(example.negatives)
        rng.shuffle(negatives)
        contexts += negatives[: recipe.negatives_per_question]
        question = example.question
        if glossary is not None and gloss_rng.random() < recipe.glossed_share:
            question = english_question(question, glossary, gloss_rng)
        elif names is not None and miss_rng.random() < recipe.near_miss_share:
            missed = near_miss(question, contexts[0].text, names, miss_rng)
            if missed is not None:
                windows += _windows_for(tokenizer, missed, [Context(contexts[0].text)], config)
        windows += _windows_for(tokenizer, question, contexts, config)
    rng.shuffle(windows)
    # Similar lengths share a batch (less padding); batches are then shuffled.
    chunk = recipe.batch_size * 50
    batches = []
    for i in range(0, len(windows), chunk):
        part = sorted(windows[i:i + chunk], key=lambda w: len(w[0]))
        for j in range(0, len(part), recipe.batch_size):
            rows = part[j:j + recipe.batch_size]
            batches.append(_Batch([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]))
    rng.shuffle(batches)
    return batches


def _parameter_groups(model: Any, recipe: Recipe, layers: int) -> list[dict[str, Any]]:
    groups: dict[tuple[float, float], list[Any]] = {}
    for name, parameter in model.named_parameters():
        if not parameter.requires_grad:
            continue
        if name.startswith("qa_outputs"):
            lr = recipe.head_lr
        elif ".layer." in name:
            depth = int(name.split(".layer.")[1].split(".")[0])
            lr = recipe.lr * recipe.layer_decay ** (layers - 1 - depth)
        else:  # embeddings
            lr = recipe.lr * recipe.layer_decay ** layers
        decay = 0.0 if name.endswith("bias") or "LayerNorm" in name else recipe.weight_decay
        groups.setdefault((lr, decay), []).append(parameter)
    return [{"params": ps, "lr": lr, "initial_lr": lr, "weight_decay": wd}
            for (lr, wd), ps in groups.items()]


def load_base(base_dir: Path, attention_dropout: float = 0.0) -> tuple[Any, Any]:
    """The rebuilt e5 folder as a span reader (random head) and its tokenizer."""
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()
    tokenizer = load_tokenizer(str(base_dir))
    import torch

    encoder = AutoModel.from_pretrained(str(base_dir), dtype=torch.float32, add_pooling_layer=False,
                                        attention_probs_dropout_prob=attention_dropout)
    return build_span_reader(encoder), tokenizer


def bf16_supported() -> bool:
    """Whether this CPU computes bf16 natively (AVX-512 BF16 / AMX). Elsewhere torch emulates it,
    and bf16 autocast runs several times slower than fp32 (seen on an AVX2-only EPYC: 4 training
    steps took about 100 s), so training falls back to fp32 there."""
    import torch

    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def pad_batch(input_ids: list[list[int]], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """Right-padded id and attention-mask arrays for a batch of windows."""
    width = max(len(ids) for ids in input_ids)
    ids = np.full((len(input_ids), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(input_ids), width), dtype=np.int64)
    for i, row in enumerate(input_ids):
        ids[i, : len(row)] = row
        mask[i, : len(row)] = 1
    return ids, mask


def torch_forward(model: Any, pad_id: int, bf16: bool, batch_size: int = 32) -> Forward:
    """The torch model being trained as a `qa.reader.Forward` (padded batches, no gradients)."""
    import torch

    def forward(windows: list[list[int]]) -> list[tuple[np.ndarray, np.ndarray]]:
        model.eval()
        out: list[tuple[np.ndarray, np.ndarray]] = []
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            for i in range(0, len(windows), batch_size):
                ids, mask = pad_batch(windows[i:i + batch_size], pad_id)
                start, end = model(torch.from_numpy(ids), torch.from_numpy(mask))
                out += list(zip(start.float().numpy(), end.float().numpy(), strict=True))
        return out

    return forward


def evaluate(forward: Forward, tokenizer: Any, examples: Sequence[ReaderExample], config: ReaderConfig,
             glossed: bool = False) -> dict[str, float]:
    """Reader-dev figures: F1 / EM of the best span over all of a question's contexts (answer and
    distractors), and how well the margin separates "answer here" from "answer hidden".
    `glossed`: the questions asked in English words (`train.glossed`) instead."""
    f1s, ems, shown, hidden = [], [], [], []
    glossary, rng = (shared_glossary(), random.Random(0)) if glossed else (None, None)
    for example in examples:
        contexts = [c.text for c in example.positives] + [c.text for c in example.negatives]
        question = example.question
        if glossary is not None and rng is not None:
            question = english_question(question, glossary, rng)
        spans = read_spans(forward, tokenizer, question, contexts, config)
        n_pos = len(example.positives)
        if not spans:
            continue
        best = max(spans, key=lambda s: s.margin)
        text = contexts[best.context_index][best.start:best.end]
        f1s.append(char_f1(text, example.answers))
        ems.append(exact_match(text, example.answers))
        shown.append(best.margin)
        negative = [s.margin for s in spans if s.context_index >= n_pos]
        if negative:
            hidden.append(max(negative))
    return {"questions": len(f1s), "f1": float(np.mean(f1s)) if f1s else 0.0,
            "em": float(np.mean(ems)) if ems else 0.0, "auc": _auc(shown, hidden)}


def _auc(positive: list[float], negative: list[float]) -> float:
    if not positive or not negative:
        return float("nan")
    pos = np.asarray(positive)
    neg = np.asarray(negative)
    return float((pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean())


def _lay_over(model: Any, init: Path) -> dict[str, Any]:
    """Load a shipped reader's weights (checked against its recorded sha256) into `model`; returns
    what the metadata records of where training started."""
    from safetensors.torch import load_file

    meta = json.loads((init / META_NAME).read_text(encoding="utf-8"))
    digest = file_sha256(init / WEIGHTS_NAME)
    if digest != meta.get("sha256"):
        raise RuntimeError(f"{init / WEIGHTS_NAME} does not match the sha256 in its {META_NAME}")
    state = {k: v.float() for k, v in load_file(str(init / WEIGHTS_NAME)).items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or set(missing) - set(FROZEN_PARAMETERS):
        raise RuntimeError(f"{init} does not fit the base model")
    return {"sha256": digest, "steps": meta.get("steps"), "recipe": meta.get("recipe"),
            "rescheduled": meta.get("rescheduled", [])}


def _atomic_torch_save(obj: Any, path: Path) -> None:
    import torch

    tmp = path.with_name(f".{path.name}.tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def save_weights(model: Any, out_dir: Path, meta: dict[str, Any]) -> Path:
    """The trained weights (fp16 safetensors, word embeddings left out) and their metadata."""
    import torch
    from safetensors.torch import save_file

    out_dir.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to(dtype=torch.float16).contiguous()
             for k, v in model.state_dict().items() if k not in FROZEN_PARAMETERS}
    tmp = out_dir / f".{WEIGHTS_NAME}.tmp"
    save_file(state, str(tmp), metadata={"format": str(READER_FORMAT)})
    os.replace(tmp, out_dir / WEIGHTS_NAME)
    digest = file_sha256(out_dir / WEIGHTS_NAME)
    meta = {**meta, "format": READER_FORMAT, "sha256": digest}
    tmp_meta = out_dir / f".{META_NAME}.tmp"
    tmp_meta.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp_meta, out_dir / META_NAME)
    return out_dir / WEIGHTS_NAME


def train(data_dir: Path, work_dir: Path, out_dir: Path, base_dir: Path, recipe: Recipe | None = None,
          config: ReaderConfig | None = None, max_steps: int | None = None, limit: int | None = None,
          progress: bool = True, init: Path | None = None) -> dict[str, Any]:
    """Train (or resume) the reader; writes checkpoints to `work_dir`, the weights to `out_dir`.

    `init`: a reader weights folder (`reader.safetensors` + `reader.json`) to start from instead of
    a random head, with a fresh optimizer and schedule (to go on training a shipped reader whose
    checkpoint is gone). `max_steps` and `limit` (questions per split) shrink a run for tests and
    probes.
    """
    import torch
    from tqdm import tqdm

    recipe = recipe or Recipe()
    config = config or ReaderConfig()
    torch.set_num_threads(os.cpu_count() or 1)
    torch.manual_seed(recipe.seed)
    bf16 = recipe.bf16 and bf16_supported()  # the recipe's wish; fp32 where bf16 is emulated
    train_examples = read_examples(Path(data_dir) / "train.jsonl")[:limit]
    dev_examples = read_examples(Path(data_dir) / "dev.jsonl")[:limit]
    model, tokenizer = load_base(base_dir, recipe.attention_dropout)
    started_from = _lay_over(model, Path(init)) if init is not None else None
    forward = torch_forward(model, tokenizer.pad_token_id, bf16)  # reader-dev figures while training
    for name, parameter in model.named_parameters():
        parameter.requires_grad_(name not in FROZEN_PARAMETERS)
    layers = model.encoder.config.num_hidden_layers
    optimizer = torch.optim.AdamW(_parameter_groups(model, recipe, layers))
    names = NameBank(e.question for e in train_examples) if recipe.near_miss_share > 0 else None
    steps_per_epoch = len(epoch_batches(train_examples, tokenizer, config, recipe, 0, names))
    total = max(1, math.ceil(steps_per_epoch * recipe.epochs))
    if max_steps is not None:
        total = min(total, max_steps)
    warmup = max(1, int(total * recipe.warmup))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (total - step) / max(1, total - warmup))))
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    checkpoint = work_dir / CHECKPOINT_NAME
    history_path = work_dir / "history.jsonl"
    step = 0
    rescheduled: list[dict[str, Any]] = []
    if checkpoint.exists():
        state = torch.load(checkpoint, weights_only=False)
        # A resumed run may be lengthened and may add glossed questions to the epochs still to
        # come; any other change is a different recipe.
        extendable = ("epochs", "glossed_share", "glossed_from_epoch")
        before = {**asdict(Recipe()), **state["recipe"]}
        now = asdict(recipe)
        if {k: v for k, v in before.items() if k not in extendable} != {
                k: v for k, v in now.items() if k not in extendable}:
            raise RuntimeError(f"{checkpoint} belongs to another recipe; remove {work_dir} to start over")
        rescheduled = list(state.get("rescheduled", []))
        changed = {k: now[k] for k in extendable if before[k] != now[k]}
        if changed:  # the decay follows the new length
            log.info("resuming with %s instead of %s (%d steps instead of %d)", changed,
                     {k: before[k] for k in changed}, total, state["total"])
            rescheduled.append({"at_step": state["step"], "from": {k: before[k] for k in changed},
                                "to": changed})
        model.load_state_dict(state["model"], strict=False)
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        step = state["step"]
        log.info("resuming at step %d of %d", step, total)

    def save_checkpoint() -> None:
        trainable = {k: v for k, v in model.state_dict().items() if k not in FROZEN_PARAMETERS}
        _atomic_torch_save({"model": trainable, "optimizer": optimizer.state_dict(),
                            "scheduler": scheduler.state_dict(), "step": step, "total": total,
                            "recipe": asdict(recipe), "rescheduled": rescheduled}, checkpoint)

    def record(entry: dict[str, Any]) -> None:
        with history_path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")

    bar = tqdm(total=total, initial=step, desc="training reader", unit="step", disable=not progress,
               dynamic_ncols=True)
    started = time.time()
    losses: list[float] = []
    epoch, epoch_start = 0, 0  # epochs differ a little in length (contexts overflow differently)
    while step < total:
        batches = epoch_batches(train_examples, tokenizer, config, recipe, epoch, names)
        if step >= epoch_start + len(batches):  # resuming past this epoch
            epoch, epoch_start = epoch + 1, epoch_start + len(batches)
            continue
        for batch in batches[step - epoch_start:]:
            if step >= total:
                break
            model.train()
            ids, mask = pad_batch(batch.ids, tokenizer.pad_token_id)
            ids_t, mask_t = torch.from_numpy(ids), torch.from_numpy(mask)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                start, end = model(ids_t, mask_t)
            start = start.float().masked_fill(mask_t == 0, -1e4)
            end = end.float().masked_fill(mask_t == 0, -1e4)
            loss = (torch.nn.functional.cross_entropy(start, torch.tensor(batch.starts))
                    + torch.nn.functional.cross_entropy(end, torch.tensor(batch.ends))) / 2
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            losses.append(float(loss.detach()))
            bar.update(1)
            bar.set_postfix(loss=f"{np.mean(losses[-50:]):.3f}", epoch=epoch)
            if step % recipe.checkpoint_every == 0 or step == total:
                save_checkpoint()
                record({"step": step, "epoch": epoch,
                        "loss": float(np.mean(losses[-recipe.checkpoint_every:])),
                        "elapsed_s": round(time.time() - started, 1)})
            if step % recipe.eval_every == 0 and step < total:
                figures = evaluate(forward, tokenizer, dev_examples[: recipe.eval_questions], config)
                record({"step": step, "dev_sample": figures})
                bar.write(f"step {step}: reader-dev sample {figures}")
        epoch, epoch_start = epoch + 1, epoch_start + len(batches)
    bar.close()
    figures = evaluate(forward, tokenizer, dev_examples, config)
    record({"step": step, "dev": figures})
    meta = {"recipe": asdict(recipe), "config": config.as_dict(), "steps": step, "rescheduled": rescheduled,
            "train_questions": len(train_examples), "dev_questions": len(dev_examples),
            "reader_dev": figures, "bf16_used": bf16}
    if started_from is not None:
        meta["started_from"] = started_from
    if recipe.glossed_share > 0:
        meta["reader_dev_glossed"] = evaluate(forward, tokenizer, dev_examples, config, glossed=True)
        record({"step": step, "dev_glossed": meta["reader_dev_glossed"]})
    save_weights(model, Path(out_dir), meta)
    return meta


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m train.reader`: build the data if needed, then train or resume."""
    import argparse

    from index import Settings
    from index.model_build import ensure_e5_model

    from .data import write_examples

    parser = argparse.ArgumentParser(prog="python -m train.reader", description=__doc__.split("\n")[0])
    parser.add_argument("--benchmarks", type=Path, default=Path("../shared/benchmarks"),
                        help="folder holding drcd/ and cmrc2018/ (only the train pool is read)")
    parser.add_argument("--data", type=Path, default=Path("artifacts/reader-data"),
                        help="where the training examples are written (built when missing)")
    parser.add_argument("--work", type=Path, default=Path("artifacts/reader-train"),
                        help="checkpoints and the training log; re-running resumes from here")
    parser.add_argument("--out", type=Path, default=Path("qa/reader_model"),
                        help="where the trained weights are written")
    parser.add_argument("--epochs", type=float, default=Recipe.epochs)
    parser.add_argument("--lr", type=float, default=Recipe.lr)
    parser.add_argument("--glossed-share", type=float, default=Recipe.glossed_share,
                        help="share of questions asked in English words (train.glossed)")
    parser.add_argument("--glossed-from-epoch", type=int, default=Recipe.glossed_from_epoch,
                        help="first epoch with glossed questions")
    parser.add_argument("--near-miss-share", type=float, default=Recipe.near_miss_share,
                        help="share of questions that also give a near-miss 'no answer' example")
    parser.add_argument("--init", type=Path, default=None,
                        help="start from this reader weights folder (fresh optimizer), not a random head")
    parser.add_argument("--warmup", type=float, default=Recipe.warmup, help="share of steps warming up")
    parser.add_argument("--max-steps", type=int, default=None, help="stop after this many steps")
    parser.add_argument("--limit", type=int, default=None, help="use only the first N questions per split")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if not (args.data / "train.jsonl").exists():
        counts = write_examples(args.data, args.benchmarks)
        log.info("training data: %s", counts)
    base = ensure_e5_model(Settings().models_dir)
    recipe = Recipe(epochs=args.epochs, lr=args.lr, glossed_share=args.glossed_share,
                    glossed_from_epoch=args.glossed_from_epoch, near_miss_share=args.near_miss_share,
                    warmup=args.warmup)
    meta = train(args.data, args.work, args.out, base, recipe, max_steps=args.max_steps, limit=args.limit,
                 init=args.init)
    print(json.dumps(meta["reader_dev"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
