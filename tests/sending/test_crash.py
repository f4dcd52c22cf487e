"""The worker SIGKILLed at the worst moments, as a real subprocess running the real send task, on
PostgreSQL. What each case guarantees (see consultant.services.recovery):

- killed before the server took the mail           -> recovery resends: exactly one message.
- killed after the Sent copy, before the mark       -> recovery finds the copy: exactly one message.
- killed after the server took the mail (its 250 never reached the worker), before the Sent copy, or
  with no Sent folder                                -> recovery resends: the server holds two deliveries
  of the *same* message (same Message-ID, byte-identical), which receivers deduplicate by Message-ID.
  At least once, never a different second reply; that is the honest limit of SMTP (RFC 5321 §4.1.1.4
  "duplicate messages" after a lost reply).
"""

from __future__ import annotations

import asyncio
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

from consultant.adapters.transport import transport_for
from consultant.db.models import OUT_RETRYING, OUT_SENDING, OUT_SENT
from consultant.services import recovery, sending
from consultant.settings import Settings
from tests.sending.conftest import Db, Recorder, smtp_env, subprocess_env
from tests.sending.test_sent_folder import imap_env
from tests.servers import Dovecot, ManagedProcess, postgres_admin, wait_for
from tests.smtp_sink import SmtpSink, _Handler

ROOT = Path(__file__).resolve().parents[2]


class GatedHandler(_Handler):
    """At ``stage`` (MAIL or DATA), signal the test and hold the reply until it says go.

    At DATA the message is stored first (the server has accepted it) and only the 250 is held back."""

    def __init__(self, sink: SmtpSink, stage: str) -> None:
        super().__init__(sink)
        self.stage = stage
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.armed = True

    async def _gate(self) -> None:
        if self.armed:
            self.armed = False
            self.arrived.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 30)

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          mail_options: list[str]) -> str:  # fmt: skip
        if self.stage == "MAIL":
            await self._gate()
        return await super().handle_MAIL(server, session, envelope, address, mail_options)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        reply = await super().handle_DATA(server, session, envelope)
        if self.stage == "DATA":
            await self._gate()
        return reply


@pytest.fixture
def gated_sink(request: pytest.FixtureRequest) -> Iterator[Callable[[str], tuple[SmtpSink, GatedHandler]]]:
    sinks: list[tuple[SmtpSink, GatedHandler]] = []

    def make(stage: str) -> tuple[SmtpSink, GatedHandler]:
        sink = SmtpSink()
        handler = GatedHandler(sink, stage)
        sink.controller.handler = handler
        sink.start()
        sinks.append((sink, handler))
        return sink, handler

    yield make
    for sink, handler in sinks:
        handler.release.set()
        sink.stop()


def _worker(tmp_path: Path, env: dict[str, Any], oid: int, name: str = "w") -> ManagedProcess:
    proc = ManagedProcess([sys.executable, "-m", "tests.sending.worker_proc", str(oid)],
                          log=tmp_path / f"{name}.log", env=subprocess_env(env), cwd=ROOT)  # fmt: skip
    return proc.start()


def _recover(db: Db, settings: Settings, oid: int) -> int:
    with db.factory() as s, s.begin():
        return recovery.recover_sending(s, [oid], settings, stuck_after_seconds=0)


@pytest.mark.parametrize("with_sent_folder", [False, True])
def test_killed_before_the_server_took_it(
    pg_db: Db, gated_sink: Callable[[str], tuple[SmtpSink, GatedHandler]], dovecot: Dovecot,
    configure: Callable[..., Settings], recorder: Recorder, tmp_path: Path, with_sent_folder: bool,
) -> None:  # fmt: skip
    sink, gate = gated_sink("MAIL")
    env = {"database_url": pg_db.url, **smtp_env(sink), "smtp_reuse_seconds": 0,
           **(imap_env(dovecot) if with_sent_folder else {})}  # fmt: skip
    settings = configure(**env)
    oid = pg_db.queued_reply()
    worker = _worker(tmp_path, env, oid)
    assert gate.arrived.wait(30), worker.log_text()
    assert worker.kill(signal.SIGKILL) == -signal.SIGKILL
    gate.release.set()
    assert pg_db.outbound(oid).state == OUT_SENDING
    assert sink.messages == []

    assert _recover(pg_db, settings, oid) == 1
    assert pg_db.outbound(oid).state == OUT_RETRYING
    assert sending.send_outbound(pg_db.factory, oid, transport_for(settings), settings) == OUT_SENT
    assert len(sink.wait_for(1)) == 1
    if with_sent_folder:
        assert dovecot.count("alice", "Sent") == 1


def test_killed_after_the_sent_copy_before_the_mark(
    pg_db: Db, gated_sink: Callable[[str], tuple[SmtpSink, GatedHandler]], dovecot: Dovecot,
    configure: Callable[..., Settings], recorder: Recorder, tmp_path: Path,
) -> None:  # fmt: skip
    """The server accepted DATA, the copy is in Sent, the worker is frozen on the row lock of its mark
    (the test holds it) and is SIGKILLed there. Recovery finds the copy: one message, marked sent."""
    sink, gate = gated_sink("DATA")
    env = {"database_url": pg_db.url, **smtp_env(sink), "smtp_reuse_seconds": 0, **imap_env(dovecot)}
    settings = configure(**env)
    oid = pg_db.queued_reply()
    worker = _worker(tmp_path, env, oid)
    assert gate.arrived.wait(30), worker.log_text()
    kwargs, dbname = postgres_admin(pg_db.url)
    with psycopg.connect(dbname=dbname, **kwargs) as lock:
        lock.execute("SELECT id FROM outbound_message WHERE id = %s FOR UPDATE", (oid,))
        gate.release.set()  # the 250 goes out; the worker appends to Sent, then waits for our lock
        wait_for(lambda: dovecot.count("alice", "Sent") == 1, 30, "the Sent copy")
        wait_for(lambda: _waiting_on_lock(pg_db.url), 30, "the worker blocked on its mark")
        assert worker.kill(signal.SIGKILL) == -signal.SIGKILL
        lock.rollback()
    assert "result" not in worker.log_text()
    assert pg_db.outbound(oid).state == OUT_SENDING
    assert len(sink.messages) == 1

    recorder.sends.clear()
    assert _recover(pg_db, settings, oid) == 1
    row = pg_db.outbound(oid)
    assert row.state == OUT_SENT
    assert recorder.sends == []  # no resend
    assert sending.send_outbound(pg_db.factory, oid, transport_for(settings), settings) == OUT_SENT
    assert len(sink.messages) == 1
    assert dovecot.count("alice", "Sent") == 1


def _waiting_on_lock(url: str) -> bool:
    kwargs, dbname = postgres_admin(url)
    with psycopg.connect(dbname=dbname, autocommit=True, **kwargs) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'", (dbname,)
        ).fetchone()
        return bool(row and row[0] >= 1)


@pytest.mark.parametrize("with_sent_folder", [False, True])
def test_killed_after_the_server_took_it_before_any_record(
    pg_db: Db, gated_sink: Callable[[str], tuple[SmtpSink, GatedHandler]], dovecot: Dovecot,
    configure: Callable[..., Settings], recorder: Recorder, tmp_path: Path, with_sent_folder: bool,
) -> None:  # fmt: skip
    """The server stored the message; the worker dies before it hears the 250. Nothing on our side
    knows the mail left: recovery resends the same message. The server holds two deliveries with one
    Message-ID, byte for byte the same, so a receiver's duplicate suppression shows one."""
    sink, gate = gated_sink("DATA")
    env = {"database_url": pg_db.url, **smtp_env(sink), "smtp_reuse_seconds": 0,
           **(imap_env(dovecot) if with_sent_folder else {})}  # fmt: skip
    settings = configure(**env)
    oid = pg_db.queued_reply()
    worker = _worker(tmp_path, env, oid)
    assert gate.arrived.wait(30), worker.log_text()
    assert worker.kill(signal.SIGKILL) == -signal.SIGKILL
    gate.release.set()
    assert len(sink.messages) == 1
    assert pg_db.outbound(oid).state == OUT_SENDING

    assert _recover(pg_db, settings, oid) == 1
    assert sending.send_outbound(pg_db.factory, oid, transport_for(settings), settings) == OUT_SENT
    first, second = sink.wait_for(2)
    message_id = f"<{pg_db.outbound(oid).message_id}>"
    assert str(first.message["Message-ID"]) == str(second.message["Message-ID"]) == message_id
    assert first.raw == second.raw  # the same message, not a second reply
    if with_sent_folder:
        assert dovecot.count("alice", "Sent") == 1
