"""What a consultant does to a case: edit, approve, reject, assign, reopen.

Every edit is a new draft version. An action names the version it was based on; if someone
else saved a newer one meanwhile the action is refused (`StaleDraft`), never overwritten.
Approval creates the outbound row in the same transaction: no reply leaves without one.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consultant.db.models import (
    CASE_APPROVED,
    CASE_CLOSED,
    CASE_DRAFTED,
    CASE_OPEN,
    DRAFT_APPROVED,
    DRAFT_READY,
    DRAFT_REJECTED,
    DRAFT_SUPERSEDED,
    Case,
    Draft,
    OutboundMessage,
    User,
)
from consultant.services import audit
from consultant.services.outbox import RecipientRefused, queue_reply, recipient_for


class ReviewError(Exception):
    """The action cannot be done (the message says why, for the consultant)."""


class StaleDraft(ReviewError):
    pass


class NotFound(ReviewError):
    pass


@dataclass(frozen=True)
class Actor:
    id: int | None
    email: str

    @classmethod
    def of(cls, user: User | None) -> Actor:
        return cls(user.id, user.email) if user else cls(None, "system")


def current_draft(session: Session, case_id: int) -> Draft | None:
    return session.scalar(
        select(Draft).where(Draft.case_id == case_id).order_by(Draft.version.desc()).limit(1)
    )


def _locked_case(session: Session, case_id: int) -> Case:
    case = session.scalar(select(Case).where(Case.id == case_id).with_for_update())
    if case is None:
        raise NotFound(f"case {case_id} does not exist")
    return case


def _check_version(draft: Draft | None, base_version: int | None) -> Draft:
    if draft is None:
        raise ReviewError("this case has no draft yet")
    if base_version is not None and draft.version != base_version:
        raise StaleDraft(
            f"the draft was changed meanwhile (you edited version {base_version}, the current one is "
            f"version {draft.version}); reload the case and apply your change again"
        )
    return draft


def save_edit(
    session: Session, case_id: int, actor: Actor, *, base_version: int | None, subject: str, body_text: str
) -> Draft:
    _locked_case(session, case_id)
    draft = _check_version(current_draft(session, case_id), base_version)
    if draft.state != DRAFT_READY:
        raise ReviewError(f"the draft is {draft.state}; reopen the case to edit it")
    draft.state = DRAFT_SUPERSEDED
    new = Draft(
        case_id=case_id,
        inbound_id=draft.inbound_id,
        version=draft.version + 1,
        state=DRAFT_READY,
        subject=subject,
        body_text=body_text,
        analysis=draft.analysis,
        author_id=actor.id,
    )
    session.add(new)
    session.flush()
    audit.record(session, actor.email, "edit", case_id, version=new.version)
    return new


def approve(
    session: Session,
    case_id: int,
    actor: Actor,
    *,
    base_version: int | None,
    body_text: str | None = None,
    subject: str | None = None,
) -> OutboundMessage:
    """Approve the current draft (optionally with a final edit) and queue the reply."""
    case = _locked_case(session, case_id)
    draft = _check_version(current_draft(session, case_id), base_version)
    if draft.state != DRAFT_READY:
        raise ReviewError(f"the draft is {draft.state}, not ready for approval")
    try:
        recipient_for(session, case)  # refuse before changing anything
    except RecipientRefused as exc:
        raise ReviewError(f"cannot approve: {exc}") from exc
    if body_text == draft.body_text:
        body_text = None  # unchanged text approves the version as it is: no new version
    if subject == draft.subject:
        subject = None
    if body_text is not None or subject is not None:
        draft = save_edit(
            session,
            case_id,
            actor,
            base_version=draft.version,
            subject=subject if subject is not None else draft.subject,
            body_text=body_text if body_text is not None else draft.body_text,
        )
    draft.state = DRAFT_APPROVED
    case.state = CASE_APPROVED
    try:
        out = queue_reply(session, case, draft)
    except RecipientRefused as exc:
        raise ReviewError(f"cannot approve: {exc}") from exc
    audit.record(session, actor.email, "approve", case_id, version=draft.version, outbound_id=out.id)
    return out


def reject(session: Session, case_id: int, actor: Actor, *, base_version: int | None, reason: str) -> Draft:
    if not reason.strip():
        raise ReviewError("a reason is required to reject")
    case = _locked_case(session, case_id)
    draft = _check_version(current_draft(session, case_id), base_version)
    if draft.state != DRAFT_READY:
        raise ReviewError(f"the draft is {draft.state}, not ready")
    draft.state = DRAFT_REJECTED
    draft.reject_reason = reason
    case.state = CASE_CLOSED
    audit.record(session, actor.email, "reject", case_id, version=draft.version, reason=reason)
    return draft


def assign(session: Session, case_id: int, actor: Actor, assignee_id: int | None) -> Case:
    case = _locked_case(session, case_id)
    if assignee_id is not None and session.get(User, assignee_id) is None:
        raise NotFound(f"user {assignee_id} does not exist")
    case.assignee_id = assignee_id
    audit.record(session, actor.email, "assign", case_id, assignee_id=assignee_id)
    return case


def reopen(session: Session, case_id: int, actor: Actor) -> Case:
    """Reopen a closed or answered case: its last draft becomes editable again as a new version."""
    case = _locked_case(session, case_id)
    draft = current_draft(session, case_id)
    if draft is not None and draft.state != DRAFT_READY:
        last = session.scalar(select(func.max(Draft.version)).where(Draft.case_id == case_id)) or 0
        session.add(
            Draft(
                case_id=case_id,
                inbound_id=draft.inbound_id,
                version=last + 1,
                state=DRAFT_READY,
                subject=draft.subject,
                body_text=draft.body_text,
                analysis=draft.analysis,
                author_id=actor.id,
            )
        )
    case.state = CASE_DRAFTED if draft is not None else CASE_OPEN
    audit.record(session, actor.email, "reopen", case_id)
    return case
