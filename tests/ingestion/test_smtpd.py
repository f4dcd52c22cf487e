"""`caseconsultant smtpd` against real PostgreSQL: 550 / 552 / 451 / 250-after-commit, SMTP and LMTP."""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session, sessionmaker

from consultant.adapters.smtpd import SmtpReceiver
from consultant.db.models import InboundMessage
from consultant.services.dispatch import RecordingDispatcher
from consultant.settings import Settings
from tests.ingestion.conftest import count_rows, make_mail
from tests.servers import free_port

pytestmark = pytest.mark.integration

CONSULT = "consult@caseconsultant.test"


@pytest.fixture
def receiver_factory() -> Iterator[Callable[..., SmtpReceiver]]:
    started: list[SmtpReceiver] = []

    def make(sessions: sessionmaker[Session], **kw: Any) -> SmtpReceiver:
        settings = Settings(consult_address=CONSULT, max_message_bytes=kw.pop("max_bytes", 50_000))
        r = SmtpReceiver(settings, host="127.0.0.1", port=free_port(), session_factory=sessions,
                         dispatcher=kw.pop("dispatcher", RecordingDispatcher()), **kw)  # fmt: skip
        started.append(r.start())
        return r

    yield make
    for r in started:
        r.stop()


def test_250_only_after_commit_and_enqueue(sessions: Any, pg_engine: Any, receiver_factory: Any) -> None:
    seen_at_enqueue: list[int | None] = []
    other = sessionmaker(bind=create_engine(pg_engine.url))  # a different connection pool

    class Checking(RecordingDispatcher):
        def process_inbound(self, inbound_id: int) -> None:
            with other() as s:  # committed: visible from another connection already
                seen_at_enqueue.append(
                    s.scalar(select(InboundMessage.id).where(InboundMessage.id == inbound_id))
                )
            super().process_inbound(inbound_id)

    disp = Checking()
    r = receiver_factory(sessions, dispatcher=disp)
    with smtplib.SMTP("127.0.0.1", r.port, timeout=10) as c:
        code, _ = c.ehlo()
        assert code == 250 and c.has_extn("size") and c.esmtp_features["size"] == "50000"
        refused = c.sendmail("coder@clinic.example", [CONSULT], make_mail(1))
    assert refused == {}
    assert count_rows(sessions, source="smtp") == 1
    assert seen_at_enqueue == disp.inbound and len(disp.inbound) == 1


def test_550_for_other_recipients_plus_tag_accepted(sessions: Any, receiver_factory: Any) -> None:
    r = receiver_factory(sessions)
    with smtplib.SMTP("127.0.0.1", r.port, timeout=10) as c:
        c.ehlo()
        c.mail("coder@clinic.example")
        assert c.rcpt("someone@caseconsultant.test")[0] == 550
        assert c.rcpt("consult@other.example")[0] == 550
        assert c.rcpt("Consult+billing@CaseConsultant.test")[0] == 250
        assert c.data(make_mail(2))[0] == 250
    with smtplib.SMTP("127.0.0.1", r.port, timeout=10) as c, pytest.raises(smtplib.SMTPRecipientsRefused):
        c.sendmail("coder@clinic.example", ["nobody@caseconsultant.test"], make_mail(3))
    assert count_rows(sessions) == 1


def test_552_above_the_size_limit(sessions: Any, receiver_factory: Any) -> None:
    r = receiver_factory(sessions, max_bytes=10_000)
    big = make_mail(4, body="x" * 70 + ("\n" + "y" * 70) * 200)
    assert len(big) > 10_000
    # a client that declares SIZE is refused at MAIL FROM
    with smtplib.SMTP("127.0.0.1", r.port, timeout=10) as c, pytest.raises(smtplib.SMTPSenderRefused) as exc:
        c.sendmail("coder@clinic.example", [CONSULT], big)
    assert exc.value.smtp_code == 552
    # one that does not is refused after DATA
    with smtplib.SMTP("127.0.0.1", r.port, timeout=10) as c:
        c.ehlo()
        c.mail("coder@clinic.example")
        c.rcpt(CONSULT)
        assert c.data(big.replace(b"\n", b"\r\n"))[0] == 552
    assert count_rows(sessions) == 0


def test_451_when_the_database_is_down_then_250_on_retry(
    postgres_server_url: str, sessions: Any, receiver_factory: Any
) -> None:
    parts = urlsplit(postgres_server_url)
    missing = urlunsplit(parts._replace(path="/no_such_database_here"))
    broken = sessionmaker(bind=create_engine(missing, connect_args={"connect_timeout": 3}))
    raw = make_mail(5)
    r = receiver_factory(broken)
    with smtplib.SMTP("127.0.0.1", r.port, timeout=30) as c, pytest.raises(smtplib.SMTPDataError) as exc:
        c.sendmail("coder@clinic.example", [CONSULT], raw)
    assert exc.value.smtp_code == 451
    # the sender retries later, when the database is back: stored once
    ok = receiver_factory(sessions)
    for _ in range(2):  # and a second retry is recognized as the same mail
        with smtplib.SMTP("127.0.0.1", ok.port, timeout=10) as c:
            assert c.sendmail("coder@clinic.example", [CONSULT], raw) == {}
    assert count_rows(sessions) == 1


def test_lmtp_one_answer_per_recipient(sessions: Any, receiver_factory: Any) -> None:
    r = receiver_factory(sessions, lmtp=True)
    with smtplib.LMTP("127.0.0.1", r.port, timeout=10) as c:
        c.ehlo()  # smtplib.LMTP sends LHLO
        c.mail("coder@clinic.example")
        assert c.rcpt(CONSULT)[0] == 250
        assert c.rcpt("consult+x@caseconsultant.test")[0] == 250
        assert c.rcpt("other@caseconsultant.test")[0] == 550
        # RFC 2033: one DATA answer per accepted recipient (smtplib reads only the first itself)
        assert c.data(make_mail(6))[0] == 250
        assert c.getreply()[0] == 250
        assert c.noop()[0] == 250  # in step
    with sessions() as s:
        assert s.scalars(select(InboundMessage.source)).all() == ["lmtp"]
