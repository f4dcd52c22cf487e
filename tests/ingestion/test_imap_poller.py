"""The IMAP poller against a real Dovecot and PostgreSQL: PEEK, checkpoint, move after the final state,
resync on a new UIDVALIDITY, duplicates, IDLE wake-up, polling fallback, TLS with verification, restart."""

from __future__ import annotations

import os
import shutil
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from imapclient import IMAPClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from consultant.adapters.imap_connection import ImapConfig, connect
from consultant.adapters.imap_poller import FolderPoller, Poller, mailbox_key
from consultant.db.models import InboundMessage, MailboxCheckpoint
from consultant.services.dispatch import RecordingDispatcher
from tests.ingestion.conftest import count_rows, imap_settings, make_mail

pytestmark = pytest.mark.integration


def wait_until(pred: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def flags_of(dovecot: Any, folder: str = "INBOX", user: str = "alice") -> dict[int, tuple[bytes, ...]]:
    c = IMAPClient("127.0.0.1", dovecot.imap_port, ssl=False, timeout=10)
    try:
        c.login(user, dovecot.users[user])
        c.select_folder(folder, readonly=True)
        uids = c.search(["ALL"])
        return {uid: d[b"FLAGS"] for uid, d in c.fetch(uids, ["FLAGS"]).items()} if uids else {}
    finally:
        c.logout()


def set_state(sessions: sessionmaker[Session], nth: int, state: str, folder: str = "INBOX") -> None:
    """Give the ``nth`` (1-based, by UID) stored mail of ``folder`` a state, as processing would."""
    with sessions() as s:
        ids = s.scalars(select(InboundMessage.id).where(InboundMessage.mailbox.like(f"%/{folder}"))
                        .order_by(InboundMessage.uid)).all()  # fmt: skip
        s.execute(update(InboundMessage).where(InboundMessage.id == ids[nth - 1]).values(state=state))
        s.commit()


def maildir_drop(dovecot: Any, user: str, raw: bytes) -> None:
    """Deliver into ``user``'s INBOX without any Dovecot process (Maildir ``new/``)."""
    new = Path(dovecot.maildir_root) / user / "Maildir" / "new"
    new.mkdir(parents=True, exist_ok=True)
    tmp = new.parent / "tmp" / f"{time.time_ns()}.{os.getpid()}.test"
    tmp.parent.mkdir(parents=True, exist_ok=True)
    tmp.write_bytes(raw)
    final = new / tmp.name
    tmp.rename(final)
    if os.geteuid() == 0:
        for p in (final, new, tmp.parent):
            shutil.chown(p, "nobody", "nogroup")


@pytest.fixture
def running() -> Iterator[Callable[[FolderPoller | Poller], None]]:
    started: list[tuple[Any, threading.Thread | None]] = []

    def run(p: FolderPoller | Poller) -> None:
        if isinstance(p, Poller):
            p.start()
            started.append((p, None))
        else:
            t = threading.Thread(target=p.run_forever, daemon=True)
            t.start()
            started.append((p, t))

    yield run
    for p, t in started:
        p.stop()
        if t is not None:
            t.join(15)


def test_peek_keeps_unseen_stores_uid_and_advances_checkpoint(dovecot: Any, sessions: Any) -> None:
    for i in range(3):
        dovecot.deliver("alice", make_mail(i))
    disp = RecordingDispatcher()
    poller = FolderPoller(imap_settings(dovecot), "INBOX", session_factory=sessions, dispatcher=disp)
    result = poller.run_once()
    assert (result.fetched, result.stored, result.moved) == (3, 3, 0)
    # stored before anything else: rows with mailbox / UIDVALIDITY / UID, enqueued after commit
    with sessions() as s:
        rows = s.execute(select(InboundMessage.id, InboundMessage.uid, InboundMessage.uidvalidity,
                                InboundMessage.state, InboundMessage.source)).all()  # fmt: skip
        cp = s.scalar(select(MailboxCheckpoint))
    assert len({r.uid for r in rows}) == 3
    assert {r.state for r in rows} == {"received"} and {r.source for r in rows} == {"imap"}
    assert sorted(disp.inbound) == sorted(r.id for r in rows)
    assert (
        cp is not None and cp.last_uid == max(r.uid for r in rows) and cp.uidvalidity == rows[0].uidvalidity
    )
    assert cp.mailbox == mailbox_key(poller.config, "INBOX")
    # BODY.PEEK[]: not \Seen, still in INBOX (not final yet)
    flags = flags_of(dovecot)
    assert len(flags) == 3 and all(b"\\Seen" not in f for f in flags.values())
    # a second run fetches nothing new
    again = poller.run_once()
    assert (again.fetched, again.stored) == (0, 0)
    assert count_rows(sessions) == 3
    # the processed / failed folders were created
    assert {"Processed", "Failed"} <= set(dovecot.mailboxes("alice"))


def test_moves_only_after_final_state_failed_to_failed_folder(dovecot: Any, sessions: Any) -> None:
    for i in range(4):
        dovecot.deliver("alice", make_mail(i))
    poller = FolderPoller(imap_settings(dovecot), "INBOX", session_factory=sessions,
                          dispatcher=RecordingDispatcher())  # fmt: skip
    poller.run_once()
    set_state(sessions, 1, "consult")
    set_state(sessions, 2, "failed")
    set_state(sessions, 3, "auto_reply")
    # uid 4 stays "received": not moved
    result = FolderPoller(
        imap_settings(dovecot), "INBOX", session_factory=sessions, dispatcher=RecordingDispatcher()
    ).run_once()  # a fresh poller (restart)
    assert result.moved == 3
    assert dovecot.count("alice", "INBOX") == 1
    assert dovecot.count("alice", "Processed") == 2
    assert dovecot.count("alice", "Failed") == 1
    assert count_rows(sessions, imap_done=True) == 3
    set_state(sessions, 4, "bounce")
    assert poller.run_once().moved == 1
    assert dovecot.count("alice", "INBOX") == 0 and dovecot.count("alice", "Processed") == 3


def test_flag_seen_instead_of_move(dovecot: Any, sessions: Any) -> None:
    dovecot.deliver("alice", make_mail(1))
    settings = imap_settings(dovecot, imap_processed_folder=None, imap_failed_folder=None)
    poller = FolderPoller(settings, "INBOX", session_factory=sessions, dispatcher=RecordingDispatcher())
    poller.run_once()
    assert all(b"\\Seen" not in f for f in flags_of(dovecot).values())
    set_state(sessions, 1, "consult")
    assert poller.run_once().moved == 1
    assert [b"\\Seen" in f for f in flags_of(dovecot).values()] == [True]
    assert "Processed" not in dovecot.mailboxes("alice")


def test_batches_commit_and_checkpoint(dovecot: Any, sessions: Any) -> None:
    c = connect(ImapConfig.from_settings(imap_settings(dovecot)))
    for i in range(23):
        c.append("INBOX", make_mail(i))
    c.logout()
    poller = FolderPoller(imap_settings(dovecot), "INBOX", session_factory=sessions,
                          dispatcher=RecordingDispatcher(), batch_size=5)  # fmt: skip
    result = poller.run_once()
    assert (result.fetched, result.stored) == (23, 23)
    with sessions() as s:
        last = s.scalar(select(MailboxCheckpoint.last_uid))
        assert last == s.scalar(select(func.max(InboundMessage.uid)))


def test_uidvalidity_change_resyncs_without_duplicates(dovecot: Any, sessions: Any) -> None:
    mails = [make_mail(i) for i in range(3)]
    for m in mails:
        dovecot.deliver("alice", m, folder="Consult")
    settings = imap_settings(dovecot, imap_folders=["Consult"])
    poller = FolderPoller(settings, "Consult", session_factory=sessions, dispatcher=RecordingDispatcher())
    first = poller.run_once()
    assert first.stored == 3
    old_uv = first.uidvalidity
    # the server forgets its UIDs: folder deleted and recreated, the same mails (and one new) in it
    dovecot.doveadm("mailbox", "delete", "-u", "alice", "Consult")
    dovecot.doveadm("mailbox", "create", "-u", "alice", "Consult")
    for m in [*mails, make_mail(99)]:
        dovecot.deliver("alice", m, folder="Consult")
    second = poller.run_once()
    assert second.uidvalidity != old_uv and second.resynced
    assert (second.fetched, second.stored, second.duplicates) == (4, 1, 3)
    assert count_rows(sessions) == 4
    # the duplicates were set aside at once; the new mail waits for its processing
    assert dovecot.count("alice", "Consult") == 1 and dovecot.count("alice", "Processed") == 3
    with sessions() as s:
        assert s.scalar(select(MailboxCheckpoint.uidvalidity)) == second.uidvalidity


def test_same_mail_twice_and_in_two_folders_is_one_row(dovecot: Any, sessions: Any) -> None:
    raw = make_mail(7, message_id="<same-mail-7@clinic.example>")
    dovecot.deliver("alice", raw)
    dovecot.deliver("alice", raw)  # delivered twice
    dovecot.deliver("alice", raw, folder="Second")  # and copied into another watched folder
    nomid = make_mail(8).replace(b"Message-ID:", b"X-Old-Message-ID:")  # no Message-ID: content hash
    dovecot.deliver("alice", nomid)
    dovecot.deliver("alice", nomid, folder="Second")
    settings = imap_settings(dovecot, imap_folders=["INBOX", "Second"])
    results = Poller(settings, session_factory=sessions, dispatcher=RecordingDispatcher()).run_once()
    assert sum(r.stored for r in results) == 2
    assert sum(r.duplicates for r in results) == 3
    assert count_rows(sessions) == 2


def test_idle_wakes_up_on_new_mail(dovecot: Any, sessions: Any, running: Any) -> None:
    disp = RecordingDispatcher()
    poller = FolderPoller(imap_settings(dovecot), "INBOX", session_factory=sessions, dispatcher=disp,
                          use_idle=True, check_interval=5.0)  # fmt: skip
    running(poller)
    wait_until(lambda: poller.cycles >= 1, what="first cycle")
    time.sleep(0.3)  # in IDLE now
    t0 = time.monotonic()
    c = connect(ImapConfig.from_settings(imap_settings(dovecot)))
    c.append("INBOX", make_mail(1))
    c.logout()
    wait_until(lambda: count_rows(sessions) == 1, what="the mail appended during IDLE")
    # woken by EXISTS, not by the 5 s check interval
    assert time.monotonic() - t0 < 3.0
    set_state(sessions, 1, "consult")
    wait_until(lambda: dovecot.count("alice", "Processed") == 1, what="move after the final state")


def test_polling_fallback_without_idle(dovecot: Any, sessions: Any, running: Any) -> None:
    settings = imap_settings(dovecot, imap_idle=False, imap_poll_seconds=1)  # as CC_IMAP_IDLE=false
    poller = FolderPoller(settings, "INBOX", session_factory=sessions, dispatcher=RecordingDispatcher(),
                          check_interval=0.2)  # fmt: skip
    running(poller)
    wait_until(lambda: poller.cycles >= 1, what="first cycle")
    dovecot.deliver("alice", make_mail(1))
    wait_until(lambda: count_rows(sessions) == 1, what="polled mail")
    assert poller.connects == 1


@pytest.mark.parametrize("tls", ["starttls", "imaps"])
def test_tls_with_certificate_verification(dovecot: Any, sessions: Any, tls: str) -> None:
    dovecot.deliver("alice", make_mail(1))
    settings = imap_settings(dovecot, tls=tls)
    assert FolderPoller(settings, "INBOX", session_factory=sessions,
                        dispatcher=RecordingDispatcher()).run_once().stored == 1  # fmt: skip
    # without the CA file the self-signed certificate is refused
    bad = imap_settings(dovecot, tls=tls, imap_ca_file=None)
    with pytest.raises(ssl.SSLCertVerificationError):
        connect(ImapConfig.from_settings(bad))


def test_reconnects_after_dovecot_restart_during_idle(
    private_dovecot: Any, sessions: Any, running: Any
) -> None:
    dv = private_dovecot
    poller = FolderPoller(imap_settings(dv), "INBOX", session_factory=sessions,
                          dispatcher=RecordingDispatcher(), use_idle=True, backoff_min=0.2,
                          backoff_max=1.0)  # fmt: skip
    running(poller)
    wait_until(lambda: poller.cycles >= 1, what="first cycle")
    dv.deliver("alice", make_mail(1))
    wait_until(lambda: count_rows(sessions) == 1, what="first mail")
    dv.stop()
    # mail arriving while the server is down: written into the Maildir, as a local MDA would
    for i in (2, 3):
        maildir_drop(dv, "alice", make_mail(i))
    time.sleep(1.0)
    dv.start()
    wait_until(lambda: count_rows(sessions) == 3, timeout=30, what="mail that arrived during the outage")
    assert poller.connects >= 2
    assert count_rows(sessions) == 3


def test_mail_arriving_between_search_and_idle_is_not_missed(
    dovecot: Any, sessions: Any, running: Any
) -> None:
    """The EXISTS for a mail that lands right after our SEARCH comes with the IDLE continuation."""
    appended = threading.Event()

    class RacingPoller(FolderPoller):
        def sync(self, client: Any) -> Any:
            result = super().sync(client)
            if not appended.is_set():  # right after the first SEARCH, before IDLE
                appended.set()
                c = connect(ImapConfig.from_settings(imap_settings(dovecot)))
                c.append("INBOX", make_mail(42))
                c.logout()
                time.sleep(0.3)  # the server notes it before our IDLE command
            return result

    poller = RacingPoller(imap_settings(dovecot), "INBOX", session_factory=sessions,
                          dispatcher=RecordingDispatcher(), use_idle=True, check_interval=5.0)  # fmt: skip
    running(poller)
    wait_until(lambda: count_rows(sessions) == 1, timeout=8, what="the mail that raced the IDLE command")
