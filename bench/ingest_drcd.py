"""Benchmark: ingest every DRCD dev context, then dense-only paragraph recall over all questions.

Reports ingest speed (passages/s), peak memory, and recall@1/5/20 of the gold paragraph.
Usage: python bench/ingest_drcd.py [--benchmarks ../shared/benchmarks] [--name drcd-dev] [--out docs/]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from eval.benchmarks import load_benchmark
from eval.metrics import hit_at_k, mrr_at_k
from index import Library, Settings
from index.ingest import article_from_text
from qa.retrieve import Retriever


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benchmarks", type=Path, default=Path("../shared/benchmarks"))
    parser.add_argument("--name", default="drcd-dev", help="benchmark name (see eval.benchmarks)")
    parser.add_argument("--out", type=Path, default=Path("docs/bench"),
                        help="folder for the JSON result")
    parser.add_argument("--home", type=Path, default=None, help="articleqa home (model cache)")
    parser.add_argument("--passage-chars", type=int, default=None, help="override the window size")
    parser.add_argument("--overlap", type=int, default=None, help="override the sentence overlap")
    args = parser.parse_args(argv)

    bench = load_benchmark(args.name, root=args.benchmarks)
    with tempfile.TemporaryDirectory(prefix="aqa-bench-") as tmp:
        base = Settings() if args.home is None else Settings(home=args.home)
        overrides: dict[str, object] = {"index_dir": Path(tmp) / "index"}
        if args.passage_chars:
            overrides["passage_chars"] = args.passage_chars
        if args.overlap is not None:
            overrides["passage_overlap_sentences"] = args.overlap
        settings = base.with_(**overrides)
        started = time.perf_counter()
        library = Library(settings, seed_builtin=False)
        load_s = time.perf_counter() - started
        articles = [article_from_text(doc.title, doc.text, f"{bench.name}:{doc.id}")
                    for doc in bench.documents]
        paragraph_of = {a.id: doc.id for a, doc in zip(articles, bench.documents, strict=True)}
        started = time.perf_counter()
        report = library.apply(add=articles, progress=sys.stderr.isatty())
        ingest_s = time.perf_counter() - started
        snapshot = library.snapshot

        questions = [item.question for item in bench.items]
        started = time.perf_counter()
        vectors = library.embedder.embed_queries(questions)
        _, positions = snapshot.search(vectors, min(100, len(snapshot.passages)))
        query_s = time.perf_counter() - started
        # The product's dense mode: passage cosine fused with the best sentence cosine (no BM25).
        dense_mode = Retriever(library, settings.with_(retrieval_mode="dense"))
        fused_rows = [[h.passage.article_id for h in dense_mode.rank(
            dense_mode.score(q, query_vector=v, snapshot=snapshot), 100, snapshot)]
            for q, v in zip(questions, vectors, strict=True)]

    def paragraph_recall(rankings: list[list[str]]) -> dict[str, float]:
        values: dict[str, list[float]] = {"R@1": [], "R@5": [], "R@20": [], "MRR@10": []}
        for item, article_ids in zip(bench.items, rankings, strict=True):
            ranked = list(dict.fromkeys(paragraph_of[a] for a in article_ids))
            gold = {item.article}
            for k in (1, 5, 20):
                values[f"R@{k}"].append(hit_at_k(ranked, gold, k))
            values["MRR@10"].append(mrr_at_k(ranked, gold, 10))
        return {name: round(float(np.mean(v)), 4) for name, v in values.items()}

    passage_only = paragraph_recall([[snapshot.passages[int(p)].article_id for p in row if p >= 0]
                                     for row in positions])

    result = {
        "benchmark": bench.name,
        "documents": len(bench.documents),
        "questions": len(bench.items),
        "passages": report.passages,
        "sentences_embedded": report.embedded_sentences,
        "model_load_s": round(load_s, 1),
        "ingest_s": round(ingest_s, 1),
        "passages_per_s": round(report.passages / ingest_s, 1),
        "query_ms_per_question": round(1000 * query_s / len(questions), 1),
        "peak_rss_mb": round(_peak_rss_mb()),
        "passage_vectors_only": passage_only,
        "dense_mode": paragraph_recall(fused_rows),
        "settings": {"passage_chars": settings.passage_chars,
                     "overlap": settings.passage_overlap_sentences, "model": settings.model},
    }
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"ingest-{bench.name}-{settings.passage_chars}c.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
