"""The evaluation runner: ask every gold question through qa's public API and score what comes back.

Pure orchestration: the corpus is an index.Library, every configuration an ArticleQA over that one
library (so the model and index load once), and every score comes from eval.metrics. Retrieval is
scored for every configuration, answers, citations, abstention and speed for the primary (first).
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import MISSING, dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from index import Embedder, IngestReport, Library, Settings
from index.errors import ConfigError, IndexMismatchError, InputError
from index.ingest import article_from_text
from qa import Answer, ArticleQA

from .benchmarks import BENCHMARKS, DEFAULT_ROOT, Benchmark, load_benchmark
from .gold import GoldItem, conversation_history, load_gold
from .kinds import kind_metrics, kind_scores
from .metrics import (
    abstention_scores,
    char_f1,
    citation_precision,
    citation_recall,
    contains_answer,
    exact_match,
    hit_at_k,
    latency_summary,
    mean_metric,
    mrr_at_k,
    ndcg_at_k,
    recall_at_k,
    texts_overlap,
)

log = logging.getLogger(__name__)

#: How deep every ranking is taken; recall curves run k = 1..MAX_RANK.
MAX_RANK = 20
HIT_KS = (1, 5, 20)
RECALL_KS = (1, 5, 20)
CUTOFF = 10  # MRR@10 and nDCG@10
STAGES = ("resolve", "embed", "retrieve", "answer", "total")
LEVELS = ("passage", "sentence")
#: Settings that shape the shared index (or the model) cannot differ between compared configs.
INDEX_FIELDS = frozenset({
    "home", "model", "query_prompt", "passage_prompt", "index_dir", "passage_chars",
    "passage_overlap_sentences", "min_passage_chars", "hnsw_threshold", "hnsw_m",
    "hnsw_ef_search", "embed_batch_size",
})
HYBRID = "hybrid"
_MARKER = re.compile(r"\s*\[\d+\]")


# ---------------------------------------------------------------------------------------------
# Configurations
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvalConfig:
    """One compared configuration: a label and the Settings fields it overrides."""

    name: str
    changes: dict[str, Any] = field(default_factory=dict)

    def settings(self, base: Settings) -> Settings:
        """The base settings with this configuration's overrides (validated)."""
        return base.with_(**self.changes) if self.changes else base


def _field_defaults() -> dict[str, Any]:
    """Each Settings field's default value: its type is how a `key=value` string is parsed."""
    defaults: dict[str, Any] = {}
    for f in fields(Settings):
        defaults[f.name] = f.default_factory() if f.default_factory is not MISSING else f.default
    return defaults


def _parse_value(key: str, raw: str, default: Any) -> Any:
    """`raw` converted to the type of the field's default; ConfigError names the key on failure."""
    raw = raw.strip()
    try:
        if isinstance(default, bool):
            lowered = raw.lower()
            if lowered not in {"true", "false", "1", "0", "yes", "no", "on", "off"}:
                raise ValueError(raw)
            return lowered in {"true", "1", "yes", "on"}
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, Path):
            return Path(raw)
    except ValueError:
        kind = type(default).__name__
        raise ConfigError(f"setting {key} needs a value of type {kind}; got {raw!r}") from None
    return raw


def _mode_changes(name: str) -> dict[str, Any] | None:
    """The override a bare retrieval-mode name stands for (`hybrid`: the default mode), or None."""
    from index.settings import RETRIEVAL_MODES

    if name == HYBRID:
        return {"retrieval_mode": _field_defaults()["retrieval_mode"]}
    if name in RETRIEVAL_MODES:
        return {"retrieval_mode": name}
    return None


def parse_config(text: str, base: Settings | None = None) -> EvalConfig:
    """Parse `MODE`, `MODE:key=value,...` or `LABEL:key=value,...` into a validated EvalConfig.

    A mode name (dense, lexical, rrf, weighted, or hybrid for the default mode) sets
    `retrieval_mode`; any other label keeps the base mode. Values take the type of the Settings
    field's default. Fields that shape the shared index are refused, as are unknown fields.
    """
    from index.settings import RETRIEVAL_MODES

    base = base or Settings()
    spec = text.strip()
    name, _, rest = spec.partition(":")
    name = name.strip()
    if not name:
        raise ConfigError(f"config {text!r} has no name; use a retrieval mode "
                          f"({', '.join(RETRIEVAL_MODES)}, {HYBRID}) or LABEL:key=value,...")
    changes = _mode_changes(name)
    if changes is None:
        if not rest.strip():
            raise ConfigError(f"unknown retrieval mode {name!r} in config {text!r}; valid modes: "
                              f"{', '.join(RETRIEVAL_MODES)}, {HYBRID} (or LABEL:key=value,...)")
        changes = {}
    defaults = _field_defaults()
    for pair in filter(None, (p.strip() for p in rest.split(","))):
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"config {text!r}: expected key=value, got {pair!r}")
        if key not in defaults:
            raise ConfigError(f"config {text!r}: unknown setting {key!r}; valid: "
                              f"{', '.join(sorted(set(defaults) - INDEX_FIELDS))}")
        if key in INDEX_FIELDS:
            raise ConfigError(f"config {text!r}: {key} shapes the index that all configs share; "
                              "run a separate eval to vary it")
        changes[key] = _parse_value(key, value, defaults[key])
    config = EvalConfig(name=spec if rest.strip() else name, changes=changes)
    config.settings(base)  # validate now, before any model loads
    return config


def parse_configs(texts: Sequence[str], base: Settings | None = None) -> list[EvalConfig]:
    """Parse --compare values; none gives one config, the settings' own retrieval mode."""
    base = base or Settings()
    if not texts:
        return [EvalConfig(name=base.retrieval_mode)]
    configs = [parse_config(text, base) for text in texts]
    names = [c.name for c in configs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"config(s) given twice: {', '.join(duplicates)}")
    return configs


# ---------------------------------------------------------------------------------------------
# Gold sets and corpora
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoldSource:
    """What is evaluated: the gold items, and the benchmark they came from (None for gold JSONL)."""

    name: str
    items: tuple[GoldItem, ...]
    benchmark: Benchmark | None = None


def load_gold_source(gold: str | Path, benchmarks_root: str | Path = DEFAULT_ROOT) -> GoldSource:
    """A benchmark name, a SQuAD `.json` file, or a gold JSON Lines file, loaded.

    InputError (or GoldFormatError) names the problem: unknown name, missing file, bad line.
    """
    key = str(gold)
    path = Path(key).expanduser()
    if key in BENCHMARKS or (path.is_file() and path.suffix.lower() == ".json"):
        bench = load_benchmark(key if key in BENCHMARKS else path, root=benchmarks_root)
        return GoldSource(name=bench.name, items=bench.items, benchmark=bench)
    if not path.exists():
        raise InputError(f"no gold file or benchmark named {key!r}: give a gold .jsonl file, a "
                         f"SQuAD-style .json file, or one of: {', '.join(BENCHMARKS)}")
    return GoldSource(name=path.stem, items=tuple(load_gold(path)))


@dataclass
class Corpus:
    """The library questions are asked over, and how its articles map to benchmark paragraphs."""

    library: Library
    description: str
    #: Article id -> benchmark paragraph id; None for a gold JSONL corpus.
    paragraph_of: dict[str, str] | None = None
    #: Benchmark paragraph id -> its article ids (the inverse of `paragraph_of`).
    articles_of: dict[str, list[str]] = field(default_factory=dict)
    #: What building or reusing the index did (None for the default index, opened as it is).
    ingest: IngestReport | None = None
    _sentences: list[tuple[str, str]] | None = None

    def sentences(self) -> list[tuple[str, str]]:
        """Every (sentence id, text) of the corpus, computed once."""
        if self._sentences is None:
            self._sentences = [
                (article.sentence_id(s.index), s.text)
                for article in self.library.snapshot.articles.values() for s in article.sentences
            ]
        return self._sentences


class QueryVectorCache:
    """An Embedder whose single-query vectors are remembered for a few calls.

    Every question is embedded by `ask` first (timed honestly), then searched by every config at
    both levels; those searches reuse the vector, so their latency is the config-dependent part
    (scoring and ranking) and a long benchmark run is not dominated by repeated embedding.
    """

    def __init__(self, embedder: Embedder, size: int = 8) -> None:
        self._embedder = embedder
        self._size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._embedder, name)

    def clear(self) -> None:
        """Forget every vector, so that the next query is embedded (and timed) for real."""
        self._vectors.clear()

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Vectors for questions; a single question seen in the last few calls is not re-embedded."""
        if len(texts) != 1:
            return self._embedder.embed_queries(texts)
        key = texts[0]
        if key in self._vectors:
            self._vectors.move_to_end(key)
            return self._vectors[key].copy()
        vectors = self._embedder.embed_queries(texts)
        self._vectors[key] = vectors.copy()
        while len(self._vectors) > self._size:
            self._vectors.popitem(last=False)
        return vectors


def _cached(embedder: Embedder | None, settings: Settings) -> Embedder:
    """The shared embedder (loaded now if not given) behind a query-vector cache."""
    if isinstance(embedder, QueryVectorCache):
        return embedder  # type: ignore[return-value]
    return QueryVectorCache(embedder or Embedder(settings))  # type: ignore[return-value]


def _short_hash(parts: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:10]


def benchmark_corpus(bench: Benchmark, settings: Settings, embedder: Embedder | None = None,
                     progress: bool = False) -> Corpus:
    """The benchmark's paragraphs as articles in `<home>/indexes/bench-<name>`, built or reused.

    Re-running embeds nothing (unchanged articles are kept); articles no longer in the benchmark
    are removed, so the cached folder always holds exactly this benchmark.
    """
    index_dir = settings.home / "indexes" / f"bench-{bench.name}"
    bench_settings = settings.with_(index_dir=index_dir)
    embedder = embedder or Embedder(settings)  # loaded once, even when the cache must be rebuilt
    rebuild = False
    try:
        library = Library(bench_settings, embedder=embedder, seed_builtin=False)
    except IndexMismatchError as exc:  # a cache of the benchmark: rebuild it rather than stop
        log.warning("rebuilding the benchmark index: %s", exc)
        library = Library(bench_settings, embedder=embedder, seed_builtin=False, open_existing=False)
        rebuild = True
    prefix = f"{bench.name}:"
    articles = [article_from_text(doc.title, doc.text, prefix + doc.id) for doc in bench.documents]
    wanted = {a.id for a in articles}
    stale = [a for a in library.snapshot.articles if a not in wanted]
    report = library.apply(add=articles, remove=stale, rebuild=rebuild, progress=progress)
    log.info("benchmark index %s: %d added, %d unchanged, %d removed, %d embedded (%.1fs)",
             index_dir, len(report.added), len(report.unchanged), len(report.removed),
             report.embedded, report.seconds)
    paragraph_of = {a.id: a.source[len(prefix):] for a in library.snapshot.articles.values()
                    if a.source.startswith(prefix)}
    articles_of: dict[str, list[str]] = {}
    for article_id, paragraph in paragraph_of.items():
        articles_of.setdefault(paragraph, []).append(article_id)
    return Corpus(library=library, paragraph_of=paragraph_of, articles_of=articles_of, ingest=report,
                  description=f"benchmark {bench.name}: {len(bench.documents)} paragraphs "
                              f"({index_dir})")


def gold_corpus(corpus: Sequence[str], settings: Settings, embedder: Embedder | None = None,
                progress: bool = False) -> Corpus:
    """`default` (the settings' index, the built-in corpus by default) or files ingested into
    `<home>/indexes/eval-<hash of the resolved paths>`."""
    if list(corpus) in ([], ["default"]):
        library = Library(settings, embedder=embedder)
        return Corpus(library=library, description=f"default index ({settings.resolved_index_dir})")
    if "default" in corpus:
        raise InputError("--corpus takes either 'default' or paths, not both")
    paths = [Path(p).expanduser().resolve() for p in corpus]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise InputError(f"corpus path not found: {missing[0]}")
    index_dir = settings.home / "indexes" / f"eval-{_short_hash(sorted(str(p) for p in paths))}"
    library = Library(settings.with_(index_dir=index_dir), embedder=embedder, seed_builtin=False)
    report = library.ingest_paths(paths, progress=progress)
    for rejected in report.rejected:
        log.warning("corpus file skipped: %s: %s", rejected.name, rejected.reason)
    if not library.snapshot.passages:
        raise InputError(f"the corpus {', '.join(corpus)} holds no article text")
    return Corpus(library=library, ingest=report,
                  description=f"{len(paths)} path(s): {', '.join(corpus)} ({index_dir})")


# ---------------------------------------------------------------------------------------------
# Relevance
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Relevance:
    """Which ids count as relevant at one level, and which gold units each one covers.

    Units are what recall counts: the gold paragraph for benchmark passages, otherwise the
    indexes of the gold evidence strings a passage or sentence overlaps (`texts_overlap`).
    """

    covers: dict[str, frozenset[int]]
    units: int
    #: Units are the relevant ids themselves (benchmark paragraphs): recall is `recall_at_k`.
    by_id: bool = False

    @property
    def ids(self) -> frozenset[str]:
        """The relevant ids."""
        return frozenset(self.covers)


NO_RELEVANCE = Relevance(covers={}, units=0)


def _evidence_cover(texts: Sequence[tuple[str, str]], evidence: Sequence[str]) -> Relevance:
    """Relevance of (id, text) pairs: an id is relevant when its text overlaps some evidence."""
    covers: dict[str, frozenset[int]] = {}
    for item_id, text in texts:
        hit = frozenset(i for i, e in enumerate(evidence) if texts_overlap(text, e))
        if hit:
            covers[item_id] = covers.get(item_id, frozenset()) | hit
    return Relevance(covers=covers, units=len(evidence))


def item_relevance(item: GoldItem, corpus: Corpus) -> dict[str, Relevance]:
    """Passage- and sentence-level relevance of one item (empty for unanswerable items)."""
    if not item.answerable:
        return {"passage": NO_RELEVANCE, "sentence": NO_RELEVANCE}
    snapshot = corpus.library.snapshot
    if corpus.paragraph_of is not None:
        passage = (Relevance(covers={item.article: frozenset({0})}, units=1, by_id=True)
                   if item.article in corpus.articles_of else NO_RELEVANCE)
        own = [
            (snapshot.articles[a].sentence_id(s.index), s.text)
            for a in corpus.articles_of.get(item.article or "", []) for s in snapshot.articles[a].sentences
        ]
        return {"passage": passage, "sentence": _evidence_cover(own, item.evidence)}
    passages = [(p.id, p.text) for p in snapshot.passages]
    return {"passage": _evidence_cover(passages, item.evidence),
            "sentence": _evidence_cover(corpus.sentences(), item.evidence)}


def recall_curve(ranked: Sequence[str], relevance: Relevance, depth: int = MAX_RANK) -> list[float] | None:
    """Recall at k = 1..depth: share of gold units covered by the first k results.

    By id (benchmark paragraphs) this is `recall_at_k`; with evidence units it is what
    `citation_recall` gives for the first k texts, from the overlaps found once per item.
    None when nothing is relevant.
    """
    if not relevance.units or not relevance.covers:
        return None
    if relevance.by_id:
        return [float(recall_at_k(ranked, relevance.ids, k) or 0.0) for k in range(1, depth + 1)]
    covered: set[int] = set()
    curve: list[float] = []
    for k in range(depth):
        if k < len(ranked):
            covered |= relevance.covers.get(ranked[k], frozenset())
        curve.append(len(covered) / relevance.units)
    return curve


def first_relevant_rank(ranked: Sequence[str], relevant: frozenset[str]) -> int | None:
    """1-based rank of the first relevant id, or None."""
    return next((rank for rank, key in enumerate(ranked, start=1) if key in relevant), None)


def retrieval_scores(ranked: Sequence[str], relevance: Relevance) -> dict[str, Any]:
    """hit@k, recall@k, MRR@10, nDCG@10, the recall curve and the first relevant rank."""
    relevant = relevance.ids
    curve = recall_curve(ranked, relevance)
    scores: dict[str, Any] = {f"hit@{k}": hit_at_k(ranked, relevant, k) for k in HIT_KS}
    for k in RECALL_KS:
        scores[f"recall@{k}"] = curve[k - 1] if curve is not None else None
    scores[f"mrr@{CUTOFF}"] = mrr_at_k(ranked, relevant, CUTOFF)
    scores[f"ndcg@{CUTOFF}"] = ndcg_at_k(ranked, relevant, CUTOFF)
    scores["first_relevant_rank"] = first_relevant_rank(ranked, relevant) if relevant else None
    scores["recall_curve"] = curve
    return scores


# ---------------------------------------------------------------------------------------------
# Ordering
# ---------------------------------------------------------------------------------------------


def order_items(items: Sequence[GoldItem]) -> list[GoldItem]:
    """Items in file order, except that each conversation's turns come together in turn order
    (at the place of its first item), so follow-ups always follow the turns they lean on."""
    groups: dict[tuple[str, str], list[GoldItem]] = {}
    for item in items:
        key = ("c", item.conversation) if item.conversation is not None else ("i", item.id)
        groups.setdefault(key, []).append(item)
    ordered: list[GoldItem] = []
    for group in groups.values():
        ordered.extend(sorted(group, key=lambda i: i.turn or 0))
    return ordered


def limit_items(items: Sequence[GoldItem], limit: int | None) -> list[GoldItem]:
    """The first `limit` items of `order_items(items)`: whole conversations while they fit, then
    the first turns of the next one (a follow-up is never taken without its earlier turns)."""
    ordered = order_items(items)
    if limit is None:
        return ordered
    if limit < 1:
        raise InputError(f"--limit must be at least 1; got {limit}")
    return ordered[:limit]


# ---------------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------------


def strip_markers(text: str) -> str:
    """An answer's text without its `[n]` citation markers."""
    return _MARKER.sub("", text).strip()


def answer_scores(item: GoldItem, answer: Answer) -> dict[str, Any]:
    """Answer, citation and abstention scores of one primary-config answer."""
    prediction = "" if answer.abstained else (answer.short_answer or strip_markers(answer.answer))
    full = "" if answer.abstained else strip_markers(answer.answer)
    cited = [c.text for c in answer.citations]
    top = cited[0] if cited else ""
    return {
        "prediction": prediction,
        "exact_match": exact_match(prediction, item.answers),
        "char_f1": char_f1(prediction, item.answers),
        "contains_answer": contains_answer(full, item.answers),
        # Precision is judged on what was cited; an abstention cites nothing and counts elsewhere.
        "citation_precision": citation_precision(cited, item.evidence) if cited else None,
        "citation_recall": citation_recall(cited, item.evidence),
        "top_citation_contains_answer": (contains_answer(top, item.answers) if item.answerable
                                         else None),
        "top_citation_f1": char_f1(top, item.answers) if item.answerable else None,
    }


@dataclass
class EvalResult:
    """Everything one run measured: per-question records plus the aggregates built from them."""

    gold: str
    corpus: str
    configs: list[EvalConfig]
    records: list[dict[str, Any]]
    counts: dict[str, int]
    metrics: dict[str, Any] = field(default_factory=dict)
    started: str = ""
    seconds: float = 0.0
    #: The embedding model's fingerprint (from the index) and the reader's, so figures name what
    #: produced them.
    models: dict[str, Any] = field(default_factory=dict)

    @property
    def primary(self) -> EvalConfig:
        """The configuration whose answers are scored."""
        return self.configs[0]


def _timed(call: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    value = call()
    return value, (time.perf_counter() - started) * 1000


def _warm_up(engines: dict[str, ArticleQA], primary: str, question: str) -> None:
    """One untimed call per engine, so one-off set-up work does not land in the first timings."""
    engines[primary].ask(question)
    for engine in engines.values():
        engine.search(question, MAX_RANK)
        engine.search_sentences(question, MAX_RANK)


def _evaluate_item(item: GoldItem, selected: Sequence[GoldItem], engines: dict[str, ArticleQA],
                   primary: str, corpus: Corpus, predictions: dict[str, str | None]) -> dict[str, Any]:
    """Ask (primary) and search (every config) one question; the record for results.jsonl."""
    history = [{"question": turn.question, "answer": predictions.get(turn.id)}
               for turn in conversation_history(selected, item) if turn.id in predictions]
    if isinstance(corpus.library.embedder, QueryVectorCache):
        corpus.library.embedder.clear()  # ask embeds its question for real
    answer, wall_ms = _timed(lambda: engines[primary].ask(item.question, history))
    scores = answer_scores(item, answer)
    predictions[item.id] = scores["prediction"] or None
    query = answer.resolved_question or item.question
    relevance = item_relevance(item, corpus)
    retrieval: dict[str, Any] = {}
    for name, engine in engines.items():
        hits, search_ms = _timed(lambda engine=engine: engine.search(query, MAX_RANK))
        if corpus.paragraph_of is not None:
            ranked = list(dict.fromkeys(corpus.paragraph_of.get(h.passage.article_id, "?")
                                        for h in hits))
        else:
            ranked = [h.passage.id for h in hits]
        sentences, sentence_ms = _timed(lambda engine=engine: engine.search_sentences(query,
                                                                                      MAX_RANK))
        ranked_sentences = [c.sentence_id for c in sentences]
        retrieval[name] = {
            "passage": {**retrieval_scores(ranked, relevance["passage"]),
                        "latency_ms": search_ms, "ranked": ranked},
            "sentence": {**retrieval_scores(ranked_sentences, relevance["sentence"]),
                         "latency_ms": sentence_ms, "ranked": ranked_sentences},
        }
    articles = {a.id: a.text for a in corpus.library.snapshot.articles.values()}
    return {
        "id": item.id,
        "question": item.question,
        "kind": item.kind,
        "query": query,
        "answers": list(item.answers),
        "evidence": list(item.evidence),
        "answerable": item.answerable,
        "article": item.article,
        "conversation": item.conversation,
        "turn": item.turn,
        "tags": list(item.tags),
        "evidence_found": bool(relevance["passage"].covers) if item.answerable else None,
        "history_turns": len(history),
        "answer": {
            **scores,
            "answer": answer.answer,
            "short_answer": answer.short_answer,
            "kind": answer.kind,
            "abstained": answer.abstained,
            "citations": [c.as_dict() for c in answer.citations],
            "timings_ms": {**{k: answer.timings_ms.get(k) for k in STAGES}, "wall": wall_ms},
        },
        "kind_scores": kind_scores(item, answer.as_dict(), articles),
        "retrieval": retrieval,
    }


def run_eval(gold: GoldSource, settings: Settings, configs: Sequence[EvalConfig] | None = None,
             corpus: Sequence[str] = ("default",), limit: int | None = None,
             embedder: Embedder | None = None, progress: bool = False) -> EvalResult:
    """Evaluate `gold` over its corpus with every configuration; the first one also answers."""
    configs = list(configs or parse_configs((), settings))
    started_at = datetime.now().astimezone().isoformat(timespec="seconds")
    started = time.perf_counter()
    items = limit_items(gold.items, limit)
    if not items:
        raise InputError(f"the gold set {gold.name} has no questions")
    if gold.benchmark is not None and list(corpus) not in ([], ["default"]):
        raise InputError("--corpus does not apply to a benchmark: its paragraphs are the corpus")
    embedder = _cached(embedder, settings)
    if gold.benchmark is not None:
        store = benchmark_corpus(gold.benchmark, settings, embedder, progress)
    else:
        store = gold_corpus(corpus, settings, embedder, progress)
    base = store.library.settings
    engines = {c.name: ArticleQA(c.settings(base), library=store.library) for c in configs}
    primary = configs[0].name
    _warm_up(engines, primary, items[0].question)
    predictions: dict[str, str | None] = {}
    records: list[dict[str, Any]] = []
    for item in tqdm(items, desc=f"eval {gold.name}", unit="q", disable=not progress):
        records.append(_evaluate_item(item, items, engines, primary, store, predictions))
    snapshot = store.library.snapshot
    unmatched = sum(1 for r in records if r["evidence_found"] is False)
    if unmatched:
        log.warning("%d answerable question(s) have evidence found in no passage of the corpus; "
                    "retrieval metrics skip them (is --corpus right?)", unmatched)
    counts = {
        "questions": len(records),
        "questions_in_gold": len(gold.items),
        "answerable": sum(1 for i in items if i.answerable),
        "unanswerable": sum(1 for i in items if not i.answerable),
        "conversations": len({i.conversation for i in items if i.conversation is not None}),
        "follow_ups": sum(1 for r in records if r["history_turns"]),
        "evidence_not_found": unmatched,
        "articles": len(snapshot.articles),
        "passages": len(snapshot.passages),
        "sentences": len(snapshot.sentence_ids),
    }
    if gold.benchmark is not None:
        counts["documents"] = len(gold.benchmark.documents)
    models = {"embedding": snapshot.fingerprint,
              "reader": engines[primary].answerer.reader.fingerprint.as_dict()}
    result = EvalResult(gold=gold.name, corpus=store.description, configs=configs,
                        records=records, counts=counts, started=started_at, models=models)
    result.seconds = time.perf_counter() - started
    result.metrics = aggregate(result)
    return result


# ---------------------------------------------------------------------------------------------
# Aggregates
# ---------------------------------------------------------------------------------------------


def _summary(values: Sequence[float]) -> dict[str, float | int | None]:
    return vars(latency_summary(values)).copy()


def _level_metrics(records: Sequence[dict[str, Any]], config: str, level: str) -> dict[str, Any]:
    """Mean retrieval scores of one config at one level, its recall curve and latency."""
    rows = [r["retrieval"][config][level] for r in records]
    keys = [f"hit@{k}" for k in HIT_KS] + [f"recall@{k}" for k in RECALL_KS] + [
        f"mrr@{CUTOFF}", f"ndcg@{CUTOFF}"]
    out: dict[str, Any] = {key: mean_metric(row[key] for row in rows) for key in keys}
    out["n"] = sum(1 for row in rows if row["hit@1"] is not None)
    curves = [row["recall_curve"] for row in rows if row["recall_curve"] is not None]
    out["recall_curve"] = [mean_metric(c[k] for c in curves) for k in range(MAX_RANK)] if curves else []
    out["latency_ms"] = _summary([row["latency_ms"] for row in rows])
    return out


def answer_metrics(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Answer, citation, abstention and latency aggregates over the primary config's records."""
    answers = [r["answer"] for r in records]
    answerable = [a for r, a in zip(records, answers, strict=True) if r["answerable"]]
    abstained = [a["abstained"] for a in answers]
    scores = abstention_scores(abstained, [r["answerable"] for r in records])
    return {
        "answer": {
            "n": len(answers),
            "exact_match": mean_metric(a["exact_match"] for a in answers),
            "char_f1": mean_metric(a["char_f1"] for a in answers),
            "contains_answer": mean_metric(float(a["contains_answer"]) for a in answers),
            "answerable": {
                "n": len(answerable),
                "exact_match": mean_metric(a["exact_match"] for a in answerable),
                "char_f1": mean_metric(a["char_f1"] for a in answerable),
                "contains_answer": mean_metric(float(a["contains_answer"]) for a in answerable),
            },
            "top_citation_contains_answer": mean_metric(
                None if a["top_citation_contains_answer"] is None
                else float(a["top_citation_contains_answer"]) for a in answers),
            "top_citation_f1": mean_metric(a["top_citation_f1"] for a in answers),
        },
        "citations": {
            "precision": mean_metric(a["citation_precision"] for a in answers),
            "recall": mean_metric(a["citation_recall"] for a in answers),
            "mean_count": mean_metric(float(len(a["citations"])) for a in answers),
        },
        "abstention": {
            "rate": mean_metric(float(x) for x in abstained),
            "precision": scores.precision,
            "recall": scores.recall,
            "false_abstention_rate": scores.false_abstention_rate,
        },
        "latency_ms": {stage: _summary([a["timings_ms"][stage] for a in answers
                                        if a["timings_ms"].get(stage) is not None])
                       for stage in (*STAGES, "wall")},
    }


def tag_metrics(records: Sequence[dict[str, Any]], config: str, min_items: int = 3) -> dict[str, Any]:
    """Per-tag figures for the primary config: n, R@5, contains rate, F1, abstention rate."""
    by_tag: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        for tag in record["tags"]:
            by_tag.setdefault(tag, []).append(record)
    out: dict[str, Any] = {}
    for tag in sorted(by_tag):
        rows = by_tag[tag]
        if len(rows) < min_items:
            continue
        out[tag] = {
            "n": len(rows),
            "recall@5": mean_metric(r["retrieval"][config]["passage"]["recall@5"] for r in rows),
            "contains_answer": mean_metric(float(r["answer"]["contains_answer"]) for r in rows),
            "char_f1": mean_metric(r["answer"]["char_f1"] for r in rows),
            "abstention_rate": mean_metric(float(r["answer"]["abstained"]) for r in rows),
        }
    return out


def aggregate(result: EvalResult) -> dict[str, Any]:
    """The metrics.json content: retrieval per config and level, then the primary's answers."""
    primary = result.primary.name
    return {
        "gold": result.gold,
        "corpus": result.corpus,
        "started": result.started,
        "seconds": round(result.seconds, 1),
        "counts": result.counts,
        "models": result.models,
        "primary": primary,
        "configs": [{"name": c.name, "changes": {k: str(v) if isinstance(v, Path) else v
                                                 for k, v in c.changes.items()}}
                    for c in result.configs],
        "retrieval": {c.name: {level: _level_metrics(result.records, c.name, level)
                               for level in LEVELS} for c in result.configs},
        **answer_metrics(result.records),
        "tags": tag_metrics(result.records, primary),
        "kinds": kind_metrics(result.records),
    }
