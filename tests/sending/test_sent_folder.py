"""The Sent folder on a real Dovecot: the copy, its Message-ID lookup, and recovery of rows left in
`sending` (found -> marked sent, never resent; not found -> resent with the same Message-ID)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from consultant.adapters.sent_folder import ImapSentFolder
from consultant.adapters.transport import transport_for
from consultant.db.models import OUT_RETRYING, OUT_SENDING, OUT_SENT, OutboundMessage
from consultant.services import outbox, recovery, sending, sweeper
from consultant.services.sending import SentFolderError, build_message
from consultant.settings import Settings
from tests.sending.conftest import Db, Recorder, smtp_env
from tests.servers import Dovecot, free_port
from tests.smtp_sink import SmtpSink


def imap_env(dovecot: Dovecot, tls: str = "none") -> dict[str, Any]:
    """IMAP settings for the Sent folder on ``dovecot``: tls "none", "ssl" (IMAPS) or "starttls"."""
    common = {"imap_user": "alice", "imap_password": "alice-pw", "imap_sent_folder": "Sent",
              "imap_starttls": tls == "starttls"}  # fmt: skip
    if tls == "ssl":
        return {**common, "imap_host": "localhost", "imap_port": dovecot.imaps_port, "imap_ssl": True,
                "imap_ca_file": dovecot.ca_file}  # fmt: skip
    if tls == "starttls":
        return {**common, "imap_host": "localhost", "imap_port": dovecot.imap_port, "imap_ssl": False,
                "imap_ca_file": dovecot.ca_file}  # fmt: skip
    return {**common, "imap_host": "127.0.0.1", "imap_port": dovecot.imap_port, "imap_ssl": False}


def _claim_and_build(db: Db, settings: Settings, oid: int) -> Any:
    with db.factory() as s, s.begin():
        assert outbox.claim(s, oid)
        out = s.get(OutboundMessage, oid)
        return build_message(out, settings)


@pytest.mark.parametrize("tls", ["none", "ssl", "starttls"])
def test_copy_appended_once_and_found_by_message_id(
    db: Db, smtp_sink: SmtpSink, dovecot: Dovecot, configure: Callable[..., Settings], recorder: Recorder,
    tls: str,
) -> None:  # fmt: skip
    settings = configure(database_url=db.url, **smtp_env(smtp_sink), **imap_env(dovecot, tls))
    oid = db.queued_reply()
    # "auto": the task takes the Sent folder from the settings
    assert sending.send_outbound(db.factory, oid, transport_for(settings), settings) == OUT_SENT
    assert len(smtp_sink.wait_for(1)) == 1
    assert dovecot.count("alice", "Sent") == 1
    folder = ImapSentFolder(settings)
    out = db.outbound(oid)
    assert folder.contains(out.message_id)
    assert folder.contains(f"<{out.message_id}>")
    assert not folder.contains("cc.nothing@caseconsultant.test")
    # appending the same message again leaves one copy
    assert folder.append(build_message(out, settings)) is False
    assert dovecot.count("alice", "Sent") == 1
    assert db.outbound(oid).last_error is None


def test_recovery_finds_the_copy_and_marks_sent(
    db: Db, smtp_sink: SmtpSink, dovecot: Dovecot, configure: Callable[..., Settings], recorder: Recorder
) -> None:
    """The worker sent, copied to Sent and died before the mark: recovery marks it sent, no resend."""
    settings = configure(database_url=db.url, **smtp_env(smtp_sink), **imap_env(dovecot),
                         send_stuck_after_seconds=0, sweep_after_seconds=0)  # fmt: skip
    oid = db.queued_reply()
    recorder.sends.clear()
    message = _claim_and_build(db, settings, oid)
    transport_for(settings).send(message, [db.outbound(oid).to_addr])
    ImapSentFolder(settings).append(message)
    # ... crash: the row stays in `sending`
    assert db.outbound(oid).state == OUT_SENDING
    with db.factory() as s, s.begin():
        assert sweeper.sweep(s, settings)["recovered"] == 1
    row = db.outbound(oid)
    assert row.state == OUT_SENT and row.sent_at is not None
    assert db.case(row.case_id).state == "answered"
    assert recorder.sends == []
    assert len(smtp_sink.messages) == 1


def test_recovery_resends_when_not_in_sent(
    db: Db, smtp_sink: SmtpSink, dovecot: Dovecot, configure: Callable[..., Settings], recorder: Recorder
) -> None:
    """The worker died after the claim, before the server had the mail: resent, one delivery, one copy."""
    settings = configure(database_url=db.url, **smtp_env(smtp_sink), **imap_env(dovecot))
    oid = db.queued_reply()
    recorder.sends.clear()
    _claim_and_build(db, settings, oid)
    with db.factory() as s, s.begin():
        assert recovery.recover_sending(s, [oid], settings) == 0  # not stuck long enough yet
    with db.factory() as s, s.begin():
        ids = recovery.find_stuck(s, settings, stuck_after_seconds=0)
        assert ids == [oid]
        assert recovery.recover_sending(s, ids, settings, stuck_after_seconds=0) == 1
    row = db.outbound(oid)
    assert row.state == OUT_RETRYING and "not in the Sent folder" in (row.last_error or "")
    assert recorder.outbound == [oid]  # enqueued after the commit
    assert sending.send_outbound(db.factory, oid, transport_for(settings), settings) == OUT_SENT
    [got] = smtp_sink.wait_for(1)
    assert str(got.message["Message-ID"]) == f"<{row.message_id}>"
    assert dovecot.count("alice", "Sent") == 1


def test_lookup_failure_does_not_resend_blind(
    db: Db, smtp_sink: SmtpSink, configure: Callable[..., Settings], recorder: Recorder
) -> None:
    settings = configure(database_url=db.url, **smtp_env(smtp_sink), imap_host="127.0.0.1",
                         imap_port=free_port(), imap_ssl=False, imap_user="alice", imap_password="x",
                         imap_sent_folder="Sent", imap_timeout_seconds=5)  # fmt: skip
    oid = db.queued_reply()
    recorder.sends.clear()
    _claim_and_build(db, settings, oid)
    with pytest.raises(SentFolderError):
        ImapSentFolder(settings).contains("x@y")
    with db.factory() as s, s.begin():
        assert recovery.recover_one(s, oid, settings, ImapSentFolder(settings), 0) == recovery.UNKNOWN
    row = db.outbound(oid)
    assert row.state == OUT_SENDING and "Sent folder search failed" in (row.last_error or "")
    assert recorder.sends == []
    assert smtp_sink.messages == []


def test_copy_failure_still_marks_sent(
    db: Db, smtp_sink: SmtpSink, configure: Callable[..., Settings], recorder: Recorder
) -> None:
    """The server took the mail; the Sent folder is down: the row is sent (not resent), the note says why."""
    settings = configure(database_url=db.url, **smtp_env(smtp_sink), imap_host="127.0.0.1",
                         imap_port=free_port(), imap_ssl=False, imap_user="alice", imap_password="x",
                         imap_sent_folder="Sent", imap_timeout_seconds=5)  # fmt: skip
    oid = db.queued_reply()
    assert sending.send_outbound(db.factory, oid, transport_for(settings), settings) == OUT_SENT
    assert len(smtp_sink.wait_for(1)) == 1
    assert "no copy in the Sent folder" in (db.outbound(oid).last_error or "")


def test_unverifiable_imap_certificate_is_a_lookup_failure(
    dovecot: Dovecot, configure: Callable[..., Settings]
) -> None:
    settings = configure(**{**imap_env(dovecot, "ssl"), "imap_ca_file": None})
    with pytest.raises(SentFolderError, match="CERTIFICATE_VERIFY_FAILED"):
        ImapSentFolder(settings).contains("x@caseconsultant.test")
