"""Glue shared by the pages and the API: calling the write services with the current user."""

from __future__ import annotations

from sqlalchemy.orm import Session

from consultant.db.models import InboundMessage


class ActionError(Exception):
    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


def reprocess_failed(session: Session, inbound_id: int, actor: str) -> InboundMessage:
    """Unshunt: a failed mail goes back to `received` and is processed again after commit."""
    from consultant.services.unshunt import NotUnshuntable, unshunt

    try:
        return unshunt(session, inbound_id, actor=actor)
    except NotUnshuntable as exc:
        raise ActionError(str(exc), 404 if exc.state is None else 409) from exc
