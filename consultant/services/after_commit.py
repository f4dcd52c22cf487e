"""Run callbacks only after the session's transaction commits (Warehouse's pattern).

A Celery message names a row; sending it before the row is committed lets a fast worker look
for a row that is not there yet, and a rollback would leave a message for a row that never was.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

_KEY = "cc_after_commit"


def after_commit(session: Session, callback: Callable[[], Any]) -> None:
    """Call `callback` once the current transaction of `session` has committed."""
    session.info.setdefault(_KEY, []).append(callback)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    callbacks = session.info.pop(_KEY, [])
    for callback in callbacks:
        callback()


@event.listens_for(Session, "after_soft_rollback")
def _drop_on_rollback(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:  # the outermost transaction rolled back
        session.info.pop(_KEY, None)
