"""parse ► classify ► thread ► analyze ► draft, on real mail files and a real (SQLite) store."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from sqlalchemy import func, select

from consultant.db.models import Case, Draft, InboundMessage, SenderNotice
from consultant.db.session import session_scope
from consultant.demo.run import MAILS_DIR
from consultant.services.dispatch import RecordingDispatcher
from consultant.services.inbox import store_inbound
from consultant.services.processing import process_inbound
from consultant.services.store_provider import get_store
from consultant.settings import get_settings


def mail(
    body: str,
    *,
    sender: str = "coder@clinic.example",
    subject: str = "coding question",
    in_reply_to: str | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    m = EmailMessage()
    m["From"] = sender
    m["To"] = "consult@caseconsultant.test"
    m["Subject"] = subject
    m["Message-ID"] = make_msgid(domain="clinic.example")
    if in_reply_to:
        m["In-Reply-To"] = in_reply_to
        m["References"] = in_reply_to
    for k, v in (headers or {}).items():
        m[k] = v
    m.set_content(body)
    return m.as_bytes()


def ingest(raw: bytes) -> tuple[int, str | None]:
    with session_scope() as s:
        stored = store_inbound(s, raw, source="file")
    with session_scope() as s:
        state = process_inbound(s, stored.inbound_id, get_store(), get_settings())
    return stored.inbound_id, state


def test_a_consult_mail_becomes_a_case_with_a_draft(app: RecordingDispatcher) -> None:
    raw = (MAILS_DIR / "01-em-with-injection.eml").read_bytes()
    inbound_id, state = ingest(raw)
    assert state == "consult"
    assert app.inbound == [inbound_id]  # enqueued after commit
    with session_scope() as s:
        msg = s.get(InboundMessage, inbound_id)
        assert msg is not None and msg.case_id is not None and msg.raw == raw
        case = s.get(Case, msg.case_id)
        assert case is not None and case.state == "drafted"
        assert case.requester == "dana.whitfield@lakeside-ortho.example"
        draft = s.scalar(select(Draft).where(Draft.case_id == case.id))
        assert draft is not None and draft.version == 1 and draft.state == "ready"
        codes = {c["code"] for c in draft.analysis["extraction"]["codes"]}  # type: ignore[index]
        assert {"99214", "20610", "M17.11"} <= codes
        rules = {f["rule"] for f in draft.analysis["findings"]}  # type: ignore[index]
        assert any("ptp" in r for r in rules)


def test_processing_twice_changes_nothing(app: RecordingDispatcher) -> None:
    inbound_id, _ = ingest(mail("Can I bill 20610 with 99213? Dx M17.11"))
    with session_scope() as s:
        assert process_inbound(s, inbound_id, get_store(), get_settings()) is None
    with session_scope() as s:
        assert s.scalar(select(func.count(Draft.id))) == 1
        assert s.scalar(select(func.count(Case.id))) == 1


def test_the_same_mail_stored_twice_is_one_row(app: RecordingDispatcher) -> None:
    raw = mail("Dx E11.9 with 99213?")
    with session_scope() as s:
        first = store_inbound(s, raw, source="imap", mailbox="a/INBOX", uidvalidity=1, uid=5)
    with session_scope() as s:
        again = store_inbound(s, raw, source="imap", mailbox="a/Other", uidvalidity=9, uid=77)
    assert first.created and not again.created and again.inbound_id == first.inbound_id
    assert app.inbound == [first.inbound_id]


def test_follow_up_joins_by_in_reply_to_and_reopens_an_answered_case(app: RecordingDispatcher) -> None:
    first = mail("Can I bill 20610 with 99213? Dx M17.11")
    first_id, _ = ingest(first)
    with session_scope() as s:
        msg = s.get(InboundMessage, first_id)
        assert msg is not None and msg.message_id
        case = s.get(Case, msg.case_id)
        assert case is not None
        case.state = "answered"
        mid = msg.message_id
    _, state = ingest(mail("And with 20611 instead?", subject="Re: coding question", in_reply_to=f"<{mid}>"))
    assert state == "follow_up"
    with session_scope() as s:
        assert s.scalar(select(func.count(Case.id))) == 1
        case = s.scalar(select(Case))
        assert case is not None and case.state == "drafted"
        assert s.scalar(select(func.max(Draft.version))) == 2


def test_case_token_joins_only_from_the_same_requester(app: RecordingDispatcher) -> None:
    ingest(mail("Dx M17.11 with 20610?"))
    _, state = ingest(mail("one more: 99213?", subject="Re: coding question [Case #1]"))
    assert state == "follow_up"
    _, other = ingest(mail("guessing a token 99213", sender="stranger@else.example",
                           subject="Re: coding question [Case #1]"))
    assert other == "consult"
    with session_scope() as s:
        assert s.scalar(select(func.count(Case.id))) == 2


@pytest.mark.parametrize(
    ("headers", "sender", "kind"),
    [
        ({"Auto-Submitted": "auto-replied"}, "coder@clinic.example", "auto_reply"),
        ({"X-Autoreply": "yes"}, "coder@clinic.example", "auto_reply"),
        ({}, "MAILER-DAEMON@mx.clinic.example", "bounce"),
        ({"List-Id": "<coders.lists.example>", "Precedence": "list"}, "coder@clinic.example", "list"),
        ({}, "consult@caseconsultant.test", "loop"),
    ],
)
def test_machine_mail_gets_no_case_and_no_draft(
    app: RecordingDispatcher, headers: dict[str, str], sender: str, kind: str
) -> None:
    _, state = ingest(mail("Out of the office until Monday. 99213", sender=sender, headers=headers))
    assert state == kind
    with session_scope() as s:
        assert s.scalar(select(func.count(Case.id))) == 0
        assert s.scalar(select(func.count(Draft.id))) == 0


def test_a_burst_from_one_sender_is_a_loop(app: RecordingDispatcher) -> None:
    states = [ingest(mail(f"question {i}: 99213 with 20610?"))[1] for i in range(12)]
    assert states[:10] == ["consult"] * 10
    assert states[10:] == ["loop", "loop"]


def test_refused_sender_gets_one_notice_draft_a_day_never_sent_by_itself(
    app: RecordingDispatcher, configure: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from consultant.settings import reset_settings

    monkeypatch.setenv("CC_ALLOWED_SENDERS", '["@allowed.example"]')
    reset_settings()
    _, first = ingest(mail("99213?", sender="someone@other.example"))
    _, second = ingest(mail("20610?", sender="someone@other.example"))
    assert first == second == "rejected"
    with session_scope() as s:
        notices = s.scalars(select(SenderNotice)).all()
        today = dt.datetime.now(dt.UTC).date()
        assert [(n.sender, n.day) for n in notices] == [("someone@other.example", today)]
        drafts = s.scalars(select(Draft)).all()
        assert len(drafts) == 1 and drafts[0].state == "ready"  # waits for a consultant
        assert drafts[0].analysis == {"kind": "refusal_notice", "reason": drafts[0].analysis["reason"]}  # type: ignore[index]
    assert app.outbound == []  # nothing queued to send
    _, allowed = ingest(mail("99213 with 20610?", sender="coder@allowed.example"))
    assert allowed == "consult"


class _BrokenStore:
    """A code store whose lookups fail: a fault that cannot be produced with the real store on
    demand, so it is simulated here (the only stand-in in this module)."""

    def __getattr__(self, name: str) -> object:
        def fail(*args: object, **kwargs: object) -> object:
            raise RuntimeError("code store unavailable")

        return fail


def test_a_failing_stage_marks_the_mail_failed_and_keeps_it(app: RecordingDispatcher) -> None:
    raw = mail("Can I bill 99213 with 20610? Dx M17.11")
    with session_scope() as s:
        stored = store_inbound(s, raw, source="file")
    with session_scope() as s:
        state = process_inbound(s, stored.inbound_id, _BrokenStore(), get_settings())  # type: ignore[arg-type]
    assert state == "failed"
    with session_scope() as s:
        msg = s.get(InboundMessage, stored.inbound_id)
        assert msg is not None and msg.state == "failed" and msg.raw == raw
        assert msg.failed_stage == "draft" and "code store unavailable" in (msg.reason or "")
        assert s.scalar(select(func.count(Draft.id))) == 0
