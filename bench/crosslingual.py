"""Do USE-multilingual and the CC-CEDICT glosses earn their place? Top-sentence accuracy of
cross-script questions by weight.

For English questions over Chinese text: how often the best-ranked sentence (`qa.sentences`, as
search shows it) holds a gold answer when USE-multilingual's cosine is added with weight u and the
share of the question's words the sentence's dictionary glosses hold with weight g (u = g = 0 is
e5 alone). The weights
are chosen on the built-in dev split; an XQuAD en->zh sample is shown as a check, not for choosing.
Usage: python bench/crosslingual.py [--xquad-every 8] [--out docs/bench/crosslingual.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from eval.benchmarks import load_benchmark
from eval.gold import GoldItem, load_gold
from eval.metrics import contains_answer
from eval.run import benchmark_corpus
from index import Settings
from index.text import is_han_text
from qa import ArticleQA
from qa.crosslingual import shared_scorer

USE_WEIGHTS = (0.0, 1.0, 2.0, 3.0)
GLOSS_WEIGHTS = (0.0, 0.5, 1.0, 1.5, 2.0)


def accuracy(engine: ArticleQA, items: list[GoldItem]) -> dict[str, float]:
    """Share of questions whose best-ranked sentence holds a gold answer, per (USE, gloss) weight."""
    scorer = shared_scorer()  # USE's cosines, whether or not the answerer's settings use them
    s = engine.settings
    held = {(u, g): 0 for u in USE_WEIGHTS for g in GLOSS_WEIGHTS}
    snapshot = engine.library.snapshot
    for item in items:
        scores = engine.retriever.score(item.question, snapshot=snapshot)
        hits = engine.retriever.rank(scores, s.answer_passages, snapshot)
        candidates = engine.sentences.rank(item.question, hits, scores, snapshot)
        glossed = np.array([c.coverage if is_han_text(c.sentence.text) else 0.0 for c in candidates])
        use = scorer.cosines(item.question, [c.sentence.text for c in candidates])
        base = np.array([c.score - s.crosslingual_weight * c.crosslingual for c in candidates]) \
            - s.crosslingual_gloss_weight * glossed
        for u, g in held:
            best = candidates[int(np.argmax(base + u * use + g * glossed))]
            held[(u, g)] += contains_answer(best.sentence.text, list(item.answers))
    return {f"use {u} gloss {g}": round(n / max(len(items), 1), 4) for (u, g), n in held.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benchmarks", type=Path, default=Path("../shared/benchmarks"))
    parser.add_argument("--xquad-every", type=int, default=8, help="use every n-th XQuAD question")
    parser.add_argument("--out", type=Path, help="write the figures as JSON")
    args = parser.parse_args(argv)
    settings = Settings()
    builtin = ArticleQA(settings)
    english = [i for i in load_gold(Path("eval/gold/builtin-dev.jsonl"))
               if i.answerable and "en" in i.tags and not i.conversation]
    started = time.perf_counter()
    result = {"builtin-dev English questions": {"questions": len(english),
                                                "top sentence holds gold": accuracy(builtin, english)}}
    bench = load_benchmark("xquad-en-zh", root=args.benchmarks)
    corpus = benchmark_corpus(bench, settings, builtin.library.embedder, sys.stderr.isatty())
    xquad = ArticleQA(corpus.library.settings, library=corpus.library)
    sample = list(bench.items[:: args.xquad_every])
    result["xquad-en-zh sample (check only)"] = {"questions": len(sample),
                                                 "top sentence holds gold": accuracy(xquad, sample)}
    result["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.out:
        args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
