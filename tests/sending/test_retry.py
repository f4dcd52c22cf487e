"""421 / 451 then 250: sent once, after retries. 550: dead, visible, not retried; `queue retry`."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from consultant.adapters.transport import transport_for
from consultant.db.models import OUT_DEAD, OUT_QUEUED, OUT_RETRYING, OUT_SENT, OutboundMessage, utcnow
from consultant.services import sending, sweeper
from consultant.settings import Settings
from tests.sending.conftest import Db, Recorder, smtp_env
from tests.smtp_sink import SmtpSink


def _send(db: Db, settings: Settings, oid: int) -> str:
    return sending.send_outbound(db.factory, oid, transport_for(settings), settings, sent_folder=None)


def _due_now(db: Db, oid: int) -> None:
    """Time passes: the row's backoff is over."""
    with db.factory() as s, s.begin():
        s.execute(update(OutboundMessage).where(OutboundMessage.id == oid)
                  .values(next_attempt_at=utcnow() - dt.timedelta(seconds=1)))  # fmt: skip


def _cli(*args: str) -> tuple[int, str]:
    from consultant.cli.main import app

    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_4xx_then_250_sent_once_after_retries(
    db: Db, smtp_sink: SmtpSink, configure: Callable[..., Settings], recorder: Recorder
) -> None:
    # a broker is configured: the task comes back by itself after the backoff (countdown)
    settings = configure(database_url=db.url, broker_url="redis://127.0.0.1:1/0", **smtp_env(smtp_sink))
    oid = db.queued_reply()
    smtp_sink.fail_next(["421 4.3.2 Service shutting down, try later", "451 4.3.0 Temporary local problem"])

    assert _send(db, settings, oid) == OUT_RETRYING
    row = db.outbound(oid)
    assert row.attempts == 1 and row.last_error is not None and row.last_error.startswith("421")
    assert row.next_attempt_at is not None and row.next_attempt_at > utcnow() + dt.timedelta(seconds=25)
    assert recorder.sends[-1] == (oid, 30.0)

    assert _send(db, settings, oid) == OUT_RETRYING  # a task arriving early: the backoff holds
    assert db.outbound(oid).attempts == 1 and len(smtp_sink.rejections) == 1
    _due_now(db, oid)
    assert _send(db, settings, oid) == OUT_RETRYING  # the re-enqueued task runs when due
    row = db.outbound(oid)
    assert row.attempts == 2 and (row.last_error or "").startswith("451")
    assert recorder.sends[-1] == (oid, 60.0)  # exponential

    _due_now(db, oid)
    assert _send(db, settings, oid) == OUT_SENT
    assert len(smtp_sink.wait_for(1)) == 1
    assert [r for _, r in smtp_sink.rejections] == ["421 4.3.2 Service shutting down, try later",
                                                     "451 4.3.0 Temporary local problem"]  # fmt: skip
    row = db.outbound(oid)
    assert row.state == OUT_SENT and row.attempts == 3 and row.last_error is None
    # a duplicate task (or a sweep) sends nothing more
    assert _send(db, settings, oid) == OUT_SENT
    assert len(smtp_sink.messages) == 1


def test_connection_refused_is_retried_and_sweeper_finds_it_when_due(
    db: Db, smtp_sink: SmtpSink, configure: Callable[..., Settings], recorder: Recorder
) -> None:
    """No broker (embedded): no countdown; the sweeper sends the row once it is due."""
    from tests.servers import free_port

    settings = configure(database_url=db.url, smtp_host="127.0.0.1", smtp_port=free_port(), smtp_tls="none")
    oid = db.queued_reply()
    recorder.sends.clear()
    assert _send(db, settings, oid) == OUT_RETRYING
    assert "ConnectionRefused" in (db.outbound(oid).last_error or "")
    assert recorder.sends == []  # nothing re-enqueued without a broker
    with db.factory() as s, s.begin():
        assert sweeper.sweep(s, settings)["outbound"] == 0  # not due yet
    _due_now(db, oid)
    with db.factory() as s, s.begin():
        assert sweeper.sweep(s, settings)["outbound"] == 1
    assert recorder.outbound == [oid]
    settings = configure(**smtp_env(smtp_sink))  # the server is back
    assert _send(db, settings, oid) == OUT_SENT
    assert len(smtp_sink.wait_for(1)) == 1


def test_gives_up_after_max_attempts(
    db: Db, smtp_sink: SmtpSink, configure: Callable[..., Settings], recorder: Recorder
) -> None:
    settings = configure(database_url=db.url, send_max_attempts=2, **smtp_env(smtp_sink))
    oid = db.queued_reply()
    smtp_sink.fail_next(["451 4.3.0 busy"] * 3)
    assert _send(db, settings, oid) == OUT_RETRYING
    _due_now(db, oid)
    assert _send(db, settings, oid) == OUT_DEAD
    row = db.outbound(oid)
    assert "gave up after 2 attempts" in (row.last_error or "")


def test_550_dead_visible_not_retried_then_queue_retry(
    db: Db, smtp_sink: SmtpSink, configure: Callable[..., Settings], recorder: Recorder
) -> None:
    settings = configure(database_url=db.url, **smtp_env(smtp_sink))
    oid = db.queued_reply()
    case_id = db.outbound(oid).case_id
    smtp_sink.fail_next(["550 5.1.1 <pat.coder@clinic.example>: Recipient address rejected"], stage="RCPT")
    recorder.sends.clear()

    assert _send(db, settings, oid) == OUT_DEAD
    row = db.outbound(oid)
    assert row.state == OUT_DEAD and row.attempts == 1
    assert "550 5.1.1" in (row.last_error or "")
    assert db.case(case_id).state == "open"  # reopened for the consultants
    assert recorder.sends == []  # not retried
    assert _send(db, settings, oid) == OUT_DEAD  # a stray task does nothing
    with db.factory() as s, s.begin():
        assert sweeper.sweep(s, settings)["outbound"] == 0
    assert smtp_sink.messages == []

    code, output = _cli("queue", "outbox", "--json")
    assert code == 0, output
    [listed] = [r for r in json.loads(output) if r["id"] == oid]
    assert listed["state"] == "dead" and listed["attempts"] == 1 and "550 5.1.1" in listed["last_error"]
    code, output = _cli("queue", "outbox", "--json", "--state", "sent")
    assert code == 0 and json.loads(output) == []

    code, output = _cli("queue", "retry", str(oid), "--json")
    assert code == 0, output
    assert json.loads(output)["state"] == OUT_QUEUED
    assert recorder.outbound == [oid]  # enqueued after the commit
    assert db.case(case_id).state == "approved"
    assert _send(db, settings, oid) == OUT_SENT
    assert len(smtp_sink.wait_for(1)) == 1

    code, output = _cli("queue", "retry", str(oid))  # not dead any more
    assert code != 0 and "not dead" in output
    code, output = _cli("queue", "retry", "999999")
    assert code != 0 and "does not exist" in output


def test_552_at_data_is_permanent(
    db: Db, smtp_sink: SmtpSink, configure: Callable[..., Settings], recorder: Recorder
) -> None:
    settings = configure(database_url=db.url, **smtp_env(smtp_sink))
    oid = db.queued_reply()
    smtp_sink.fail_next(["554 5.7.1 Message rejected as spam"])
    assert _send(db, settings, oid) == OUT_DEAD
    assert "554 5.7.1" in (db.outbound(oid).last_error or "")


def test_no_smtp_host_is_visible_and_retried(
    db: Db, configure: Callable[..., Settings], recorder: Recorder
) -> None:
    settings = configure(database_url=db.url, smtp_host=None)
    oid = db.queued_reply()
    assert _send(db, settings, oid) == OUT_RETRYING
    assert "CC_SMTP_HOST is not set" in (db.outbound(oid).last_error or "")


def test_render_failure_is_dead_not_stuck(
    db: Db, smtp_sink: SmtpSink, configure: Callable[..., Settings], recorder: Recorder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    import consultant.drafting.reply as reply

    def broken(*args: object) -> tuple[str, str, str]:
        raise RuntimeError("template exploded")

    settings = configure(database_url=db.url, **smtp_env(smtp_sink))
    oid = db.queued_reply()
    monkeypatch.setattr(reply, "render_reply", broken)
    assert _send(db, settings, oid) == OUT_DEAD
    assert "could not be rendered" in (db.outbound(oid).last_error or "")
    assert smtp_sink.messages == []


def test_a_row_that_crashes_every_worker_ends_dead(
    db: Db, configure: Callable[..., Settings], recorder: Recorder
) -> None:
    from consultant.services import recovery

    settings = configure(database_url=db.url, send_max_attempts=3)
    oid = db.queued_reply()
    with db.factory() as s, s.begin():
        s.execute(update(OutboundMessage).where(OutboundMessage.id == oid)
                  .values(state="sending", attempts=3))  # fmt: skip
    recorder.sends.clear()
    with db.factory() as s, s.begin():
        assert recovery.recover_one(s, oid, settings, None, 0) == recovery.DEAD
    row = db.outbound(oid)
    assert row.state == OUT_DEAD and "gave up after 3 attempts" in (row.last_error or "")
    assert recorder.sends == []


def test_long_backoff_left_to_the_sweeper(
    db: Db, smtp_sink: SmtpSink, configure: Callable[..., Settings], recorder: Recorder
) -> None:
    """A countdown beyond the broker's visibility timeout would come back early: the sweeper takes it."""
    settings = configure(database_url=db.url, broker_url="redis://127.0.0.1:1/0", send_backoff_seconds=600,
                         **smtp_env(smtp_sink))  # fmt: skip
    oid = db.queued_reply()
    recorder.sends.clear()
    smtp_sink.fail_next(["451 4.3.0 later"])
    assert _send(db, settings, oid) == OUT_RETRYING
    assert recorder.sends == []
    assert db.outbound(oid).next_attempt_at is not None
