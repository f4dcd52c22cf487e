"""SMTP transport: smtplib with SMTPS / STARTTLS (certificate verified), AUTH or XOAUTH2, timeouts,
and one connection kept open for a short while so a burst of replies shares it.

Errors are mapped for the sending service: a 5xx answer to our message is a ``PermanentSendError``;
connection trouble, timeouts, 4xx answers and authentication failures (a configuration matter the
admin fixes, after which the queued replies should simply go) are ``TransientSendError``.

Connection reuse: after a send the connection stays open for ``smtp_reuse_seconds`` (0 = one
connection per message). Before reuse it is probed with RSET; a dead one is replaced by a new
connection *before* MAIL FROM, so a message is never half-sent on a stale connection. Any error
during a transaction drops the connection. Nothing of the mail is logged (no addresses, no
bodies, above debug level): SMTP codes, outbound ids and timings at info.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
import time
from email.message import EmailMessage

from consultant.adapters.oauth2 import OAuth2Error, TokenSource, xoauth2_string
from consultant.services.sending import PermanentSendError, TransientSendError
from consultant.settings import Settings

log = logging.getLogger(__name__)

# 530 authentication required, 534 mechanism too weak, 535 credentials invalid, 538 encryption required
AUTH_CONFIG_CODES = (530, 534, 535, 538)


def _said(detail: bytes | str) -> str:
    return detail.decode(errors="replace") if isinstance(detail, bytes) else str(detail)


class SmtpTransport:
    def __init__(self, settings: Settings, token_source: TokenSource | None = None) -> None:
        if not settings.smtp_host:
            raise ValueError("CC_SMTP_HOST is not set")
        self.settings = settings
        self.reuse_seconds = float(getattr(settings, "smtp_reuse_seconds", 0.0) or 0.0)
        self.tokens = token_source
        if self.tokens is None and settings.oauth2_token_command and settings.smtp_user:
            self.tokens = TokenSource(settings.oauth2_token_command)
        self._conn: smtplib.SMTP | None = None
        self._last_used = 0.0
        self._lock = threading.RLock()
        self._timer: threading.Timer | None = None
        self.connections_opened = 0  # for tests and metrics

    # ---- connection ---------------------------------------------------------------------------------

    def _context(self) -> ssl.SSLContext:
        ca = self.settings.smtp_ca_file
        ctx = ssl.create_default_context(cafile=str(ca) if ca else None)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        return ctx

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        assert s.smtp_host
        if s.smtp_tls == "ssl":
            conn: smtplib.SMTP = smtplib.SMTP_SSL(
                s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds, context=self._context()
            )
        else:
            conn = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds)
        try:
            conn.ehlo()
            if s.smtp_tls == "starttls":
                # never falls back to plain text: no STARTTLS offered -> SMTPNotSupportedError
                conn.starttls(context=self._context())
                conn.ehlo()
            self._authenticate(conn)
        except BaseException:
            _close(conn)
            raise
        self.connections_opened += 1
        log.info("SMTP connected to %s:%s (tls=%s)", s.smtp_host, s.smtp_port, s.smtp_tls)
        return conn

    def _authenticate(self, conn: smtplib.SMTP) -> None:
        s = self.settings
        if self.tokens is not None and s.smtp_user:
            user = s.smtp_user
            try:
                self._xoauth2(conn, user, self.tokens.token())
            except smtplib.SMTPAuthenticationError:
                log.info("SMTP XOAUTH2 refused; refreshing the token once")
                self._xoauth2(conn, user, self.tokens.token(force_refresh=True))
        elif s.smtp_user and s.smtp_password:
            conn.login(s.smtp_user, s.smtp_password)

    @staticmethod
    def _xoauth2(conn: smtplib.SMTP, user: str, token: str) -> None:
        def respond(challenge: bytes | None = None) -> str:
            # a 334 challenge after the initial response carries the error (JSON); answer it empty
            return "" if challenge else xoauth2_string(user, token)

        conn.auth("XOAUTH2", respond, initial_response_ok=True)  # type: ignore[arg-type]

    def _usable(self) -> smtplib.SMTP:
        conn = self._conn
        if conn is not None:
            idle = time.monotonic() - self._last_used
            if idle <= self.reuse_seconds:
                try:
                    code, _ = conn.rset()
                    if code == 250:
                        return conn
                except (smtplib.SMTPException, OSError):
                    pass
            self._drop()
        self._conn = self._connect()
        return self._conn

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            _close(conn)

    def _schedule_close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self.reuse_seconds <= 0:
            self._drop()
            return
        self._timer = threading.Timer(self.reuse_seconds + 0.5, self._close_if_idle)
        self._timer.daemon = True
        self._timer.start()

    def _close_if_idle(self) -> None:
        with self._lock:
            if self._conn is not None and time.monotonic() - self._last_used >= self.reuse_seconds:
                self._drop()

    def close(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._drop()

    # ---- sending ------------------------------------------------------------------------------------

    def send(self, message: EmailMessage, to_addrs: list[str]) -> None:
        with self._lock:
            started = time.monotonic()
            try:
                conn = self._usable()
                refused = conn.send_message(message, to_addrs=to_addrs)
            except smtplib.SMTPAuthenticationError as exc:
                self._drop()
                raise TransientSendError(
                    f"SMTP authentication failed: {exc.smtp_code} {_said(exc.smtp_error)}"
                ) from exc
            except smtplib.SMTPRecipientsRefused as exc:
                self._drop()
                codes = [code for code, _ in exc.recipients.values()]
                said = "; ".join(f"{c} {_said(m)}" for c, m in exc.recipients.values())
                if codes and all(500 <= c < 600 for c in codes):
                    raise PermanentSendError(f"recipient refused: {said}") from exc
                raise TransientSendError(f"recipient refused: {said}") from exc
            except smtplib.SMTPResponseException as exc:
                self._drop()
                text = f"{exc.smtp_code} {_said(exc.smtp_error)}"
                log.info("SMTP answered %s", exc.smtp_code)
                if exc.smtp_code in AUTH_CONFIG_CODES:  # our login, not the message: fixable, retried
                    raise TransientSendError(f"SMTP authentication problem: {text}") from exc
                if 500 <= exc.smtp_code < 600:
                    raise PermanentSendError(text) from exc
                raise TransientSendError(text) from exc
            except (smtplib.SMTPException, OSError, OAuth2Error) as exc:
                self._drop()
                raise TransientSendError(f"{type(exc).__name__}: {exc}") from exc
            except BaseException:
                self._drop()
                raise
            self._last_used = time.monotonic()
            self._schedule_close()
            if refused:
                codes = sorted(code for code, _ in refused.values())
                raise PermanentSendError(f"recipients refused: {codes}")
            log.info("SMTP accepted the message in %.0f ms", (time.monotonic() - started) * 1000)


def _close(conn: smtplib.SMTP) -> None:
    try:
        conn.quit()
    except Exception:
        try:
            conn.close()
        except Exception:
            pass


__all__ = ["SmtpTransport"]
