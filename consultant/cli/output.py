"""Printing results: JSON for scripts (--json), plain text for people."""

from __future__ import annotations

import json
import sys
from typing import Any


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, default=str, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def fail(message: str, code: int = 1) -> None:
    """Clear error on stderr and a non-zero exit; never a traceback for user errors."""
    import typer

    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)
