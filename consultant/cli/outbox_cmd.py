"""`caseconsultant queue outbox|retry`: the outbox, as seen by a consultant."""

from __future__ import annotations

from typing import Any

import typer

from consultant.cli.output import fail, print_json


def register(queue_app: typer.Typer) -> None:
    """Add the outbox commands to the `queue` group."""
    queue_app.command("outbox")(outbox)
    queue_app.command("retry")(retry)


def _row(out: Any) -> dict[str, Any]:
    return {
        "id": out.id,
        "case_id": out.case_id,
        "state": out.state,
        "attempts": out.attempts,
        "last_error": out.last_error,
        "next_attempt_at": out.next_attempt_at.isoformat() if out.next_attempt_at else None,
        "message_id": out.message_id,
        "to": out.to_addr,
        "subject": out.subject,
        "created_at": out.created_at.isoformat() if out.created_at else None,
        "updated_at": out.updated_at.isoformat() if out.updated_at else None,
        "sent_at": out.sent_at.isoformat() if out.sent_at else None,
    }


def outbox(
    state: list[str] = typer.Option(
        None, "--state", help="Only rows in this state (queued, sending, sent, retrying, dead); repeatable."
    ),
    limit: int = typer.Option(200, help="At most this many rows, newest first."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List outgoing replies with their state, attempts and last error."""
    from sqlalchemy import select

    from consultant.db.models import OUTBOUND_STATES, OutboundMessage
    from consultant.db.session import session_scope

    bad = [s for s in state or [] if s not in OUTBOUND_STATES]
    if bad:
        fail(f"unknown state {bad[0]!r}; one of {', '.join(OUTBOUND_STATES)}")
    with session_scope() as session:
        query = select(OutboundMessage).order_by(OutboundMessage.id.desc()).limit(limit)
        if state:
            query = query.where(OutboundMessage.state.in_(state))
        rows = [_row(o) for o in session.scalars(query)]
    if as_json:
        print_json(rows)
        return
    if not rows:
        typer.echo("the outbox is empty")
    for r in rows:
        error = f"  {r['last_error']}" if r["last_error"] else ""
        typer.echo(f"#{r['id']:<6} case {r['case_id']:<6} {r['state']:<9} attempts {r['attempts']}{error}")


def retry(
    outbound_id: int = typer.Argument(..., help="The outbound row (see `queue outbox`)."),
    actor: str = typer.Option("cli", help="Who asks (recorded in the audit log)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Requeue a dead reply: it is sent again with the same Message-ID."""
    from consultant.db.session import session_scope
    from consultant.services.outbox import retry_dead

    try:
        with session_scope() as session:
            out = retry_dead(session, outbound_id, actor)
            row = _row(out)
    except LookupError as exc:
        fail(str(exc))
        return
    except ValueError as exc:
        fail(str(exc))
        return
    if as_json:
        print_json(row)
    else:
        typer.echo(f"outbound {outbound_id} requeued")
