"""Rows found in `sending` after a crash: we do not know whether the server took the mail.

Without a Sent folder to look in, the row goes back to `retrying` and is resent with the same
Message-ID (the receiver's duplicate suppression sees one message). The sending engineer's
Sent-folder lookup (IMAP SEARCH HEADER Message-ID) plugs in here.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from consultant.db.models import OUT_RETRYING, OUT_SENDING, OutboundMessage
from consultant.services.dispatch import get_dispatcher


def recover_sending(session: Session, outbound_ids: list[int]) -> int:
    n = 0
    for oid in outbound_ids:
        res = session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.id == oid, OutboundMessage.state == OUT_SENDING)
            .values(state=OUT_RETRYING, last_error="found in sending after a crash; resending")
        )
        if res.rowcount:  # type: ignore[attr-defined]
            n += 1
            get_dispatcher().send_outbound(oid)
    return n
