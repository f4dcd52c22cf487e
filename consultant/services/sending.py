"""Sending one approved reply: claim the row, render, SMTP, copy to Sent, mark.

    queued/retrying --claim (compare-and-set)--> sending --SMTP 250--> [APPEND to Sent] --> sent
                                                    |--4xx / connection error--> retrying (backoff)
                                                    |--5xx, or recipient refused at send--> dead

Each arrow is its own short transaction; nothing holds a database transaction open across SMTP.
The Message-ID was fixed when the row was queued, so every attempt (and a resend after a crash)
carries the same one, with the same Date and body.

What a crash leaves behind is a row in ``sending``: see ``consultant.services.recovery``.

The transport and the Sent folder are interfaces (``Transport``, ``SentFolder``) implemented in
``consultant.adapters``; this module does no I/O of its own.
"""

from __future__ import annotations

import email.utils
import hashlib
import logging
import re
from email.message import EmailMessage
from typing import Literal, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from consultant.db.models import OUT_SENDING, Case, OutboundMessage
from consultant.services import audit, outbox
from consultant.services.dispatch import enqueue_send_after_commit
from consultant.settings import Settings

log = logging.getLogger(__name__)


class TransientSendError(Exception):
    """Connection trouble or a 4xx answer: try again later."""


class PermanentSendError(Exception):
    """A 5xx answer: do not retry; show it to a consultant."""


class SentFolderError(Exception):
    """The Sent folder could not be reached or searched: we do not know whether the copy is there."""


class Transport(Protocol):
    def send(self, message: EmailMessage, to_addrs: list[str]) -> None: ...


class SentFolder(Protocol):
    def contains(self, message_id: str) -> bool: ...

    def append(self, message: EmailMessage) -> bool: ...


class SessionFactory(Protocol):
    def __call__(self) -> Session: ...


# below the broker's visibility timeout (workers/celery_app.py: 300 s); longer waits go to the sweeper
MAX_COUNTDOWN_SECONDS = 240.0

_CRLF = re.compile(r"[\r\n]+")


def _one_line(value: str) -> str:
    """Header values never carry a line break (no header injection from a subject)."""
    return _CRLF.sub(" ", value).strip()


def build_message(out: OutboundMessage, settings: Settings, to_name: str | None = None) -> EmailMessage:
    """The reply as it goes on the wire: identical on every attempt for the same row."""
    from consultant.drafting.reply import render_reply

    subject, text, html = render_reply(out.body_text, out.subject, out.case_id)
    msg = EmailMessage()
    msg["From"] = email.utils.formataddr((settings.consult_display_name, settings.consult_address))
    msg["To"] = email.utils.formataddr((_one_line(to_name or ""), out.to_addr))
    msg["Subject"] = _one_line(subject)
    msg["Date"] = email.utils.format_datetime(out.created_at)
    msg["Message-ID"] = f"<{out.message_id}>"
    if out.in_reply_to:
        msg["In-Reply-To"] = _one_line(out.in_reply_to)
    if out.references:
        msg["References"] = _one_line(out.references)
    msg["Auto-Submitted"] = "auto-replied"  # RFC 3834: other robots must not answer us
    msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    # a boundary derived from the Message-ID: every attempt puts the very same bytes on the wire
    msg.set_boundary("=_cc_" + hashlib.sha256(out.message_id.encode()).hexdigest()[:32])
    return msg


def configured_sent_folder(settings: Settings) -> SentFolder | None:
    """The IMAP Sent folder named by ``imap_sent_folder`` (None when unset)."""
    if not settings.imap_sent_folder or not settings.imap_host:
        return None
    from consultant.adapters.transport import sent_folder_for  # adapters are chosen by setting

    return sent_folder_for(settings)


def backoff_seconds(attempts: int, settings: Settings) -> float:
    """Exponential: base, 2 x base, 4 x base ... capped at ``send_backoff_max_seconds``."""
    delay = settings.send_backoff_seconds * (2 ** max(0, attempts - 1))
    return float(min(delay, settings.send_backoff_max_seconds))


def refusal_at_send(session: Session, out: OutboundMessage, settings: Settings) -> str | None:
    """Re-check the recipient at send time (it was checked at approval): a reason, or None."""
    case = session.get(Case, out.case_id)
    if case is None:
        return "the case no longer exists"
    try:
        expected = outbox.recipient_for(session, case)
    except outbox.RecipientRefused as exc:
        return str(exc)
    to = out.to_addr.strip().lower()
    if to == settings.consult_address.lower() or to.rpartition("@")[0] in ("mailer-daemon", "postmaster"):
        return "the reply would go to our own or a system address"
    if to != expected:
        log.info("outbound %s: recipient differs from the case's current address; sending as queued", out.id)
    return None


def _locked_sending(session: Session, outbound_id: int, attempts: int) -> OutboundMessage | None:
    """The row, locked, if it is still in ``sending`` from *our* claim (same attempt number)."""
    out = session.scalar(select(OutboundMessage).where(OutboundMessage.id == outbound_id).with_for_update())
    if out is None or out.state != OUT_SENDING or out.attempts != attempts:
        return None
    return out


def send_outbound(
    session_factory: SessionFactory,
    outbound_id: int,
    transport: Transport,
    settings: Settings,
    sent_folder: SentFolder | Literal["auto"] | None = "auto",
) -> str:
    """Claim (own transaction), send, copy to Sent, mark (own transaction). Returns the row's new state.

    Safe to call any number of times, concurrently: only the caller whose compare-and-set wins sends.
    ``sent_folder="auto"`` takes the one configured by ``imap_sent_folder`` (None: no copy).
    """
    if sent_folder == "auto":
        sent_folder = configured_sent_folder(settings)
    with session_factory() as session, session.begin():
        if not outbox.claim(session, outbound_id):
            out = session.get(OutboundMessage, outbound_id)
            log.info("outbound %s not claimed (state %s)", outbound_id, out.state if out else "missing")
            return out.state if out else "missing"
        out = session.get(OutboundMessage, outbound_id)
        assert out is not None
        attempts = out.attempts
        refused = refusal_at_send(session, out, settings)
        if refused is None:
            case = session.get(Case, out.case_id)
            to_name = case.requester_name if case and case.reply_to in (None, "", case.requester) else None
            to_addr = out.to_addr
            try:
                message = build_message(out, settings, to_name)
            except Exception as exc:  # a template that cannot render this reply: no retry will help
                log.error("outbound %s: reply not rendered (%s)", outbound_id, type(exc).__name__)
                log.debug("render failure", exc_info=True)  # may quote mail content: debug only
                refused = f"the reply could not be rendered ({type(exc).__name__}: {exc})"
    if refused is not None:
        log.warning("outbound %s not sent: %s", outbound_id, refused)
        return _finish_dead(session_factory, outbound_id, attempts, f"not sent: {refused}")

    log.info("outbound %s: sending, attempt %s", outbound_id, attempts)
    try:
        transport.send(message, [to_addr])
    except PermanentSendError as exc:
        # the server's text may quote the address: only its code goes to the log
        log.warning("outbound %s: permanent failure (%s)", outbound_id, str(exc)[:3])
        return _finish_dead(session_factory, outbound_id, attempts, str(exc))
    except (TransientSendError, OSError) as exc:
        return _finish_retry(session_factory, outbound_id, attempts, str(exc), settings)
    except Exception as exc:  # a transport bug: retried (and dead after send_max_attempts), never stuck
        log.error("outbound %s: unexpected %s from the transport", outbound_id, type(exc).__name__)
        log.debug("transport failure", exc_info=True)  # may quote addresses: debug only
        error = f"unexpected {type(exc).__name__}: {exc}"
        return _finish_retry(session_factory, outbound_id, attempts, error, settings)

    # The server has the message. Copy it to Sent *before* marking, so that a crash from here on
    # is found by recovery's Sent-folder lookup instead of resent.
    copy_error: str | None = None
    if sent_folder is not None:
        try:
            sent_folder.append(message)
        except Exception as exc:  # whatever it is, the mail went: never let it look unsent
            copy_error = str(exc) if isinstance(exc, SentFolderError) else f"{type(exc).__name__}: {exc}"
            cause = type(exc.__cause__ or exc).__name__
            log.warning("outbound %s: sent, but the Sent copy failed (%s)", outbound_id, cause)
    with session_factory() as session, session.begin():
        row = _locked_sending(session, outbound_id, attempts)
        if row is None:  # recovery decided meanwhile (only after send_stuck_after_seconds)
            current = session.get(OutboundMessage, outbound_id)
            log.warning("outbound %s: sent, but the row moved on to %s", outbound_id,
                        current.state if current else "missing")  # fmt: skip
            return current.state if current else "missing"
        outbox.mark_sent(session, outbound_id)
        if copy_error:
            row.last_error = f"sent; no copy in the Sent folder: {copy_error}"[:2000]
    log.info("outbound %s: sent", outbound_id)
    return outbox.OUT_SENT


def _finish_dead(session_factory: SessionFactory, outbound_id: int, attempts: int, error: str) -> str:
    with session_factory() as session, session.begin():
        row = _locked_sending(session, outbound_id, attempts)
        if row is None:
            current = session.get(OutboundMessage, outbound_id)
            return current.state if current else "missing"
        outbox.mark_dead(session, outbound_id, error)
    return outbox.OUT_DEAD


def _finish_retry(
    session_factory: SessionFactory, outbound_id: int, attempts: int, error: str, settings: Settings
) -> str:
    with session_factory() as session, session.begin():
        row = _locked_sending(session, outbound_id, attempts)
        if row is None:
            current = session.get(OutboundMessage, outbound_id)
            return current.state if current else "missing"
        if attempts >= settings.send_max_attempts:
            log.warning("outbound %s: giving up after %s attempts", outbound_id, attempts)
            outbox.mark_dead(session, outbound_id, f"gave up after {attempts} attempts: {error}")
            return outbox.OUT_DEAD
        delay = backoff_seconds(attempts, settings)
        outbox.mark_retry(session, outbound_id, error, delay)
        audit.record(session, "system", "send_retry", row.case_id, outbound_id=outbound_id,
                     attempts=attempts, delay_seconds=delay)  # fmt: skip
        log.info("outbound %s: transient failure, retry in %.0f s", outbound_id, delay)
        # With a broker the task comes back after `delay` (countdown). The embedded default runs
        # tasks eagerly and cannot wait, and a countdown longer than the Redis visibility timeout
        # would be redelivered early: in both cases the sweeper sends the row once it is due.
        if settings.broker_url and delay <= MAX_COUNTDOWN_SECONDS:
            enqueue_send_after_commit(session, outbound_id, countdown=delay)
    return outbox.OUT_RETRYING


__all__ = [
    "PermanentSendError",
    "SentFolder",
    "SentFolderError",
    "SessionFactory",
    "TransientSendError",
    "Transport",
    "backoff_seconds",
    "build_message",
    "configured_sent_folder",
    "refusal_at_send",
    "send_outbound",
]
