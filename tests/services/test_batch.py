"""Batch processing (one task per stored batch) and the sweeper's enqueued_at window."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import func, select, update

from consultant.db.models import Case, Draft, InboundMessage, utcnow
from consultant.db.session import session_factory, session_scope
from consultant.services import processing
from consultant.services.dispatch import BATCH_SIZE, RecordingDispatcher, enqueue_inbound_batch
from consultant.services.inbox import store_inbound, store_inbound_batch
from consultant.services.store_provider import get_store
from consultant.services.sweeper import sweep
from consultant.settings import get_settings
from tests.flow.conftest import reset_app_caches
from tests.services.test_processing import mail


def stored(n: int, **kw: Any) -> list[int]:
    with session_scope() as s:
        return [store_inbound(s, mail(f"Can I bill 20610 with 99213? Dx M17.1{i % 3}", **kw), source="file",
                              enqueue=False).inbound_id for i in range(n)]  # fmt: skip


def states(ids: list[int]) -> dict[int, str]:
    with session_scope() as s:
        return dict(
            s.execute(select(InboundMessage.id, InboundMessage.state).where(InboundMessage.id.in_(ids))).all()
        )


def counts() -> tuple[int, int]:
    with session_scope() as s:
        cases = s.scalar(select(func.count(Case.id))) or 0
        drafts = s.scalar(select(func.count(Draft.id))) or 0
        return int(cases), int(drafts)


def test_a_batch_processes_each_mail_in_its_own_transaction(
    app: RecordingDispatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = stored(5)
    bad = ids[2]
    real = processing._process

    def flaky(session: Any, msg: InboundMessage, store: Any, settings: Any) -> str:
        out = real(session, msg, store, settings)
        if msg.id == bad:  # an unexpected error after the work (a lost DB connection at flush, say)
            raise RuntimeError("connection lost")
        return out

    monkeypatch.setattr(processing, "_process", flaky)
    result = processing.process_inbound_batch(session_factory(), ids, get_store(), get_settings())
    assert result == {i: (None if i == bad else "consult") for i in ids}
    got = states(ids)
    assert got[bad] == "received"  # rolled back alone, left for the sweeper
    assert all(got[i] == "consult" for i in ids if i != bad)
    assert counts() == (4, 4)

    # redelivered (a killed worker's batch, or the sweeper): the done ones are skipped by state
    monkeypatch.setattr(processing, "_process", real)
    again = processing.process_inbound_batch(session_factory(), [*ids, ids[0]], get_store(), get_settings())
    assert again == {i: ("consult" if i == bad else None) for i in ids}
    assert set(states(ids).values()) == {"consult"}
    assert counts() == (5, 5)


def test_a_stage_failure_in_a_batch_marks_only_that_mail_failed(
    app: RecordingDispatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = stored(3)
    real_draft = processing._draft

    def draft(session: Any, msg: InboundMessage, *args: Any) -> Any:
        if msg.id == ids[1]:
            raise ValueError("broken draft")
        return real_draft(session, msg, *args)

    monkeypatch.setattr(processing, "_draft", draft)
    result = processing.process_inbound_batch(session_factory(), ids, get_store(), get_settings())
    assert result == {ids[0]: "consult", ids[1]: "failed", ids[2]: "consult"}
    with session_scope() as s:
        msg = s.get(InboundMessage, ids[1])
        assert msg is not None and msg.failed_stage == "draft" and msg.attempts == 1
    assert counts() == (2, 2)  # the failed mail's case was rolled back with its stage


def test_the_poller_path_enqueues_one_message_per_chunk() -> None:
    calls: list[list[int]] = []

    class Batching(RecordingDispatcher):
        def process_inbound_batch(self, inbound_ids: Any) -> None:
            calls.append(list(inbound_ids))

    ids = list(range(1, 2 * BATCH_SIZE + 2))
    enqueue_inbound_batch(Batching(), ids)
    assert [len(c) for c in calls] == [BATCH_SIZE, BATCH_SIZE, 1]
    assert [i for c in calls for i in c] == ids
    plain = RecordingDispatcher()  # a dispatcher without batches gets one call per id
    enqueue_inbound_batch(plain, ids[:3])
    assert plain.inbound == ids[:3]


def _age(ids: list[int], received: dt.datetime, enqueued: dt.datetime | None) -> None:
    with session_scope() as s:
        s.execute(update(InboundMessage).where(InboundMessage.id.in_(ids))
                  .values(received_at=received, enqueued_at=enqueued))  # fmt: skip


def test_the_sweeper_leaves_rows_enqueued_recently_alone(app: RecordingDispatcher) -> None:
    window = dt.timedelta(seconds=get_settings().sweep_after_seconds)
    now = utcnow()
    waiting = stored(3)  # old rows, but (re-)enqueued a moment ago: waiting their turn in the queue
    lost = stored(2)  # old rows whose message was lost long ago
    never = stored(1)  # rows from before the column existed
    fresh = stored(1)  # just stored
    with session_scope() as s:
        batch = store_inbound_batch(s, [(mail("Dx M17.11"), None)], source="imap")
    _age(waiting, now - 10 * window, now - window / 4)
    _age(lost, now - 10 * window, now - 3 * window)
    _age(never, now - 10 * window, None)
    with session_scope() as s:
        row = s.get(InboundMessage, batch[0].inbound_id)
        assert row is not None and row.enqueued_at is not None  # set on insert by the batch store
        swept = sweep(s, get_settings())
    assert swept["inbound"] == 3
    assert sorted(app.inbound) == sorted([*lost, *never])
    assert not set(app.inbound) & {*waiting, *fresh, batch[0].inbound_id}
    with session_scope() as s:
        marks = dict(s.execute(select(InboundMessage.id, InboundMessage.enqueued_at)
                               .where(InboundMessage.id.in_([*lost, *never]))).all())  # fmt: skip
    assert all(v is not None and v >= now for v in marks.values())
    # swept again at once: they were just re-enqueued, nothing goes out twice
    app.inbound.clear()
    with session_scope() as s:
        assert sweep(s, get_settings())["inbound"] == 0
    assert app.inbound == []


@pytest.fixture
def pg_app(configure: Callable[..., None], app_postgres_url: str) -> Iterator[RecordingDispatcher]:
    configure(CC_DATABASE_URL=app_postgres_url, CC_BROKER_URL=None, CC_ALLOWED_SENDERS=None,
              CC_CONSULT_ADDRESS="consult@caseconsultant.test")  # fmt: skip
    recorder = RecordingDispatcher()
    from consultant.services.dispatch import set_dispatcher

    set_dispatcher(recorder)
    yield recorder
    set_dispatcher(None)
    reset_app_caches()


def test_a_row_another_worker_holds_is_skipped_not_waited_for(pg_app: RecordingDispatcher) -> None:
    """PostgreSQL: a duplicate task does not queue on the row lock (SKIP LOCKED); the holder
    finishes the mail, a redelivery later finds it done. Each mail ends processed once."""
    ids = stored(3)
    holder = session_factory()()
    try:
        locked = holder.scalar(select(InboundMessage).where(InboundMessage.id == ids[1]).with_for_update())
        assert locked is not None
        out = processing.process_inbound_batch(session_factory(), ids, get_store(), get_settings())
        assert out == {ids[0]: "consult", ids[1]: None, ids[2]: "consult"}
        assert processing.process_inbound(holder, ids[1], get_store(), get_settings()) == "consult"
        holder.commit()
    finally:
        holder.close()
    again = processing.process_inbound_batch(session_factory(), ids, get_store(), get_settings())
    assert again == dict.fromkeys(ids)
    assert counts() == (3, 3)
