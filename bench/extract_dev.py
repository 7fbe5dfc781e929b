"""Benchmark: short-answer extraction from the GOLD supporting sentence (qa.extract), dev sets only.

(a) built-in dev gold (answerable items): share of short answers that contain a gold answer, char
    F1 and EM, per question type; (b) DRCD dev (evidence[0] as the sentence): char F1 / EM of the
    short answer (the whole sentence when there is none) against answering with the whole sentence.
Usage: python bench/extract_dev.py [--benchmarks ../shared/benchmarks] [--limit N] [--show TYPE]
       python bench/extract_dev.py --fit   # refit qa.extract.WEIGHTS (from the current ones), with
                                           # 2-fold held-out figures; paste the printed dict back
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from eval.benchmarks import load_benchmark
from eval.gold import load_gold
from eval.metrics import char_f1, contains_answer, exact_match
from qa.extract import FEATURES, WEIGHTS, candidate_features, classify_question, extract_short_answer

ROOT = Path(__file__).resolve().parent.parent


def _table(title: str, rows: dict[str, list[tuple[float, ...]]], headers: Sequence[str]) -> None:
    """Print per-type means of each column, then the overall row."""
    print(f"\n{title}")
    print(f"{'type':<8} {'n':>5} " + " ".join(f"{h:>9}" for h in headers))
    everything: list[tuple[float, ...]] = []
    for qtype in sorted(rows, key=lambda t: -len(rows[t])):
        values = rows[qtype]
        everything += values
        means = [sum(col) / len(values) for col in zip(*values, strict=True)]
        print(f"{qtype:<8} {len(values):>5} " + " ".join(f"{m:>9.3f}" for m in means))
    if everything:
        means = [sum(col) / len(everything) for col in zip(*everything, strict=True)]
        print(f"{'ALL':<8} {len(everything):>5} " + " ".join(f"{m:>9.3f}" for m in means))


def builtin_dev(show: str | None) -> None:
    """Built-in dev gold: contains-rate, F1, EM of the short answer on the gold sentence."""
    items = [item for item in load_gold(ROOT / "eval/gold/builtin-dev.jsonl") if item.answerable]
    rows: dict[str, list[tuple[float, ...]]] = defaultdict(list)
    for item in items:
        sentence = item.evidence[0]
        answer = extract_short_answer(item.question, sentence)
        text = answer.text if answer else ""
        shown = text or sentence
        qtype = str(classify_question(item.question))
        rows[qtype].append((
            float(contains_answer(text, item.answers)) if text else 0.0,
            float(answer is not None),
            char_f1(text, item.answers) if text else 0.0,
            exact_match(text, item.answers) if text else 0.0,
            char_f1(shown, item.answers),
            char_f1(sentence, item.answers),
        ))
        if show and (show == qtype or show == "all"):
            mark = "ok " if text and contains_answer(text, item.answers) else "-- "
            print(f"{mark}[{qtype}] {item.question} -> {text!r} | gold {item.answers[0]!r}")
    _table(
        f"(a) built-in dev, gold sentence, {len(items)} answerable items",
        rows, ("contains", "answered", "f1", "em", "f1+sent", "f1 sent"),
    )


def drcd_dev(root: Path, limit: int | None, show: str | None) -> None:
    """DRCD dev: F1 / EM of the short answer (sentence as fallback) vs the whole sentence."""
    bench = load_benchmark("drcd-dev", root=root)
    items = [item for item in bench.items if item.evidence][:limit]
    rows: dict[str, list[tuple[float, ...]]] = defaultdict(list)
    started = time.perf_counter()
    for item in items:
        sentence = item.evidence[0]
        answer = extract_short_answer(item.question, sentence)
        text = answer.text if answer else sentence
        qtype = str(classify_question(item.question))
        f1 = char_f1(text, item.answers)
        rows[qtype].append((
            f1,
            exact_match(text, item.answers),
            float(answer is not None),
            char_f1(answer.text, item.answers) if answer else 0.0,
            char_f1(sentence, item.answers),
        ))
        if show and (show == qtype or show == "all") and f1 < 0.5:
            print(f"[{qtype}] {item.question} -> {text[:40]!r} | gold {item.answers[0]!r}")
    elapsed = time.perf_counter() - started
    _table(
        f"(b) DRCD dev, gold sentence, {len(items)} questions ({elapsed * 1000 / len(items):.2f} ms/q)",
        rows, ("f1", "em", "answered", "f1 short", "f1 sent"),
    )


FitData = list[tuple[np.ndarray, np.ndarray, float]]


def _fit_data(pairs: list[tuple[str, str, Sequence[str], float]]) -> FitData:
    """Per question: candidate feature matrix, candidate F1 against the gold, and item weight."""
    data = []
    for question, sentence, golds, weight in pairs:
        candidates = candidate_features(question, sentence)
        if not candidates:
            continue
        features = np.array([vector for _, _, vector in candidates], dtype=float)
        f1 = np.array([char_f1(sentence[a:b], golds) for a, b, _ in candidates], dtype=float)
        data.append((features, f1, weight))
    return data


def _argmax_f1(data: list[tuple[np.ndarray, np.ndarray, float]], w: np.ndarray) -> float:
    """Mean F1 of the top-scoring candidate per question."""
    return float(np.mean([f1[int(np.argmax(x @ w))] for x, f1, _ in data]))


def fit(data: list[tuple[np.ndarray, np.ndarray, float]], w0: np.ndarray, steps: int = 600,
        temperature: float = 10, l2: float = 1e-3) -> np.ndarray:
    """Adam on the expected F1 of softmax(temperature * score) over each question's candidates."""
    sizes = np.array([len(f1) for _, f1, _ in data])
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    x = np.concatenate([x for x, _, _ in data])
    y = np.concatenate([f1 for _, f1, _ in data])
    item_w = np.repeat(np.array([w for _, _, w in data]), sizes)
    item_w = item_w / item_w[offsets].sum()
    w = w0.copy()
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    for step in range(1, steps + 1):
        z = temperature * (x @ w)
        z -= np.repeat(np.maximum.reduceat(z, offsets), sizes)
        e = np.exp(z)
        p = e / np.repeat(np.add.reduceat(e, offsets), sizes)
        expected = np.repeat(np.add.reduceat(p * y, offsets), sizes)
        # d/dw of sum_i p_i y_i = temperature * sum_i p_i (y_i - E[y]) x_i
        grad = temperature * ((item_w * p * (y - expected))[:, None] * x).sum(axis=0) - l2 * w
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad**2
        w += 0.05 * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
    return w


def fit_weights(root: Path) -> None:
    """Fit WEIGHTS on DRCD dev (plus the built-in dev gold, weighted up); print 2-fold checks."""
    pairs: list[tuple[str, str, Sequence[str], float]] = []
    bench = load_benchmark("drcd-dev", root=root)
    pairs += [(i.question, i.evidence[0], i.answers, 1.0) for i in bench.items if i.evidence]
    builtin = [i for i in load_gold(ROOT / "eval/gold/builtin-dev.jsonl") if i.answerable]
    pairs += [(i.question, i.evidence[0], i.answers, 5.0) for i in builtin]
    started = time.perf_counter()
    data = _fit_data(pairs)
    print(f"{len(data)} questions, {sum(len(f) for _, f, _ in data)} candidates "
          f"({time.perf_counter() - started:.1f}s)")
    w0 = np.array([WEIGHTS.get(name, 0.0) for name in FEATURES])
    oracle = float(np.mean([f1.max() for _, f1, _ in data]))
    print(f"current weights: argmax F1 {_argmax_f1(data, w0):.3f} (oracle {oracle:.3f})")
    for name, train, test in (("A", data[0::2], data[1::2]), ("B", data[1::2], data[0::2])):
        w = fit(train, w0)
        print(f"fold {name}: train {_argmax_f1(train, w):.3f} held-out {_argmax_f1(test, w):.3f}")
    w = fit(data, w0)
    print(f"all: {_argmax_f1(data, w):.3f}")
    print("WEIGHTS = {" + ", ".join(f'"{n}": {v:.3f}' for n, v in zip(FEATURES, w, strict=True)) + "}")


def main(argv: list[str] | None = None) -> int:
    """Run both parts and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benchmarks", type=Path, default=ROOT.parent / "shared" / "benchmarks")
    parser.add_argument("--limit", type=int, default=None, help="first N DRCD questions only")
    parser.add_argument("--show", default=None, help="print misses of this type (or 'all')")
    parser.add_argument("--skip-builtin", action="store_true")
    parser.add_argument("--fit", action="store_true", help="refit qa.extract.WEIGHTS (prints them)")
    args = parser.parse_args(argv)
    if args.fit:
        fit_weights(args.benchmarks)
        return 0
    if not args.skip_builtin:
        builtin_dev(args.show)
    if args.benchmarks.is_dir():
        drcd_dev(args.benchmarks, args.limit, args.show)
    else:
        print(f"\n(b) skipped: no benchmarks at {args.benchmarks}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
