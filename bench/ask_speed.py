"""Benchmark: `ask` latency per stage, on the built-in corpus and with the DRCD dev corpus loaded.

Warms up once, then asks each question once and reports p50/p95/max per stage (resolve, embed,
retrieve, answer = the reader, total), and the process's peak memory. With a train-pool benchmark
loaded (DRCD dev), the questions asked are those of its reader-dev articles, which the reader never
trained on: on the questions it trained on it is surer, so it stops reading early more often and
would look faster than on a user's questions.
Usage: python bench/ask_speed.py [--questions 300] [--out docs/bench]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
from pathlib import Path

from eval.benchmarks import load_benchmark
from eval.gold import load_gold
from eval.metrics import latency_summary
from eval.run import benchmark_corpus
from index import Settings
from qa import ArticleQA
from train.data import TRAIN_POOL, dev_document_ids


def measure(engine: ArticleQA, questions: list[str]) -> dict[str, dict[str, float | None]]:
    """Per-stage latency summaries (ms) over one ask per question, after a warm-up."""
    engine.ask(questions[0])
    stages: dict[str, list[float]] = {}
    for question in questions:
        for stage, ms in engine.ask(question).timings_ms.items():
            stages.setdefault(stage, []).append(ms)
    return {stage: {k: (round(v, 1) if isinstance(v, float) else v)
                    for k, v in vars(latency_summary(values)).items()}
            for stage, values in stages.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benchmarks", type=Path, default=Path("../shared/benchmarks"))
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--benchmark", default="drcd-dev",
                        help="the benchmark whose paragraphs are loaded (its index is built once)")
    parser.add_argument("--out", type=Path, default=Path("docs/bench"))
    args = parser.parse_args(argv)
    settings = Settings()
    builtin = ArticleQA(settings)
    gold = [item.question for item in load_gold(Path("eval/gold/builtin-dev.jsonl"))]
    result = {"builtin": measure(builtin, gold)}
    bench = load_benchmark(args.benchmark, root=args.benchmarks)
    library = benchmark_corpus(bench, settings, builtin.library.embedder, sys.stderr.isatty()).library
    drcd = ArticleQA(library.settings, library=library)
    items = list(bench.items)
    if bench.name in TRAIN_POOL:  # only the questions the reader never trained on
        dev = dev_document_ids(bench.name, bench)
        items = [item for item in items if item.article in dev]
    result[bench.name] = measure(drcd, [item.question for item in items[: args.questions]])
    result[bench.name]["passages_loaded"] = {"count": len(library.snapshot.passages)}
    result[bench.name]["questions_asked"] = {
        "count": min(len(items), args.questions),
        "which": "reader-dev articles (never trained on)" if bench.name in TRAIN_POOL else "first"}
    # Linux reports ru_maxrss in KiB: both corpora, the embedder and the reader loaded at once.
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "ask-speed.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
