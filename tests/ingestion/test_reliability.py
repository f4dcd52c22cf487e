"""Reliability on real servers: Dovecot ► poller (subprocess) ► Redis ► Celery worker (subprocess) ►
PostgreSQL, with the sweeper running. Workers SIGKILLed, Redis restarted: no mail lost, none doubled."""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from consultant.adapters.imap_connection import ImapConfig, connect
from consultant.db.models import INBOUND_FINAL, Case, Draft, InboundMessage
from tests.ingestion.conftest import make_mail
from tests.servers import ManagedProcess

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CLI = [sys.executable, "-m", "consultant.cli.main"]


def migrated(url: str) -> sessionmaker[Session]:
    """``url`` is a prepared database (``app_postgres_url``: migrated, ICD-10-CM and the demo's CMS
    excerpt loaded once per session), so workers do not load the code tables themselves."""
    return sessionmaker(bind=create_engine(url, pool_pre_ping=True))


def app_env(db_url: str, broker_url: str, dovecot: Any, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CC_")}
    env.update(
        CC_DATABASE_URL=db_url,
        CC_BROKER_URL=broker_url,
        CC_IMAP_HOST=dovecot.host,
        CC_IMAP_PORT=str(dovecot.imap_port),
        CC_IMAP_SSL="false",
        CC_IMAP_USER="alice",
        CC_IMAP_PASSWORD=dovecot.users["alice"],
        CC_IMAP_TIMEOUT_SECONDS="20",
        CC_SWEEP_AFTER_SECONDS="8",
        CC_CONSULT_ADDRESS="consult@caseconsultant.test",
        CC_LOG_LEVEL="INFO",
    )
    env.update(extra)
    return env


def wait_until(pred: Callable[[], Any], timeout: float, what: str, interval: float = 0.25) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def final_count(sessions: sessionmaker[Session]) -> int:
    with sessions() as s:
        return int(
            s.scalar(select(func.count(InboundMessage.id)).where(InboundMessage.state.in_(INBOUND_FINAL)))
            or 0
        )


def append_all(
    dovecot: Any, mails: list[bytes], pause_every: int = 0, pause: float = 0.0
) -> threading.Thread:
    def run() -> None:
        cfg = ImapConfig(host=dovecot.host, port=dovecot.imap_port, user="alice",
                         password=dovecot.users["alice"], ssl=False, timeout=30)  # fmt: skip
        c = connect(cfg)
        try:
            for i, raw in enumerate(mails, 1):
                c.append("INBOX", raw)
                if pause_every and i % pause_every == 0:
                    time.sleep(pause)
        finally:
            c.logout()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


@pytest.fixture
def procs(request: pytest.FixtureRequest) -> Iterator[Callable[..., ManagedProcess]]:
    """Subprocesses of the test (worker, poller, sweeper); their logs are kept in
    $TMPDIR/cc-ingestion-logs/<test>/ and their tails printed when the test fails."""
    logs = Path(tempfile.gettempdir()) / "cc-ingestion-logs" / request.node.name
    shutil.rmtree(logs, ignore_errors=True)
    started: list[ManagedProcess] = []

    def start(name: str, argv: list[str], env: dict[str, str]) -> ManagedProcess:
        p = ManagedProcess(argv, logs / f"{name}.log", env=env).start()
        started.append(p)
        return p

    yield start
    for p in reversed(started):
        p.terminate(timeout=10)
    if getattr(request.node, "rep_call", None) is None or request.node.rep_call.failed:
        for p in started:
            print(f"--- {p.log} (tail)\n{p.log_text()[-2000:]}")


def assert_one_case_per_mail(sessions: sessionmaker[Session], n: int) -> None:
    with sessions() as s:
        rows = s.execute(
            select(InboundMessage.message_id, InboundMessage.state, InboundMessage.case_id)
        ).all()
        cases = s.scalar(select(func.count(Case.id)))
        drafts = s.scalar(select(func.count(Draft.id)))
        per_case = s.execute(
            select(InboundMessage.case_id, func.count(InboundMessage.id)).group_by(InboundMessage.case_id)
        ).all()
    assert len(rows) == n, f"{len(rows)} rows for {n} mails"
    assert len({r.message_id for r in rows}) == n
    states = {r.state for r in rows}
    assert states == {"consult"}, f"states: {states}"
    assert cases == n, f"{cases} cases for {n} mails"
    assert all(count == 1 for _, count in per_case)
    assert drafts == n, f"{drafts} drafts for {n} mails"


def test_1000_mails_while_the_worker_is_sigkilled(
    app_postgres_url: str, redis_url: str, dovecot: Any, procs: Any, tmp_path: Path
) -> None:
    n = 1000
    sessions = migrated(app_postgres_url)
    # a lost Celery message comes back through the sweeper within ~20-30 s; not shorter, or the
    # sweeper re-enqueues rows that are merely waiting in a long queue (harmless no-op runs, but slow)
    env = app_env(app_postgres_url, redis_url, dovecot, CC_SWEEP_AFTER_SECONDS="20")
    worker_argv = [*CLI, "worker", "--concurrency", "2", "--loglevel", "INFO"]
    worker = procs("worker", worker_argv, env)
    worker.wait_for_log("ready", 60)
    procs("poller", [*CLI, "poll"], env)
    procs("sweeper", [*CLI, "sweep", "--loop"], env)

    mails = [make_mail(i) for i in range(n)]
    t0 = time.monotonic()
    appender = append_all(dovecot, mails)
    kills = 0
    # SIGKILL the whole worker (parent and pool) at several points of the run, restart it each time
    for threshold in (0.1, 0.35, 0.6, 0.8):
        target = threshold * n
        wait_until(lambda: final_count(sessions) >= target, 120, f"{threshold:.0%} processed")  # noqa: B023
        worker.kill(signal.SIGKILL)
        kills += 1
        worker.start()
    appender.join(60)
    wait_until(lambda: final_count(sessions) >= n, 150, "every mail processed")
    elapsed = time.monotonic() - t0
    assert_one_case_per_mail(sessions, n)
    # every mail left the INBOX for the processed folder once its row was final
    wait_until(lambda: dovecot.count("alice", "Processed") == n, 60, "all mails moved")
    assert dovecot.count("alice", "INBOX") == 0
    runs = worker.log_text().count("succeeded in")
    print(f"\n{n} mails, {kills} SIGKILLs: all processed once in {elapsed:.1f}s ({runs} task runs logged)")


def test_redis_restarted_mid_batch_loses_nothing(
    app_postgres_url: str, private_redis: Any, dovecot: Any, procs: Any
) -> None:
    n = 300
    sessions = migrated(app_postgres_url)
    env = app_env(app_postgres_url, f"{private_redis.url}/0", dovecot)
    worker = procs("worker", [*CLI, "worker", "--concurrency", "2", "--loglevel", "INFO"], env)
    worker.wait_for_log("ready", 60)
    procs("poller", [*CLI, "poll"], env)
    procs("sweeper", [*CLI, "sweep", "--loop"], env)
    appender = append_all(dovecot, [make_mail(i) for i in range(n)], pause_every=50, pause=0.2)
    wait_until(lambda: final_count(sessions) >= 30, 60, "the first mails processed")
    # Redis goes away with everything queued in it (no persistence), comes back empty
    private_redis.stop(kill=True)
    time.sleep(2.0)
    private_redis.start()
    appender.join(60)
    wait_until(lambda: final_count(sessions) >= n, 150, "every mail processed after the Redis restart")
    assert_one_case_per_mail(sessions, n)
