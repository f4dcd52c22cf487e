"""Celery tasks: a few lines each: take an id, call the service, commit."""

from __future__ import annotations

from consultant.db.session import session_factory, session_scope
from consultant.services import processing, sending, sweeper
from consultant.services.store_provider import get_store
from consultant.settings import get_settings
from workers.celery_app import app


@app.task(name="workers.tasks.process_inbound")
def process_inbound(inbound_id: int) -> str | None:
    with session_scope() as session:
        return processing.process_inbound(session, inbound_id, get_store(), get_settings())


@app.task(name="workers.tasks.process_inbound_batch")
def process_inbound_batch(inbound_ids: list[int]) -> dict[int, str | None]:
    """Many ids: new questions in one bulk transaction, the rest one by one; a redelivered batch
    skips the ids already done."""
    return processing.process_inbound_batch(session_factory(), inbound_ids, get_store(), get_settings())


@app.task(name="workers.tasks.send_outbound")
def send_outbound(outbound_id: int) -> str:
    from consultant.adapters.transport import transport_for

    settings = get_settings()
    return sending.send_outbound(session_factory(), outbound_id, transport_for(settings), settings)


@app.task(name="workers.tasks.sweep")
def sweep() -> dict[str, int]:
    with session_scope() as session:
        return sweeper.sweep(session, get_settings())
