"""Rows found in ``sending`` after a crash: did the server take the mail before the worker died?

A row stays in ``sending`` only if its worker died (or hangs) between the claim and the mark. Once it
has been there longer than ``send_stuck_after_seconds`` (longer than any send can take, so a live
worker is never second-guessed), recovery decides:

1. With a Sent folder (``imap_sent_folder``): search it for the row's Message-ID (IMAP ``SEARCH
   HEADER Message-ID``). Found -> the reply went out: mark ``sent``, never resend. Not found -> resend.
   The search failing (IMAP down) -> leave the row in ``sending``, note why, look again next sweep:
   resending blind could duplicate.
2. Without one: resend.

A resend is the same message: same Message-ID, Date and body (fixed at approval), so a receiver that
suppresses duplicates by Message-ID (Gmail does; Dovecot's and Sieve's duplicate checks can) shows one.

The guarantee, exactly:
- crash before the server's 250: the server has no message; the resend delivers one. Exactly once.
- crash after the Sent copy was appended, before the mark: found in Sent, marked. Exactly once.
- crash after the server's 250 but before the Sent copy (or with no Sent folder): the resend is a
  second delivery carrying the same Message-ID: at least once, deduplicable by Message-ID. (When the
  SMTP server files sent mail itself, as Gmail and Microsoft 365 do, the lookup covers this too.)

Every state change is a compare-and-set on (state, attempts) so two sweepers, or a late worker,
never both act on one claim.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from consultant.db.models import OUT_RETRYING, OUT_SENDING, OutboundMessage, utcnow
from consultant.services import audit, outbox
from consultant.services.dispatch import enqueue_send_after_commit
from consultant.services.sending import SentFolder, SentFolderError, configured_sent_folder
from consultant.settings import Settings, get_settings

log = logging.getLogger(__name__)

FOUND = "found_in_sent"
RESEND = "resend"
UNKNOWN = "lookup_failed"
SKIPPED = "skipped"
DEAD = "dead"


def find_stuck(session: Session, settings: Settings, stuck_after_seconds: float | None = None) -> list[int]:
    """Ids of rows in ``sending`` for longer than ``send_stuck_after_seconds``."""
    limit = settings.send_stuck_after_seconds if stuck_after_seconds is None else stuck_after_seconds
    cutoff = utcnow() - dt.timedelta(seconds=limit)
    return list(
        session.scalars(
            select(OutboundMessage.id)
            .where(OutboundMessage.state == OUT_SENDING, OutboundMessage.updated_at <= cutoff)
            .order_by(OutboundMessage.id)
        )
    )


def recover_one(
    session: Session,
    outbound_id: int,
    settings: Settings,
    sent_folder: SentFolder | None,
    stuck_after_seconds: float | None = None,
) -> str:
    """Decide about one row; the caller commits (a resend is enqueued after that commit)."""
    limit = settings.send_stuck_after_seconds if stuck_after_seconds is None else stuck_after_seconds
    out = session.get(OutboundMessage, outbound_id)
    if out is None or out.state != OUT_SENDING:
        return SKIPPED
    if out.updated_at > utcnow() - dt.timedelta(seconds=limit):
        return SKIPPED  # a worker may still be at it
    attempts, touched, message_id = out.attempts, out.updated_at, out.message_id

    found = False
    if sent_folder is not None:
        try:
            found = sent_folder.contains(message_id)  # I/O before any row lock
        except SentFolderError as exc:
            log.warning("outbound %s: in sending after a crash; Sent folder lookup failed", outbound_id)
            session.execute(
                update(OutboundMessage)
                .where(
                    OutboundMessage.id == outbound_id,
                    OutboundMessage.state == OUT_SENDING,
                    OutboundMessage.attempts == attempts,
                )
                # updated_at kept: the row stays due, the next sweep looks again
                .values(last_error=f"found in sending after a crash; {exc}; will look again"[:2000],
                        updated_at=touched)
            )
            return UNKNOWN

    row = session.scalar(
        select(OutboundMessage)
        .where(OutboundMessage.id == outbound_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None or row.state != OUT_SENDING or row.attempts != attempts:
        return SKIPPED  # someone else decided meanwhile
    if found:
        outbox.mark_sent(session, outbound_id)
        audit.record(session, "system", "send_recovered", row.case_id, outbound_id=outbound_id,
                     how="found in the Sent folder after a crash")  # fmt: skip
        log.info("outbound %s: found in the Sent folder after a crash; marked sent", outbound_id)
        return FOUND
    why = "not in the Sent folder" if sent_folder is not None else "no Sent folder to look in"
    if attempts >= settings.send_max_attempts:  # a worker that dies on this row every time
        outbox.mark_dead(session, outbound_id,
                         f"gave up after {attempts} attempts; the last one crashed ({why})")  # fmt: skip
        log.warning("outbound %s: in sending after a crash, attempts exhausted: dead", outbound_id)
        return DEAD
    row.state = OUT_RETRYING
    row.next_attempt_at = utcnow()
    row.last_error = f"found in sending after a crash ({why}); resending with the same Message-ID"
    audit.record(session, "system", "send_resend", row.case_id, outbound_id=outbound_id, reason=why)
    enqueue_send_after_commit(session, outbound_id)
    log.info("outbound %s: in sending after a crash, %s: resending", outbound_id, why)
    return RESEND


def recover_sending(
    session: Session,
    outbound_ids: list[int],
    settings: Settings | None = None,
    sent_folder: SentFolder | Literal["auto"] | None = "auto",
    stuck_after_seconds: float | None = None,
) -> int:
    """Recover the given rows (the sweeper passes the ones it found in ``sending``); returns how many
    were decided (marked sent, queued for resend, or dead after too many attempts)."""
    settings = settings or get_settings()
    if not outbound_ids:
        return 0
    folder = configured_sent_folder(settings) if sent_folder == "auto" else sent_folder
    decided = 0
    for oid in outbound_ids:
        if recover_one(session, oid, settings, folder, stuck_after_seconds) in (FOUND, RESEND, DEAD):
            decided += 1
    return decided


__all__ = ["DEAD", "FOUND", "RESEND", "SKIPPED", "UNKNOWN", "find_stuck", "recover_one", "recover_sending"]
