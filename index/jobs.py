"""Ingest jobs: files parsed, embedded and committed in the background, fairly, with progress.

A job reads its files, works out which passages and sentences are new, embeds them *outside* the
index's write lock, and commits batches of about `ingest_commit_texts` new texts (whole
articles). Embedding is where the time goes: each batch of `embed_batch_size` texts waits its
turn at the model behind the calls that came before it (`index.compute`, first come first
served), so a small upload waits for a batch or two of a large one, never for all of it, and
searches keep answering between batches. Commits are short (the vectors are ready), and the
batches of jobs that finish together are committed together. A job killed mid-way keeps every
batch it committed; running it again embeds only what is missing.

`run_job` does the work on the calling thread (the CLI); `IngestJobs` runs jobs on threads of
their own and keeps their records for the HTTP API and the chat page to poll.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np
from tqdm.auto import tqdm

from .errors import ArticleQAError, IndexBusyError, InputError, NotFoundError
from .ingest import Rejected, SourceFile, articles_from_file
from .records import Article
from .store import VectorCache
from .text import tokenize

if TYPE_CHECKING:
    from .library import IngestReport, Library, TextToEmbed

log = logging.getLogger(__name__)

#: A job's states: waiting for its thread, working, and the three ways it ends.
JOB_STATES = ("queued", "running", "done", "failed", "cancelled")
FINISHED = frozenset({"done", "failed", "cancelled"})
#: A file's states inside a job.
FILE_STATES = ("queued", "reading", "waiting", "embedding", "done", "rejected", "failed",
               "cancelled")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class FileStatus:
    """One file of a job: where it is, how many articles it gave, and why it was refused."""

    name: str
    state: str = "queued"
    articles: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    reason: str = ""
    #: The reason as an error code and its values (index.errors), for interfaces in other languages.
    code: str = ""
    params: dict[str, object] = field(default_factory=dict)


@dataclass
class _Item:
    """A file (or a posted article) the job ingests: its status, and its input until parsed."""

    status: FileStatus
    file: SourceFile | None = None
    articles: list[Article] = field(default_factory=list)
    committed: int = 0


@dataclass
class IngestJob:
    """The record of one ingest: state, progress and per-file results (thread-safe to read)."""

    id: str
    items: list[_Item]
    state: str = "queued"
    #: While running: "reading", "embedding" or "committing".
    stage: str = ""
    created_at: str = field(default_factory=_now)
    started_at: str | None = None
    finished_at: str | None = None
    texts_total: int = 0
    texts_embedded: int = 0
    articles_total: int = 0
    articles_committed: int = 0
    error: str = ""
    #: The error as a code and its values (index.errors), for interfaces in other languages.
    error_code: str = ""
    error_params: dict[str, object] = field(default_factory=dict)
    report: IngestReport | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)
    _done: threading.Event = field(default_factory=threading.Event, repr=False)
    _embed_started: float | None = field(default=None, repr=False)
    _failure: BaseException | None = field(default=None, repr=False)

    @classmethod
    def create(cls, files: Sequence[SourceFile] = (), articles: Sequence[Article] = (),
               rejected: Sequence[Rejected] = ()) -> IngestJob:
        """A job over uploaded files, ready-made articles (JSON uploads) and files already
        refused before the job (listed with their reasons)."""
        items = [_Item(FileStatus(f.name), file=f) for f in files]
        items += [_Item(FileStatus(a.title, state="waiting", articles=1), articles=[a])
                  for a in articles]
        items += [_Item(FileStatus(r.name, state="rejected", reason=r.reason, code=r.code,
                                   params=dict(r.params))) for r in rejected]
        return cls(id=uuid.uuid4().hex[:16], items=items)

    # ----- reading the record -----
    @property
    def files(self) -> list[FileStatus]:
        """Per-file results, in upload order."""
        with self._lock:
            return [replace(item.status, params=dict(item.status.params)) for item in self.items]

    @property
    def sources(self) -> list[str]:
        """The sources (file or title keys) whose articles the job replaces."""
        with self._lock:
            return list(dict.fromkeys(a.source for i in self.items for a in i.articles))

    @property
    def finished(self) -> bool:
        """Whether the job has ended (done, failed or cancelled)."""
        return self.state in FINISHED

    @property
    def progress(self) -> float:
        """Share of the work done, 0..1: reading files is the first 5%, embedding the rest."""
        if self.state == "done":
            return 1.0
        with self._lock:
            states = [i.status.state for i in self.items]
            reading = sum(s not in ("queued", "reading") for s in states) / max(len(states), 1)
            if self.texts_total:
                embedding = self.texts_embedded / self.texts_total
            else:
                embedding = 1.0 if self.stage == "committing" else 0.0
        return round(min(0.99, 0.05 * reading + 0.95 * embedding), 4)

    @property
    def eta_s(self) -> float | None:
        """Seconds of embedding left at the rate so far (None before the first batch)."""
        with self._lock:
            if self._embed_started is None or not self.texts_embedded or self.finished:
                return None
            rate = self.texts_embedded / max(time.monotonic() - self._embed_started, 1e-6)
            return round((self.texts_total - self.texts_embedded) / rate, 1)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job ends (or `timeout` seconds pass); whether it has ended."""
        return self._done.wait(timeout)

    def cancel(self) -> None:
        """Ask the job to stop after its current batch; what it already committed stays."""
        self._cancel.set()

    @property
    def cancel_requested(self) -> bool:
        """Whether `cancel` was called."""
        return self._cancel.is_set()

    def final_report(self) -> IngestReport:
        """The report of a finished job; re-raises what made it fail."""
        if self._failure is not None:
            raise self._failure
        assert self.report is not None
        return self.report

    # ----- updating it (the job's own thread) -----
    def _set(self, **changes: object) -> None:
        with self._lock:
            for name, value in changes.items():
                setattr(self, name, value)

    def _file(self, item: _Item, **changes: object) -> None:
        with self._lock:
            for name, value in changes.items():
                setattr(item.status, name, value)


class _Prepared:
    """Vectors a job embedded for its next commit, gathered batch by batch."""

    def __init__(self) -> None:
        self.passage_keys: list[str] = []
        self.passage_tokens: list[list[str]] = []
        self.passage_vectors: list[np.ndarray] = []
        self.sentence_keys: list[str] = []
        self.sentence_vectors: list[np.ndarray] = []

    def add(self, texts: Sequence[TextToEmbed], vectors: np.ndarray) -> None:
        for text, vector in zip(texts, vectors, strict=True):
            if text.is_passage:
                self.passage_keys.append(text.key)
                self.passage_tokens.append(tokenize(text.text))
                self.passage_vectors.append(vector)
            else:
                self.sentence_keys.append(text.key)
                self.sentence_vectors.append(vector)

    def cache(self, dimension: int) -> VectorCache:
        def stack(rows: list[np.ndarray]) -> np.ndarray:
            return np.stack(rows) if rows else np.zeros((0, dimension), dtype=np.float32)

        return VectorCache(embed_keys=self.passage_keys, passage_tokens=self.passage_tokens,
                           vectors=stack(self.passage_vectors), sentence_keys=self.sentence_keys,
                           sentence_vectors=stack(self.sentence_vectors))


@dataclass(eq=False)  # compared by identity
class _Commit:
    """One job's batch waiting to be committed, and the report once it is."""

    articles: list[Article]
    sources: list[str]
    keep: set[str]
    prepared: VectorCache
    report: IngestReport | None = None
    error: BaseException | None = None


class GroupCommit:
    """Commits the batches of concurrent jobs together: whichever job gets the lock commits
    every batch waiting (sources that overlap wait for the next commit), so twenty small uploads
    finishing at once cost a commit or two, not twenty in a row.

    A commit rewrites the index (about a second for a few thousand passages), so before it the
    committing job waits up to `GATHER_S` for small batches still being embedded
    (`expect`) to join it.
    """

    GATHER_S = 1.0
    #: Batches of at most this many texts are worth waiting for.
    SMALL_BATCH = 256

    def __init__(self, library: Library) -> None:
        self.library = library
        self._pending: list[_Commit] = []
        self._expected = 0
        self._queue_lock = threading.Lock()
        self._commit_lock = threading.Lock()

    def expect(self, texts: int) -> bool:
        """Announce a batch of `texts` being embedded; True when commits will wait for it (then
        `commit` or `forget` must follow)."""
        if texts > self.SMALL_BATCH:
            return False
        with self._queue_lock:
            self._expected += 1
        return True

    def forget(self, expected: bool) -> None:
        """Withdraw an announced batch that will not be committed (cancelled, failed)."""
        if expected:
            with self._queue_lock:
                self._expected -= 1

    def commit(self, articles: list[Article], sources: list[str], keep: set[str],
               prepared: VectorCache, expected: bool = False) -> IngestReport:
        """Commit one batch (possibly with others'); its own report."""
        entry = _Commit(articles, sources, keep, prepared)
        with self._queue_lock:
            self._pending.append(entry)
            if expected:
                self._expected -= 1
        while entry.report is None and entry.error is None:
            with self._commit_lock:
                if entry.report is None and entry.error is None:
                    deadline = time.monotonic() + self.GATHER_S
                    while self._expected > 0 and time.monotonic() < deadline:
                        time.sleep(0.02)
                    self._commit_group()
        if entry.error is not None:
            raise entry.error
        return entry.report  # type: ignore[return-value]

    def _commit_group(self) -> None:
        with self._queue_lock:
            group: list[_Commit] = []
            taken: set[str] = set()
            for entry in self._pending:
                if taken.isdisjoint(entry.sources):
                    group.append(entry)
                    taken.update(entry.sources)
            self._pending = [e for e in self._pending if all(e is not g for g in group)]
        live = self.library.snapshot.articles
        removed = {id(e): [a.title for a in live.values() if a.source in set(e.sources)
                           and a.id not in e.keep] for e in group}
        prepared = VectorCache()
        for entry in group:
            prepared.add_passages(entry.prepared.embed_keys, entry.prepared.passage_tokens,
                                  entry.prepared.vectors)
            prepared.add_sentences(entry.prepared.sentence_keys, entry.prepared.sentence_vectors)
        try:
            report = self.library.apply(
                add=[a for e in group for a in e.articles],
                replace_sources=[s for e in group for s in e.sources],
                keep_ids=set().union(*(e.keep for e in group)), prepared=prepared)
        except BaseException as exc:
            for entry in group:
                entry.error = exc
            return
        if len(group) > 1:
            log.info("committed %d jobs' batches together", len(group))
        from .library import IngestReport

        for entry in group:
            own = IngestReport(removed=removed[id(entry)], articles=report.articles,
                               passages=report.passages)
            for article in entry.articles:
                outcome = report.outcomes[article.id]
                own.outcomes[article.id] = outcome
                getattr(own, outcome).append(article.title)
            entry.report = own


class JobCancelled(ArticleQAError):
    """The job was cancelled; what it committed before stays."""


def run_job(library: Library, job: IngestJob, commits: GroupCommit | None = None,
            progress: bool = False) -> None:
    """Do a job's work on this thread; the job record says how it ended.

    `commits` is shared by the jobs of one process (IngestJobs); errors are recorded on the job
    (`final_report` raises them again), never lost.
    """
    commits = commits or GroupCommit(library)
    from .library import IngestReport

    started = time.perf_counter()
    refused = [Rejected(i.status.name, i.status.reason, i.status.code, dict(i.status.params))
               for i in job.items if i.status.state == "rejected"]
    job._set(state="running", stage="reading", started_at=_now(),
             report=IngestReport(rejected=refused))
    bar = None
    try:
        _read_files(job, progress)
        todo = _plan(library, job)
        total = sum(len(texts) for _, texts in todo)
        job._set(stage="embedding", texts_total=total,
                 articles_total=sum(len(i.articles) for i in job.items))
        log.info("ingest job %s: embedding %d new passages and sentences of %d articles", job.id,
                 total, job.articles_total)
        bar = tqdm(total=total, desc="embedding", unit="text", disable=not progress or not total)
        sources = [i.articles[0].source for i in job.items if i.articles]
        keep = {a.id for i in job.items for a in i.articles}
        for batch in _batches(todo, library.settings.ingest_commit_texts):
            prepared = _Prepared()
            expected = commits.expect(sum(len(texts) for _, texts in batch))
            try:
                for _, texts in batch:
                    _embed(library, job, texts, prepared, bar)
            except BaseException:
                commits.forget(expected)
                raise
            job._set(stage="committing")
            report = commits.commit([a for a, _ in batch], sources, keep,
                                    prepared.cache(library.embedder.dimension), expected)
            report.embedded = len(prepared.passage_keys)  # embedded here, ahead of the commit
            report.embedded_sentences = len(prepared.sentence_keys)
            _record_commit(job, [a for a, _ in batch], report)
            job._set(stage="embedding")
        if not todo:  # nothing could be read: nothing to commit, only the library's size to report
            live = library.snapshot
            job.report.articles, job.report.passages = len(live.articles), len(live.passages)
        ingested = any(i.articles for i in job.items)
        if ingested or not job.items:
            job._set(state="done")
        else:
            job._set(state="failed", error="no file could be ingested",
                     error_code="no_file_ingested")
    except JobCancelled:
        _end_files(job, "cancelled")
        job._set(state="cancelled")
        log.info("ingest job %s cancelled after %d of %d articles", job.id,
                 job.articles_committed, job.articles_total)
    except BaseException as exc:
        _end_files(job, "failed")
        if isinstance(exc, ArticleQAError):
            job._set(state="failed", error=str(exc), error_code=exc.code,
                     error_params=dict(exc.params), _failure=exc)
        else:
            job._set(state="failed", error="internal error; the server log has the details",
                     error_code="internal_error", _failure=exc)
        if not isinstance(exc, ArticleQAError):
            log.exception("ingest job %s failed", job.id)
    finally:
        if bar is not None:
            bar.close()
        if job.report is not None:
            job.report.seconds = time.perf_counter() - started
            job.report.reused = max(0, job.report.passages - job.report.embedded)
        job._set(stage="", finished_at=_now())
        job._done.set()


def _read_files(job: IngestJob, progress: bool) -> None:
    """Parse each file into articles; a file that cannot be read is rejected with its reason."""
    assert job.report is not None
    files = [item for item in job.items if item.file is not None]
    for item in tqdm(files, desc="reading", unit="file", disable=not progress or len(files) < 2):
        assert item.file is not None
        if job.cancel_requested:
            raise JobCancelled("cancelled")
        job._file(item, state="reading")
        try:
            articles = articles_from_file(item.file)
        except InputError as exc:  # the report names the file once, beside its reason
            rejection = Rejected.of(item.file.name, exc)
            job._file(item, state="rejected", reason=rejection.reason, code=rejection.code,
                      params=rejection.params)
            job.report.rejected.append(rejection)
            continue
        item.articles = articles
        item.file = None  # the bytes are not needed any more
        job._file(item, state="waiting", articles=len(articles))


def _plan(library: Library, job: IngestJob) -> list[tuple[Article, list[TextToEmbed]]]:
    """Every article of the job with the texts it still needs embedded (each text once)."""
    known: set[str] = set()
    return [(article, library.texts_to_embed(article, known))
            for item in job.items for article in item.articles]


def _batches(todo: list[tuple[Article, list[TextToEmbed]]],
             size: int) -> Iterator[list[tuple[Article, list[TextToEmbed]]]]:
    """Whole articles grouped into commits of about `size` new texts."""
    batch: list[tuple[Article, list[TextToEmbed]]] = []
    texts = 0
    for article, needed in todo:
        if batch and texts + len(needed) > size:
            yield batch
            batch, texts = [], 0
        batch.append((article, needed))
        texts += len(needed)
    if batch:
        yield batch


def _embed(library: Library, job: IngestJob, texts: list[TextToEmbed], prepared: _Prepared,
           bar: tqdm) -> None:
    """Embed one article's new texts a batch at a time; each batch waits its turn at the model
    (index.compute) behind the calls that came first, so other jobs and searches interleave."""
    step = library.settings.embed_batch_size
    for start in range(0, len(texts), step):
        if job.cancel_requested:
            raise JobCancelled("cancelled")
        chunk = texts[start:start + step]
        if job._embed_started is None:
            job._set(_embed_started=time.monotonic())
        left = job.texts_total - job.texts_embedded - len(chunk)
        vectors = library.embedder.embed_passages([t.text for t in chunk], backlog=left)
        prepared.add(chunk, vectors)
        job._set(texts_embedded=job.texts_embedded + len(chunk))
        bar.update(len(chunk))


def _record_commit(job: IngestJob, articles: list[Article], report: IngestReport) -> None:
    """Fold a commit's report into the job's and mark the files whose articles are all in."""
    assert job.report is not None
    with job._lock:
        job.report.merge(report)
        job.articles_committed += len(articles)
        committed = {a.id for a in articles}
        for item in job.items:
            ids = [a.id for a in item.articles if a.id in committed]
            if not ids:
                continue
            item.committed += len(ids)
            for article_id in ids:
                outcome = report.outcomes.get(article_id)
                if outcome:
                    setattr(item.status, outcome, getattr(item.status, outcome) + 1)
            if item.committed >= len(item.articles):
                item.status.state = "done"
            else:
                item.status.state = "embedding"


def _end_files(job: IngestJob, state: str) -> None:
    """Mark the files a stopped job did not finish."""
    with job._lock:
        for item in job.items:
            if item.status.state not in ("done", "rejected"):
                item.status.state = state


class IngestJobs:
    """Runs ingest jobs on background threads and remembers them, for the API and the page."""

    def __init__(self, library: Library) -> None:
        self.library = library
        self.commits = GroupCommit(library)
        self._jobs: dict[str, IngestJob] = {}
        self._lock = threading.Lock()

    def submit(self, files: Sequence[SourceFile] = (), articles: Sequence[Article] = (),
               rejected: Sequence[Rejected] = ()) -> IngestJob:
        """Start a job; IndexBusyError when `max_ingest_jobs` are already queued or running."""
        settings = self.library.settings
        job = IngestJob.create(files, articles, rejected)
        with self._lock:
            active = sum(not j.finished for j in self._jobs.values())
            if active >= settings.max_ingest_jobs:
                raise IndexBusyError(f"{active} ingest jobs are already queued or running; "
                                     "retry when some have finished", code="jobs_full",
                                     jobs=active)
            self._jobs[job.id] = job
            self._forget_old(settings.kept_ingest_jobs)
        threading.Thread(target=run_job, args=(self.library, job, self.commits),
                         name=f"ingest-{job.id}", daemon=True).start()
        return job

    def get(self, job_id: str) -> IngestJob:
        """A job by id; NotFoundError when unknown (jobs are remembered until the server stops)."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise NotFoundError(f"no ingest job with id {job_id[:64]!r} (jobs are remembered until "
                                "the server restarts; committed articles stay in the library)")
        return job

    def all(self) -> list[IngestJob]:
        """Every remembered job, newest first."""
        with self._lock:
            return list(reversed(self._jobs.values()))  # kept in the order they came

    def _forget_old(self, keep: int) -> None:
        finished = [j for j in self._jobs.values() if j.finished]
        for job in finished[:max(0, len(self._jobs) - keep)]:  # the oldest first
            del self._jobs[job.id]
