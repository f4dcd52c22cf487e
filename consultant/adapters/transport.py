"""Choosing the mail transport and the Sent folder by setting.

SMTP when ``smtp_host`` is configured (else every attempt fails with a clear, retried error).
One transport per worker process and SMTP configuration, so a burst of replies reuses its
connection (``smtp_reuse_seconds``).
"""

from __future__ import annotations

import threading
from email.message import EmailMessage

from consultant.services.sending import SentFolder, TransientSendError, Transport
from consultant.settings import Settings

_lock = threading.Lock()
_transports: dict[tuple[object, ...], Transport] = {}


def _key(settings: Settings) -> tuple[object, ...]:
    s = settings
    return (s.smtp_host, s.smtp_port, s.smtp_tls, s.smtp_user, s.smtp_password, str(s.smtp_ca_file),
            s.smtp_timeout_seconds, s.oauth2_token_command, s.smtp_reuse_seconds)  # fmt: skip


class UnconfiguredTransport:
    """No SMTP host: every attempt fails visibly (``retrying`` with the reason) instead of crashing
    the task, so the replies go as soon as an admin sets ``CC_SMTP_HOST``."""

    def send(self, message: EmailMessage, to_addrs: list[str]) -> None:
        raise TransientSendError("CC_SMTP_HOST is not set: no SMTP server to send through")


def transport_for(settings: Settings) -> Transport:
    from consultant.adapters.smtp_sender import SmtpTransport

    if not settings.smtp_host:
        return UnconfiguredTransport()
    key = _key(settings)
    with _lock:
        transport = _transports.get(key)
        if transport is None:
            transport = _transports[key] = SmtpTransport(settings)
        return transport


def sent_folder_for(settings: Settings) -> SentFolder | None:
    from consultant.adapters.sent_folder import sent_folder_for as make

    return make(settings)


def reset_transports() -> None:
    """Close and forget the cached transports (tests; settings changed at run time)."""
    with _lock:
        for transport in _transports.values():
            close = getattr(transport, "close", None)
            if close is not None:
                close()
        _transports.clear()
