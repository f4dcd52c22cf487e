"""`caseconsultant extract`: the codes a coder's mail (or text) refers to, as JSON."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import typer

from consultant.cli.output import fail, print_json
from consultant.codes.model import CodeStore


def _open_store() -> CodeStore:
    from consultant.codes.store import open_store
    from consultant.db.session import get_engine

    return open_store(get_engine())


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""

    @app.command("extract")
    def extract_command(
        path: str = typer.Argument(..., help="an .eml file, a text file with --text, or - for stdin"),
        text: bool = typer.Option(False, "--text", help="PATH holds plain text (the question itself)"),
        as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
        date: str | None = typer.Option(None, "--date", help="look codes up as of this date (YYYY-MM-DD)"),
    ) -> None:
        """Find every code reference (CPT, HCPCS, ICD-10-CM, ICD-10-PCS) in a mail or a text."""
        from consultant.extraction.extract import extract, extract_mail

        try:
            data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
        except OSError as exc:
            fail(f"cannot read {path}: {exc.strerror or exc}")
            return
        today = None
        if date:
            try:
                today = dt.date.fromisoformat(date)
            except ValueError:
                fail(f"--date must be YYYY-MM-DD, not {date!r}")
        try:
            store = _open_store()
        except Exception as exc:
            fail(f"the code store is not available ({type(exc).__name__}); run `caseconsultant init`")
            return
        if text:
            result = extract(data.decode("utf-8", errors="replace"), store, today=today)
        else:
            result = extract_mail(data, store, today=today)
        if as_json:
            print_json(result.to_json())
            return
        for c in result.codes:
            mods = "".join(f"-{m}" for m in c.modifiers)
            units = f" x{c.units}" if c.units else ""
            flag = "" if c.status == "active" else f"  [{c.status}]"
            typer.echo(f"{c.system:9} {c.code}{mods}{units}{flag}")
        if result.date_of_service:
            typer.echo(f"date of service: {result.date_of_service}")
