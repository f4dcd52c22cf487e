"""aiosmtpd SMTP sink for tests (recipe of ../shared/docs/services.md) with failure injection.

    sink = SmtpSink(users={"alice": "alice-pw"}, tls_cert=("cert.pem", "key.pem")).start()
    sink.fail_next(["421 4.3.2 Try again later", "451 4.3.0 Temporary failure"])   # then 250
    sink.fail_next(["550 5.1.1 No such user"], stage="RCPT")                         # a permanent refusal
    ... send ...
    msgs = sink.wait_for(1)   # [Received]: envelope_from, rcpt_tos, raw, message, auth_user, tls
    sink.stop()

Injected replies are consumed one per command at their stage (MAIL, RCPT or DATA, default DATA), in order; a
``421`` reply also closes the connection, as a real server does. Every injected reply is recorded in
``sink.rejections`` as ``(stage, reply)``. Pass ``lmtp=(host, port)`` to also deliver every accepted message
into Dovecot (SMTP -> LMTP -> IMAP).
"""

from __future__ import annotations

import asyncio
import email
import email.message
import email.policy
import smtplib
import ssl
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.servers import HOST, free_port

STAGES = ("MAIL", "RCPT", "DATA")


@dataclass
class Received:
    envelope_from: str
    rcpt_tos: list[str]
    raw: bytes
    auth_user: str | None
    tls: bool
    message: email.message.EmailMessage = field(repr=False)

    @property
    def subject(self) -> str:
        return str(self.message.get("Subject", ""))


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    def _injected(self, stage: str, server: SMTP) -> str | None:
        reply = self.sink._take(stage)
        if reply is not None and reply.startswith("421"):
            transport = server.transport
            if transport is not None:
                asyncio.get_running_loop().call_later(0.05, transport.close)
        return reply

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          mail_options: list[str]) -> str:  # fmt: skip
        reply = self._injected("MAIL", server)
        if reply is not None:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:  # fmt: skip
        reply = self._injected("RCPT", server)
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        reply = self._injected("DATA", server)
        if reply is not None:
            return reply
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode()
        user = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        transport = server.transport
        tls = session.ssl is not None or (
            transport is not None and transport.get_extra_info("ssl_object") is not None
        )
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(msg, email.message.EmailMessage)
        rec = Received(envelope.mail_from or "", list(envelope.rcpt_tos), raw, user, tls, msg)
        if self.sink.lmtp:
            lmtp = self.sink.lmtp

            def deliver() -> None:
                # one recipient per transaction: LMTP answers DATA once per recipient, which smtplib
                # does not read (the extra replies would break the next command)
                with smtplib.LMTP(lmtp[0], lmtp[1], timeout=30) as conn:
                    for rcpt in rec.rcpt_tos:
                        conn.sendmail(rec.envelope_from, [rcpt], raw)

            try:
                await asyncio.get_running_loop().run_in_executor(None, deliver)
            except (smtplib.SMTPException, OSError) as exc:
                return f"451 4.3.0 LMTP delivery failed: {exc}"
        with self.sink.cond:
            self.sink.messages.append(rec)
            if self.sink.maildir:
                (self.sink.maildir / f"{time.time_ns()}.eml").write_bytes(raw)
            self.sink.cond.notify_all()
        return "250 Message accepted for delivery"


class SmtpSink:
    def __init__(self, host: str = HOST, port: int | None = None, users: dict[str, str] | None = None,
                 tls_cert: tuple[str | Path, str | Path] | None = None, require_starttls: bool = False,
                 implicit_tls: bool = False, maildir: str | Path | None = None,
                 lmtp: tuple[str, int] | None = None) -> None:  # fmt: skip
        self.host = host
        self.lmtp = lmtp
        self.messages: list[Received] = []
        self.rejections: list[tuple[str, str]] = []
        self.cond = threading.Condition()
        self._failures: dict[str, deque[str]] = {stage: deque() for stage in STAGES}
        self.maildir = Path(maildir) if maildir else None
        if self.maildir:
            self.maildir.mkdir(parents=True, exist_ok=True)
        ctx = None
        if tls_cert:
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(str(tls_cert[0]), str(tls_cert[1]))
        kw: dict[str, Any] = dict(hostname=host, port=port or free_port(host), server_hostname="localhost",
                                  ready_timeout=10)  # fmt: skip
        if users is not None:
            known = dict(users)

            def authenticator(server: SMTP, session: Session, envelope: Envelope, mechanism: str,
                              auth_data: Any) -> AuthResult:  # fmt: skip
                ok = (
                    isinstance(auth_data, LoginPassword)
                    and known.get(auth_data.login.decode()) == auth_data.password.decode()
                )
                # handled=False: aiosmtpd sends the 535 itself (handled=True sends nothing -> client hangs)
                return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

            kw.update(authenticator=authenticator, auth_required=True, auth_require_tls=require_starttls)
        if ctx is not None and implicit_tls:
            kw["ssl_context"] = ctx
        elif ctx is not None:
            kw.update(tls_context=ctx, require_starttls=require_starttls)
        self.implicit_tls = implicit_tls
        self.controller = Controller(_Handler(self), **kw)

    # ---- failure injection --------------------------------------------------------------------------

    def fail_next(self, replies: Iterable[str] | str, stage: str = "DATA") -> SmtpSink:
        """The next commands at ``stage`` get these replies (e.g. "421 4.3.2 busy"), one each, in order."""
        stage = stage.upper()
        if stage not in STAGES:
            raise ValueError(f"stage must be one of {STAGES}")
        with self.cond:
            self._failures[stage].extend([replies] if isinstance(replies, str) else replies)
        return self

    def clear_failures(self) -> None:
        with self.cond:
            for q in self._failures.values():
                q.clear()

    def _take(self, stage: str) -> str | None:
        with self.cond:
            if not self._failures[stage]:
                return None
            reply = self._failures[stage].popleft()
            self.rejections.append((stage, reply))
            self.cond.notify_all()
            return reply

    # ---- results --------------------------------------------------------------------------------------

    def wait_for(self, n: int, timeout: float = 10.0) -> list[Received]:
        """Block until at least ``n`` messages were accepted; returns them all."""
        with self.cond:
            if not self.cond.wait_for(lambda: len(self.messages) >= n, timeout):
                raise TimeoutError(f"only {len(self.messages)} of {n} messages arrived within {timeout}s")
            return list(self.messages)

    def clear(self) -> None:
        with self.cond:
            self.messages.clear()
            self.rejections.clear()
            for q in self._failures.values():
                q.clear()

    # ---- lifecycle --------------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self.controller.port)

    def start(self) -> SmtpSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
