"""Edit, approve, reject, reopen: versions, stale edits refused, one outbound row per approval."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from consultant.db.models import AuditLog, Case, InboundMessage, OutboundMessage
from consultant.db.session import session_scope
from consultant.services import review
from consultant.services.dispatch import RecordingDispatcher
from tests.services.test_processing import ingest, mail

ACTOR = review.Actor(None, "consultant@caseconsultant.test")


def _case() -> int:
    inbound_id, _ = ingest(mail("Can I bill 99214-25 with 20610? Dx M17.11", subject="Re: Fwd: injection"))
    with session_scope() as s:
        msg = s.get(InboundMessage, inbound_id)
        assert msg is not None and msg.case_id is not None
        return msg.case_id


def test_edit_makes_a_new_version_and_a_stale_edit_is_refused(app: RecordingDispatcher) -> None:
    case_id = _case()
    with session_scope() as s:
        v2 = review.save_edit(s, case_id, ACTOR, base_version=1, subject="s", body_text="edited once")
        assert v2.version == 2
    with pytest.raises(review.StaleDraft, match=r"version 1.*version 2"), session_scope() as s:
        review.save_edit(s, case_id, ACTOR, base_version=1, subject="s", body_text="someone else's edit")
    with pytest.raises(review.StaleDraft), session_scope() as s:
        review.approve(s, case_id, ACTOR, base_version=1)
    with session_scope() as s:
        draft = review.current_draft(s, case_id)
        assert draft is not None and draft.body_text == "edited once"


def test_approval_queues_exactly_one_threaded_outbound_row(app: RecordingDispatcher) -> None:
    case_id = _case()
    with session_scope() as s:
        out = review.approve(s, case_id, ACTOR, base_version=1, body_text="Final answer.")
        out_id = out.id
    assert app.outbound == [out_id]  # enqueued after the commit
    with session_scope() as s:
        out = s.get(OutboundMessage, out_id)
        msg = s.scalar(select(InboundMessage).where(InboundMessage.case_id == case_id))
        assert out is not None and msg is not None
        assert out.state == "queued" and out.body_text == "Final answer."
        assert out.to_addr == "coder@clinic.example"
        assert out.subject == f"Re: injection [Case #{case_id}]"
        assert out.in_reply_to == f"<{msg.message_id}>" and f"<{msg.message_id}>" in (out.references or "")
        assert out.message_id.endswith("@caseconsultant.test")
        case = s.get(Case, case_id)
        assert case is not None and case.state == "approved"
        actions = [a.action for a in s.scalars(select(AuditLog).order_by(AuditLog.id))]
        assert actions[-2:] == ["edit", "approve"]
    with pytest.raises(review.ReviewError, match="approved"), session_scope() as s:
        review.approve(s, case_id, ACTOR, base_version=None)
    with session_scope() as s:
        assert s.scalar(select(func.count(OutboundMessage.id))) == 1


def test_reject_needs_a_reason_and_closes_the_case(app: RecordingDispatcher) -> None:
    case_id = _case()
    with pytest.raises(review.ReviewError, match="reason"), session_scope() as s:
        review.reject(s, case_id, ACTOR, base_version=1, reason="  ")
    with session_scope() as s:
        review.reject(s, case_id, ACTOR, base_version=1, reason="not a coding question")
    with session_scope() as s:
        case = s.get(Case, case_id)
        assert case is not None and case.state == "closed"
    with session_scope() as s:
        review.reopen(s, case_id, ACTOR)
    with session_scope() as s:
        draft = review.current_draft(s, case_id)
        assert draft is not None and draft.state == "ready" and draft.version == 2
        assert s.get(Case, case_id).state == "drafted"  # type: ignore[union-attr]
    assert app.outbound == []


def test_no_reply_to_our_own_address_or_a_machine(app: RecordingDispatcher) -> None:
    case_id = _case()
    with session_scope() as s:
        case = s.get(Case, case_id)
        assert case is not None
        case.reply_to = "consult@caseconsultant.test"
    with pytest.raises(review.ReviewError, match="own"), session_scope() as s:
        review.approve(s, case_id, ACTOR, base_version=1)
    with session_scope() as s:
        case = s.get(Case, case_id)
        assert case is not None
        case.reply_to = None
        msg = s.scalar(select(InboundMessage).where(InboundMessage.case_id == case_id))
        assert msg is not None
        msg.state = "auto_reply"
    with pytest.raises(review.ReviewError, match="auto-reply"), session_scope() as s:
        review.approve(s, case_id, ACTOR, base_version=1)
    assert app.outbound == []


def test_approving_unchanged_text_makes_no_new_version(app: RecordingDispatcher) -> None:
    case_id = _case()
    with session_scope() as s:
        draft = review.current_draft(s, case_id)
        assert draft is not None
        subject, body = draft.subject, draft.body_text
    with session_scope() as s:
        review.approve(s, case_id, ACTOR, base_version=1, subject=subject, body_text=body)
    with session_scope() as s:
        approved = review.current_draft(s, case_id)
        assert approved is not None and approved.version == 1 and approved.state == "approved"
        actions = [a.action for a in s.scalars(select(AuditLog).order_by(AuditLog.id))]
        assert "edit" not in actions
