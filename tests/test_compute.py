"""The compute turnstile (index.compute) and the shared passage batches (index.embed): questions
go before ingest batches, ingest is never starved, and concurrent ingests share model calls."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from index.compute import FairLock, compute_turn


def _queue_behind(lock: FairLock, order: list[str], name: str, bulk: bool) -> threading.Thread:
    def run() -> None:
        with lock.hold(bulk=bulk):
            order.append(name)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_questions_go_before_waiting_ingest_batches() -> None:
    lock = FairLock(max_bulk_wait_s=30)
    order: list[str] = []
    with lock.hold(bulk=True):  # an ingest batch is running
        threads = [_queue_behind(lock, order, "bulk-1", True)]
        time.sleep(0.1)
        threads.append(_queue_behind(lock, order, "question", False))
        time.sleep(0.1)
        threads.append(_queue_behind(lock, order, "bulk-2", True))
        time.sleep(0.1)
    for thread in threads:
        thread.join(5)
    assert order == ["question", "bulk-1", "bulk-2"]


def test_an_ingest_batch_waiting_too_long_goes_first() -> None:
    lock = FairLock(max_bulk_wait_s=0.2)
    order: list[str] = []
    with lock.hold():
        threads = [_queue_behind(lock, order, "bulk", True)]
        time.sleep(0.3)  # it has waited past its limit by the time the lock comes free
        threads.append(_queue_behind(lock, order, "question", False))
        time.sleep(0.1)
    for thread in threads:
        thread.join(5)
    assert order == ["bulk", "question"]


def test_the_lock_is_reentrant_for_its_holder() -> None:
    lock = FairLock()
    with lock.hold(), lock.hold(bulk=True):
        pass
    with lock.hold():  # and free again afterwards
        pass


@pytest.mark.slow
def test_concurrent_ingests_share_model_batches(embedder) -> None:
    texts = [[f"第{i}號碼頭第{j}期工程已完工，投資{i + j}億元。" for j in range(4)] for i in range(6)]
    alone = [embedder.embed_passages(t) for t in texts]
    calls: list[int] = []
    real = embedder._batcher._encode
    embedder._batcher._encode = lambda batch: calls.append(len(batch)) or real(batch)
    try:
        results: dict[int, np.ndarray] = {}
        with compute_turn():  # the model is busy: every caller queues before a batch is taken
            threads = [threading.Thread(target=lambda i=i: results.__setitem__(
                i, embedder.embed_passages(texts[i]))) for i in range(6)]
            for thread in threads:
                thread.start()
            time.sleep(0.3)
        for thread in threads:
            thread.join(60)
    finally:
        embedder._batcher._encode = real
    assert calls == [16, 8]  # packed into full batches, not six calls of four
    for i in range(6):
        np.testing.assert_allclose(results[i], alone[i], atol=1e-4)
