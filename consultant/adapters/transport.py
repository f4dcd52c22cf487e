"""Choosing the mail transport by setting: SMTP when a host is configured, else refuse to send."""

from __future__ import annotations

from consultant.services.sending import Transport
from consultant.settings import Settings


def transport_for(settings: Settings) -> Transport:
    from consultant.adapters.smtp_sender import SmtpTransport

    return SmtpTransport(settings)
