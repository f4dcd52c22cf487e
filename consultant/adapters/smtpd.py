"""`caseconsultant smtpd`: an SMTP or LMTP receiver (aiosmtpd) as an alternative to IMAP.

- RCPT: only the consult address (and its ``+tag`` sub-addresses) is accepted; others get 550.
- SIZE is declared in EHLO/LHLO; a message above ``max_message_bytes`` gets 552.
- DATA: the raw bytes are stored and COMMITTED before we answer 250. When storing fails (database
  down, timeout) the answer is 451, so the sending server keeps the mail and retries; a retry of a
  mail we did store after all is recognized by Message-ID / content hash and not stored twice.
- Processing is enqueued after the commit; a broker outage loses nothing (the sweeper re-enqueues).

Logs carry inbound ids and sizes, never addresses or bodies (those only at debug level).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope
from aiosmtpd.smtp import Session as SMTPSession
from sqlalchemy.orm import Session, sessionmaker

from consultant.services.dispatch import Dispatcher, get_dispatcher
from consultant.services.inbox import Stored, store_inbound
from consultant.settings import Settings

log = logging.getLogger(__name__)

STORE_TIMEOUT_SECONDS = 120.0  # well below the 10-minute DATA timeout of sending servers


def _split(address: str) -> tuple[str, str]:
    local, _, domain = address.strip().strip("<>").rpartition("@")
    return local.lower(), domain.lower()


@dataclass(frozen=True)
class RecipientPolicy:
    """Which envelope recipients we take mail for: the consult address(es), with +tags."""

    addresses: frozenset[tuple[str, str]]

    @classmethod
    def for_addresses(cls, addresses: list[str]) -> RecipientPolicy:
        return cls(frozenset(_split(a) for a in addresses if "@" in a))

    def accepts(self, address: str) -> bool:
        local, domain = _split(address)
        if not local or not domain:
            return False
        base = local.split("+", 1)[0]
        return (local, domain) in self.addresses or (base, domain) in self.addresses


class IngestHandler:
    """aiosmtpd handler: RCPT policy, then store + commit, then answer."""

    def __init__(
        self,
        store: Callable[[bytes], Stored],
        policy: RecipientPolicy,
        *,
        lmtp: bool = False,
        max_bytes: int,
        store_timeout: float = STORE_TIMEOUT_SECONDS,
    ) -> None:
        self.store = store
        self.policy = policy
        self.lmtp = lmtp
        self.max_bytes = max_bytes
        self.store_timeout = store_timeout

    async def handle_RCPT(
        self, server: SMTP, session: SMTPSession, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if not self.policy.accepts(address):
            log.info("smtpd: recipient refused (550)")
            log.debug("smtpd: refused recipient %s", address)
            return "550 5.1.1 Recipient address rejected: no consult mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: SMTPSession, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        if isinstance(raw, str):  # pragma: no cover - decode_data is off
            raw = raw.encode("utf-8", "surrogateescape")
        n = max(1, len(envelope.rcpt_tos))
        if len(raw) > self.max_bytes:
            return self._answer("552 5.3.4 Message size exceeds fixed maximum message size", n)
        loop = asyncio.get_running_loop()
        try:
            stored = await asyncio.wait_for(loop.run_in_executor(None, self.store, raw), self.store_timeout)
        except Exception as exc:
            log.warning("smtpd: storing a %d-byte message failed (%s): answering 451", len(raw),
                        type(exc).__name__)  # fmt: skip
            return self._answer("451 4.3.0 Temporary failure storing the message; try again later", n)
        log.info("smtpd: inbound %s stored (%d bytes%s)", stored.inbound_id, len(raw),
                 "" if stored.created else ", duplicate")  # fmt: skip
        return self._answer(f"250 2.0.0 OK queued as {stored.inbound_id}", n)

    def _answer(self, status: str, recipients: int) -> str:
        # LMTP answers DATA once per accepted recipient (RFC 2033)
        return "\r\n".join([status] * recipients) if self.lmtp else status


def make_store(
    session_factory: sessionmaker[Session], source: str, dispatcher: Dispatcher | None = None
) -> Callable[[bytes], Stored]:
    """Blocking: store and commit one mail, then enqueue it (an enqueue failure is only logged)."""

    def store(raw: bytes) -> Stored:
        with session_factory() as session:
            stored = store_inbound(session, raw, source=source, enqueue=False)
            session.commit()
        if stored.created:
            try:
                (dispatcher or get_dispatcher()).process_inbound(stored.inbound_id)
            except Exception as exc:
                log.warning("smtpd: enqueue of inbound %s failed (%s); the sweeper will retry",
                            stored.inbound_id, type(exc).__name__)  # fmt: skip
        return stored

    return store


class _Controller(Controller):
    def __init__(self, handler: IngestHandler, lmtp: bool, **kwargs: Any) -> None:
        self._lmtp = lmtp
        super().__init__(handler, **kwargs)

    def factory(self) -> SMTP:
        cls = LMTP if self._lmtp else SMTP
        return cls(self.handler, **self.SMTP_kwargs)


class SmtpReceiver:
    """The receiver in a background thread: ``start()``, ``.port``, ``stop()``."""

    def __init__(
        self,
        settings: Settings,
        *,
        host: str | None = None,
        port: int | None = None,
        lmtp: bool | None = None,
        session_factory: sessionmaker[Session] | None = None,
        dispatcher: Dispatcher | None = None,
        addresses: list[str] | None = None,
    ) -> None:
        from consultant.db.session import session_factory as default_factory

        self.lmtp = settings.smtpd_lmtp if lmtp is None else lmtp
        self.host = host or settings.smtpd_host
        self._port = settings.smtpd_port if port is None else port
        source = "lmtp" if self.lmtp else "smtp"
        self.handler = IngestHandler(
            make_store(session_factory or default_factory(), source, dispatcher),
            RecipientPolicy.for_addresses(addresses or [settings.consult_address]),
            lmtp=self.lmtp,
            max_bytes=settings.max_message_bytes,
        )
        self.controller = _Controller(
            self.handler,
            self.lmtp,
            hostname=self.host,
            port=self._port,
            data_size_limit=settings.max_message_bytes,  # SIZE in EHLO; 552 above it
            ident="CaseConsultant",
            ready_timeout=10.0,
        )

    @property
    def port(self) -> int:
        return int(self.controller.port)

    def start(self) -> SmtpReceiver:
        self.controller.start()
        log.info("smtpd: %s listening on %s:%s", "LMTP" if self.lmtp else "SMTP", self.host, self.port)
        return self

    def stop(self) -> None:
        self.controller.stop()

    def serve_forever(self, stop_event: threading.Event | None = None) -> None:
        """Run until ``stop_event`` is set (the CLI sets it on SIGINT / SIGTERM)."""
        stop_event = stop_event or threading.Event()
        self.start()
        try:
            while not stop_event.wait(1.0):
                pass
        finally:
            self.stop()

    def __enter__(self) -> SmtpReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
