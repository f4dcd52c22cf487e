"""The one interface between services and the task queue.

Services never import Celery: they ask a `Dispatcher` to enqueue work by row id, and only
after their transaction commits. `workers.dispatch.CeleryDispatcher` is the production one;
tests may use `RecordingDispatcher` to see what would be enqueued.
"""

from __future__ import annotations

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

    def send_outbound(self, outbound_id: int, countdown: float = 0.0) -> None:
        self.outbound.append(outbound_id)


_dispatcher: Dispatcher | None = None


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


def enqueue_send_after_commit(session: Session, outbound_id: int, countdown: float = 0.0) -> None:
    after_commit(session, lambda: get_dispatcher().send_outbound(outbound_id, countdown))
