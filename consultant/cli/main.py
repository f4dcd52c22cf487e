"""The `caseconsultant` command: the one entry point. Every reporting subcommand takes --json."""

from __future__ import annotations

import typer

from consultant.cli import (
    check_cmd,
    codes_cmd,
    demo_cmd,
    extract_cmd,
    ingest_cmd,
    native_cmd,
    outbox_cmd,
    queue_cmd,
    runtime_cmd,
    users_cmd,
    web_cmd,
)

app = typer.Typer(
    name="caseconsultant",
    help="Instant email coding consultant: mail in, draft, review, reply out.",
    no_args_is_help=True,
    add_completion=False,
)

app.add_typer(codes_cmd.app, name="codes")
app.add_typer(queue_cmd.app, name="queue")
app.add_typer(users_cmd.app, name="users")
app.add_typer(native_cmd.app, name="native")
extract_cmd.register(app)
check_cmd.register(app)
ingest_cmd.register(app)
runtime_cmd.register(app)  # init, poll, smtpd, worker, web, sweep
demo_cmd.register(app)
web_cmd.register(app)
outbox_cmd.register(queue_cmd.app)


if __name__ == "__main__":
    app()
