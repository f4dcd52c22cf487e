"""The outbox: approved replies as rows, sent exactly once.

`queue_reply` runs inside the approval transaction and fixes the Message-ID, so a resend after
a crash carries the same one. `claim` moves a row `queued`/`retrying` → `sending` with a
compare-and-set: of two workers racing for a row, exactly one wins.
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from consultant.db.models import (
    CASE_ANSWERED,
    CASE_APPROVED,
    CASE_OPEN,
    OUT_DEAD,
    OUT_QUEUED,
    OUT_RETRYING,
    OUT_SENDING,
    OUT_SENT,
    Case,
    Draft,
    InboundMessage,
    OutboundMessage,
    ThreadMessageId,
    utcnow,
)
from consultant.services import audit
from consultant.services.dispatch import enqueue_send_after_commit
from consultant.settings import get_settings

MAX_REFERENCES = 20
NEVER_REPLY_STATES = ("auto_reply", "bounce", "list", "loop")


class RecipientRefused(Exception):
    """We never write to an auto-reply, a bounce, a list or our own address."""


def new_message_id(domain: str) -> str:
    return f"cc.{secrets.token_hex(12)}@{domain}"


def _thread_headers(session: Session, case: Case) -> tuple[str | None, str | None]:
    last = session.scalar(
        select(InboundMessage)
        .where(InboundMessage.case_id == case.id, InboundMessage.message_id.is_not(None))
        .order_by(InboundMessage.id.desc())
        .limit(1)
    )
    if last is None or not last.message_id:
        return None, None
    refs: list[str] = list((last.parsed or {}).get("references") or [])
    if last.message_id not in refs:
        refs.append(last.message_id)
    if len(refs) > MAX_REFERENCES:  # keep the thread root and the newest ones (RFC 5322 3.6.4)
        refs = [refs[0], *refs[-(MAX_REFERENCES - 1) :]]
    return f"<{last.message_id}>", " ".join(f"<{r}>" for r in refs)


def recipient_for(session: Session, case: Case) -> str:
    settings = get_settings()
    to = (case.reply_to or case.requester or "").strip().lower()
    if not to or "@" not in to:
        raise RecipientRefused("the case has no address to answer")
    own = {settings.consult_address.lower()}
    if to in own or to.rpartition("@")[0] in ("mailer-daemon", "postmaster"):
        raise RecipientRefused("the reply would go to our own or a system address")
    bad = session.scalar(
        select(InboundMessage.id).where(
            InboundMessage.case_id == case.id, InboundMessage.state.in_(NEVER_REPLY_STATES)
        )
    )
    if bad is not None:
        raise RecipientRefused("the case's mail was an auto-reply, bounce or list mail")
    return to


def queue_reply(session: Session, case: Case, draft: Draft) -> OutboundMessage:
    from consultant.drafting.draft import reply_subject

    settings = get_settings()
    to = recipient_for(session, case)
    in_reply_to, references = _thread_headers(session, case)
    out = OutboundMessage(
        case_id=case.id,
        draft_id=draft.id,
        kind="reply",
        state=OUT_QUEUED,
        message_id=new_message_id(settings.effective_message_id_domain),
        to_addr=to,
        subject=reply_subject(case.subject, case.id),
        body_text=draft.body_text,
        in_reply_to=in_reply_to,
        references=references,
    )
    session.add(out)
    session.flush()
    session.add(ThreadMessageId(message_id=out.message_id, case_id=case.id))
    enqueue_send_after_commit(session, out.id)
    return out


CLAIM_EARLY_SECONDS = 2.0  # a countdown task may arrive this much before next_attempt_at


def claim(session: Session, outbound_id: int) -> bool:
    """Compare-and-set `queued`/`retrying` → `sending`; True if this caller won the row.

    A `retrying` row is claimed only once its backoff is over: a task that comes back early (a broker
    redelivery) leaves it alone, and the countdown task or the sweeper takes it when due."""
    now = utcnow()
    due = or_(
        OutboundMessage.state == OUT_QUEUED,
        and_(
            OutboundMessage.state == OUT_RETRYING,
            or_(
                OutboundMessage.next_attempt_at.is_(None),
                OutboundMessage.next_attempt_at <= now + dt.timedelta(seconds=CLAIM_EARLY_SECONDS),
            ),
        ),
    )
    result = session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id == outbound_id, due)
        .values(state=OUT_SENDING, attempts=OutboundMessage.attempts + 1, updated_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def mark_sent(session: Session, outbound_id: int) -> None:
    out = session.get(OutboundMessage, outbound_id)
    assert out is not None
    out.state = OUT_SENT
    out.sent_at = utcnow()
    out.last_error = None
    case = session.get(Case, out.case_id)
    if case is not None:
        case.state = CASE_ANSWERED
    audit.record(session, "system", "sent", out.case_id, outbound_id=out.id)


def mark_retry(session: Session, outbound_id: int, error: str, delay_seconds: float) -> None:
    out = session.get(OutboundMessage, outbound_id)
    assert out is not None
    out.state = OUT_RETRYING
    out.last_error = error[:2000]
    out.next_attempt_at = utcnow() + dt.timedelta(seconds=delay_seconds)


def mark_dead(session: Session, outbound_id: int, error: str) -> None:
    """A permanent failure: shown to consultants, the case reopened for them."""
    out = session.get(OutboundMessage, outbound_id)
    assert out is not None
    out.state = OUT_DEAD
    out.last_error = error[:2000]
    case = session.get(Case, out.case_id)
    if case is not None:
        case.state = CASE_OPEN
    audit.record(session, "system", "send_dead", out.case_id, outbound_id=out.id)


def retry_dead(session: Session, outbound_id: int, actor: str) -> OutboundMessage:
    out = session.get(OutboundMessage, outbound_id)
    if out is None:
        raise LookupError(f"outbound {outbound_id} does not exist")
    if out.state != OUT_DEAD:
        raise ValueError(f"outbound {outbound_id} is {out.state}, not dead")
    out.state = OUT_QUEUED
    out.next_attempt_at = None
    previous_attempts, out.attempts = out.attempts, 0  # a fresh budget of attempts
    case = session.get(Case, out.case_id)
    if case is not None:
        case.state = CASE_APPROVED  # the reply is on its way again
    audit.record(
        session, actor, "retry", out.case_id, outbound_id=out.id, previous_attempts=previous_attempts
    )
    enqueue_send_after_commit(session, out.id)
    return out


__all__ = [
    "OUT_DEAD",
    "OUT_QUEUED",
    "OUT_RETRYING",
    "OUT_SENDING",
    "OUT_SENT",
    "RecipientRefused",
    "claim",
    "mark_dead",
    "mark_retry",
    "mark_sent",
    "queue_reply",
    "retry_dead",
]
