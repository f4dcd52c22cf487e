"""Workers racing for the same row: the compare-and-set claim lets exactly one send."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from consultant.adapters.transport import transport_for
from consultant.db.models import OUT_SENT
from consultant.services import sending
from consultant.settings import Settings
from tests.sending.conftest import Db, Recorder, smtp_env, subprocess_env
from tests.servers import ManagedProcess, wait_for
from tests.smtp_sink import SmtpSink

ROOT = Path(__file__).resolve().parents[2]


def test_two_worker_processes_one_message(
    pg_db: Db, smtp_sink: SmtpSink, configure: Callable[..., Settings], recorder: Recorder, tmp_path: Path
) -> None:
    env = {"database_url": pg_db.url, **smtp_env(smtp_sink), "smtp_reuse_seconds": 0}
    configure(**env)
    oids = [pg_db.queued_reply(message_id=f"q{i}@clinic.example") for i in range(2)]
    start_at = time.time() + 6  # both processes are imported and waiting by then
    workers = [
        ManagedProcess([sys.executable, "-m", "tests.sending.worker_proc", str(oid), str(start_at)],
                       log=tmp_path / f"w{oid}-{n}.log", env=subprocess_env(env), cwd=ROOT).start()
        for oid in oids
        for n in range(2)
    ]  # fmt: skip
    for w in workers:
        wait_for(lambda w=w: "result" in w.log_text(), 60, f"{w.log}")  # type: ignore[misc]
    assert all(w.proc is not None and w.proc.wait(10) == 0 for w in workers)
    assert all("ready" in w.log_text() for w in workers)
    msgs = smtp_sink.wait_for(2)
    time.sleep(0.3)
    assert len(smtp_sink.messages) == 2
    assert sorted(str(m.message["Message-ID"]) for m in msgs) == sorted(
        f"<{pg_db.outbound(o).message_id}>" for o in oids
    )
    for oid in oids:
        row = pg_db.outbound(oid)
        assert row.state == OUT_SENT and row.attempts == 1


def test_many_threads_one_message_each(
    db: Db, smtp_sink: SmtpSink, configure: Callable[..., Settings], recorder: Recorder
) -> None:
    settings = configure(database_url=db.url, **smtp_env(smtp_sink), smtp_reuse_seconds=0)
    oids = [db.queued_reply(message_id=f"t{i}@clinic.example") for i in range(4)]
    barrier = threading.Barrier(6 * len(oids))
    results: list[str] = []
    errors: list[BaseException] = []

    def run(oid: int) -> None:
        try:
            barrier.wait(10)
            results.append(sending.send_outbound(db.factory, oid, transport_for(settings), settings))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(oid,)) for oid in oids for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert results.count(OUT_SENT) >= len(oids)
    smtp_sink.wait_for(len(oids))
    time.sleep(0.3)
    assert len(smtp_sink.messages) == len(oids)
    assert len({str(m.message["Message-ID"]) for m in smtp_sink.messages}) == len(oids)
    for oid in oids:
        assert db.outbound(oid).attempts == 1
