"""`caseconsultant demo`: the whole flow on embedded defaults, no server to install."""

from __future__ import annotations

from pathlib import Path

import typer

from consultant.cli.output import print_json


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    once: bool = typer.Option(False, "--once", help="Run the flow headless once and exit."),
    as_json: bool = typer.Option(False, "--json", help="With --once: print the counts as JSON."),
    port: int = typer.Option(8000, help="Port of the review UI (interactive mode)."),
    code_data_dir: Path | None = typer.Option(
        None, "--code-data-dir", help="Load CMS files from here instead of the embedded excerpt."
    ),
) -> None:
    """Start an embedded IMAP server and SMTP sink, seed consult mails, and run poller and worker.

    Interactive (default): serves the review UI until Ctrl-C; approve drafts there and watch the
    replies arrive at the sink. --once: ingest, draft, approve every draft, send, print counts."""
    from consultant.demo import run

    if once:
        result = run.run_once(code_data_dir)
        if as_json:
            print_json(result)
        else:
            typer.echo(" ".join(f"{k}={v}" for k, v in result.items()))
        if result["drafted"] < 1 or result["received_by_sink"] != result["approved"]:
            raise typer.Exit(1)
        return
    _serve(port, code_data_dir)


def _serve(port: int, code_data_dir: Path | None) -> None:
    import uvicorn

    from consultant.adapters.imap_poller import Poller
    from consultant.demo import run
    from consultant.web.app import create_app

    with run.demo_environment(Path("var/demo")) as env:
        typer.echo("preparing the code store and seeding the inbox ...")
        run.prepare(env, code_data_dir)
        poller = Poller(env.settings).start()
        typer.echo(
            f"\nCaseConsultant demo is running.\n"
            f"  review queue:  http://127.0.0.1:{port}/queue\n"
            f"  log in as:     {run.DEMO_CONSULTANT} / {env.consultant_password}\n"
            f"  consult inbox: imap://{env.imap.host}:{env.imap.port} user {run.CONSULT_USER} "
            f"password {env.imap_password} ({env.seeded} mails seeded; append more to see them drafted)\n"
            f"  asker's SMTP:  {env.sink.host}:{env.sink.port} (approved replies land here)\n"
            f"Ctrl-C to stop.\n"
        )
        config = uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning")
        server = uvicorn.Server(config)
        try:
            server.run()
        finally:
            poller.stop(timeout=5)
            typer.echo(f"replies received by the sink: {len(env.sink.messages)}")
