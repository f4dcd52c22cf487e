"""A batch of stored mails in one transaction: the common case written with a few statements.

A backlog is mostly new questions and machine mail. For those, the per-mail path costs eight SQL
round trips and an ORM flush per mail; here the whole batch takes about eight statements: lock the
rows (SKIP LOCKED), count the senders' recent mail, look up the thread ids, insert the new cases
(RETURNING their ids, in order), then the thread ids, drafts and audit rows as multi-row INSERTs,
and update the inbound rows in one executemany.

What the bulk path does not decide is left to the per-mail path (`processing.process_inbound`),
run after this transaction commits: follow-ups (a known reference, a [Case #N] token, a reply to
another mail of the same batch), refused senders (their notice), oversized mail, a repeated
Message-ID, and any mail whose parse, classification, analysis or draft raises (the per-mail path
records the failure with its stage). So each mail still ends exactly as the per-mail path would
leave it; the batch only changes how many statements it takes.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from consultant.codes.model import CodeStore
from consultant.db.models import (
    CASE_DRAFTED,
    DRAFT_READY,
    AuditLog,
    Case,
    Draft,
    InboundMessage,
    ThreadMessageId,
    utcnow,
)
from consultant.mail.model import Classification, ParsedMail
from consultant.settings import Settings

if TYPE_CHECKING:
    from consultant.drafting.analyze import Analysis

log = logging.getLogger(__name__)


@dataclass(eq=False)
class _Mail:
    id: int
    size: int
    message_id: str | None
    received_at: dt.datetime
    attempts: int
    parsed: ParsedMail
    verdict: Classification
    analysis: Analysis | None = None
    case_id: int | None = None


def process_in_bulk(
    session: Session, ids: list[int], store: CodeStore, settings: Settings
) -> tuple[dict[int, str | None], list[int]]:
    """Process what the batch can decide in bulk, in the session's open transaction (the caller
    commits). Returns ({id: final state, or None when already done or locked by another worker},
    [ids left for the per-mail path, in their batch order])."""
    from consultant.services.processing import PROCESSABLE

    rows = session.execute(
        select(
            InboundMessage.id, InboundMessage.raw, InboundMessage.size, InboundMessage.message_id,
            InboundMessage.received_at, InboundMessage.attempts,
        )
        .where(InboundMessage.id.in_(ids), InboundMessage.state.in_(PROCESSABLE))
        .order_by(InboundMessage.id)
        .with_for_update(skip_locked=True)
    ).all()  # fmt: skip
    by_id = {row.id: row for row in rows}
    done: dict[int, str | None] = {i: None for i in ids if i not in by_id}  # done, gone or locked
    later: list[int] = []
    mails: list[_Mail] = []
    for i in ids:
        row = by_id.get(i)
        if row is None:
            continue
        mail = _read(row, settings)
        if mail is None:
            later.append(i)  # a parse or classification error: the per-mail path records it
        else:
            mails.append(mail)
    now = utcnow()
    _limit_senders(session, mails, settings.sender_daily_quota, now)
    finished = [m for m in mails if m.verdict.kind not in ("consult", "follow_up", "rejected")]
    candidates = [m for m in mails if m.verdict.kind in ("consult", "follow_up")]
    later += [m.id for m in mails if m.verdict.kind == "rejected"]  # the notice needs the per-mail path
    new, deferred = _new_threads(session, candidates, settings)
    later += deferred
    drafted = _insert_drafts(session, _insert_cases(session, new, store))
    drafted_ids = {m.id for m in drafted}
    later += [m.id for m in new if m.id not in drafted_ids]  # an analysis or a draft that raised

    updates = [_row_update(m, m.verdict.kind, m.verdict.reason, now) for m in finished]
    updates += [_row_update(m, m.verdict.kind, "drafted", now) for m in drafted]
    if updates:
        session.execute(update(InboundMessage), updates)
    done.update({m.id: m.verdict.kind for m in finished})
    done.update({m.id: m.verdict.kind for m in drafted})
    order = {i: n for n, i in enumerate(ids)}
    return done, sorted(set(later), key=order.__getitem__)


def _read(row: Any, settings: Settings) -> _Mail | None:
    from consultant.mail.classify import classify
    from consultant.mail.parse import parse_mail

    try:
        parsed = parse_mail(row.raw)
        verdict = classify(
            parsed,
            own_addresses={settings.consult_address.lower()},
            allowed_senders=settings.allowed_senders,
            max_bytes=settings.max_message_bytes,
        )
    except Exception:
        return None
    return _Mail(row.id, row.size, row.message_id, row.received_at, row.attempts, parsed, verdict)


def _limit_senders(session: Session, mails: list[_Mail], quota: int, now: dt.datetime) -> None:
    """The per-sender caps of the per-mail path, with one statement for the batch: each mail counts
    the sender's other mail already processed (from the database) and the sender's mail earlier in
    this batch, as if the batch had been processed one mail after the other."""
    from consultant.services.processing import LOOP_MAX_PER_WINDOW, LOOP_WINDOW

    asking = [m for m in mails if m.verdict.kind == "consult" and m.parsed.from_addr]
    if not asking:
        return
    senders = {m.parsed.from_addr for m in asking}
    day_ago, window_start = now - dt.timedelta(days=1), now - LOOP_WINDOW
    n_recent = func.count(InboundMessage.id).filter(InboundMessage.received_at >= window_start)
    counted = session.execute(
        select(InboundMessage.sender, n_recent, func.count(InboundMessage.id))
        .where(
            InboundMessage.sender.in_(senders),
            InboundMessage.id.notin_([m.id for m in mails]),
            InboundMessage.received_at >= day_ago,
        )
        .group_by(InboundMessage.sender)
    ).all()
    burst = {sender: int(b or 0) for sender, b, _ in counted}
    today = {sender: int(t or 0) for sender, _, t in counted}
    for m in mails:  # in batch order: earlier mail of the batch counts for the later
        sender = m.parsed.from_addr
        if not sender:
            continue
        if m.verdict.kind == "consult":
            if burst.get(sender, 0) >= LOOP_MAX_PER_WINDOW:
                m.verdict = Classification(
                    "loop", f"more than {LOOP_MAX_PER_WINDOW} mails from this sender in 10 minutes"
                )
            elif today.get(sender, 0) >= quota:
                m.verdict = Classification("rejected", f"sender over the daily quota of {quota}")
        if m.received_at >= day_ago:
            today[sender] = today.get(sender, 0) + 1
            if m.received_at >= window_start:
                burst[sender] = burst.get(sender, 0) + 1


def _new_threads(session: Session, mails: list[_Mail], settings: Settings) -> tuple[list[_Mail], list[int]]:
    """Split the questions into new cases (done here) and the rest (left for the per-mail path)."""
    from consultant.mail.threading import case_token

    refs = {m.id: [r for r in [*m.parsed.in_reply_to, *m.parsed.references] if r] for m in mails}
    wanted = {r for rs in refs.values() for r in rs} | {m.message_id for m in mails if m.message_id}
    known: set[str] = set()
    if wanted:
        query = select(ThreadMessageId.message_id).where(ThreadMessageId.message_id.in_(wanted))
        known = set(session.scalars(query))
    in_batch = {m.message_id for m in mails if m.message_id}
    new: list[_Mail] = []
    later: list[int] = []
    seen: set[str] = set()
    for m in mails:
        follow_up = any(r in known or r in in_batch for r in refs[m.id])
        repeated = m.message_id is not None and (m.message_id in known or m.message_id in seen)
        oversized = m.size > settings.max_message_bytes
        if follow_up or repeated or oversized or case_token(m.parsed.subject or "") is not None:
            later.append(m.id)
        else:
            new.append(m)
        if m.message_id:
            seen.add(m.message_id)
    return new, later


def _insert_cases(session: Session, mails: list[_Mail], store: CodeStore) -> list[_Mail]:
    """Analyse each question and insert its case already `drafted`, one INSERT .. RETURNING for all.
    Returns the mails that got a case (an analysis that raises leaves its mail out)."""
    from consultant.services.processing import _analyze, _max_severity

    analysed: list[_Mail] = []
    for m in mails:
        try:
            m.analysis = _analyze(m.parsed, store)
        except Exception:
            continue
        analysed.append(m)
    if not analysed:
        return []
    values = [
        {
            "subject": m.parsed.subject or "",
            "requester": m.parsed.from_addr or "",
            "requester_name": m.parsed.from_name,
            "reply_to": m.parsed.reply_to,
            "state": CASE_DRAFTED,
            "max_severity": _max_severity(m.analysis) if m.analysis else None,
        }
        for m in analysed
    ]
    case_ids = session.scalars(insert(Case).returning(Case.id, sort_by_parameter_order=True), values).all()
    for m, case_id in zip(analysed, case_ids, strict=True):
        m.case_id = case_id
    return analysed


def _insert_drafts(session: Session, mails: list[_Mail]) -> list[_Mail]:
    """Each mail's draft, its thread id and its audit row, as three multi-row INSERTs. A draft that
    raises takes its case back out (the per-mail path then records the failure)."""
    from consultant.drafting.draft import build_draft

    drafts: list[dict[str, Any]] = []
    ok: list[_Mail] = []
    dropped: list[int] = []
    for m in mails:
        assert m.analysis is not None and m.case_id is not None
        try:
            content = build_draft(
                parsed_subject=m.parsed.subject, asker_name=m.parsed.from_name, question=m.parsed.question,
                codes=m.analysis.extraction.codes, infos=m.analysis.infos, findings=m.analysis.findings,
                case_id=m.case_id, date_of_service=m.analysis.date_of_service,
            )  # fmt: skip
        except Exception:
            dropped.append(m.case_id)
            m.case_id = None
            continue
        ok.append(m)
        drafts.append({
            "case_id": m.case_id, "inbound_id": m.id, "version": 1, "state": DRAFT_READY,
            "subject": content.subject, "body_text": content.body_text, "analysis": m.analysis.to_json(),
        })  # fmt: skip
    if dropped:
        session.execute(delete(Case).where(Case.id.in_(dropped)))
    if not ok:
        return []
    session.execute(insert(Draft), drafts)
    threads = [{"message_id": m.message_id, "case_id": m.case_id} for m in ok if m.message_id]
    if threads:
        session.execute(insert(ThreadMessageId), threads)
    audit = [{"actor": "system", "action": "drafted", "case_id": m.case_id, "detail": {"inbound_id": m.id}}
             for m in ok]  # fmt: skip
    session.execute(insert(AuditLog), audit)
    return ok


def _row_update(m: _Mail, state: str, reason: str, now: dt.datetime) -> dict[str, Any]:
    from consultant.services.processing import _parsed_json

    return {
        "id": m.id,
        "sender": m.parsed.from_addr,
        "subject": m.parsed.subject,
        "parsed": _parsed_json(m.parsed),
        "state": state,
        "reason": reason,
        "case_id": m.case_id,
        "attempts": m.attempts + 1,
        "processed_at": now,
    }
