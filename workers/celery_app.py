"""The Celery app. Broker by URL (CC_BROKER_URL, Redis in production).

With no broker configured the embedded default runs the very same task code in-process, in
Celery's eager mode: there is no broker server to lose a message to, every task is idempotent
and works on committed rows, and the sweeper finds any row a crash left behind. An in-memory
transport with a worker thread was the alternative; eager mode is simpler and has no second
copy of the work that could disagree with the database.
"""

from __future__ import annotations

from celery import Celery

from consultant.settings import get_settings


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


def rebuild() -> Celery:
    """Re-read settings (tests and the demo change CC_* at run time)."""
    global app
    new = make_app()
    app.conf.update(new.conf)
    return app
