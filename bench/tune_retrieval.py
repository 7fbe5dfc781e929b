"""Tune retrieval fusion offline on a benchmark's dev split: score every signal once, then sweep.

Builds (or reuses) the benchmark's cached index, embeds all questions once, and reports paragraph
R@1/R@5 for a grid of fusion weights. Dev splits only: never point this at a test split.
Usage: python bench/tune_retrieval.py [drcd-dev|xquad-en-zh|...] [--limit N]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np

from eval.benchmarks import load_benchmark
from eval.run import benchmark_corpus
from index import Settings
from index.text import han_ratio, tokenize


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", nargs="?", default="drcd-dev")
    parser.add_argument("--benchmarks", type=Path, default=Path("../shared/benchmarks"))
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args(argv)
    if "test" in args.name:
        parser.error("tune on dev splits only")
    bench = load_benchmark(args.name, root=args.benchmarks)
    corpus = benchmark_corpus(bench, Settings(), progress=sys.stderr.isatty())
    library = corpus.library
    snap = library.snapshot
    paragraph = corpus.paragraph_of
    items = bench.items[: args.limit] if args.limit else bench.items
    # passages grouped by paragraph (contiguous per article in snapshot order)
    owner = np.array([paragraph[p.article_id] for p in snap.passages])
    starts = np.r_[0, np.flatnonzero(owner[1:] != owner[:-1]) + 1]
    para_ids = owner[starts]
    from qa.retrieve import derive_facts

    facts = derive_facts(snap)
    started = time.perf_counter()
    qv = library.embedder.embed_queries([it.question for it in items])
    print(f"embedded {len(items)} questions in {time.perf_counter() - started:.0f}s", file=sys.stderr)
    dense = qv @ snap.vectors.T
    sent = qv @ snap.sentence_vectors.T
    best = np.empty_like(dense)
    for j, (a, b) in enumerate(zip(facts.sentence_start, facts.sentence_end, strict=True)):
        best[:, j] = sent[:, a:b].max(axis=1) if b > a else dense[:, j]
    bm25 = np.stack([snap.lexical.scores(tokenize(it.question)) for it in items])
    bm25n = bm25 / np.maximum(bm25.max(axis=1, keepdims=True), 1e-9)
    qhan = np.array([han_ratio(it.question) >= 0.3 for it in items])
    mask = (qhan[:, None] == (facts.passage_han >= 0.3)[None, :]).astype(np.float64)
    gold = np.array([it.article for it in items])

    def recall(fused: np.ndarray) -> tuple[float, float]:
        para_scores = np.maximum.reduceat(fused, starts, axis=1)
        order = np.argsort(-para_scores, axis=1)[:, :5]
        top = para_ids[order]
        return float(np.mean(top[:, 0] == gold)), float(np.mean((top == gold[:, None]).any(axis=1)))

    results = []
    for sw, lw in itertools.product([0.0, 0.25, 0.5, 1.0, 2.0], [0.0, 0.02, 0.05, 0.08, 0.12, 0.2]):
        d = (dense + sw * best) / (1 + sw)
        r1, r5 = recall(d + lw * mask * bm25n)
        results.append({"sentence_weight": sw, "lexical_weight": lw, "R@1": round(r1, 4),
                        "R@5": round(r5, 4)})
    r1, r5 = recall(bm25 * mask)
    results.append({"mode": "lexical", "R@1": round(r1, 4), "R@5": round(r5, 4)})
    results.sort(key=lambda r: (r["R@1"], r["R@5"]), reverse=True)
    print(json.dumps(results[:12], indent=1))
    dense_only = [r for r in results if r.get("lexical_weight") == r.get("sentence_weight") == 0.0]
    print(json.dumps(dense_only))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
