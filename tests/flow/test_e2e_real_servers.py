"""The whole consult flow on real servers: Dovecot ► poller ► Redis ► Celery worker ► PostgreSQL ►
review ► Celery worker ► aiosmtpd. The reply is checked as received, parsed back."""

from __future__ import annotations

import email
import email.policy
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from imapclient import IMAPClient
from sqlalchemy import select

from consultant.demo.run import MAILS_DIR

pytestmark = [pytest.mark.integration, pytest.mark.slow]

QUESTION = MAILS_DIR / "01-em-with-injection.eml"


def _wait(predicate: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def celery_worker(
    configure: Callable[..., None], app_postgres_url: str, redis_url: str, tmp_path: Path
) -> Iterator[subprocess.Popen[bytes]]:
    env = {k: v for k, v in os.environ.items() if k.startswith("CC_") or k in ("PATH", "HOME", "LANG")}
    log = (tmp_path / "worker.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "consultant.cli.main", "worker", "--concurrency", "1", "--loglevel", "INFO"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        _wait(lambda: b"ready" in (tmp_path / "worker.log").read_bytes() or proc.poll() is not None, 60,
              "the Celery worker")
        assert proc.poll() is None, (tmp_path / "worker.log").read_text(errors="replace")[-3000:]
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_consult_mail_to_threaded_reply(
    configure: Callable[..., None],
    app_postgres_url: str,
    redis_url: str,
    dovecot: object,
    smtp_sink: object,
    request: pytest.FixtureRequest,
) -> None:
    from tests.servers import Dovecot
    from tests.smtp_sink import SmtpSink

    assert isinstance(dovecot, Dovecot) and isinstance(smtp_sink, SmtpSink)
    configure(
        CC_DATABASE_URL=app_postgres_url,
        CC_BROKER_URL=redis_url,
        CC_IMAP_HOST=dovecot.host,
        CC_IMAP_PORT=str(dovecot.imap_port),
        CC_IMAP_SSL="false",
        CC_IMAP_USER="alice",
        CC_IMAP_PASSWORD=dovecot.users["alice"],
        CC_IMAP_FOLDER="INBOX",
        CC_IMAP_PROCESSED_FOLDER="Processed",
        CC_SMTP_HOST="127.0.0.1",
        CC_SMTP_PORT=str(smtp_sink.port),
        CC_SMTP_TLS="none",
        CC_CONSULT_ADDRESS="consult@caseconsultant.test",
    )
    request.getfixturevalue("celery_worker")

    from consultant.adapters.imap_poller import Poller
    from consultant.db.models import Case, Draft, OutboundMessage
    from consultant.db.session import session_scope
    from consultant.services import review
    from consultant.settings import get_settings

    raw = QUESTION.read_bytes()
    question = email.message_from_bytes(raw, policy=email.policy.default)
    dovecot.deliver("alice", raw)

    Poller(get_settings()).run_once()  # store + commit + enqueue; the worker drafts

    def drafted() -> int | None:
        with session_scope() as s:
            return s.scalar(select(Draft.case_id).where(Draft.state == "ready"))

    case_id = int(_wait(drafted, 60, "a draft in PostgreSQL"))  # type: ignore[arg-type]
    with session_scope() as s:
        draft = review.current_draft(s, case_id)
        assert draft is not None
        assert "20610" in draft.body_text and "M17.11" in draft.body_text
        review.approve(s, case_id, review.Actor(None, "test"), base_version=draft.version)

    received = smtp_sink.wait_for(1, timeout=60)
    reply = email.message_from_bytes(received[0].raw, policy=email.policy.default)
    assert reply["In-Reply-To"] == question["Message-ID"]
    assert question["Message-ID"] in reply["References"]
    assert reply["Subject"] == f"Re: {question['Subject']} [Case #{case_id}]"
    assert received[0].rcpt_tos == ["dana.whitfield@lakeside-ortho.example"]
    assert "consult@caseconsultant.test" in reply["From"]
    assert reply.get_body(("plain",)) is not None and reply.get_body(("html",)) is not None

    def sent() -> bool:
        with session_scope() as s:
            out = s.scalar(select(OutboundMessage).where(OutboundMessage.case_id == case_id))
            return out is not None and out.state == "sent"

    _wait(sent, 30, "the outbound row marked sent")
    with session_scope() as s:
        case = s.get(Case, case_id)
        assert case is not None and case.state == "answered"
        out = s.scalar(select(OutboundMessage).where(OutboundMessage.case_id == case_id))
        assert out is not None and reply["Message-ID"] == f"<{out.message_id}>"

    # the original left the INBOX for the processed folder once its row was done
    Poller(get_settings()).run_once()
    with IMAPClient(dovecot.host, port=dovecot.imap_port, ssl=False, timeout=30) as imap:
        imap.login("alice", dovecot.users["alice"])
        assert imap.folder_status("INBOX", ["MESSAGES"])[b"MESSAGES"] == 0
        assert imap.folder_status("Processed", ["MESSAGES"])[b"MESSAGES"] == 1
