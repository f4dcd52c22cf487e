"""SMTP transport: smtplib with STARTTLS/SMTPS and AUTH, errors mapped to transient/permanent."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from consultant.services.sending import PermanentSendError, TransientSendError
from consultant.settings import Settings


class SmtpTransport:
    def __init__(self, settings: Settings) -> None:
        if not settings.smtp_host:
            raise ValueError("CC_SMTP_HOST is not set")
        self.settings = settings

    def _context(self) -> ssl.SSLContext:
        ca = self.settings.smtp_ca_file
        return ssl.create_default_context(cafile=str(ca) if ca else None)

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        assert s.smtp_host
        if s.smtp_tls == "ssl":
            conn: smtplib.SMTP = smtplib.SMTP_SSL(
                s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds, context=self._context()
            )
        else:
            conn = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds)
            if s.smtp_tls == "starttls":
                conn.starttls(context=self._context())
                conn.ehlo()
        if s.smtp_user and s.smtp_password:
            conn.login(s.smtp_user, s.smtp_password)
        return conn

    def send(self, message: EmailMessage, to_addrs: list[str]) -> None:
        try:
            with self._connect() as conn:
                refused = conn.send_message(message, to_addrs=to_addrs)
        except smtplib.SMTPResponseException as exc:
            detail = exc.smtp_error
            said = detail.decode(errors="replace") if isinstance(detail, bytes) else str(detail)
            text = f"{exc.smtp_code} {said}"
            if 500 <= exc.smtp_code < 600:
                raise PermanentSendError(text) from exc
            raise TransientSendError(text) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if all(500 <= c < 600 for c in codes):
                raise PermanentSendError(f"recipient refused: {codes}") from exc
            raise TransientSendError(f"recipient refused: {codes}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientSendError(f"{type(exc).__name__}: {exc}") from exc
        if refused:
            raise PermanentSendError(f"recipients refused: {sorted(refused)}")
