"""The one interface between services and the task queue.

Services never import Celery: they ask a `Dispatcher` to enqueue work by row id, and only
after their transaction commits. `workers.dispatch.CeleryDispatcher` is the production one;
tests may use `RecordingDispatcher` to see what would be enqueued.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy.orm import Session

from consultant.services.after_commit import after_commit


class Dispatcher(Protocol):
    def process_inbound(self, inbound_id: int) -> None: ...

    def send_outbound(self, outbound_id: int, countdown: float = 0.0) -> None: ...


class RecordingDispatcher:
    """Enqueues nothing; remembers what it was asked (for tests and dry runs)."""

    def __init__(self) -> None:
        self.inbound: list[int] = []
        self.outbound: list[int] = []

    def process_inbound(self, inbound_id: int) -> None:
        self.inbound.append(inbound_id)

    def process_inbound_batch(self, inbound_ids: Sequence[int]) -> None:
        for i in inbound_ids:
            self.process_inbound(i)

    def send_outbound(self, outbound_id: int, countdown: float = 0.0) -> None:
        self.outbound.append(outbound_id)


_dispatcher: Dispatcher | None = None
# ids per batch message: small enough that the worker processes share a backlog evenly and a
# redelivered batch (killed worker) redoes little, big enough that per-task overhead vanishes
BATCH_SIZE = 50


def set_dispatcher(dispatcher: Dispatcher | None) -> None:
    global _dispatcher
    _dispatcher = dispatcher


def get_dispatcher() -> Dispatcher:
    if _dispatcher is None:
        from workers.dispatch import CeleryDispatcher  # the default; imported late (no cycle)

        set_dispatcher(CeleryDispatcher())
    assert _dispatcher is not None
    return _dispatcher


def enqueue_inbound_after_commit(session: Session, inbound_id: int) -> None:
    after_commit(session, lambda: get_dispatcher().process_inbound(inbound_id))


def enqueue_inbound_batch(dispatcher: Dispatcher, inbound_ids: Sequence[int]) -> None:
    """Enqueue many committed rows: one message per chunk when the dispatcher can take batches
    (`process_inbound_batch`), else one per id."""
    batch = getattr(dispatcher, "process_inbound_batch", None)
    if batch is None:
        for i in inbound_ids:
            dispatcher.process_inbound(i)
        return
    for start in range(0, len(inbound_ids), BATCH_SIZE):
        batch(list(inbound_ids[start : start + BATCH_SIZE]))


def enqueue_inbound_batch_after_commit(session: Session, inbound_ids: Sequence[int]) -> None:
    ids = list(inbound_ids)
    if ids:
        after_commit(session, lambda: enqueue_inbound_batch(get_dispatcher(), ids))


def enqueue_send_after_commit(session: Session, outbound_id: int, countdown: float = 0.0) -> None:
    after_commit(session, lambda: get_dispatcher().send_outbound(outbound_id, countdown))
