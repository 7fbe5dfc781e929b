"""Benchmark: retrieval at library scale, for each store, over one library with real-text distractors.

The library holds a benchmark's paragraphs (DRCD test by default: its questions are the ones asked)
plus distractor articles until it has `--passages` passages. A distractor is a run of 3-8
consecutive sentences of a paragraph from the *other* benchmark sets (DRCD dev, CMRC 2018 dev and
trial, XQuAD zh and en, ExpMRC-SQuAD), sometimes followed by 1-3 sentences of another paragraph, so
that every passage is real text and none holds a gold answer of the asked set. Nothing is trained
or tuned here: the held-out set only reports.

Embedding is the costly part (about 35 passages/s on 2 cores), so every vector is computed once and
cached by its content key under `--cache` (outside the repository; resumable: a killed run keeps
its finished chunks). Each store then builds its library from the cached vectors in a child process
of its own (so the peak memory is that store's) and reports build seconds, R@1 / R@5 of the gold
paragraph with the product's hybrid retrieval, search p50 / p95 (the question's embedding included),
`ask` p50 / p95 over the first `--ask` questions, peak RSS and the size on disk.

Usage: PYTHONPATH=. nice python bench/scale.py [--passages 200000] [--stores faiss milvus-lite]
       [--name drcd-test] [--ask 200] [--cache ~/.cache/articleqa-bench/scale] [--out docs/bench]
`--passages 0 --name drcd-dev` compares the stores on DRCD dev alone.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from eval.benchmarks import Benchmark, load_benchmark
from eval.run import Corpus, item_relevance, retrieval_scores
from index import Library, Settings
from index.embed import Embedder
from index.ingest import article_from_text
from index.records import Article
from index.split import make_passages
from index.store import VectorCache

DISTRACTOR_SETS = ("drcd-dev", "cmrc2018-dev", "xquad-zh", "expmrc-squad-dev")
CHUNK = 2048
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])|(?<=\.)\s+")


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def _pool(root: Path, asked: str) -> list[tuple[str, list[str]]]:
    """(title, sentences) of every paragraph of the sets other than the asked one."""
    pool: dict[str, tuple[str, list[str]]] = {}
    sources: list[str | Path] = [name for name in DISTRACTOR_SETS if name != asked]
    sources += [root / "cmrc2018" / "cmrc2018_trial.json", root / "xquad" / "xquad.en.json"]
    for source in sources:
        for doc in load_benchmark(source, root=root).documents:
            sentences = _sentences(doc.text)
            if len(sentences) >= 2:
                pool.setdefault(doc.text, (doc.title, sentences))
    return sorted(pool.values())


def library_articles(root: Path, name: str, passages: int, settings: Settings,
                     seed: int = 13) -> tuple[Benchmark, list[Article]]:
    """The asked benchmark's paragraphs, then distractors until the library has `passages`."""
    bench = load_benchmark(name, root=root)
    articles = [article_from_text(doc.title, doc.text, f"{bench.name}:{doc.id}") for doc in bench.documents]
    count = sum(len(make_passages(a, settings)) for a in articles)
    pool = _pool(root, name) if passages > count else []
    rng = random.Random(seed)
    seen: set[str] = set()
    while count < passages:
        title, sentences = pool[rng.randrange(len(pool))]
        start = rng.randrange(len(sentences))
        run = sentences[start:start + rng.randint(3, 8)]
        if rng.random() < 0.5:
            _, other = pool[rng.randrange(len(pool))]
            at = rng.randrange(len(other))
            run = run + other[at:at + rng.randint(1, 3)]
        text = "".join(s if re.search(r"[\u3400-\u9fff]", s) else s + " " for s in run).strip()
        if text in seen:
            continue
        seen.add(text)
        article = article_from_text(title, text, f"distractor:d{len(seen)}")
        articles.append(article)
        count += len(make_passages(article, settings))
    return bench, articles


def _cache_paths(cache: Path) -> list[Path]:
    return sorted(cache.glob("chunk-*.npz"))


def load_cache(cache: Path) -> dict[str, np.ndarray]:
    """Every cached vector by content key."""
    found: dict[str, np.ndarray] = {}
    for path in _cache_paths(cache):
        with np.load(path, allow_pickle=False) as data:
            for key, vector in zip(data["keys"], data["vectors"], strict=True):
                found[str(key)] = vector
    return found


def embed_into_cache(library: Library, articles: list[Article], cache: Path) -> dict[str, Any]:
    """Embed every passage and sentence the cache lacks, chunk by chunk; returns what it did."""
    cache.mkdir(parents=True, exist_ok=True)
    known = set(load_cache(cache))
    todo: dict[str, str] = {}
    for article in articles:
        passages, sentences = library._article_texts(article)
        for _, key, text in passages:
            if key not in known:
                todo.setdefault(key, text)
        for _, key, text in sentences:
            if key not in known:
                todo.setdefault(key, text)
    keys = list(todo)
    started = time.perf_counter()
    for start in range(0, len(keys), CHUNK):
        batch = keys[start:start + CHUNK]
        vectors = library.embedder.embed_passages([todo[k] for k in batch])
        tmp = cache / f".chunk-{len(_cache_paths(cache)):05d}.npz"
        with tmp.open("wb") as fh:
            np.savez(fh, keys=np.array(batch), vectors=vectors)
        os.replace(tmp, cache / f"chunk-{len(_cache_paths(cache)):05d}.npz")
        done = start + len(batch)
        rate = done / (time.perf_counter() - started)
        print(f"embedded {done}/{len(keys)} texts ({rate:.1f}/s)", file=sys.stderr, flush=True)
    seconds = time.perf_counter() - started
    return {"texts_embedded": len(keys), "embed_s": round(seconds, 1),
            "texts_per_s": round(len(keys) / seconds, 1) if keys else None,
            "texts_cached_before": len(known)}


def _corpus(library: Library, bench: Benchmark) -> Corpus:
    paragraph_of = {a.id: a.source.split(":", 1)[1] for a in library.snapshot.articles.values()}
    articles_of: dict[str, list[str]] = {}
    for article_id, paragraph in paragraph_of.items():
        articles_of.setdefault(paragraph, []).append(article_id)
    return Corpus(library=library, description=bench.name, paragraph_of=paragraph_of,
                  articles_of=articles_of)


def hybrid_recall(library: Library, bench: Benchmark, items: list) -> tuple[dict[str, float], list[float]]:
    """R@1 / R@5 of the gold paragraph with the product's hybrid retrieval over a library built
    from `bench`'s paragraphs, and each search's time in ms (the question's embedding included)."""
    from qa.retrieve import Retriever

    corpus = _corpus(library, bench)
    retriever = Retriever(library)
    hits1, recalls5, search_ms = [], [], []
    for item in items:
        started = time.perf_counter()
        hits = retriever.search(item.question, 20)
        search_ms.append(1000 * (time.perf_counter() - started))
        ranked = list(dict.fromkeys(corpus.paragraph_of[h.passage.article_id] for h in hits))
        scores = retrieval_scores(ranked, item_relevance(item, corpus)["passage"])
        hits1.append(scores["hit@1"])
        recalls5.append(scores["recall@5"])
    return ({"R@1": round(float(np.mean(hits1)), 4), "R@5": round(float(np.mean(recalls5)), 4)},
            search_ms)


def _folder_mb(path: Path) -> float:
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20, 1)


def run_store(store: str, args: argparse.Namespace, index_dir: Path) -> dict[str, Any]:
    """Build the library in `store` from the cache, then measure it (one child process)."""
    from qa import ArticleQA

    settings = Settings().with_(index_dir=index_dir, store=store)
    embedder = Embedder(settings)
    library = Library(settings, embedder=embedder, seed_builtin=False)
    bench, articles = library_articles(args.benchmarks, args.name, args.passages, settings)
    cache = load_cache(args.cache)
    prepared = VectorCache()
    keys = list(cache)
    matrix = np.stack([cache[k] for k in keys]) if keys else np.zeros((0, embedder.dimension), np.float32)
    prepared.add_passages(keys, [], matrix)  # no tokens: each passage is tokenized as it is built
    prepared.add_sentences(keys, matrix)
    del cache
    started = time.perf_counter()
    report = library.apply(add=articles, prepared=prepared)
    build_s = time.perf_counter() - started
    del prepared, matrix
    assert report.embedded == 0 and report.embedded_sentences == 0, "cache incomplete"

    items = list(bench.items)
    hybrid, search_ms = hybrid_recall(library, bench, items)
    engine = ArticleQA(settings, library=library)
    ask_ms = []
    for item in items[:args.ask]:
        started = time.perf_counter()
        engine.ask(item.question)
        ask_ms.append(1000 * (time.perf_counter() - started))
    snapshot = library.snapshot

    def pct(values: list[float], q: int) -> float:
        return round(float(np.percentile(values, q)), 1) if values else 0.0

    return {
        "store": store,
        "articles": len(snapshot.articles),
        "passages": len(snapshot.passages),
        "sentences": len(snapshot.sentence_ids),
        "index_type": snapshot.index_type,
        "build_s": round(build_s, 1),
        "questions": len(items),
        "hybrid": hybrid,
        "search_ms": {"p50": pct(search_ms, 50), "p95": pct(search_ms, 95)},
        "ask_ms": {"p50": pct(ask_ms, 50), "p95": pct(ask_ms, 95), "questions": len(ask_ms)},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "disk_mb": _folder_mb(index_dir),
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benchmarks", type=Path, default=Path("../shared/benchmarks"))
    parser.add_argument("--name", default="drcd-test", help="the benchmark whose questions are asked")
    parser.add_argument("--passages", type=int, default=200_000,
                        help="library size in passages (distractors fill it up; 0: the benchmark alone)")
    parser.add_argument("--stores", nargs="+", default=["faiss", "milvus-lite"])
    parser.add_argument("--ask", type=int, default=200, help="questions timed through `ask`")
    parser.add_argument("--cache", type=Path,
                        default=Path("~/.cache/articleqa-bench/scale").expanduser(),
                        help="vector cache (outside the repository)")
    parser.add_argument("--embed-only", action="store_true", help="fill the cache and stop")
    parser.add_argument("--out", type=Path, default=Path("docs/bench"))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--index", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        print(json.dumps(run_store(args.child, args, args.index)))
        return 0
    settings = Settings()
    library = Library(settings.with_(index_dir=Path(tempfile.mkdtemp(prefix="aqa-scale-keys-"))),
                      seed_builtin=False)
    bench, articles = library_articles(args.benchmarks, args.name, args.passages, settings)
    print(f"library: {len(articles)} articles", file=sys.stderr)
    embedding = embed_into_cache(library, articles, args.cache / library.embedder.fingerprint.key)
    embedding["backend"] = library.embedder.fingerprint.backend
    if args.embed_only:
        print(json.dumps(embedding, indent=2))
        return 0
    args.cache = args.cache / library.embedder.fingerprint.key
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="aqa-scale-") as tmp:
        for store in args.stores:
            command = [sys.executable, __file__, "--benchmarks", str(args.benchmarks), "--name",
                       args.name, "--passages", str(args.passages), "--ask", str(args.ask),
                       "--cache", str(args.cache), "--child", store, "--index", str(Path(tmp) / store)]
            print(f"measuring the {store} store ...", file=sys.stderr, flush=True)
            done = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)
            results[store] = json.loads(done.stdout.strip().splitlines()[-1])
            print(json.dumps(results[store], indent=2), file=sys.stderr, flush=True)
    summary = {"benchmark": bench.name, "target_passages": args.passages,
               "cpu_cores": os.cpu_count(), "embedding": embedding, "stores": results}
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"scale-{bench.name}-{args.passages}.json"
    out.write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
