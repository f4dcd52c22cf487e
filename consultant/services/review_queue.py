"""Read side of the review queue: listing, counting and looking at cases (no writes here).

The write side is `consultant.services.review`. These functions return plain data that the
web pages, the JSON API and the CLI can all show.

Filtering by sender never puts an address in a URL: callers pass an opaque `sender_key`
(a keyed HMAC of the lower-cased address, or of `@domain` for a whole domain), made with
`sender_key()` from a server secret, so the key cannot be reversed by guessing addresses.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from consultant.db.models import (
    CASE_DRAFTED,
    CASE_STATES,
    Case,
    Draft,
    InboundMessage,
    OutboundMessage,
    User,
    utcnow,
)

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
SEVERITY_FILTERS = ("error", "warning", "clean")  # has errors / errors or warnings / neither


def sender_key(secret: str | bytes, sender: str) -> str:
    """Opaque, stable key for an address (or `@domain`), safe to put in a URL."""
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, sender.strip().lower().encode("utf-8"), hashlib.sha256).hexdigest()[:20]


def sender_for_key(session: Session, secret: str | bytes, key: str) -> str | None:
    """The address (or `@domain`) behind a `sender_key`, for showing the active filter."""
    requesters = list(session.scalars(select(Case.requester).distinct()))
    for r in requesters:
        if sender_key(secret, r) == key:
            return r
    for d in {r.rpartition("@")[2].lower() for r in requesters}:
        if sender_key(secret, "@" + d) == key:
            return "@" + d
    return None


@dataclass
class QueueFilter:
    state: str | None = CASE_DRAFTED  # None: every state
    severity: str | None = None  # error | warning | clean
    assignee: str | None = None  # "me" | "none" | a user id
    min_age_hours: float | None = None
    sender_key: str | None = None
    limit: int = 100
    offset: int = 0


@dataclass
class CaseRow:
    id: int
    subject: str
    requester: str
    requester_name: str | None
    sender_key: str
    state: str
    assignee_id: int | None
    assignee: str | None
    max_severity: str | None
    created_at: dt.datetime
    age_seconds: int
    draft_version: int | None
    draft_state: str | None
    codes: list[str] = field(default_factory=list)
    finding_counts: dict[str, int] = field(default_factory=dict)


@dataclass
class AnalysisView:
    question: str
    codes: list[dict[str, Any]]
    infos: dict[str, dict[str, Any]]
    findings: list[dict[str, Any]]

    @property
    def finding_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for f in self.findings:
            sev = str(f.get("severity") or "info")
            counts[sev] = counts.get(sev, 0) + 1
        return counts


def analysis_view(analysis: dict[str, Any] | None, fallback_question: str = "") -> AnalysisView:
    """Tolerant reading of `Draft.analysis` (`Analysis.to_json()`): missing keys are empty."""
    a = analysis if isinstance(analysis, dict) else {}
    extraction = a.get("extraction") if isinstance(a.get("extraction"), dict) else {}
    assert isinstance(extraction, dict)
    codes = extraction.get("codes", a.get("codes")) or []
    codes = [c for c in codes if isinstance(c, dict) and c.get("code")]
    question = extraction.get("question") or a.get("question") or fallback_question or ""
    infos_raw = a.get("infos") or {}
    infos = (
        {str(k): v for k, v in infos_raw.items() if isinstance(v, dict)}
        if isinstance(infos_raw, dict)
        else {}
    )
    findings = [f for f in (a.get("findings") or []) if isinstance(f, dict)]
    findings.sort(key=lambda f: SEVERITY_ORDER.get(str(f.get("severity")), 3))
    return AnalysisView(question=str(question), codes=codes, infos=infos, findings=findings)


def question_segments(question: str, codes: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    """Split the question into (text, code-or-None) pieces using the extraction spans."""
    spans: list[tuple[int, int, str]] = []
    for c in codes:
        span = c.get("span")
        if isinstance(span, list | tuple) and len(span) == 2:
            try:
                start, end = int(span[0]), int(span[1])
            except (TypeError, ValueError):
                continue
            if 0 <= start < end <= len(question):
                spans.append((start, end, str(c.get("code"))))
    spans.sort()
    out: list[tuple[str, str | None]] = []
    pos = 0
    for start, end, code in spans:
        if start < pos:  # overlapping spans: keep the first
            continue
        if start > pos:
            out.append((question[pos:start], None))
        out.append((question[start:end], code))
        pos = end
    if pos < len(question):
        out.append((question[pos:], None))
    return out


def _latest_draft_ids() -> Select[int, int]:
    return select(Draft.case_id, func.max(Draft.version).label("v")).group_by(Draft.case_id)


def _filtered(
    session: Session, flt: QueueFilter, user_id: int | None, secret: str | bytes, now: dt.datetime
) -> Select[Any] | None:
    q = select(Case)
    if flt.state:
        q = q.where(Case.state == flt.state)
    if flt.severity == "error":
        q = q.where(Case.max_severity == "error")
    elif flt.severity == "warning":
        q = q.where(Case.max_severity.in_(("error", "warning")))
    elif flt.severity == "clean":
        q = q.where((Case.max_severity.is_(None)) | (Case.max_severity == "info"))
    if flt.assignee == "me":
        q = q.where(Case.assignee_id == user_id)
    elif flt.assignee == "none":
        q = q.where(Case.assignee_id.is_(None))
    elif flt.assignee:
        try:
            q = q.where(Case.assignee_id == int(flt.assignee))
        except ValueError:
            return None
    if flt.min_age_hours:
        q = q.where(Case.created_at <= now - dt.timedelta(hours=flt.min_age_hours))
    if flt.sender_key:
        addresses = [
            r
            for r in session.scalars(select(Case.requester).distinct())
            if sender_key(secret, r) == flt.sender_key
        ]
        domains = [
            d
            for d in {
                r.rpartition("@")[2].lower() for r in session.scalars(select(Case.requester).distinct())
            }
            if sender_key(secret, "@" + d) == flt.sender_key
        ]
        cond: ColumnElement[bool] | None = Case.requester.in_(addresses) if addresses else None
        for d in domains:
            dc = func.lower(Case.requester).like(f"%@{d}")
            cond = dc if cond is None else (cond | dc)
        if cond is None:
            return None
        q = q.where(cond)
    return q


def list_cases(
    session: Session,
    flt: QueueFilter,
    *,
    user_id: int | None,
    secret: str | bytes,
    now: dt.datetime | None = None,
) -> tuple[list[CaseRow], int]:
    """The cases matching `flt`, oldest first, and how many match in all."""
    now = now or utcnow()
    q = _filtered(session, flt, user_id, secret, now)
    if q is None:
        return [], 0
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    cases: list[Case] = list(
        session.scalars(
            q.order_by(Case.created_at, Case.id).limit(max(1, min(flt.limit, 500))).offset(flt.offset)
        )
    )
    if not cases:
        return [], total
    ids = [c.id for c in cases]
    latest = _latest_draft_ids().where(Draft.case_id.in_(ids)).subquery()
    drafts = {
        d.case_id: d
        for d in session.scalars(
            select(Draft).join(latest, (Draft.case_id == latest.c.case_id) & (Draft.version == latest.c.v))
        )
    }
    users = {u.id: u.email for u in session.scalars(select(User))}
    rows = []
    for c in cases:
        d = drafts.get(c.id)
        view = analysis_view(d.analysis if d else None)
        codes = []
        for code in view.codes:
            text = str(code.get("code"))
            mods = code.get("modifiers") or []
            codes.append(text + "".join(f"-{m}" for m in mods))
        created = c.created_at
        rows.append(
            CaseRow(
                id=c.id,
                subject=c.subject or "",
                requester=c.requester,
                requester_name=c.requester_name,
                sender_key=sender_key(secret, c.requester),
                state=c.state,
                assignee_id=c.assignee_id,
                assignee=users.get(c.assignee_id) if c.assignee_id else None,
                max_severity=c.max_severity,
                created_at=created,
                age_seconds=max(0, int((now - created).total_seconds())),
                draft_version=d.version if d else None,
                draft_state=d.state if d else None,
                codes=codes,
                finding_counts=view.finding_counts,
            )
        )
    return rows, total


def state_counts(session: Session) -> dict[str, int]:
    counts = dict.fromkeys(CASE_STATES, 0)
    for state, n in session.execute(select(Case.state, func.count(Case.id)).group_by(Case.state)):
        counts[str(state)] = int(n)
    return counts


def next_case(session: Session, current_id: int | None, user_id: int | None) -> int | None:
    """The case to review next: the oldest drafted one that is not someone else's, after `current_id`."""
    q = (
        select(Case.id)
        .where(Case.state == CASE_DRAFTED)
        .where((Case.assignee_id.is_(None)) | (Case.assignee_id == user_id))
        .order_by(Case.created_at, Case.id)
    )
    if current_id is not None:
        q = q.where(Case.id != current_id)
    return session.scalar(q.limit(1))


@dataclass
class CaseDetail:
    case: Case
    draft: Draft | None
    drafts: list[Draft]
    messages: list[InboundMessage]
    outbound: list[OutboundMessage]
    analysis: AnalysisView
    assignee: str | None
    authors: dict[int, str]


def case_detail(session: Session, case_id: int) -> CaseDetail | None:
    case = session.get(Case, case_id)
    if case is None:
        return None
    drafts = list(session.scalars(select(Draft).where(Draft.case_id == case_id).order_by(Draft.version)))
    draft = drafts[-1] if drafts else None
    messages = list(
        session.scalars(
            select(InboundMessage).where(InboundMessage.case_id == case_id).order_by(InboundMessage.id)
        )
    )
    outbound = list(
        session.scalars(
            select(OutboundMessage).where(OutboundMessage.case_id == case_id).order_by(OutboundMessage.id)
        )
    )
    fallback = ""
    if draft is not None and draft.inbound_id is not None:
        src = next((m for m in messages if m.id == draft.inbound_id), None)
        fallback = str(((src.parsed or {}) if src else {}).get("question") or "")
    elif messages:
        fallback = str((messages[-1].parsed or {}).get("question") or "")
    users = {u.id: u.email for u in session.scalars(select(User))}
    return CaseDetail(
        case=case,
        draft=draft,
        drafts=drafts,
        messages=messages,
        outbound=outbound,
        analysis=analysis_view(draft.analysis if draft else None, fallback),
        assignee=users.get(case.assignee_id) if case.assignee_id else None,
        authors=users,
    )


def outbox_rows(session: Session, state: str | None = None, limit: int = 200) -> list[OutboundMessage]:
    q = select(OutboundMessage).order_by(OutboundMessage.id.desc())
    if state:
        q = q.where(OutboundMessage.state == state)
    return list(session.scalars(q.limit(limit)))


def outbox_counts(session: Session) -> dict[str, int]:
    return {
        str(s): int(n)
        for s, n in session.execute(
            select(OutboundMessage.state, func.count(OutboundMessage.id)).group_by(OutboundMessage.state)
        )
    }


def failed_rows(session: Session, limit: int = 200) -> list[InboundMessage]:
    return list(
        session.scalars(
            select(InboundMessage)
            .where(InboundMessage.state == "failed")
            .order_by(InboundMessage.id.desc())
            .limit(limit)
        )
    )
