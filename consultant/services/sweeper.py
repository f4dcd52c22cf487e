"""The sweeper: no state lives only in Redis. Rows stuck in a state are enqueued again."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select, update
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
from consultant.services.dispatch import enqueue_inbound_batch_after_commit, enqueue_send_after_commit
from consultant.settings import Settings

SWEEP_LIMIT = 5000


def sweep(session: Session, settings: Settings) -> dict[str, int]:
    """Re-enqueue inbound rows not processed and not enqueued within N seconds, and outbound rows
    due to send.

    A row merely waiting its turn in a long queue was enqueued recently (`enqueued_at`, set on
    insert and here) and is left alone; the ones re-enqueued get a fresh `enqueued_at` in the same
    transaction and go out in batch messages after the commit. Enqueueing twice is still harmless:
    every task is idempotent (process checks the state and skips rows another worker holds; send
    claims the row with a compare-and-set)."""
    now = utcnow()
    stale = now - dt.timedelta(seconds=settings.sweep_after_seconds)
    inbound_ids = list(
        session.scalars(
            select(InboundMessage.id).where(
                InboundMessage.state.in_((RECEIVED, PARSED)),
                InboundMessage.received_at < stale,
                or_(InboundMessage.enqueued_at.is_(None), InboundMessage.enqueued_at < stale),
            ).order_by(InboundMessage.id).limit(SWEEP_LIMIT)
        )
    )
    for start in range(0, len(inbound_ids), 1000):
        session.execute(
            update(InboundMessage)
            .where(InboundMessage.id.in_(inbound_ids[start : start + 1000]))
            .values(enqueued_at=now)
            .execution_options(synchronize_session=False)
        )
    outbound_ids = list(
        session.scalars(
            select(OutboundMessage.id).where(
                or_(
                    (OutboundMessage.state == OUT_QUEUED) & (OutboundMessage.updated_at < stale),
                    (OutboundMessage.state == OUT_RETRYING)
                    & or_(OutboundMessage.next_attempt_at.is_(None), OutboundMessage.next_attempt_at <= now),
                )
            ).limit(SWEEP_LIMIT)
        )
    )
    stuck_sending = list(
        session.scalars(
            select(OutboundMessage.id).where(
                OutboundMessage.state == OUT_SENDING, OutboundMessage.updated_at < stale
            )
        )
    )
    enqueue_inbound_batch_after_commit(session, inbound_ids)
    for o in outbound_ids:
        enqueue_send_after_commit(session, o)
    # rows left in `sending` by a crash: the sending service decides (Sent folder lookup, then resend)
    from consultant.services.recovery import recover_sending

    recovered = recover_sending(session, stuck_sending)
    return {"inbound": len(inbound_ids), "outbound": len(outbound_ids), "recovered": recovered}
