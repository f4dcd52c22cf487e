"""Unshunt (Mailman's word): a failed mail goes back to `received` and is processed again.

The raw bytes were kept, so nothing is lost; the audit log keeps the stage it had failed in.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from consultant.db.models import RECEIVED, InboundMessage, utcnow
from consultant.services import audit
from consultant.services.dispatch import enqueue_inbound_after_commit


class NotUnshuntable(Exception):
    def __init__(self, inbound_id: int, state: str | None) -> None:
        reason = "does not exist" if state is None else f"is {state}, not failed"
        super().__init__(f"mail {inbound_id} {reason}")
        self.inbound_id = inbound_id
        self.state = state


def unshunt(session: Session, inbound_id: int, *, actor: str) -> InboundMessage:
    msg = session.scalar(select(InboundMessage).where(InboundMessage.id == inbound_id).with_for_update())
    if msg is None or msg.state != "failed":
        raise NotUnshuntable(inbound_id, msg.state if msg else None)
    audit.record(session, actor, "unshunt", msg.case_id, inbound_id=msg.id, failed_stage=msg.failed_stage)
    msg.state = RECEIVED
    msg.failed_stage = None
    msg.reason = None
    msg.processed_at = None
    msg.enqueued_at = utcnow()  # the sweeper leaves it alone while it waits its turn
    enqueue_inbound_after_commit(session, msg.id)
    return msg


def failed_ids(session: Session) -> list[int]:
    query = select(InboundMessage.id).where(InboundMessage.state == "failed").order_by(InboundMessage.id)
    return list(session.scalars(query))
