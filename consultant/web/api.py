"""JSON API under /api/v1: the review queue's operations for scripts and the pages' own JS.

Auth: `Authorization: Bearer <token>`, or the session cookie plus `X-CSRF-Token` on writes.
Errors: 401 not logged in, 403 CSRF / role, 404 unknown id, 409 refused (stale draft version,
wrong state), 422 invalid input. Sender filters take an opaque `sender_key`, never an address.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from consultant.db.models import AuditLog, Draft, InboundMessage, OutboundMessage, User
from consultant.services import outbox as outbox_service
from consultant.services import review
from consultant.services import review_queue as rq
from consultant.web.actions import ActionError, reprocess_failed
from consultant.web.auth import ApiUser, Db

router = APIRouter(tags=["review"])

MAX_ID = 2**53
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
CaseState = Literal["open", "drafted", "approved", "answered", "closed", "all"]
OutState = Literal["queued", "sending", "sent", "retrying", "dead"]
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not logged in and no valid API token"},
    403: {"description": "CSRF header missing (session auth) or not allowed"},
    404: {"description": "No such row"},
    409: {"description": "Refused: stale draft version or wrong state"},
}


class Problem(BaseModel):
    detail: str
    current_version: int | None = None


class CaseSummary(BaseModel):
    id: int
    subject: str
    requester: str
    requester_name: str | None
    sender_key: str = Field(description="Opaque key for filtering by this sender")
    state: str
    assignee_id: int | None
    assignee: str | None
    max_severity: str | None
    created_at: dt.datetime
    age_seconds: int
    draft_version: int | None
    draft_state: str | None
    codes: list[str]
    finding_counts: dict[str, int]


class CaseList(BaseModel):
    total: int
    counts: dict[str, int]
    items: list[CaseSummary]


class DraftOut(BaseModel):
    id: int
    version: int
    state: str
    subject: str
    body_text: str
    author: str | None
    reject_reason: str | None
    created_at: dt.datetime


class MailOut(BaseModel):
    id: int
    state: str
    from_addr: str | None
    from_name: str | None
    subject: str | None
    received_at: dt.datetime
    text: str
    question: str
    attachments: list[dict[str, Any]]


class OutboundOut(BaseModel):
    id: int
    case_id: int
    state: str
    to_addr: str
    subject: str
    attempts: int
    last_error: str | None
    created_at: dt.datetime
    sent_at: dt.datetime | None


class CaseOut(BaseModel):
    id: int
    subject: str
    requester: str
    requester_name: str | None
    state: str
    assignee_id: int | None
    assignee: str | None
    max_severity: str | None
    created_at: dt.datetime
    draft: DraftOut | None
    versions: list[int]
    question: str
    codes: list[dict[str, Any]]
    infos: dict[str, dict[str, Any]]
    findings: list[dict[str, Any]]
    mails: list[MailOut]
    outbound: list[OutboundOut]
    viewers: list[str]
    next_case_id: int | None


class EditIn(BaseModel):
    base_version: int = Field(ge=1, le=MAX_ID, description="The draft version the edit was made on")
    subject: str = Field(max_length=1000)
    body_text: str = Field(max_length=200_000)


class ApproveIn(BaseModel):
    base_version: int = Field(ge=1, le=MAX_ID)
    subject: str | None = Field(default=None, max_length=1000)
    body_text: str | None = Field(default=None, max_length=200_000)


class RejectIn(BaseModel):
    base_version: int = Field(ge=1, le=MAX_ID)
    reason: str = Field(min_length=1, max_length=2000)


class AssignIn(BaseModel):
    assignee_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="null to unassign")


class ActionOut(BaseModel):
    case_id: int
    state: str
    draft_version: int | None
    outbound_id: int | None = None
    next_case_id: int | None = None


class PresenceOut(BaseModel):
    viewers: list[str]


class FailedOut(BaseModel):
    id: int
    received_at: dt.datetime
    sender: str | None
    subject: str | None
    failed_stage: str | None
    reason: str | None
    attempts: int


class AuditOut(BaseModel):
    id: int
    at: dt.datetime
    actor: str
    action: str
    case_id: int | None
    detail: dict[str, Any] | None


class SenderIn(BaseModel):
    sender: str = Field(min_length=1, max_length=320, description="An address, or @domain for a whole domain")


class SenderKeyOut(BaseModel):
    sender_key: str


class Me(BaseModel):
    id: int
    email: str
    role: str


def _refuse(exc: Exception, db: Db, case_id: int | None = None) -> HTTPException:
    db.rollback()
    if isinstance(exc, review.NotFound):
        return HTTPException(404, str(exc))
    current = review.current_draft(db, case_id) if case_id is not None else None
    detail: Any = str(exc)
    if isinstance(exc, review.StaleDraft) and current is not None:
        detail = str(exc)
        return HTTPException(409, detail, headers={"X-Current-Version": str(current.version)})
    return HTTPException(409, detail)


def _draft_out(d: Draft, authors: dict[int, str]) -> DraftOut:
    return DraftOut(
        id=d.id,
        version=d.version,
        state=d.state,
        subject=d.subject,
        body_text=d.body_text,
        author=authors.get(d.author_id) if d.author_id else None,
        reject_reason=d.reject_reason,
        created_at=d.created_at,
    )


def _out(o: OutboundMessage) -> OutboundOut:
    return OutboundOut(
        id=o.id,
        case_id=o.case_id,
        state=o.state,
        to_addr=o.to_addr,
        subject=o.subject,
        attempts=o.attempts,
        last_error=o.last_error,
        created_at=o.created_at,
        sent_at=o.sent_at,
    )


def _case_exists(db: Db, case_id: int) -> None:
    if rq.case_detail(db, case_id) is None:
        raise HTTPException(404, f"case {case_id} does not exist")


def _action_out(db: Db, case_id: int, user: User, outbound_id: int | None = None) -> ActionOut:
    detail = rq.case_detail(db, case_id)
    assert detail is not None
    return ActionOut(
        case_id=case_id,
        state=detail.case.state,
        draft_version=detail.draft.version if detail.draft else None,
        outbound_id=outbound_id,
        next_case_id=rq.next_case(db, case_id, user.id),
    )


@router.get("/me", response_model=Me, responses=ERRORS)
def me(user: ApiUser) -> Me:
    return Me(id=user.id, email=user.email, role=user.role)


@router.post("/sender-key", response_model=SenderKeyOut, responses=ERRORS)
def make_sender_key(request: Request, user: ApiUser, body: SenderIn) -> SenderKeyOut:
    """The opaque key to filter `GET /cases` by a sender, so no address goes into a URL."""
    return SenderKeyOut(sender_key=rq.sender_key(request.app.state.secret, body.sender))


@router.get("/cases", response_model=CaseList, responses=ERRORS)
def list_cases(
    request: Request,
    db: Db,
    user: ApiUser,
    state: CaseState = "drafted",
    severity: Literal["error", "warning", "clean"] | None = None,
    assignee: Annotated[str | None, Query(pattern=r"^(me|none|[1-9][0-9]{0,15})$")] = None,
    min_age_hours: Annotated[float | None, Query(gt=0, le=100_000)] = None,
    sender_key: Annotated[str | None, Query(pattern=r"^[0-9a-f]{1,64}$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> CaseList:
    """Cases oldest first (default: drafted, waiting for review), with counts per state."""
    flt = rq.QueueFilter(
        state=None if state == "all" else state,
        severity=severity,
        assignee=assignee,
        min_age_hours=min_age_hours,
        sender_key=sender_key,
        limit=limit,
        offset=offset,
    )
    rows, total = rq.list_cases(db, flt, user_id=user.id, secret=request.app.state.secret)
    return CaseList(
        total=total,
        counts=rq.state_counts(db),
        items=[CaseSummary(**row.__dict__) for row in rows],
    )


@router.get("/cases/{case_id}", response_model=CaseOut, responses=ERRORS)
def get_case(request: Request, db: Db, user: ApiUser, case_id: Id) -> CaseOut:
    d = rq.case_detail(db, case_id)
    if d is None:
        raise HTTPException(404, f"case {case_id} does not exist")
    mails = []
    for m in d.messages:
        p = m.parsed or {}
        mails.append(
            MailOut(
                id=m.id,
                state=m.state,
                from_addr=p.get("from_addr") or m.sender,
                from_name=p.get("from_name"),
                subject=p.get("subject") or m.subject,
                received_at=m.received_at,
                text=str(p.get("text") or ""),
                question=str(p.get("question") or ""),
                attachments=[a for a in (p.get("attachments") or []) if isinstance(a, dict)],
            )
        )
    c = d.case
    return CaseOut(
        id=c.id,
        subject=c.subject or "",
        requester=c.requester,
        requester_name=c.requester_name,
        state=c.state,
        assignee_id=c.assignee_id,
        assignee=d.assignee,
        max_severity=c.max_severity,
        created_at=c.created_at,
        draft=_draft_out(d.draft, d.authors) if d.draft else None,
        versions=[x.version for x in d.drafts],
        question=d.analysis.question,
        codes=d.analysis.codes,
        infos=d.analysis.infos,
        findings=d.analysis.findings,
        mails=mails,
        outbound=[_out(o) for o in d.outbound],
        viewers=[w for w, _ in request.app.state.presence.viewers(case_id, exclude=user.email)],
        next_case_id=rq.next_case(db, case_id, user.id),
    )


@router.post("/cases/{case_id}/draft", response_model=DraftOut, responses=ERRORS)
def save_draft(db: Db, user: ApiUser, case_id: Id, body: EditIn) -> DraftOut:
    """Save an edit as a new draft version; refused (409) if `base_version` is not the current one."""
    try:
        draft = review.save_edit(
            db,
            case_id,
            review.Actor.of(user),
            base_version=body.base_version,
            subject=body.subject,
            body_text=body.body_text,
        )
        db.commit()
    except review.ReviewError as exc:
        raise _refuse(exc, db, case_id) from None
    return _draft_out(draft, {user.id: user.email})


@router.post("/cases/{case_id}/approve", response_model=ActionOut, responses=ERRORS)
def approve(db: Db, user: ApiUser, case_id: Id, body: ApproveIn) -> ActionOut:
    """Approve the current draft (optionally with a final edit); the reply is queued."""
    try:
        out = review.approve(
            db,
            case_id,
            review.Actor.of(user),
            base_version=body.base_version,
            subject=body.subject,
            body_text=body.body_text,
        )
        outbound_id = out.id
        db.commit()
    except review.ReviewError as exc:
        raise _refuse(exc, db, case_id) from None
    return _action_out(db, case_id, user, outbound_id)


@router.post("/cases/{case_id}/reject", response_model=ActionOut, responses=ERRORS)
def reject(db: Db, user: ApiUser, case_id: Id, body: RejectIn) -> ActionOut:
    try:
        review.reject(db, case_id, review.Actor.of(user), base_version=body.base_version, reason=body.reason)
        db.commit()
    except review.ReviewError as exc:
        raise _refuse(exc, db, case_id) from None
    return _action_out(db, case_id, user)


@router.post("/cases/{case_id}/assign", response_model=ActionOut, responses=ERRORS)
def assign(db: Db, user: ApiUser, case_id: Id, body: AssignIn) -> ActionOut:
    try:
        review.assign(db, case_id, review.Actor.of(user), body.assignee_id)
        db.commit()
    except review.ReviewError as exc:
        raise _refuse(exc, db, case_id) from None
    return _action_out(db, case_id, user)


@router.post("/cases/{case_id}/reopen", response_model=ActionOut, responses=ERRORS)
def reopen(db: Db, user: ApiUser, case_id: Id) -> ActionOut:
    try:
        review.reopen(db, case_id, review.Actor.of(user))
        db.commit()
    except review.ReviewError as exc:
        raise _refuse(exc, db, case_id) from None
    return _action_out(db, case_id, user)


@router.post("/cases/{case_id}/presence", response_model=PresenceOut, responses=ERRORS)
def presence(request: Request, db: Db, user: ApiUser, case_id: Id) -> PresenceOut:
    """Say "I have this case open"; answers who else has it open."""
    _case_exists(db, case_id)
    p = request.app.state.presence
    p.touch(case_id, user.email)
    return PresenceOut(viewers=[w for w, _ in p.viewers(case_id, exclude=user.email)])


@router.get("/outbox", response_model=list[OutboundOut], responses=ERRORS)
def outbox(
    db: Db, user: ApiUser, state: OutState | None = None, limit: Annotated[int, Query(ge=1, le=1000)] = 200
) -> list[OutboundOut]:
    return [_out(o) for o in rq.outbox_rows(db, state, limit)]


@router.post("/outbox/{outbound_id}/retry", response_model=OutboundOut, responses=ERRORS)
def outbox_retry(db: Db, user: ApiUser, outbound_id: Id) -> OutboundOut:
    """Queue a dead reply again."""
    try:
        out = outbox_service.retry_dead(db, outbound_id, user.email)
        db.commit()
    except LookupError as exc:
        db.rollback()
        raise HTTPException(404, str(exc)) from None
    except ValueError as exc:
        db.rollback()
        raise HTTPException(409, str(exc)) from None
    db.refresh(out)
    return _out(out)


@router.get("/failed", response_model=list[FailedOut], responses=ERRORS)
def failed(db: Db, user: ApiUser, limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[FailedOut]:
    return [
        FailedOut(
            id=m.id,
            received_at=m.received_at,
            sender=m.sender,
            subject=m.subject,
            failed_stage=m.failed_stage,
            reason=m.reason,
            attempts=m.attempts,
        )
        for m in rq.failed_rows(db, limit)
    ]


@router.post("/failed/{inbound_id}/reprocess", response_model=FailedOut, responses=ERRORS)
def failed_reprocess(db: Db, user: ApiUser, inbound_id: Id) -> FailedOut:
    """Unshunt: process a failed mail again."""
    try:
        reprocess_failed(db, inbound_id, user.email)
        db.commit()
    except ActionError as exc:
        db.rollback()
        raise HTTPException(exc.status, str(exc)) from None
    m = db.get(InboundMessage, inbound_id)
    assert m is not None
    db.refresh(m)
    return FailedOut(
        id=m.id,
        received_at=m.received_at,
        sender=m.sender,
        subject=m.subject,
        failed_stage=m.failed_stage,
        reason=m.reason,
        attempts=m.attempts,
    )


@router.get("/audit", response_model=list[AuditOut], responses=ERRORS)
def audit(
    db: Db,
    user: ApiUser,
    action: Annotated[str | None, Query(max_length=40)] = None,
    case_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[AuditOut]:
    """Who did what when, newest first."""
    q = select(AuditLog).order_by(AuditLog.id.desc())
    if action:
        q = q.where(AuditLog.action == action)
    if case_id:
        q = q.where(AuditLog.case_id == case_id)
    return [
        AuditOut(id=a.id, at=a.at, actor=a.actor, action=a.action, case_id=a.case_id, detail=a.detail)
        for a in db.scalars(q.limit(limit).offset(offset))
    ]
