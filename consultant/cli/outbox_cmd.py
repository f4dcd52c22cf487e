"""`caseconsultant queue outbox|retry`: the outbox, as seen by a consultant."""

from __future__ import annotations

import typer


def register(queue_app: typer.Typer) -> None:
    """Add the outbox commands to the `queue` group."""
