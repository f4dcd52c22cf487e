"""Batch processing (one task per stored batch) and the sweeper's enqueued_at window."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, update

from consultant.db.models import AuditLog, Case, Draft, InboundMessage, utcnow
from consultant.db.session import get_engine, session_factory, session_scope
from consultant.services import batch_processing, processing
from consultant.services.dispatch import (
    BATCH_SIZE,
    RecordingDispatcher,
    enqueue_inbound_batch,
    set_dispatcher,
)
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


def test_when_the_bulk_transaction_fails_each_mail_takes_its_own(
    app: RecordingDispatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lost database connection cannot be produced on SQLite at a chosen statement, so the bulk
    step and one mail's step are replaced by wrappers that do the real work and then raise."""
    ids = stored(5)
    bad = ids[2]
    real_bulk = batch_processing.process_in_bulk

    def bulk_then_lost(session: Any, *args: Any) -> Any:
        real_bulk(session, *args)
        raise RuntimeError("connection lost")  # after the work: all of it must be rolled back

    real = processing._process

    def flaky(session: Any, msg: InboundMessage, store: Any, settings: Any) -> str:
        out = real(session, msg, store, settings)
        if msg.id == bad:  # an unexpected error after the work (a lost DB connection at flush, say)
            raise RuntimeError("connection lost")
        return out

    monkeypatch.setattr(batch_processing, "process_in_bulk", bulk_then_lost)
    monkeypatch.setattr(processing, "_process", flaky)
    result = processing.process_inbound_batch(session_factory(), ids, get_store(), get_settings())
    assert result == {i: (None if i == bad else "consult") for i in ids}
    got = states(ids)
    assert got[bad] == "received"  # rolled back alone, left for the sweeper
    assert all(got[i] == "consult" for i in ids if i != bad)
    assert counts() == (4, 4)

    # redelivered (a killed worker's batch, or the sweeper): the done ones are skipped by state
    monkeypatch.setattr(batch_processing, "process_in_bulk", real_bulk)
    monkeypatch.setattr(processing, "_process", real)
    again = processing.process_inbound_batch(session_factory(), [*ids, ids[0]], get_store(), get_settings())
    assert again == {i: ("consult" if i == bad else None) for i in ids}
    assert set(states(ids).values()) == {"consult"}
    assert counts() == (5, 5)


def test_a_stage_failure_in_a_batch_marks_only_that_mail_failed(
    app: RecordingDispatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = stored(3)  # the second asks about M17.11
    import consultant.drafting.draft as draft_module

    real_build = draft_module.build_draft

    def build(**kw: Any) -> Any:
        if "M17.11" in kw["question"]:
            raise ValueError("broken draft")
        return real_build(**kw)

    monkeypatch.setattr(draft_module, "build_draft", build)
    result = processing.process_inbound_batch(session_factory(), ids, get_store(), get_settings())
    assert result == {ids[0]: "consult", ids[1]: "failed", ids[2]: "consult"}
    with session_scope() as s:
        msg = s.get(InboundMessage, ids[1])
        assert msg is not None and msg.failed_stage == "draft" and msg.attempts == 1
        assert msg.reason is not None and "broken draft" in msg.reason
    assert counts() == (2, 2)  # the failed mail's case was taken back out with its draft


def test_new_questions_take_a_few_statements_per_batch_not_per_mail(pg_app: RecordingDispatcher) -> None:
    """PostgreSQL, the production database: a multi-row INSERT .. RETURNING keeps the rows' order
    there (SQLite cannot promise it, so SQLAlchemy inserts the cases one by one on SQLite)."""
    with session_scope() as s:  # 20 senders: one sender's burst of 20 would be a loop
        raws = [mail(f"Can I bill 20610 with 99213? Dx M17.1{i % 3}", sender=f"coder{i}@clinic.example")
                for i in range(20)]  # fmt: skip
        ids = [store_inbound(s, raw, source="file", enqueue=False).inbound_id for raw in raws]
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        # the code store's reads (its tables, cs_*, and its opening check) have their own caches
        if " cs_" not in statement and "pg_catalog" not in statement:
            statements.append(statement.split(None, 1)[0])

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", count)
    try:
        result = processing.process_inbound_batch(session_factory(), ids, get_store(), get_settings())
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert result == dict.fromkeys(ids, "consult")
    assert counts() == (20, 20)
    # lock the rows, count the senders, look up thread ids; cases, drafts, thread ids, audit rows:
    # one INSERT each; the inbound rows: one executemany (the per-mail path takes 8 per mail)
    assert statements == ["SELECT"] * 3 + ["INSERT"] * 4 + ["UPDATE"]


def _outcome(ids: list[int]) -> list[tuple[Any, ...]]:
    """What processing left, with case ids renamed in order of first appearance (the bulk path
    numbers new cases before the per-mail ones, so raw ids may differ between the two paths)."""
    with session_scope() as s:
        rows = s.execute(select(InboundMessage.id, InboundMessage.state, InboundMessage.reason,
                                InboundMessage.case_id, InboundMessage.attempts, InboundMessage.sender)
                         .where(InboundMessage.id.in_(ids)).order_by(InboundMessage.id)).all()  # fmt: skip
        rank: dict[int, int] = {}
        out: list[tuple[Any, ...]] = []
        for row in rows:
            case = None if row.case_id is None else rank.setdefault(row.case_id, len(rank))
            out.append(("mail", row.state, row.reason, case, row.attempts, row.sender))
        for case_id, k in sorted(rank.items(), key=lambda kv: kv[1]):
            c = s.get(Case, case_id)
            assert c is not None
            drafts = s.scalars(select(Draft).where(Draft.case_id == case_id).order_by(Draft.version)).all()

            def norm(text: str, case_id: int = case_id, k: int = k) -> str:
                return text.replace(f"#{case_id}", f"#<{k}>")

            texts = [(d.version, d.state, norm(d.subject), norm(d.body_text), d.inbound_id) for d in drafts]
            actions = sorted(s.scalars(select(AuditLog.action).where(AuditLog.case_id == case_id)))
            out.append(("case", k, c.state, c.max_severity, c.requester, texts, actions))
    return out


def _mixed_batch(first_message_id: str) -> list[bytes]:
    """New questions, machine mail, follow-ups of every kind and a burst, in one batch."""
    a_id = "<batch-a@clinic.example>"
    a = mail("Can I bill 99214-25 with 20610 the same day? Dx M17.11").replace(
        b"Message-ID: <", b"Message-ID: " + a_id.encode() + b"\nX-Old-Message-ID: <", 1
    )
    return [
        a,
        mail("Out of the office until Monday. 99213", headers={"Auto-Submitted": "auto-replied"}),
        mail("And 20611 instead of 20610?", subject="Re: coding question", in_reply_to=a_id),  # reply within
        mail("What about J3301 x 2?", subject="Re: coding question", in_reply_to=first_message_id),
        mail("one more: 99213?", subject="Re: coding question [Case #1]"),  # token, same requester
        mail("guessing a token 99213", sender="stranger@else.example",
             subject="Re: coding question [Case #1]"),
        mail("Delivery failed. 99213", sender="MAILER-DAEMON@mx.clinic.example"),
        mail("Dx E11.9 with 82947?", sender="other@clinic.example"),
        *[mail(f"question {i}: 99213 with 20610?", sender="burst@clinic.example") for i in range(12)],
    ]


def _run_scenario(one_by_one: bool) -> list[tuple[Any, ...]]:
    with session_scope() as s:
        first = store_inbound(s, mail("Dx M17.11 with 20610?"), source="file", enqueue=False).inbound_id
    processing.process_inbound_batch(session_factory(), [first], get_store(), get_settings())
    with session_scope() as s:
        row = s.get(InboundMessage, first)
        assert row is not None and row.message_id
        first_mid = f"<{row.message_id}>"
    raws = _mixed_batch(first_mid)
    with session_scope() as s:
        ids = [store_inbound(s, raw, source="file", enqueue=False).inbound_id for raw in raws]
    if one_by_one:
        for i in ids:
            with session_scope() as s:
                processing.process_inbound(s, i, get_store(), get_settings())
    else:
        processing.process_inbound_batch(session_factory(), ids, get_store(), get_settings())
    return _outcome([first, *ids])


def test_a_mixed_batch_ends_as_one_by_one_processing_would(
    configure: Callable[..., None],
    _app_sqlite_template: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import email.utils

    # the same Message-IDs in both runs: the raw bytes must be identical
    counter = iter(range(10_000))
    monkeypatch.setattr(email.utils, "make_msgid", lambda domain=None: f"<m{next(counter)}@{domain}>")
    import tests.services.test_processing as tp

    monkeypatch.setattr(tp, "make_msgid", email.utils.make_msgid)
    outcomes = []
    for one_by_one in (True, False):
        db = tmp_path / f"{'single' if one_by_one else 'batch'}.sqlite3"
        shutil.copyfile(_app_sqlite_template, db)
        configure(CC_DATABASE_URL=f"sqlite:///{db}", CC_BROKER_URL=None, CC_ALLOWED_SENDERS=None,
                  CC_CONSULT_ADDRESS="consult@caseconsultant.test")  # fmt: skip
        set_dispatcher(RecordingDispatcher())
        counter = iter(range(10_000))
        outcomes.append(_run_scenario(one_by_one))
    single, batch = outcomes
    assert batch == single
    mails = [o for o in single if o[0] == "mail"]
    states_seen = [o[1] for o in mails]
    assert states_seen[:9] == ["consult", "consult", "auto_reply", "follow_up", "follow_up", "follow_up",
                               "consult", "bounce", "consult"]  # fmt: skip
    assert states_seen[9:] == ["consult"] * 10 + ["loop", "loop"]
    assert mails[3][3] == mails[1][3] and mails[4][3] == mails[5][3] == mails[0][3]  # joined their cases
    assert mails[6][3] not in (mails[0][3], mails[1][3])  # a token from a stranger opens a new case


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
