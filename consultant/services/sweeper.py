"""The sweeper: no state lives only in Redis. Rows stuck in a state are enqueued again."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from consultant.db.models import (
    OUT_QUEUED,
    OUT_RETRYING,
    OUT_SENDING,
    PARSED,
    RECEIVED,
    InboundMessage,
    OutboundMessage,
    utcnow,
)
from consultant.services.dispatch import enqueue_inbound_after_commit, enqueue_send_after_commit
from consultant.settings import Settings


def sweep(session: Session, settings: Settings) -> dict[str, int]:
    """Re-enqueue inbound rows not processed within N seconds and outbound rows due to send.

    Enqueueing twice is harmless: every task is idempotent (process checks the state; send claims
    the row with a compare-and-set)."""
    now = utcnow()
    stale = now - dt.timedelta(seconds=settings.sweep_after_seconds)
    inbound_ids = list(
        session.scalars(
            select(InboundMessage.id).where(
                InboundMessage.state.in_((RECEIVED, PARSED)), InboundMessage.received_at < stale
            ).order_by(InboundMessage.id).limit(5000)
        )
    )
    outbound_ids = list(
        session.scalars(
            select(OutboundMessage.id).where(
                or_(
                    (OutboundMessage.state == OUT_QUEUED) & (OutboundMessage.updated_at < stale),
                    (OutboundMessage.state == OUT_RETRYING)
                    & or_(OutboundMessage.next_attempt_at.is_(None), OutboundMessage.next_attempt_at <= now),
                )
            ).limit(5000)
        )
    )
    stuck_sending = list(
        session.scalars(
            select(OutboundMessage.id).where(
                OutboundMessage.state == OUT_SENDING, OutboundMessage.updated_at < stale
            )
        )
    )
    for i in inbound_ids:
        enqueue_inbound_after_commit(session, i)
    for o in outbound_ids:
        enqueue_send_after_commit(session, o)
    # rows left in `sending` by a crash: the sending service decides (Sent folder lookup, then resend)
    from consultant.services.recovery import recover_sending

    recovered = recover_sending(session, stuck_sending)
    return {"inbound": len(inbound_ids), "outbound": len(outbound_ids), "recovered": recovered}
