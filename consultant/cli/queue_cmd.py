"""`caseconsultant queue ...`: the review queue from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from sqlalchemy import func, select

from consultant.cli.output import fail, print_json
from consultant.db.models import Case, Draft, InboundMessage, User
from consultant.db.session import session_scope
from consultant.services import review

app = typer.Typer(help="The review queue: list, show, approve, reject.", no_args_is_help=True)


def case_summary(case: Case, draft: Draft | None) -> dict[str, Any]:
    return {
        "id": case.id,
        "state": case.state,
        "subject": case.subject,
        "requester": case.requester,
        "max_severity": case.max_severity,
        "assignee_id": case.assignee_id,
        "created_at": case.created_at.isoformat(),
        "draft_version": draft.version if draft else None,
        "draft_state": draft.state if draft else None,
    }


def _actor(session: Any, email: str | None) -> review.Actor:
    if not email:
        return review.Actor(None, "cli")
    user = session.scalar(select(User).where(User.email == email.lower()))
    if user is None:
        fail(f"no user {email!r}; add one with: caseconsultant users add EMAIL")
    return review.Actor.of(user)


@app.command("list")
def list_cases(
    state: str | None = typer.Option(None, help="open, drafted, approved, answered, closed"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Cases, oldest first."""
    with session_scope() as session:
        query = select(Case).order_by(Case.created_at, Case.id)
        if state:
            query = query.where(Case.state == state)
        rows = []
        for case in session.scalars(query):
            rows.append(case_summary(case, review.current_draft(session, case.id)))
        counts = dict(
            session.execute(select(Case.state, func.count(Case.id)).group_by(Case.state)).tuples().all()
        )
    if as_json:
        print_json({"cases": rows, "counts": counts})
        return
    for r in rows:
        typer.echo(f"#{r['id']:<5} {r['state']:<9} v{r['draft_version'] or '-'} {r['max_severity'] or '':<7} "
                   f"{r['subject'][:60]}")
    typer.echo(f"{len(rows)} case(s); " + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))


@app.command("show")
def show(case_id: int, as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """One case: its mails, the current draft and the findings."""
    with session_scope() as session:
        case = session.get(Case, case_id)
        if case is None:
            fail(f"case {case_id} does not exist")
            return
        draft = review.current_draft(session, case_id)
        messages = session.scalars(
            select(InboundMessage).where(InboundMessage.case_id == case_id).order_by(InboundMessage.id)
        ).all()
        data = case_summary(case, draft)
        data["messages"] = [
            {"id": m.id, "state": m.state, "subject": m.subject, "question": (m.parsed or {}).get("question")}
            for m in messages
        ]
        data["draft"] = (
            {"version": draft.version, "state": draft.state, "subject": draft.subject,
             "body_text": draft.body_text, "analysis": draft.analysis}
            if draft else None
        )
    if as_json:
        print_json(data)
        return
    typer.echo(f"Case #{data['id']} [{data['state']}] {data['subject']}")
    if data["draft"]:
        typer.echo(f"--- draft v{data['draft']['version']} ({data['draft']['state']}) ---")
        typer.echo(data["draft"]["body_text"])


@app.command("approve")
def approve(
    case_id: int,
    body_file: Path | None = typer.Option(None, "--body-file", help="Send this text instead of the draft."),
    version: int | None = typer.Option(None, "--version", help="Refuse if the draft changed since."),
    user: str | None = typer.Option(None, "--user", help="Approve as this consultant (email)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Approve the current draft: the reply is queued and sent."""
    body = body_file.read_text(encoding="utf-8") if body_file else None
    try:
        with session_scope() as session:
            actor = _actor(session, user)
            out = review.approve(session, case_id, actor, base_version=version, body_text=body)
            result = {"case_id": case_id, "outbound_id": out.id, "message_id": out.message_id}
    except review.ReviewError as exc:
        fail(str(exc))
        return
    if as_json:
        print_json(result)
    else:
        typer.echo(f"approved case #{case_id}; reply queued as outbound #{result['outbound_id']}")


@app.command("reject")
def reject(
    case_id: int,
    reason: str = typer.Option(..., "--reason", help="Why (kept in the audit log)."),
    version: int | None = typer.Option(None, "--version", help="Refuse if the draft changed since."),
    user: str | None = typer.Option(None, "--user", help="Reject as this consultant (email)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Reject the current draft and close the case without a reply."""
    try:
        with session_scope() as session:
            review.reject(session, case_id, _actor(session, user), base_version=version, reason=reason)
    except review.ReviewError as exc:
        fail(str(exc))
        return
    if as_json:
        print_json({"case_id": case_id, "state": "closed"})
    else:
        typer.echo(f"rejected case #{case_id}")
