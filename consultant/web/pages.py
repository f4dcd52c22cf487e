"""Server-rendered pages: login, queue, case, outbox, failed mails, audit log, users.

Every POST form checks its CSRF token first; every page but /login needs a session.
Handlers are thin: they read with `review_queue` and write with `review`, `outbox`, `users`.
"""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from sqlalchemy import select

from consultant.db.models import CASE_STATES, OUTBOUND_STATES, AuditLog, User, utcnow
from consultant.services import outbox as outbox_service
from consultant.services import review
from consultant.services import review_queue as rq
from consultant.services import users as user_service
from consultant.settings import Settings
from consultant.web.actions import ActionError, reprocess_failed
from consultant.web.auth import (
    AdminUser,
    Db,
    PageUser,
    check_form_csrf,
    csrf_token,
    login_session,
    session_user,
)
from consultant.web.render import flash, render, sanitized_html_part

router = APIRouter(include_in_schema=False)

MAX_TEXT = 200_000
Id = Annotated[int, Path(ge=1, le=2**53)]
AGE_CHOICES = [("", "any age"), ("1", "older than 1 h"), ("4", "older than 4 h"), ("24", "older than 1 day")]
AUDIT_PAGE = 100


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _safe_next(value: str | None) -> str:
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/queue"


# ---------------------------------------------------------------------------------------------------------
# login / logout
# ---------------------------------------------------------------------------------------------------------


@router.get("/login")
def login_form(request: Request, db: Db, next: str | None = None) -> Response:
    if session_user(request, db) is not None:
        return _redirect(_safe_next(next))
    return render(request, "login.html", next=_safe_next(next), error=None, email="")


@router.post("/login")
def login(
    request: Request,
    db: Db,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/queue",
) -> Response:
    check_form_csrf(request, csrf_token)
    settings: Settings = request.app.state.settings
    policy = user_service.LoginPolicy(settings.login_max_failures, settings.login_lockout_seconds)
    try:
        user = user_service.authenticate(db, email, password, policy)
    except user_service.LoginRefused as exc:
        db.commit()  # count the failure
        return render(
            request, "login.html", status_code=401, next=_safe_next(next), error=str(exc), email=email
        )
    db.commit()
    login_session(request, user)
    return _redirect(_safe_next(next))


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    check_form_csrf(request, csrf_token)
    request.session.clear()
    return _redirect("/login")


@router.get("/")
def home(user: PageUser) -> Response:
    return _redirect("/queue")


# ---------------------------------------------------------------------------------------------------------
# queue
# ---------------------------------------------------------------------------------------------------------


def queue_filter(
    state: str | None, severity: str | None, assignee: str | None, age: str | None, sender_key: str | None
) -> rq.QueueFilter:
    st: str | None = rq.CASE_DRAFTED if state is None else (state if state in CASE_STATES else None)
    try:
        min_age = float(age) if age else None
    except ValueError:
        min_age = None
    return rq.QueueFilter(
        state=st,
        severity=severity if severity in rq.SEVERITY_FILTERS else None,
        assignee=assignee if assignee and (assignee in ("me", "none") or assignee.isdigit()) else None,
        min_age_hours=min_age if min_age and 0 < min_age < 100_000 else None,
        sender_key=sender_key if sender_key and sender_key.isalnum() and len(sender_key) <= 64 else None,
        limit=200,
    )


@router.get("/queue")
def queue_page(
    request: Request,
    db: Db,
    user: PageUser,
    state: Annotated[str | None, Query(max_length=20)] = None,
    severity: Annotated[str | None, Query(max_length=20)] = None,
    assignee: Annotated[str | None, Query(max_length=20)] = None,
    age: Annotated[str | None, Query(max_length=10)] = None,
    sender_key: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    flt = queue_filter(state, severity, assignee, age, sender_key)
    rows, total = rq.list_cases(db, flt, user_id=user.id, secret=request.app.state.secret)
    params = {
        "state": flt.state or "",
        "severity": flt.severity,
        "assignee": flt.assignee,
        "age": age if flt.min_age_hours else None,
        "sender_key": flt.sender_key,
    }
    params = {k: v for k, v in params.items() if v is not None}
    users = user_service.list_users(db)
    sender_label = None
    if flt.sender_key:
        sender_label = rq.sender_for_key(db, request.app.state.secret, flt.sender_key) or "unknown sender"
    return render(
        request,
        "queue.html",
        rows=rows,
        total=total,
        counts=rq.state_counts(db),
        flt=flt,
        state_param=state,
        age=age or "",
        age_choices=AGE_CHOICES,
        users=users,
        query=urlencode(params),
        filter_params=params,
        sender_label=sender_label,
        states=CASE_STATES,
    )


@router.post("/queue/sender")
def queue_sender_filter(
    request: Request,
    user: PageUser,
    sender: Annotated[str, Form(max_length=320)] = "",
    csrf_token: Annotated[str, Form()] = "",
    state: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Filter by sender without putting the address in the URL: the URL gets an opaque key."""
    check_form_csrf(request, csrf_token)
    sender = sender.strip().lower()
    params: dict[str, str] = {"state": state} if state in CASE_STATES or state == "" else {}
    if sender:
        key = rq.sender_key(request.app.state.secret, sender)
        params["sender_key"] = key
    return _redirect("/queue?" + urlencode(params))


# ---------------------------------------------------------------------------------------------------------
# case
# ---------------------------------------------------------------------------------------------------------


def _case_context(request: Request, db: Db, user: User, case_id: int) -> dict[str, Any]:
    detail = rq.case_detail(db, case_id)
    if detail is None:
        raise HTTPException(404, f"case {case_id} does not exist")
    presence = request.app.state.presence
    presence.touch(case_id, user.email)
    mails = []
    for m in detail.messages:
        parsed = m.parsed or {}
        mails.append(
            {
                "id": m.id,
                "from_addr": parsed.get("from_addr") or m.sender or "",
                "from_name": parsed.get("from_name") or "",
                "subject": parsed.get("subject") or m.subject or "",
                "date": parsed.get("date") or "",
                "received_at": m.received_at,
                "text": parsed.get("text") or "",
                "attachments": parsed.get("attachments") or [],
                "state": m.state,
                "html": sanitized_html_part(m.raw) if m.raw and b"html" in m.raw[:200_000].lower() else None,
            }
        )
    a = detail.analysis
    codes = []
    for c in a.codes:
        code = str(c.get("code"))
        codes.append({**c, "info": a.infos.get(code) or {}})
    return {
        "d": detail,
        "case": detail.case,
        "draft": detail.draft,
        "mails": mails,
        "segments": rq.question_segments(a.question, a.codes),
        "question": a.question,
        "codes": codes,
        "findings": a.findings,
        "finding_counts": a.finding_counts,
        "viewers": presence.viewers(case_id, exclude=user.email),
        "users": user_service.list_users(db),
        "next_id": rq.next_case(db, case_id, user.id),
        "editor_subject": detail.draft.subject if detail.draft else "",
        "editor_body": detail.draft.body_text if detail.draft else "",
        "editor_version": detail.draft.version if detail.draft else None,
        "conflict": None,
    }


@router.get("/cases/{case_id}")
def case_page(request: Request, db: Db, user: PageUser, case_id: Id) -> Response:
    return render(request, "case.html", **_case_context(request, db, user, case_id))


def _after_action(request: Request, db: Db, user: User, case_id: int, message: str) -> Response:
    flash(request, "ok", message)
    nxt = rq.next_case(db, case_id, user.id)
    return _redirect(f"/cases/{nxt}" if nxt else "/queue")


def _refused(
    request: Request,
    db: Db,
    user: User,
    case_id: int,
    exc: Exception,
    subject: str | None = None,
    body: str | None = None,
) -> Response:
    """Show the case again with the refusal, keeping the consultant's own text in the editor."""
    db.rollback()
    ctx = _case_context(request, db, user, case_id)
    stale = isinstance(exc, review.StaleDraft)
    if subject is not None:
        ctx["editor_subject"] = subject
    if body is not None:
        ctx["editor_body"] = body
    ctx["conflict"] = {"message": str(exc), "stale": stale}
    return render(request, "case.html", status_code=409, **ctx)


def _version(value: str) -> int | None:
    return int(value) if value.strip().isdigit() else None


@router.post("/cases/{case_id}/draft")
def save_draft(
    request: Request,
    db: Db,
    user: PageUser,
    case_id: Id,
    subject: Annotated[str, Form(max_length=1000)] = "",
    body_text: Annotated[str, Form(max_length=MAX_TEXT)] = "",
    base_version: Annotated[str, Form(max_length=12)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_form_csrf(request, csrf_token)
    try:
        draft = review.save_edit(
            db,
            case_id,
            review.Actor.of(user),
            base_version=_version(base_version),
            subject=subject,
            body_text=body_text,
        )
        db.commit()
    except review.ReviewError as exc:
        return _refused(request, db, user, case_id, exc, subject, body_text)
    flash(request, "ok", f"Saved as version {draft.version}.")
    return _redirect(f"/cases/{case_id}")


@router.post("/cases/{case_id}/approve")
def approve(
    request: Request,
    db: Db,
    user: PageUser,
    case_id: Id,
    subject: Annotated[str | None, Form(max_length=1000)] = None,
    body_text: Annotated[str | None, Form(max_length=MAX_TEXT)] = None,
    base_version: Annotated[str, Form(max_length=12)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_form_csrf(request, csrf_token)
    try:
        review.approve(
            db,
            case_id,
            review.Actor.of(user),
            base_version=_version(base_version),
            subject=subject,
            body_text=body_text,
        )
        db.commit()
    except review.ReviewError as exc:
        return _refused(request, db, user, case_id, exc, subject, body_text)
    return _after_action(request, db, user, case_id, f"Case #{case_id} approved: the reply is on its way.")


@router.post("/cases/{case_id}/reject")
def reject(
    request: Request,
    db: Db,
    user: PageUser,
    case_id: Id,
    reason: Annotated[str, Form(max_length=2000)] = "",
    base_version: Annotated[str, Form(max_length=12)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_form_csrf(request, csrf_token)
    try:
        review.reject(db, case_id, review.Actor.of(user), base_version=_version(base_version), reason=reason)
        db.commit()
    except review.ReviewError as exc:
        return _refused(request, db, user, case_id, exc)
    return _after_action(request, db, user, case_id, f"Case #{case_id} rejected: no reply will be sent.")


@router.post("/cases/{case_id}/assign")
def assign(
    request: Request,
    db: Db,
    user: PageUser,
    case_id: Id,
    assignee_id: Annotated[str, Form(max_length=15)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_form_csrf(request, csrf_token)
    target = user.id if assignee_id == "me" else (int(assignee_id) if assignee_id.isdigit() else None)
    try:
        review.assign(db, case_id, review.Actor.of(user), target)
        db.commit()
    except review.ReviewError as exc:
        return _refused(request, db, user, case_id, exc)
    flash(request, "ok", "Assignment saved." if target else "Case unassigned.")
    return _redirect(f"/cases/{case_id}")


@router.post("/cases/{case_id}/reopen")
def reopen(
    request: Request, db: Db, user: PageUser, case_id: Id, csrf_token: Annotated[str, Form()] = ""
) -> Response:
    check_form_csrf(request, csrf_token)
    try:
        review.reopen(db, case_id, review.Actor.of(user))
        db.commit()
    except review.ReviewError as exc:
        return _refused(request, db, user, case_id, exc)
    flash(request, "ok", f"Case #{case_id} reopened: the draft is editable again.")
    return _redirect(f"/cases/{case_id}")


# ---------------------------------------------------------------------------------------------------------
# outbox, failed mails
# ---------------------------------------------------------------------------------------------------------


@router.get("/outbox")
def outbox_page(
    request: Request, db: Db, user: PageUser, state: Annotated[str | None, Query(max_length=20)] = None
) -> Response:
    st = state if state in OUTBOUND_STATES else None
    return render(
        request,
        "outbox.html",
        rows=rq.outbox_rows(db, st),
        counts=rq.outbox_counts(db),
        state=st,
        states=OUTBOUND_STATES,
    )


@router.post("/outbox/{outbound_id}/retry")
def outbox_retry(
    request: Request, db: Db, user: PageUser, outbound_id: Id, csrf_token: Annotated[str, Form()] = ""
) -> Response:
    check_form_csrf(request, csrf_token)
    try:
        outbox_service.retry_dead(db, outbound_id, user.email)
        db.commit()
        flash(request, "ok", f"Reply {outbound_id} queued again.")
    except (LookupError, ValueError) as exc:
        db.rollback()
        flash(request, "error", str(exc))
    return _redirect("/outbox")


@router.get("/failed")
def failed_page(request: Request, db: Db, user: PageUser) -> Response:
    return render(request, "failed.html", rows=rq.failed_rows(db))


@router.post("/failed/{inbound_id}/reprocess")
def failed_reprocess(
    request: Request, db: Db, user: PageUser, inbound_id: Id, csrf_token: Annotated[str, Form()] = ""
) -> Response:
    check_form_csrf(request, csrf_token)
    try:
        reprocess_failed(db, inbound_id, user.email)
        db.commit()
        flash(request, "ok", f"Mail {inbound_id} is being processed again.")
    except ActionError as exc:
        db.rollback()
        flash(request, "error", str(exc))
    return _redirect("/failed")


# ---------------------------------------------------------------------------------------------------------
# audit log
# ---------------------------------------------------------------------------------------------------------


def audit_query(action: str | None, case_id: int | None) -> Any:
    q = select(AuditLog).order_by(AuditLog.id.desc())
    if action:
        q = q.where(AuditLog.action == action)
    if case_id:
        q = q.where(AuditLog.case_id == case_id)
    return q


@router.get("/audit")
def audit_page(
    request: Request,
    db: Db,
    user: PageUser,
    action: Annotated[str | None, Query(max_length=40)] = None,
    case_id: Annotated[int | None, Query(ge=1, le=2**53)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    rows = list(
        db.scalars(audit_query(action, case_id).limit(AUDIT_PAGE + 1).offset((page - 1) * AUDIT_PAGE))
    )
    actions = sorted(a for a in db.scalars(select(AuditLog.action).distinct()) if a)
    params = {k: v for k, v in {"action": action, "case_id": case_id}.items() if v}
    return render(
        request,
        "audit.html",
        rows=rows[:AUDIT_PAGE],
        more=len(rows) > AUDIT_PAGE,
        page=page,
        action=action or "",
        case_id=case_id,
        actions=actions,
        query=urlencode(params),
    )


def _csv_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # no formula injection when the CSV is opened in a spreadsheet
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@router.get("/audit.csv")
def audit_csv(
    request: Request,
    db: Db,
    user: PageUser,
    action: Annotated[str | None, Query(max_length=40)] = None,
    case_id: Annotated[int | None, Query(ge=1, le=2**53)] = None,
) -> Response:
    import json

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["id", "at", "actor", "action", "case_id", "detail"])
    for row in db.scalars(audit_query(action, case_id).limit(100_000)):
        detail = json.dumps(row.detail, sort_keys=True, default=str) if row.detail else ""
        w.writerow(
            [_csv_cell(v) for v in (row.id, row.at.isoformat(), row.actor, row.action, row.case_id, detail)]
        )
    return StreamingResponse(
        iter([buf.getvalue()]),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="caseconsultant-audit.csv"'},
    )


# ---------------------------------------------------------------------------------------------------------
# users (admins only)
# ---------------------------------------------------------------------------------------------------------


@router.get("/admin/users")
def users_page(request: Request, db: Db, user: AdminUser) -> Response:
    return render(
        request, "users.html", users=user_service.list_users(db), roles=user_service.ROLES, now=utcnow()
    )


@router.post("/admin/users")
def users_add(
    request: Request,
    db: Db,
    user: AdminUser,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    role: Annotated[str, Form(max_length=20)] = "consultant",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_form_csrf(request, csrf_token)
    try:
        user_service.create_user(db, email, password, role, actor=user.email)
        db.commit()
        flash(request, "ok", "User added.")
    except user_service.UserError as exc:
        db.rollback()
        flash(request, "error", str(exc))
    return _redirect("/admin/users")


@router.post("/admin/users/{user_id}/{op}")
def users_op(
    request: Request, db: Db, user: AdminUser, user_id: Id, op: str, csrf_token: Annotated[str, Form()] = ""
) -> Response:
    check_form_csrf(request, csrf_token)
    target = db.get(User, user_id)
    if target is None:
        raise HTTPException(404, "no such user")
    if op == "unlock":
        user_service.unlock(db, target, user.email)
    elif op in ("activate", "deactivate"):
        if target.id == user.id:
            flash(request, "error", "you cannot deactivate yourself")
            return _redirect("/admin/users")
        user_service.set_active(db, target, op == "activate", user.email)
    else:
        raise HTTPException(404, "no such operation")
    db.commit()
    flash(request, "ok", "Saved.")
    return _redirect("/admin/users")


__all__ = ["csrf_token", "router"]
