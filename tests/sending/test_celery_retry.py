"""The production path on a real Redis and a real Celery worker: a 451 puts the row in `retrying` and the
task comes back by itself after the backoff (countdown), then the reply is sent once."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from celery import Celery

from consultant.db.models import OUT_SENT
from consultant.settings import Settings
from tests.sending.conftest import Db, Recorder, smtp_env, subprocess_env
from tests.servers import ManagedProcess, wait_for
from tests.smtp_sink import SmtpSink

ROOT = Path(__file__).resolve().parents[2]


def test_451_then_sent_by_the_countdown_task(
    pg_db: Db, smtp_sink: SmtpSink, redis_url: str, configure: Callable[..., Settings], recorder: Recorder,
    tmp_path: Path,
) -> None:  # fmt: skip
    env = {"database_url": pg_db.url, "broker_url": redis_url, **smtp_env(smtp_sink),
           "send_backoff_seconds": 1, "smtp_reuse_seconds": 0}  # fmt: skip
    configure(**env)
    oid = pg_db.queued_reply()  # the recorder took the after-commit enqueue; we send the task below
    smtp_sink.fail_next(["451 4.3.0 Temporary failure, try again"])
    worker = ManagedProcess(
        [sys.executable, "-m", "celery", "-A", "workers.celery_app:app", "worker", "--pool=solo",
         "-Q", "caseconsultant", "--without-gossip", "--without-mingle", "--without-heartbeat",
         "--loglevel=INFO", "-n", f"send-test-{oid}@%h"],
        log=tmp_path / "worker.log", env=subprocess_env(env), cwd=ROOT,
    ).start()  # fmt: skip
    try:
        worker.wait_for_log("ready", 60)
        client = Celery("test-client", broker=redis_url)
        client.send_task("workers.tasks.send_outbound", args=[oid], queue="caseconsultant")
        started = time.monotonic()
        [got] = smtp_sink.wait_for(1, timeout=60)
        took = time.monotonic() - started
        wait_for(lambda: pg_db.outbound(oid).state == OUT_SENT, 20, "the row marked sent")
        row = pg_db.outbound(oid)
        assert row.attempts == 2
        assert [r for _, r in smtp_sink.rejections] == ["451 4.3.0 Temporary failure, try again"]
        assert str(got.message["Message-ID"]) == f"<{row.message_id}>"
        assert took >= 0.9  # it waited for the backoff
        time.sleep(1.0)
        assert len(smtp_sink.messages) == 1
        client.close()
    finally:
        worker.terminate()
