"""The Celery app. Broker by URL (CC_BROKER_URL, Redis in production).

With no broker configured the embedded default runs the very same task code in-process, in
Celery's eager mode: there is no broker server to lose a message to, every task is idempotent
and works on committed rows, and the sweeper finds any row a crash left behind. An in-memory
transport with a worker thread was the alternative; eager mode is simpler and has no second
copy of the work that could disagree with the database.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time

from celery import Celery, signals

from consultant.settings import get_settings

log = logging.getLogger(__name__)

_WARM_MAIL = (
    b"From: warm-up <warm-up@caseconsultant.invalid>\r\nTo: consult@caseconsultant.invalid\r\n"
    b"Subject: warm-up\r\nMessage-ID: <warm-up@caseconsultant.invalid>\r\n\r\n"
    b"Can I bill 99214-25 with 20610 on the same day? Dx M17.11, M17.1\r\n"
)


def make_app() -> Celery:
    settings = get_settings()
    app = Celery("caseconsultant", include=["workers.tasks"])
    if settings.broker_url:
        app.conf.update(
            broker_url=settings.broker_url,
            task_acks_late=True,  # ack after the task returns: a killed worker's task comes back
            task_reject_on_worker_lost=True,
            # inbound work arrives as batches of ids (dispatch.BATCH_SIZE): one reserved message
            # per pool process keeps both processes busy without one hoarding a backlog's batches
            worker_prefetch_multiplier=1,
            broker_connection_retry_on_startup=True,
            task_ignore_result=True,
            broker_transport_options={
                "visibility_timeout": 300,
                "unacked_restore_interval": 5,
                "unacked_restore_throttle": 2,
            },
            task_default_queue="caseconsultant",
        )
    else:
        app.conf.update(task_always_eager=True, task_eager_propagates=True, task_ignore_result=True)
    app.conf.beat_schedule = {
        "sweep": {"task": "workers.tasks.sweep", "schedule": float(settings.sweep_after_seconds)},
    }
    return app


app = make_app()


@signals.worker_init.connect
def warm_before_fork(**_: object) -> None:
    """In the worker's main process, before the pool forks: the imports, compiled patterns,
    templates and the code store's caches (code sets, releases) are built once and inherited by
    every pool process, instead of each paying a few seconds of CPU on its first task. No mail
    row is read or written. The database connections used are closed again before the fork (a
    forked child must never share a parent's socket). Best effort: a failure only costs the warm start."""
    t0 = time.monotonic()
    try:
        from consultant.db.session import get_engine
        from consultant.drafting.analyze import analyze
        from consultant.drafting.draft import build_draft
        from consultant.mail.classify import classify
        from consultant.mail.parse import parse_mail
        from consultant.services import processing  # noqa: F401  (the task's imports)
        from consultant.services.store_provider import get_store

        store = get_store()
        parsed = parse_mail(_WARM_MAIL)
        classify(parsed, own_addresses=set(), allowed_senders=[], max_bytes=1 << 20)
        analysis = analyze(parsed.question, store)
        build_draft(parsed_subject=parsed.subject or "", asker_name=parsed.from_name,
                    question=parsed.question, codes=analysis.extraction.codes, infos=analysis.infos,
                    findings=analysis.findings, case_id=1,
                    date_of_service=analysis.date_of_service)  # fmt: skip
        close = getattr(store, "close", None)
        if close is not None:
            close()
        get_engine().dispose()
    except Exception as exc:
        log.warning("worker warm-up skipped: %s", type(exc).__name__)
        return
    log.info("worker warm-up done in %.1fs", time.monotonic() - t0)


class UnrecoverableErrorWatchdog(logging.Handler):
    """Ends the worker's main process if it hangs after Celery's "Unrecoverable error".

    Celery logs that error (CRITICAL, logger ``celery.worker``) and then shuts down warmly;
    with celery/kombu 5.7 and Redis gone mid-batch the shutdown itself was seen to hang (closing the
    lost connection raised again, "Error on stopping Hub"), leaving a process that takes no tasks and
    never exits, so `workers/supervisor.py` could not start a new one. When the record comes, a timer
    is armed: if the process is still there after `grace` seconds it leaves with status 1, and the
    supervisor starts a fresh worker. Tasks are acked late: nothing is lost."""

    def __init__(self, grace: float = 20.0) -> None:
        super().__init__(level=logging.CRITICAL)
        self.grace = grace
        self.armed = False

    def emit(self, record: logging.LogRecord) -> None:
        if self.armed or not str(record.msg).startswith("Unrecoverable error"):
            return
        self.armed = True
        timer = threading.Timer(self.grace, _leave_after_unrecoverable_error)
        timer.daemon = True
        timer.start()


def _leave_after_unrecoverable_error() -> None:
    # no logging here: the hung main thread may hold a handler's lock
    with contextlib.suppress(OSError):
        os.write(2, b"worker still running after an unrecoverable error: leaving so that it is restarted\n")
    os._exit(1)


@signals.worker_init.connect
def install_watchdog(**_: object) -> None:
    # celery.worker.worker logs through celery.utils.log.worker_logger, named "celery.worker"
    logging.getLogger("celery.worker").addHandler(UnrecoverableErrorWatchdog())


def rebuild() -> Celery:
    """Re-read settings (tests and the demo change CC_* at run time)."""
    global app
    new = make_app()
    app.conf.update(new.conf)
    return app
