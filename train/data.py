"""Training data for the reader, built from the benchmark README's train pool and nothing else.

The README's *Roles* table decides what may train or tune a model: DRCD dev, CMRC 2018 dev and
CMRC 2018 trial (the train pool). DRCD test, XQuAD and ExpMRC are held out: this module never opens
them (`TRAIN_POOL` is the only list of files it reads, and a test checks that). The pool is split
by article into reader-train and reader-dev (about 90/10), so no paragraph is on both sides.

Each question becomes one record: the contexts the reader would read (a passage plus a sentence
either side, `qa.reader.context_span`) that hold its answer span (positives, with offsets), and
contexts that do not hold any of its answers (negatives, SQuAD 2.0 style): other passages of its
own article, and the top BM25-retrieved passages of other articles of the same side of the split.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from eval.benchmarks import (
    DEFAULT_ROOT,
    Benchmark,
    BenchmarkDocument,
    load_squad_benchmark,
    locate_answer,
    read_squad,
)
from eval.gold import GoldItem
from index import Article, Settings
from index.ingest import article_from_text
from index.lexical import LexicalIndex
from index.split import make_passages
from index.text import search_key, tokenize
from qa.reader import context_span

log = logging.getLogger(__name__)

#: The train pool, and the only files this module reads (name -> path under the benchmarks root).
TRAIN_POOL: dict[str, str] = {
    "drcd-dev": "drcd/DRCD_dev.json",
    "cmrc2018-dev": "cmrc2018/cmrc2018_dev.json",
    "cmrc2018-trial": "cmrc2018/cmrc2018_trial.json",
}
#: Held out by the README: report only. Listed so the guard below can refuse them by name.
HELD_OUT = ("drcd/DRCD_test.json", "xquad/", "expmrc/")
#: One article in this many goes to reader-dev.
DEV_ONE_IN = 10
#: Per question: at most this many negatives from its own article and from retrieval.
ARTICLE_NEGATIVES = 6
RETRIEVED_NEGATIVES = 4


@dataclass(frozen=True)
class Context:
    """A context the reader reads, and where the answer is in it (None: it holds no answer)."""

    text: str
    start: int | None = None
    end: int | None = None
    kind: str = "answer"  # answer | article | retrieved


@dataclass
class ReaderExample:
    """One question of the pool with its positive and negative contexts."""

    id: str
    source: str
    article: str
    split: str  # train | dev
    question: str
    answers: list[str]
    positives: list[Context] = field(default_factory=list)
    negatives: list[Context] = field(default_factory=list)

    def as_json(self) -> str:
        """One JSON line."""
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, line: str) -> ReaderExample:
        """Read a line written by `as_json`."""
        raw = json.loads(line)
        raw["positives"] = [Context(**c) for c in raw["positives"]]
        raw["negatives"] = [Context(**c) for c in raw["negatives"]]
        return cls(**raw)


def split_of(source: str, article: str) -> str:
    """`dev` for about one article in DEV_ONE_IN (decided by a hash, so it never changes)."""
    digest = hashlib.sha256(f"{source}/{article}".encode()).digest()
    return "dev" if int.from_bytes(digest[:4], "big") % DEV_ONE_IN == 0 else "train"


def pool_paths(root: Path) -> dict[str, Path]:
    """The train-pool files under `root`; refuses anything the README holds out."""
    paths = {}
    for name, relative in TRAIN_POOL.items():
        if any(relative.startswith(held) for held in HELD_OUT):
            raise ValueError(f"{relative} is held out by the benchmarks README; it never trains")
        paths[name] = Path(root) / relative
    return paths


@dataclass
class _Paragraph:
    source: str
    article: str
    split: str
    doc: Article
    contexts: list[tuple[int, int]]  # reader context spans of its passages


def _holds_answer(text: str, answers: list[str]) -> bool:
    key = search_key(text)
    return any(a and (a in text or search_key(a) in key) for a in answers)


def _paragraphs(root: Path, settings: Settings) -> tuple[dict[str, _Paragraph], list[tuple]]:
    paragraphs: dict[str, _Paragraph] = {}
    questions = []
    for name, path in pool_paths(root).items():
        documents, items = read_squad(path)
        for document in documents:
            doc = article_from_text(document.title, document.text, f"{name}:{document.id}")
            spans = sorted({context_span(doc, p.first_sentence, p.last_sentence)
                            for p in make_passages(doc, settings)})
            paragraphs[f"{name}:{document.id}"] = _Paragraph(
                name, document.article, split_of(name, document.article), doc, spans)
        questions += [(name, q) for q in items]
    return paragraphs, questions


def build_examples(root: Path = DEFAULT_ROOT, settings: Settings | None = None) -> Iterator[ReaderExample]:
    """Every answerable question of the train pool as a ReaderExample, file order."""
    settings = settings or Settings()
    paragraphs, questions = _paragraphs(Path(root), settings)
    by_article: dict[tuple[str, str], list[str]] = defaultdict(list)
    for key, paragraph in paragraphs.items():
        by_article[(paragraph.source, paragraph.article)].append(key)
    # One BM25 index per side of the split, over every context of that side.
    lexical: dict[str, tuple[LexicalIndex, list[tuple[str, int, int]]]] = {}
    for side in ("train", "dev"):
        rows = [(key, s, e) for key, p in paragraphs.items() if p.split == side for s, e in p.contexts]
        docs = [tokenize(paragraphs[key].doc.text[s:e]) for key, s, e in rows]
        lexical[side] = (LexicalIndex.build(docs), rows)
    for name, q in questions:
        key = f"{name}:{q.paragraph_id}"
        paragraph = paragraphs[key]
        text = paragraph.doc.text
        answers = [a for a, _ in q.answers if a.strip()]
        located = [(p, p + len(a)) for a, s in q.answers if a.strip()
                   for p in [locate_answer(text, a, s)] if p is not None]
        if not located:
            continue  # only free-form answers: nothing to point at
        start, end = located[0]
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        example = ReaderExample(q.id, name, f"{name}/{paragraph.article}", paragraph.split,
                                q.question, answers)
        for s, e in paragraph.contexts:
            if s <= start and end <= e:
                example.positives.append(Context(text[s:e], start - s, end - s))
        if not example.positives:
            continue
        own: list[Context] = []
        for other_key in by_article[(paragraph.source, paragraph.article)]:
            other = paragraphs[other_key]
            for s, e in other.contexts:
                context = other.doc.text[s:e]
                if not _holds_answer(context, answers):
                    own.append(Context(context, kind="article"))
        example.negatives += own[:ARTICLE_NEGATIVES]
        index, rows = lexical[paragraph.split]
        scores = index.scores(tokenize(q.question))
        taken = 0
        for row in np.argsort(-scores)[: 4 * RETRIEVED_NEGATIVES + 8]:
            other_key, s, e = rows[int(row)]
            other = paragraphs[other_key]
            if (other.source, other.article) == (paragraph.source, paragraph.article) or not scores[row]:
                continue
            context = other.doc.text[s:e]
            if _holds_answer(context, answers):
                continue
            example.negatives.append(Context(context, kind="retrieved"))
            taken += 1
            if taken == RETRIEVED_NEGATIVES:
                break
        yield example


def write_examples(out_dir: Path, root: Path = DEFAULT_ROOT) -> dict[str, int]:
    """Write `train.jsonl` and `dev.jsonl` into `out_dir` (atomically); returns counts per split."""
    out_dir.mkdir(parents=True, exist_ok=True)
    counts = {"train": 0, "dev": 0}
    handles = {side: (out_dir / f".{side}.jsonl.tmp").open("w", encoding="utf-8") for side in counts}
    try:
        for example in build_examples(root):
            handles[example.split].write(example.as_json() + "\n")
            counts[example.split] += 1
    finally:
        for handle in handles.values():
            handle.close()
    for side in counts:
        (out_dir / f".{side}.jsonl.tmp").replace(out_dir / f"{side}.jsonl")
    return counts


def read_examples(path: Path) -> list[ReaderExample]:
    """Examples written by `write_examples`."""
    with path.open(encoding="utf-8") as handle:
        return [ReaderExample.from_json(line) for line in handle if line.strip()]


def dev_document_ids(source: str, bench: Benchmark) -> set[str]:
    """The ids of `bench`'s documents whose articles went to reader-dev (never trained on)."""
    return {d.id for d in bench.documents if split_of(source, d.article) == "dev"}


def reader_dev_benchmark(root: Path = DEFAULT_ROOT) -> Benchmark:
    """The reader-dev side of the train pool as one Benchmark (paragraphs and gold questions), for
    calibrating the reader through the whole answer path."""
    documents: list[BenchmarkDocument] = []
    items: list[GoldItem] = []
    for name, path in pool_paths(root).items():
        bench = load_squad_benchmark(path, name=name)
        dev = dev_document_ids(name, bench)
        documents += [replace(d, id=f"{name}:{d.id}") for d in bench.documents if d.id in dev]
        items += [replace(i, article=f"{name}:{i.article}") for i in bench.items if i.article in dev]
    return Benchmark("reader-dev", tuple(documents), tuple(items))
