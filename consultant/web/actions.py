"""Glue shared by the pages and the API: calling the write services with the current user."""

from __future__ import annotations

from sqlalchemy.orm import Session

from consultant.db.models import RECEIVED, InboundMessage
from consultant.services import audit
from consultant.services.dispatch import enqueue_inbound_after_commit


def _service_unshunt() -> object | None:
    import importlib

    for name in ("consultant.services.unshunt", "consultant.services.inbox", "consultant.services.recovery"):
        try:
            fn = getattr(importlib.import_module(name), "unshunt", None)
        except ImportError:
            continue
        if callable(fn):
            return fn
    return None


class ActionError(Exception):
    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


def reprocess_failed(session: Session, inbound_id: int, actor: str) -> InboundMessage:
    """Unshunt: a failed mail goes back to `received` and is processed again after commit.

    Uses the ingestion service's `unshunt` when it exists, so both paths stay the same.
    """
    unshunt = _service_unshunt()
    msg = session.get(InboundMessage, inbound_id)
    if msg is None:
        raise ActionError(f"mail {inbound_id} does not exist", 404)
    if msg.state != "failed":
        raise ActionError(f"mail {inbound_id} is {msg.state}, not failed")
    if callable(unshunt):
        try:
            unshunt(session, inbound_id, actor=actor)
            return msg
        except TypeError:
            pass  # another signature: fall back to the plain steps below
    msg.state = RECEIVED
    msg.failed_stage = None
    msg.reason = None
    audit.record(session, actor, "unshunt", msg.case_id, inbound_id=msg.id)
    enqueue_inbound_after_commit(session, msg.id)
    return msg
