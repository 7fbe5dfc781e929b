"""Ingest jobs (index.jobs) with the real embedder: a small upload is not stuck behind a large
one, a large one commits batch by batch with progress, and a cancelled one keeps its batches."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from index import Library
from index.ingest import SourceFile
from index.jobs import IngestJob, IngestJobs

pytestmark = pytest.mark.slow


def _article_file(i: int, sentences: int = 8) -> SourceFile:
    body = "".join(f"第{i}號報道的第{j}句話記錄了本市第{j}項工程在第{i}區的進展情況。"
                   for j in range(sentences))
    return SourceFile(name=f"article{i:03d}.txt", source=f"upload:article{i:03d}.txt",
                      data=f"測試新聞第{i}號\n\n{body}\n".encode())


@pytest.fixture
def jobs(settings, embedder, tmp_path: Path, store: str) -> Iterator[IngestJobs]:
    """Ingest jobs over a fresh index (not seeded) in each store."""
    library = Library(settings.with_(index_dir=tmp_path / "idx", ingest_commit_texts=40, store=store),
                      embedder=embedder, seed_builtin=False)
    yield IngestJobs(library)
    library.close()


def _watch(job: IngestJob, timeout: float = 300) -> list[tuple[float, int]]:
    """Poll a job until it ends: the (progress, articles committed) pairs seen on the way."""
    seen = []
    deadline = time.monotonic() + timeout
    while not job.finished:
        assert time.monotonic() < deadline, "the job did not end in time"
        seen.append((job.progress, job.articles_committed))
        time.sleep(0.05)
    return seen


def test_a_small_upload_is_not_stuck_behind_a_large_one(jobs: IngestJobs) -> None:
    large = jobs.submit(files=[_article_file(i) for i in range(16)])
    while large.texts_embedded == 0:  # the large job holds the embedder now
        assert not large.finished, large.error
        time.sleep(0.05)
    small = jobs.submit(files=[_article_file(900, sentences=2)])
    assert small.wait(120), "the small job did not finish"
    assert small.state == "done" and not large.finished  # it went ahead of the large one
    assert small.files[0].state == "done" and small.files[0].added == 1
    assert "測試新聞第900號" in {a.title for a in jobs.library.snapshot.articles.values()}
    seen = _watch(large)
    assert large.state == "done", large.error
    progress = [p for p, _ in seen]
    assert progress == sorted(progress) and large.progress == 1.0
    # committed batch by batch: some articles were searchable before the job ended
    assert any(0 < committed < 16 for _, committed in seen)
    assert large.report is not None and len(large.report.added) == 16
    assert [f.state for f in large.files] == ["done"] * 16
    assert len(jobs.library.snapshot.articles) == 17
    assert [j.id for j in jobs.all()] == [small.id, large.id]


def test_a_cancelled_job_keeps_what_it_committed_and_can_run_again(jobs: IngestJobs) -> None:
    files = [_article_file(i) for i in range(16)]
    job = jobs.submit(files=files)
    while job.articles_committed == 0:
        assert not job.finished, job.error
        time.sleep(0.05)
    job.cancel()
    assert job.wait(120) and job.state == "cancelled"
    committed = job.articles_committed
    assert 0 < committed < 16
    titles = {a.title for a in jobs.library.snapshot.articles.values()}
    assert len(titles) == committed
    states = [f.state for f in job.files]
    assert states.count("done") == committed and set(states) == {"done", "cancelled"}
    again = jobs.submit(files=files)
    again.wait(300)
    assert again.state == "done", again.error
    assert again.report is not None
    assert len(again.report.unchanged) == committed and len(again.report.added) == 16 - committed
    assert len(jobs.library.snapshot.articles) == 16


def test_uploads_finishing_together_share_a_commit(jobs: IngestJobs) -> None:
    before = jobs.library.store.next_seq()
    with jobs.library.store.write_lock():  # another writer (a CLI ingest) holds the index a while
        small = [jobs.submit(files=[_article_file(700 + i, sentences=2)]) for i in range(6)]
        deadline = time.monotonic() + 120
        while not all(job.stage == "committing" for job in small):
            assert time.monotonic() < deadline and not any(job.finished for job in small)
            time.sleep(0.05)
    for job in small:
        assert job.wait(120) and job.state == "done", job.error
        assert job.report is not None and len(job.report.added) == 1
        assert job.report.outcomes == {a.id: "added" for a in job.items[0].articles}
    assert len(jobs.library.snapshot.articles) == 6
    # the jobs were all waiting to commit when the lock came free: one commit (or the first
    # job's, which had waited for the others a moment, and then one for the rest)
    assert jobs.library.store.next_seq() - before in (1, 2)
