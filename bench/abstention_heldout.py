"""Report (never tune) the reader's abstention on a held-out benchmark with each question's gold
paragraph hidden, at the configured threshold: the share of such on-topic unanswerable questions
it abstains on, beside its false abstentions on the same questions asked normally.
Usage: python bench/abstention_heldout.py drcd-test [--every 4] [--out docs/bench/abstention-drcd-test.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from calibrate_reader import collect, rates  # bench/ is the script's folder

from eval.benchmarks import load_benchmark
from eval.run import benchmark_corpus
from index import Settings
from qa import ArticleQA


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("benchmark")
    parser.add_argument("--benchmarks", type=Path, default=Path("../shared/benchmarks"))
    parser.add_argument("--every", type=int, default=1, help="use every n-th question")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    settings = Settings()
    bench = load_benchmark(args.benchmark, root=args.benchmarks)
    corpus = benchmark_corpus(bench, settings, None, sys.stderr.isatty())
    engine = ArticleQA(corpus.library.settings, library=corpus.library)
    sample = list(bench.items[:: args.every])
    rows = collect(engine, sample, bench.name)
    rows += collect(engine, sample, f"{bench.name}-hidden", hide=corpus.articles_of)
    result = {"benchmark": bench.name, "questions": len(sample), "threshold": settings.reader_threshold,
              **rates(rows, settings.reader_threshold)}
    print(json.dumps(result, ensure_ascii=False))
    if args.out:
        args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
