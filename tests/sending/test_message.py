"""The reply as the receiving server sees it, parsed back: headers, threading, both parts."""

from __future__ import annotations

import email.utils
from collections.abc import Callable

import pytest

from consultant.adapters.transport import transport_for
from consultant.db.models import OUT_DEAD, OUT_SENT
from consultant.services import review, sending
from consultant.services.outbox import MAX_REFERENCES
from consultant.settings import Settings
from tests.sending.conftest import Db, Recorder, smtp_env
from tests.smtp_sink import SmtpSink


def _send(db: Db, settings: Settings, outbound_id: int) -> str:
    return sending.send_outbound(db.factory, outbound_id, transport_for(settings), settings, sent_folder=None)


def test_headers_and_threading_as_received(
    db: Db, smtp_sink: SmtpSink, configure: Callable[..., Settings], recorder: Recorder
) -> None:
    settings = configure(
        database_url=db.url, **smtp_env(smtp_sink), message_id_domain="mail.caseconsultant.test"
    )
    refs = [f"r{i}@clinic.example" for i in range(30)]
    oid = db.queued_reply(subject="RE: Re: AW: modifier 25 with 20610", reply_to="billing@clinic.example",
                          references=refs, message_id="q-last@clinic.example")  # fmt: skip
    assert recorder.outbound == [oid]  # enqueued after the approval committed

    assert _send(db, settings, oid) == OUT_SENT
    [got] = smtp_sink.wait_for(1)
    msg = got.message
    out = db.outbound(oid)
    case_id = out.case_id

    assert email.utils.parseaddr(str(msg["From"])) == ("CaseConsultant Desk", "consult@caseconsultant.test")
    assert got.envelope_from == "consult@caseconsultant.test"
    assert email.utils.parseaddr(str(msg["To"]))[1] == "billing@clinic.example"  # Reply-To respected
    assert got.rcpt_tos == ["billing@clinic.example"]
    assert str(msg["Subject"]) == f"Re: modifier 25 with 20610 [Case #{case_id}]"
    assert str(msg["Message-ID"]) == f"<{out.message_id}>"
    assert out.message_id.endswith("@mail.caseconsultant.test")
    assert str(msg["In-Reply-To"]) == "<q-last@clinic.example>"
    got_refs = str(msg["References"]).split()
    assert len(got_refs) == MAX_REFERENCES
    assert got_refs[0] == "<r0@clinic.example>"  # the thread root is kept
    assert got_refs[-1] == "<q-last@clinic.example>"  # the message we answer is last
    assert email.utils.parsedate_to_datetime(str(msg["Date"])) is not None
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None and html is not None
    assert "99214-25 with 20610 is payable" in text.get_content()
    assert "99214-25 with 20610 is payable" in html.get_content()
    assert str(msg["Auto-Submitted"]) == "auto-replied"

    # the case is answered, and sending again changes nothing
    assert db.case(case_id).state == "answered"
    assert _send(db, settings, oid) == OUT_SENT
    assert len(smtp_sink.messages) == 1


def test_requester_name_and_plain_subject(
    db: Db, smtp_sink: SmtpSink, configure: Callable[..., Settings], recorder: Recorder
) -> None:
    settings = configure(database_url=db.url, **smtp_env(smtp_sink))
    oid = db.queued_reply(subject="J1030 x 2 units?", requester="Pat.Coder@Clinic.example",
                          requester_name="Pat Coder")  # fmt: skip
    assert _send(db, settings, oid) == OUT_SENT
    msg = smtp_sink.wait_for(1)[0].message
    assert email.utils.parseaddr(str(msg["To"])) == ("Pat Coder", "pat.coder@clinic.example")
    assert str(msg["Subject"]).startswith("Re: J1030 x 2 units? [Case #")
    assert str(msg["Message-ID"]).endswith("@caseconsultant.test>")  # default: the consult domain


@pytest.mark.parametrize(
    ("kwargs", "why"),
    [
        ({"inbound_state": "auto_reply"}, "auto-reply"),
        ({"inbound_state": "bounce"}, "bounce"),
        ({"inbound_state": "list"}, "list"),
        ({"requester": "consult@caseconsultant.test"}, "own"),
        ({"requester": "MAILER-DAEMON@relay.example"}, "system"),
    ],
)
def test_refused_at_approval(db: Db, configure: Callable[..., Settings], recorder: Recorder,
                             kwargs: dict[str, str], why: str) -> None:  # fmt: skip
    configure(database_url=db.url)
    case_id = db.seed_case(**kwargs)
    with pytest.raises(review.ReviewError, match="cannot approve"):
        db.approve(case_id)
    assert recorder.sends == []


def test_rechecked_at_send(
    db: Db, smtp_sink: SmtpSink, configure: Callable[..., Settings], recorder: Recorder
) -> None:
    """A case that turned out to be an auto-reply loop after approval: the send refuses, nothing leaves."""
    settings = configure(database_url=db.url, **smtp_env(smtp_sink))
    oid = db.queued_reply()
    out = db.outbound(oid)
    with db.factory() as s, s.begin():
        from consultant.db.models import InboundMessage

        raw = b"Subject: Out of office\r\n\r\naway\r\n"
        s.add(InboundMessage(source="file", dedupe_key="ooo@clinic.example", message_id="ooo@clinic.example",
                             content_sha256="f" * 64, raw=raw, size=len(raw), state="auto_reply",
                             case_id=out.case_id))  # fmt: skip
    assert _send(db, settings, oid) == OUT_DEAD
    assert smtp_sink.messages == []
    row = db.outbound(oid)
    assert "auto-reply" in (row.last_error or "")
    assert db.case(out.case_id).state == "open"  # back to the consultants
