"""`caseconsultant queue ...`."""

from __future__ import annotations

import typer

app = typer.Typer(help="queue", no_args_is_help=True)
