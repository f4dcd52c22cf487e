"""Sending one approved reply: claim the row, render, hand to the mail transport, mark.

The transport is an interface (`consultant.adapters.smtp_sender.Transport`), chosen by setting.
"""

from __future__ import annotations

import email.utils
import logging
from email.message import EmailMessage
from typing import Protocol

from sqlalchemy.orm import Session

from consultant.db.models import OutboundMessage
from consultant.services import outbox
from consultant.settings import Settings

log = logging.getLogger(__name__)


class TransientSendError(Exception):
    """Connection trouble or a 4xx answer: try again later."""


class PermanentSendError(Exception):
    """A 5xx answer: do not retry; show it to a consultant."""


class Transport(Protocol):
    def send(self, message: EmailMessage, to_addrs: list[str]) -> None: ...


def build_message(out: OutboundMessage, settings: Settings) -> EmailMessage:
    from consultant.drafting.reply import render_reply

    subject, text, html = render_reply(out.body_text, out.subject, out.case_id)
    msg = EmailMessage()
    msg["From"] = email.utils.formataddr((settings.consult_display_name, settings.consult_address))
    msg["To"] = out.to_addr
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{out.message_id}>"
    msg["Date"] = email.utils.format_datetime(out.created_at)
    if out.in_reply_to:
        msg["In-Reply-To"] = out.in_reply_to
    if out.references:
        msg["References"] = out.references
    msg["Auto-Submitted"] = "auto-replied"  # RFC 3834: other robots must not answer us
    msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg


def send_outbound(session_factory: SessionFactory, outbound_id: int, transport: Transport,
                  settings: Settings) -> str:
    """Claim (own transaction), send, mark (own transaction). Returns the row's new state."""
    with session_factory() as session, session.begin():
        if not outbox.claim(session, outbound_id):
            out = session.get(OutboundMessage, outbound_id)
            return out.state if out else "missing"
        out = session.get(OutboundMessage, outbound_id)
        assert out is not None
        message = build_message(out, settings)
        attempts = out.attempts
    try:
        transport.send(message, [out.to_addr])
    except PermanentSendError as exc:
        with session_factory() as session, session.begin():
            outbox.mark_dead(session, outbound_id, str(exc))
        return outbox.OUT_DEAD
    except (TransientSendError, OSError) as exc:
        with session_factory() as session, session.begin():
            if attempts >= settings.send_max_attempts:
                outbox.mark_dead(session, outbound_id, f"gave up after {attempts} attempts: {exc}")
                return outbox.OUT_DEAD
            delay = settings.send_backoff_seconds * (2 ** (attempts - 1))
            outbox.mark_retry(session, outbound_id, str(exc), delay)
        return outbox.OUT_RETRYING
    with session_factory() as session, session.begin():
        outbox.mark_sent(session, outbound_id)
    return outbox.OUT_SENT


class SessionFactory(Protocol):
    def __call__(self) -> Session: ...
