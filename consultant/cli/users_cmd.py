"""`caseconsultant users ...`: add users, list them, issue API tokens."""

from __future__ import annotations

from pathlib import Path

import typer

from consultant.cli.output import fail, print_json

app = typer.Typer(help="Users of the review UI and API: add, list, token.", no_args_is_help=True)


def _read_password(password_file: Path | None) -> str:
    if password_file is not None:
        try:
            text = password_file.read_text(encoding="utf-8")
        except OSError as exc:
            fail(f"cannot read the password file: {exc.strerror}")
        lines = text.splitlines()
        return lines[0] if lines else ""
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@app.command("add")
def add(
    email: str = typer.Argument(..., help="The user's email address (their login)."),
    role: str = typer.Option("consultant", "--role", help="consultant or admin."),
    password_file: Path | None = typer.Option(
        None, "--password-file", help="Read the password from the first line of this file (else prompt)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the new user as JSON."),
) -> None:
    """Add a user (passwords are hashed with argon2id)."""
    from consultant.db.session import session_scope
    from consultant.services import users

    password = _read_password(password_file)
    try:
        with session_scope() as session:
            user = users.create_user(session, email, password, role, actor="cli")
            out = {"id": user.id, "email": user.email, "role": user.role}
    except users.UserError as exc:
        fail(str(exc))
    if json_out:
        print_json(out)
    else:
        typer.echo(f"added {out['email']} ({out['role']})")


@app.command("list")
def list_(json_out: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List users."""
    from consultant.db.models import utcnow
    from consultant.db.session import session_scope
    from consultant.services import users

    now = utcnow()
    with session_scope() as session:
        rows = [
            {
                "id": u.id,
                "email": u.email,
                "role": u.role,
                "active": u.active,
                "locked": bool(u.locked_until and u.locked_until > now),
                "has_token": bool(u.api_token_hash),
                "created_at": u.created_at.isoformat(),
            }
            for u in users.list_users(session)
        ]
    if json_out:
        print_json(rows)
        return
    for r in rows:
        flags = " ".join(f for f, on in (("inactive", not r["active"]), ("locked", r["locked"])) if on)
        typer.echo(f"{r['id']:>4}  {r['email']:<40} {r['role']:<10} {flags}")


@app.command("token")
def token(email: str = typer.Argument(..., help="Whose token.")) -> None:
    """Issue a new API bearer token for a user (the old one stops working); printed once."""
    from consultant.db.session import session_scope
    from consultant.services import users

    with session_scope() as session:
        user = users.by_email(session, email)
        if user is None:
            fail("no such user")
        assert user is not None
        value = users.issue_token(session, user, actor="cli")
    typer.echo(value)


@app.command("unlock")
def unlock(email: str = typer.Argument(..., help="Whose account.")) -> None:
    """Lift a login lockout."""
    from consultant.db.session import session_scope
    from consultant.services import users

    with session_scope() as session:
        user = users.by_email(session, email)
        if user is None:
            fail("no such user")
        assert user is not None
        users.unlock(session, user, "cli")
    typer.echo("unlocked")
