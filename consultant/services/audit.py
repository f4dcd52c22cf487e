"""The audit log: who did what when."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from consultant.db.models import AuditLog


def record(
    session: Session, actor: str, action: str, case_id: int | None = None, **detail: Any
) -> None:
    session.add(AuditLog(actor=actor, action=action, case_id=case_id, detail=detail or None))
