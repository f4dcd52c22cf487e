"""Turning a stored mail into a case and a draft: parse ► classify ► thread ► analyze ► draft.

Pure domain functions do the work; this module loads and saves rows around them. The whole
step is one transaction: a crash leaves the row `received`, and the sweeper enqueues it again.
A stage that raises marks the mail `failed` with the stage and the error; the raw bytes stay.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from consultant.codes.model import CodeStore
from consultant.db.models import (
    CASE_ANSWERED,
    CASE_APPROVED,
    CASE_CLOSED,
    CASE_DRAFTED,
    CASE_OPEN,
    DRAFT_READY,
    DRAFT_SUPERSEDED,
    PARSED,
    RECEIVED,
    Case,
    Draft,
    InboundMessage,
    SenderNotice,
    ThreadMessageId,
    utcnow,
)
from consultant.mail.model import Classification, ParsedMail
from consultant.services import audit
from consultant.settings import Settings

if TYPE_CHECKING:
    from consultant.drafting.analyze import Analysis

log = logging.getLogger(__name__)

PROCESSABLE = (RECEIVED, PARSED)
LOOP_WINDOW = dt.timedelta(minutes=10)
LOOP_MAX_PER_WINDOW = 10


class StageError(Exception):
    def __init__(self, stage: str, error: BaseException) -> None:
        super().__init__(f"{stage}: {type(error).__name__}: {error}")
        self.stage = stage
        self.error = error


def _stage(name: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except Exception as exc:
        raise StageError(name, exc) from exc


def process_inbound(session: Session, inbound_id: int, store: CodeStore, settings: Settings) -> str | None:
    """Process one stored mail; idempotent. Returns the final state, or None if nothing to do
    (already done, unknown, or being processed right now by another worker: a duplicate task skips
    the locked row instead of queueing behind it; the holder finishes it or the sweeper retries)."""
    query = (
        select(InboundMessage)
        .where(InboundMessage.id == inbound_id, InboundMessage.state.in_(PROCESSABLE))
        .with_for_update(skip_locked=True)
    )
    msg = session.scalar(query)
    if msg is None:
        return None
    msg.attempts += 1
    try:
        return _process(session, msg, store, settings)
    except StageError as exc:
        session.rollback()  # drops the lock: take the row again (another worker may have finished it)
        msg = session.scalar(query)
        if msg is None:
            return None
        msg.attempts += 1
        msg.state = "failed"
        msg.failed_stage = exc.stage
        msg.reason = str(exc)[:2000]
        msg.processed_at = utcnow()
        log.warning("inbound %s failed at %s: %s", inbound_id, exc.stage, type(exc.error).__name__)
        return "failed"


def process_inbound_batch(
    session_factory: Callable[[], Session], ids: Iterable[int], store: CodeStore, settings: Settings
) -> dict[int, str | None]:
    """Process many stored mails. First in bulk, one transaction for what the batch can decide
    alone (new questions, machine mail: `batch_processing`); then the rest (follow-ups, refusals,
    failures) each in its own transaction, as `process_inbound` does. If the bulk transaction
    fails it is rolled back whole and every mail takes the per-mail path. On the per-mail path a
    mail that breaks (even with an unexpected error) is rolled back alone and left for the sweeper.
    Idempotent like `process_inbound`: done ids are skipped by their state.
    Returns {id: final state, or None when skipped or left for the sweeper}."""
    from consultant.services.batch_processing import process_in_bulk

    wanted = list(dict.fromkeys(ids))  # in order, each once
    out: dict[int, str | None] = {}
    with session_factory() as session:
        rest = wanted
        try:
            done, rest = process_in_bulk(session, wanted, store, settings)
            session.commit()
            out.update(done)
        except Exception as exc:
            session.rollback()
            rest = wanted
            log.warning("batch of %d not processed in bulk (%s); one by one instead", len(wanted),
                        type(exc).__name__)  # fmt: skip
        finally:
            session.expunge_all()
        for inbound_id in rest:
            try:
                out[inbound_id] = process_inbound(session, inbound_id, store, settings)
                session.commit()
            except Exception as exc:
                session.rollback()
                out[inbound_id] = None
                log.warning("inbound %s not processed (%s); left for the sweeper", inbound_id,
                            type(exc).__name__)  # fmt: skip
            finally:
                session.expunge_all()
    return {i: out.get(i) for i in wanted}


def _process(session: Session, msg: InboundMessage, store: CodeStore, settings: Settings) -> str:
    from consultant.mail.classify import classify
    from consultant.mail.parse import parse_mail

    parsed: ParsedMail = _stage("parse", parse_mail, msg.raw)
    msg.sender = parsed.from_addr
    msg.subject = parsed.subject
    msg.parsed = _parsed_json(parsed)
    msg.state = PARSED

    own = {settings.consult_address.lower()}
    verdict: Classification = _stage(
        "classify",
        classify,
        parsed,
        own_addresses=own,
        allowed_senders=settings.allowed_senders,
        max_bytes=settings.max_message_bytes,
    )
    # the inbound row is written once, at commit: the lookups below must not flush it half-done
    with session.no_autoflush:
        if verdict.kind == "consult":
            verdict = _sender_limits(session, msg, settings) or verdict
        if verdict.kind == "rejected":
            _stage("notice", _refusal_notice, session, msg, parsed, verdict, settings)
        if verdict.kind not in ("consult", "follow_up"):
            return _finish(msg, verdict.kind, verdict.reason)

        oversized = msg.size > settings.max_message_bytes
        # analysed before threading (it needs no case), so a new case is inserted in its final state
        analysis: Analysis | None = None if oversized else _stage("draft", _analyze, parsed, store)
        case, is_follow_up = _stage("thread", _thread, session, msg, parsed, analysis)
        msg.case_id = case.id
        state = "follow_up" if is_follow_up else "consult"
        if analysis is None:
            audit.record(session, "system", "oversized", case.id, inbound_id=msg.id)
            return _finish(msg, state, "oversized: stored, not drafted")
        _stage("draft", _draft, session, msg, case, parsed, analysis, is_follow_up)
        audit.record(session, "system", "drafted", case.id, inbound_id=msg.id)
        return _finish(msg, state, "drafted")


def _finish(msg: InboundMessage, state: str, reason: str) -> str:
    msg.state = state
    msg.reason = reason
    msg.processed_at = utcnow()
    return state


def _sender_limits(session: Session, msg: InboundMessage, settings: Settings) -> Classification | None:
    """Per-sender caps: a burst from one sender is a loop; past the daily quota is refused."""
    if not msg.sender:
        return None
    now = utcnow()
    recent = InboundMessage.received_at >= now - LOOP_WINDOW
    counts = session.execute(  # both counts in one statement
        select(func.count(InboundMessage.id).filter(recent), func.count(InboundMessage.id)).where(
            InboundMessage.sender == msg.sender,
            InboundMessage.id != msg.id,
            InboundMessage.received_at >= now - dt.timedelta(days=1),
        )
    ).one()
    burst, today = int(counts[0] or 0), int(counts[1] or 0)
    if burst >= LOOP_MAX_PER_WINDOW:
        return Classification("loop", f"more than {LOOP_MAX_PER_WINDOW} mails from this sender in 10 minutes")
    if today >= settings.sender_daily_quota:
        return Classification("rejected", f"sender over the daily quota of {settings.sender_daily_quota}")
    return None


def _refusal_notice(
    session: Session, msg: InboundMessage, parsed: ParsedMail, verdict: Classification, settings: Settings
) -> Case | None:
    """A refused sender gets at most one polite notice a day, and only once a consultant approves
    it: the notice is drafted as a case of its own, never sent by itself."""
    from consultant.drafting.reply import RefusalReason, render_notice_refused

    sender = parsed.from_addr
    if not sender or sender == settings.consult_address.lower():
        return None
    day = utcnow().date()
    if session.scalar(select(SenderNotice.id).where(SenderNotice.sender == sender, SenderNotice.day == day)):
        return None
    session.add(SenderNotice(sender=sender, day=day))
    reason: RefusalReason = "over_quota" if "quota" in verdict.reason else "not_allowed"
    subject, text, _html = render_notice_refused(
        parsed.subject or "", reason, consult_address=settings.consult_address,
        daily_quota=settings.sender_daily_quota,
    )
    case = Case(subject=parsed.subject or "", requester=sender, requester_name=parsed.from_name,
                reply_to=parsed.reply_to, state=CASE_DRAFTED)
    session.add(case)
    session.flush()
    msg.case_id = case.id
    if msg.message_id:
        session.add(ThreadMessageId(message_id=msg.message_id, case_id=case.id))
    session.add(Draft(case_id=case.id, inbound_id=msg.id, version=1, state=DRAFT_READY, subject=subject,
                      body_text=text, analysis={"kind": "refusal_notice", "reason": verdict.reason}))
    audit.record(session, "system", "notice_drafted", case.id, inbound_id=msg.id)
    return case


def _thread(
    session: Session, msg: InboundMessage, parsed: ParsedMail, analysis: Analysis | None = None
) -> tuple[Case, bool]:
    """Find the case: In-Reply-To / References first, then the [Case #N] token; else a new case
    (inserted already `drafted` with its severity when the analysis for its draft is given)."""
    from consultant.mail.threading import case_token

    case: Case | None = None
    refs = [r for r in [*parsed.in_reply_to, *reversed(parsed.references)] if r]
    # one statement answers both "which case do the references name" and "is our Message-ID known"
    wanted = [*refs, msg.message_id] if msg.message_id else refs
    known: dict[str, int] = {}
    if wanted:
        rows = session.execute(
            select(ThreadMessageId.message_id, ThreadMessageId.case_id).where(
                ThreadMessageId.message_id.in_(wanted)
            )
        ).all()
        known = {mid: case_id for mid, case_id in rows}
    ref_case = next((known[r] for r in refs if r in known), None)
    if ref_case is not None:
        case = session.get(Case, ref_case)
    if case is None:
        token = case_token(parsed.subject or "")
        if token is not None:
            candidate = session.get(Case, token)
            # the token alone is a guess: only trust it from the same requester
            if candidate is not None and candidate.requester == (parsed.from_addr or ""):
                case = candidate
    is_follow_up = case is not None
    if case is None:
        # INSERT .. RETURNING through the ORM: the case and its id, without flushing the inbound
        # row (written once, at commit)
        case = session.scalars(
            insert(Case)
            .values(
                subject=parsed.subject or "",
                requester=parsed.from_addr or "",
                requester_name=parsed.from_name,
                reply_to=parsed.reply_to,
                state=CASE_OPEN if analysis is None else CASE_DRAFTED,
                max_severity=None if analysis is None else _max_severity(analysis),
            )
            .returning(Case)
        ).one()
    elif case.state in (CASE_CLOSED, CASE_ANSWERED, CASE_APPROVED):
        audit.record(session, "system", "reopened", case.id, reason="follow-up arrived")
        case.state = CASE_OPEN
    if msg.message_id and msg.message_id not in known:
        session.add(ThreadMessageId(message_id=msg.message_id, case_id=case.id))
    return case, is_follow_up


def _analyze(parsed: ParsedMail, store: CodeStore) -> Analysis:
    from consultant.drafting.analyze import analyze

    return analyze(parsed.question, store)


def _max_severity(analysis: Analysis) -> str | None:
    severities = {f.severity for f in analysis.findings}
    return next((s for s in ("error", "warning", "info") if s in severities), None)


def _draft(
    session: Session,
    msg: InboundMessage,
    case: Case,
    parsed: ParsedMail,
    analysis: Analysis,
    follow_up: bool,
) -> Draft:
    from consultant.drafting.draft import build_draft

    content = build_draft(
        parsed_subject=parsed.subject or case.subject,
        asker_name=parsed.from_name,
        question=parsed.question,
        codes=analysis.extraction.codes,
        infos=analysis.infos,
        findings=analysis.findings,
        case_id=case.id,
        date_of_service=analysis.date_of_service,
    )
    last = 0
    if follow_up:  # a case created just now has no drafts yet
        last = session.scalar(select(func.max(Draft.version)).where(Draft.case_id == case.id)) or 0
        for old in session.scalars(select(Draft).where(Draft.case_id == case.id, Draft.state == DRAFT_READY)):
            old.state = DRAFT_SUPERSEDED
    draft = Draft(
        case_id=case.id,
        inbound_id=msg.id,
        version=last + 1,
        state=DRAFT_READY,
        subject=content.subject,
        body_text=content.body_text,
        analysis=analysis.to_json(),
    )
    session.add(draft)
    if follow_up:  # a new case was inserted with these already
        case.max_severity = _max_severity(analysis)
        case.state = CASE_DRAFTED
    return draft


def _parsed_json(parsed: ParsedMail) -> dict[str, Any]:
    data = dataclasses.asdict(parsed)
    data["attachments"] = [dataclasses.asdict(a) for a in parsed.attachments]
    return data
