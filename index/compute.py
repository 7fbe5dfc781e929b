"""The process's one compute turnstile: model forward passes run one at a time, in turns.

Every model call (query and passage embedding, the reader) uses all cores for itself. Two at
once on a small machine thrash (each runs its thread pool on cores the other holds), so a search
arriving while an ingest embeds would slow to seconds. Taking turns keeps each call at full
speed. Questions go first: a search or an answer waits for the call running now (an
ingest embeds in batches of `embed_batch_size`) and other questions, while ingest batches take the
turns left over, and one at least every second however busy the questions keep it.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class FairLock:
    """A lock granted in arrival order within two classes: a waiting interactive call (a search's
    query, an answer's reading) goes before waiting bulk work (ingest batches), unless the oldest
    bulk call has waited `max_bulk_wait_s`, so questions stay quick and ingest never starves.
    Re-entrant for the thread holding it."""

    def __init__(self, max_bulk_wait_s: float = 1.0) -> None:
        self.max_bulk_wait_s = max_bulk_wait_s
        self._cond = threading.Condition()
        self._tickets = itertools.count()
        self._waiting: dict[int, tuple[bool, float]] = {}  # ticket -> (bulk, since)
        self._owner: int | None = None
        self._depth = 0

    def _next(self) -> int:
        interactive = [t for t, (bulk, _) in self._waiting.items() if not bulk]
        bulk = [t for t, (is_bulk, _) in self._waiting.items() if is_bulk]
        if bulk and (not interactive or time.monotonic() - self._waiting[min(bulk)][1]
                     >= self.max_bulk_wait_s):
            return min(bulk)
        return min(interactive)

    @contextmanager
    def hold(self, bulk: bool = False) -> Iterator[None]:
        """Wait for this caller's turn, hold the lock for the block, then pass it on."""
        me = threading.get_ident()
        with self._cond:
            if self._owner == me:
                self._depth += 1
            else:
                ticket = next(self._tickets)
                self._waiting[ticket] = (bulk, time.monotonic())
                while self._owner is not None or self._next() != ticket:
                    self._cond.wait(timeout=self.max_bulk_wait_s)
                del self._waiting[ticket]
                self._owner, self._depth = me, 1
        try:
            yield
        finally:
            with self._cond:
                self._depth -= 1
                if self._depth == 0:
                    self._owner = None
                    self._cond.notify_all()


_COMPUTE = FairLock()


@contextmanager
def compute_turn(threads: int | None = None, bulk: bool = False) -> Iterator[None]:
    """Run a model call in its turn, with `threads` torch threads (default: every core); `bulk`
    for work nobody is waiting on line by line (ingest), which yields to interactive calls."""
    with _COMPUTE.hold(bulk):
        import torch

        torch.set_num_threads(threads or os.cpu_count() or 1)
        yield
