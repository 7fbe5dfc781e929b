"""Benchmark: sentence vectors pooled from the passage pass ("late chunking") against sentences
embedded on their own, on DRCD dev (train pool; nothing here trains or tunes anything).

Why: ingest embeds every passage and, again, every sentence on its own (DRCD dev: 5,072 passages +
10,595 sentences), so about 44 % of the embedding work goes to texts the passages already held.
A sentence's vector can instead be the mean of the passage pass's token vectors over the sentence's
tokens (the passage embedded once, its title and head in front as today). This script measures what
that costs in retrieval (hybrid R@1 / R@5 of the gold paragraph, the product's retriever) and what
it saves in embedding time, on the torch (fp32) backend, before any product code changes.

Usage: PYTHONPATH=. nice python bench/pooled_sentences.py [--limit-questions N] [--out docs/bench]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from eval.benchmarks import load_benchmark
from index import Library, Settings
from index.embed import Embedder
from index.ingest import article_from_text
from index.store import VectorCache

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import hybrid_recall  # noqa: E402  (the scale benchmark's recall, one definition)


def pooled_vectors(embedder: Embedder, texts: list[str], spans: list[list[tuple[int, int]]],
                   batch: int = 16) -> tuple[np.ndarray, list[np.ndarray]]:
    """Each text's passage vector (mean over all its tokens, as sentence-transformers computes
    it) and, per character span of it, the normalised mean of the token vectors inside the span."""
    model = embedder.model
    assert model is not None, "the torch backend"
    prompt = embedder.settings.passage_prompt
    tokenizer = model.tokenizer
    encoder = model[0].auto_model
    passages = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    results: dict[int, np.ndarray] = {}
    with torch.inference_mode():
        for start in range(0, len(order), batch):
            rows = order[start:start + batch]
            enc = tokenizer([prompt + texts[i] for i in rows], padding=True, truncation=True,
                            max_length=model.max_seq_length, return_tensors="pt",
                            return_offsets_mapping=True)
            offsets = enc.pop("offset_mapping").numpy()
            hidden = encoder(**enc).last_hidden_state.numpy()
            mask = enc["attention_mask"].numpy().astype(bool)
            for j, i in enumerate(rows):
                tokens = hidden[j][mask[j]]
                mean = tokens.mean(axis=0)
                passages[i] = mean / np.linalg.norm(mean)
                token_starts = offsets[j][mask[j]][:, 0] - len(prompt)
                token_ends = offsets[j][mask[j]][:, 1] - len(prompt)
                vectors = []
                for a, b in spans[i]:
                    inside = (token_ends > a) & (token_starts < b) & (token_ends > token_starts)
                    v = tokens[inside].mean(axis=0) if inside.any() else mean
                    vectors.append(v / np.linalg.norm(v))
                results[i] = np.array(vectors, dtype=np.float32).reshape(len(spans[i]), -1)
    pooled = [results[i] for i in range(len(texts))]
    return passages, pooled


def evaluate(settings: Settings, embedder: Embedder, bench, articles, passage_keys: list[str],
             passage_vectors: np.ndarray, sentence_keys: list[str], sentence_vectors: np.ndarray,
             limit: int) -> dict[str, Any]:
    """Build a library from the given vectors (nothing embedded) and score hybrid retrieval."""
    with tempfile.TemporaryDirectory(prefix="aqa-pooled-") as tmp:
        library = Library(settings.with_(index_dir=Path(tmp)), embedder=embedder, seed_builtin=False)
        prepared = VectorCache()
        prepared.add_passages(passage_keys, [], passage_vectors)
        prepared.add_sentences(sentence_keys, sentence_vectors)
        report = library.apply(add=articles, prepared=prepared)
        assert report.embedded == 0 and report.embedded_sentences == 0, "vectors missing"
        items = list(bench.items)[:limit]
        recall, _ = hybrid_recall(library, bench, items)
        library.close()
    return {"questions": len(items), **recall}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benchmarks", type=Path, default=Path("../shared/benchmarks"))
    parser.add_argument("--name", default="drcd-dev")
    parser.add_argument("--limit-questions", type=int, default=10**9)
    parser.add_argument("--limit-paragraphs", type=int, default=10**9, help="a quick trial run")
    parser.add_argument("--out", type=Path, default=Path("docs/bench"))
    args = parser.parse_args(argv)

    settings = Settings().with_(embed_backend="torch")
    embedder = Embedder(settings)
    keys_library = Library(settings.with_(index_dir=Path(tempfile.mkdtemp(prefix="aqa-keys-"))),
                           embedder=embedder, seed_builtin=False)
    bench = load_benchmark(args.name, root=args.benchmarks)
    documents = bench.documents[:args.limit_paragraphs]
    kept = {d.id for d in documents}
    bench = dataclasses.replace(bench, documents=tuple(documents),
                                items=tuple(i for i in bench.items if i.article in kept))
    articles = [article_from_text(d.title, d.text, f"{bench.name}:{d.id}") for d in documents]

    passage_keys, passage_texts, spans, span_keys = [], [], [], []
    sentence_text: dict[str, str] = {}
    for article in articles:
        passages, sentences = keys_library._article_texts(article)
        key_of = {n: key for n, (_, key, _) in enumerate(sentences)}
        for _, key, text in sentences:
            sentence_text.setdefault(key, text)
        for passage, key, text in passages:
            offset = len(text) - len(passage.text)  # title and head come first
            assert text.endswith(passage.text)
            these, these_keys = [], []
            for n in range(passage.first_sentence, passage.last_sentence + 1):
                s = article.sentences[n]
                these.append((offset + s.start - passage.start, offset + s.end - passage.start))
                these_keys.append(key_of[n])
            passage_keys.append(key)
            passage_texts.append(text)
            spans.append(these)
            span_keys.append(these_keys)

    started = time.perf_counter()
    passage_vectors, pooled = pooled_vectors(embedder, passage_texts, spans)
    pooled_s = time.perf_counter() - started
    check = embedder.embed_passages(passage_texts[:8])  # the pass is sentence-transformers' own
    assert np.all(np.sum(check * passage_vectors[:8], axis=1) > 0.9999), "passage vectors differ"
    # A sentence in two passages (the one-sentence overlap) takes the mean of both contexts.
    sums: dict[str, np.ndarray] = {}
    for keys, vectors in zip(span_keys, pooled, strict=True):
        for key, vector in zip(keys, vectors, strict=True):
            sums[key] = sums.get(key, 0) + vector
    missing = [k for k in sentence_text if k not in sums]  # sentences in no indexed passage
    own_keys = list(sentence_text)
    started = time.perf_counter()
    own = embedder.embed_passages([sentence_text[k] for k in own_keys])
    own_s = time.perf_counter() - started
    own_of = dict(zip(own_keys, own, strict=True))
    pooled_keys = list(sentence_text)
    pooled_matrix = np.stack([sums[k] / np.linalg.norm(sums[k]) if k in sums else own_of[k]
                              for k in pooled_keys]).astype(np.float32)
    cos = float(np.mean([float(own_of[k] @ pooled_matrix[i]) for i, k in enumerate(pooled_keys)]))

    results = {
        "benchmark": bench.name,
        "passages": len(passage_keys),
        "sentences": len(sentence_text),
        "sentences_in_no_passage": len(missing),
        "passage_pass_s": round(pooled_s, 1),
        "sentences_alone_s": round(own_s, 1),
        "mean_cosine_pooled_vs_alone": round(cos, 4),
        "own_sentences": evaluate(settings, embedder, bench, articles, passage_keys, passage_vectors,
                                  own_keys, own, args.limit_questions),
        "pooled_sentences": evaluate(settings, embedder, bench, articles, passage_keys,
                                     passage_vectors, pooled_keys, pooled_matrix,
                                     args.limit_questions),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"pooled-sentences-{bench.name}.json"
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
