"""The process's one compute turnstile: model forward passes run one at a time, first come first
served.

Every model call (query and passage embedding, the reader) uses all cores for itself. Two at
once on a small machine thrash (each runs its thread pool on cores the other holds), so a search
arriving while an ingest embeds would slow to seconds. Taking turns in arrival order keeps each
call at full speed: a question waits at most for the calls queued before it (an ingest job embeds
in short turns, `Settings.ingest_turn_texts`), and ingest still moves between questions.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class FairLock:
    """A lock granted in arrival order (a ticket lock); re-entrant for the thread holding it."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._next_ticket = 0
        self._serving = 0
        self._owner: int | None = None
        self._depth = 0

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Wait for this caller's turn, hold the lock for the block, then pass it on."""
        me = threading.get_ident()
        with self._cond:
            if self._owner == me:
                self._depth += 1
            else:
                ticket = self._next_ticket
                self._next_ticket += 1
                while ticket != self._serving:
                    self._cond.wait()
                self._owner, self._depth = me, 1
        try:
            yield
        finally:
            with self._cond:
                self._depth -= 1
                if self._depth == 0:
                    self._owner = None
                    self._serving += 1
                    self._cond.notify_all()


_COMPUTE = FairLock()


@contextmanager
def compute_turn(threads: int | None = None) -> Iterator[None]:
    """Run a model call in its turn, with `threads` torch threads (default: every core)."""
    with _COMPUTE.hold():
        import torch

        torch.set_num_threads(threads or os.cpu_count() or 1)
        yield
