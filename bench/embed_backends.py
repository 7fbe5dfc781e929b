"""Benchmark: the torch fp32 and int8 ONNX embedding backends side by side, in one run.

For each backend, in a child process of its own (so that peak memory is that backend's): every
DRCD dev paragraph ingested into a fresh index (seconds, texts/s), hybrid R@1 / R@5 of the gold
paragraph over all DRCD dev questions (the product's weighted retrieval, scored by eval.run's
retrieval_scores), single-question embedding p50 / p95, peak RSS. The int8 child also ranks its
query vectors against the fp32 index (the evidence for refusing or reusing an index built by the
other backend). DRCD dev is in the benchmark train pool, which is fine here: nothing is trained.

Usage: nice -n 10 python bench/embed_backends.py [--benchmarks ../shared/benchmarks] [--out docs/bench]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from eval.benchmarks import Benchmark, load_benchmark
from eval.run import Corpus, item_relevance, retrieval_scores
from index import Library, Settings
from index.embed import Embedder, ModelFingerprint
from index.ingest import article_from_text
from qa.retrieve import Retriever

BACKENDS = ("torch", "onnx-int8")
QUERY_TIMING_QUESTIONS = 300


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_description() -> dict[str, Any]:
    """The CPU's model name and the integer-kernel extensions ONNX Runtime's int8 speed rests on
    (AVX-512 VNNI multiplies int8 several times as fast as AVX2 alone)."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return {}
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    fields = {k.strip(): v.strip() for k, v in fields.items()}
    flags = set(fields.get("flags", "").split())
    return {"model": fields.get("model name", "?"),
            "int8_extensions": sorted(flags & {"avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8"})}


def _load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


class _WithFingerprint:
    """An embedder presenting another fingerprint, so a library built by the other backend opens
    (bench only: it measures what mixing the two backends' vectors would do to recall)."""

    def __init__(self, embedder: Embedder, fingerprint: ModelFingerprint) -> None:
        self._embedder = embedder
        self.fingerprint = fingerprint

    def __getattr__(self, name: str) -> Any:
        return getattr(self._embedder, name)


def _corpus(library: Library, bench: Benchmark) -> Corpus:
    paragraph_of = {a.id: a.source.split(":", 1)[1] for a in library.snapshot.articles.values()}
    articles_of: dict[str, list[str]] = {}
    for article_id, paragraph in paragraph_of.items():
        articles_of.setdefault(paragraph, []).append(article_id)
    return Corpus(library=library, description=bench.name, paragraph_of=paragraph_of,
                  articles_of=articles_of)


def _hybrid_recall(library: Library, bench: Benchmark, vectors: np.ndarray) -> dict[str, float]:
    """R@1 / R@5 of the gold paragraph with the product's default (weighted hybrid) retrieval."""
    corpus = _corpus(library, bench)
    retriever = Retriever(library)
    snapshot = library.snapshot
    hits1, recalls5 = [], []
    for item, vector in zip(bench.items, vectors, strict=True):
        ranked_hits = retriever.rank(retriever.score(item.question, query_vector=vector,
                                                     snapshot=snapshot), 20, snapshot)
        ranked = list(dict.fromkeys(corpus.paragraph_of[h.passage.article_id] for h in ranked_hits))
        scores = retrieval_scores(ranked, item_relevance(item, corpus)["passage"])
        hits1.append(scores["hit@1"])
        recalls5.append(scores["recall@5"])
    return {"R@1": round(float(np.mean(hits1)), 4), "R@5": round(float(np.mean(recalls5)), 4)}


def run_backend(backend: str, bench: Benchmark, index_dir: Path, home: Path | None,
                fp32_index: Path | None) -> dict[str, Any]:
    """Ingest, recall and query timings for one backend (run in its own process)."""
    base = Settings() if home is None else Settings(home=home)
    settings = base.with_(index_dir=index_dir, embed_backend=backend)
    load_avg_before = _load_average()
    started = time.perf_counter()
    embedder = Embedder(settings)
    load_s = time.perf_counter() - started
    library = Library(settings, embedder=embedder, seed_builtin=False)
    articles = [article_from_text(doc.title, doc.text, f"{bench.name}:{doc.id}") for doc in bench.documents]
    started = time.perf_counter()
    report = library.apply(add=articles, progress=sys.stderr.isatty())
    ingest_s = time.perf_counter() - started
    texts = report.embedded + report.embedded_sentences

    questions = [item.question for item in bench.items]
    vectors = embedder.embed_queries(questions)
    single_ms = []
    for question in questions[:QUERY_TIMING_QUESTIONS]:
        started = time.perf_counter()
        embedder.embed_queries([question])
        single_ms.append(1000 * (time.perf_counter() - started))
    result: dict[str, Any] = {
        "backend": embedder.fingerprint.backend,
        "fingerprint": embedder.fingerprint.as_dict(),
        "model_load_s": round(load_s, 1),
        "passages": report.passages,
        "texts_embedded": texts,
        "ingest_s": round(ingest_s, 1),
        "texts_per_s": round(texts / ingest_s, 1),
        "query_embed_ms": {"p50": round(float(np.percentile(single_ms, 50)), 1),
                           "p95": round(float(np.percentile(single_ms, 95)), 1),
                           "questions": len(single_ms)},
        "hybrid": _hybrid_recall(library, bench, vectors),
        "load_average_before": load_avg_before,
        "load_average_after": _load_average(),
    }
    if fp32_index is not None:  # int8 questions over the fp32 vectors
        torch_print = ModelFingerprint(**{**embedder.fingerprint.__dict__, "backend": "torch"})
        other = Library(settings.with_(index_dir=fp32_index),
                        embedder=_WithFingerprint(embedder, torch_print),  # type: ignore[arg-type]
                        seed_builtin=False)
        result["hybrid_queries_over_fp32_index"] = _hybrid_recall(other, bench, vectors)
        fp32_rows = {p.id: i for i, p in enumerate(other.snapshot.passages)}
        own = library.snapshot
        pairs = [(fp32_rows[p.id], i) for i, p in enumerate(own.passages) if p.id in fp32_rows]
        if pairs:
            a, b = (np.array(side) for side in zip(*pairs, strict=True))
            cos = np.sum(other.snapshot.vectors[a] * own.vectors[b], axis=1)
            result["passage_vector_cosine_to_fp32"] = {"mean": round(float(cos.mean()), 4),
                                                       "min": round(float(cos.min()), 4),
                                                       "passages": len(pairs)}
    result["peak_rss_mb"] = round(_peak_rss_mb())
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benchmarks", type=Path, default=Path("../shared/benchmarks"))
    parser.add_argument("--name", default="drcd-dev")
    parser.add_argument("--out", type=Path, default=Path("docs/bench"))
    parser.add_argument("--home", type=Path, default=None, help="articleqa home (model cache)")
    parser.add_argument("--documents", type=int, default=None,
                        help="only the first N paragraphs and their questions (a quick check)")
    parser.add_argument("--child", choices=BACKENDS, help=argparse.SUPPRESS)
    parser.add_argument("--index", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--fp32-index", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    bench = load_benchmark(args.name, root=args.benchmarks)
    if args.documents:
        documents = bench.documents[:args.documents]
        kept = {d.id for d in documents}
        bench = replace(bench, documents=documents,
                        items=tuple(i for i in bench.items if i.article in kept))
    if args.child:
        print(json.dumps(run_backend(args.child, bench, args.index, args.home, args.fp32_index)))
        return 0

    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="aqa-backends-") as tmp:
        for backend in BACKENDS:
            command = [sys.executable, __file__, "--benchmarks", str(args.benchmarks), "--name", args.name,
                       *(["--documents", str(args.documents)] if args.documents else []),
                       "--child", backend, "--index", str(Path(tmp) / backend)]
            if args.home is not None:
                command += ["--home", str(args.home)]
            if backend != "torch":
                command += ["--fp32-index", str(Path(tmp) / "torch")]
            print(f"running {backend} ...", file=sys.stderr)
            done = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)
            results[backend] = json.loads(done.stdout.strip().splitlines()[-1])
            print(json.dumps(results[backend], indent=2), file=sys.stderr)
    fp32, int8 = results["torch"], results["onnx-int8"]
    summary = {
        "benchmark": bench.name,
        "documents": len(bench.documents),
        "questions": len(bench.items),
        "cpu_cores": os.cpu_count(),
        "cpu": cpu_description(),
        "ingest_speedup": round(fp32["ingest_s"] / int8["ingest_s"], 2),
        "hybrid_R@1_delta": round(int8["hybrid"]["R@1"] - fp32["hybrid"]["R@1"], 4),
        "hybrid_R@5_delta": round(int8["hybrid"]["R@5"] - fp32["hybrid"]["R@5"], 4),
        "backends": results,
        "note": ("each backend ran in its own process, one after the other; load_average_* show "
                 "whether the machine was shared (2 cores; more than ~0.5 before a run means "
                 "another job was busy)"),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / ("embed-backends.json" if not args.documents else "embed-backends-quick.json")
    out.write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
