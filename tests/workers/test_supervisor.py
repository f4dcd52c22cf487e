"""The worker supervisor (workers/supervisor.py) on real child processes, and `caseconsultant worker`
on a real Redis: its Celery worker killed from outside is started again and goes on taking tasks."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.servers import ManagedProcess
from workers.supervisor import Backoff, Supervisor

PY = sys.executable


def test_backoff_doubles_on_quick_deaths_and_resets_after_a_stable_run() -> None:
    b = Backoff(first=1, most=8, stable_after=60)
    assert [b.after_exit(0.5) for _ in range(5)] == [1, 2, 4, 8, 8]
    assert b.after_exit(61) == 1
    assert b.after_exit(1) == 2


def test_a_child_that_fails_is_started_again(tmp_path: Path) -> None:
    """The child appends a line and exits 3: started 1 + 2 times, then given up (max_restarts)."""
    marks = tmp_path / "starts"
    child = [PY, "-c", f"open({str(marks)!r}, 'a').write('x\\n'); raise SystemExit(3)"]
    waits: list[float] = []
    sup = Supervisor(child, backoff=Backoff(first=0.5, most=2), max_restarts=2, sleep=waits.append)
    assert sup.run() == 3
    assert marks.read_text().count("x") == 3
    assert sup.restarts == 2 and waits == [0.5, 1.0]


def test_a_child_killed_by_a_signal_is_started_again(tmp_path: Path) -> None:
    marks = tmp_path / "starts"
    code = f"import os, signal; open({str(marks)!r}, 'a').write('x'); os.kill(os.getpid(), signal.SIGKILL)"
    child = [PY, "-c", code]
    sup = Supervisor(child, max_restarts=1, sleep=lambda _: None)
    assert sup.run() == 128 + signal.SIGKILL
    assert marks.read_text() == "xx"


def test_a_child_that_ends_cleanly_is_not_started_again(tmp_path: Path) -> None:
    marks = tmp_path / "starts"
    sup = Supervisor([PY, "-c", f"open({str(marks)!r}, 'a').write('x')"], sleep=lambda _: None)
    assert sup.run() == 0
    assert marks.read_text() == "x" and sup.restarts == 0


def test_sigterm_is_passed_to_the_child_and_ends_the_supervisor(tmp_path: Path) -> None:
    """A supervisor process (python -c) around a child that records the SIGTERM it gets."""
    got = tmp_path / "got"
    child = (
        "import signal, sys, time\n"
        f"signal.signal(signal.SIGTERM, lambda *a: (open({str(got)!r}, 'w').write('TERM'), sys.exit(0)))\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    code = (
        "import sys\n"
        "from workers.supervisor import Supervisor\n"
        f"raise SystemExit(Supervisor([sys.executable, '-c', {child!r}]).run())\n"
    )
    root = Path(__file__).parents[2]
    proc = subprocess.Popen([PY, "-c", code], stdout=subprocess.PIPE, text=True, cwd=root)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0
    assert got.read_text() == "TERM"


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        out += [int(t) for t in text]
    return out


@pytest.mark.integration
def test_the_worker_command_starts_celery_again_after_it_is_killed(
    redis_url: str, app_postgres_url: str, tmp_path: Path
) -> None:
    """A real fault: the Celery worker under `caseconsultant worker` is SIGKILLed (not its
    supervisor); a new one comes up, and a task sent afterwards is run by it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CC_")}
    env.update(CC_BROKER_URL=redis_url, CC_DATABASE_URL=app_postgres_url, CC_LOG_LEVEL="INFO")
    cli = [PY, "-m", "consultant.cli.main", "worker", "--concurrency", "1", "--loglevel", "INFO"]
    worker = ManagedProcess(cli, tmp_path / "worker.log", env=env).start()
    try:
        worker.wait_for_log("ready", 60)
        assert worker.pid is not None
        first = _children(worker.pid)
        assert len(first) == 1  # the supervisor's one child: Celery's main process
        os.kill(first[0], signal.SIGKILL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and worker.log_text().count("ready") < 2:
            time.sleep(0.2)
        assert worker.log_text().count("ready") >= 2, worker.log_text()[-3000:]
        assert "starting it again" in worker.log_text()
        second = _children(worker.pid)
        assert len(second) == 1 and second != first
        # the new worker takes work: a sweep task sent through the same broker
        from celery import Celery

        client = Celery(broker=redis_url)
        result: dict[str, Any] = {}

        def send() -> None:
            result["id"] = client.send_task("workers.tasks.sweep", queue="caseconsultant").id

        t = threading.Thread(target=send)
        t.start()
        t.join(30)
        done = f"Task workers.tasks.sweep[{result.get('id', '?')}] succeeded"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and done not in worker.log_text():
            time.sleep(0.2)  # wait for the end of the task, not its 'received' line
        assert "id" in result and done in worker.log_text(), worker.log_text()[-3000:]
    finally:
        worker.terminate(timeout=20)


def test_a_worker_hung_after_an_unrecoverable_error_leaves() -> None:
    """The kombu failure behind it depends on timing, so the record Celery logs is emitted here by
    hand (a stand-in for the real error), in a real process whose main thread then hangs: the
    watchdog ends the process with status 1, which the supervisor restarts."""
    code = (
        "import logging, time\n"
        "from celery.utils.log import worker_logger\n"
        "import workers.celery_app as c\n"
        "c.install_watchdog()\n"
        "c.logging.getLogger('celery.worker').handlers[-1].grace = 0.5\n"
        "worker_logger.critical('Unrecoverable error: %r', AttributeError('x'))\n"  # as Celery logs it
        "time.sleep(60)\n"
    )
    t0 = time.monotonic()
    done = subprocess.run([PY, "-c", code], cwd=Path(__file__).parents[2], timeout=30, capture_output=True)
    assert done.returncode == 1
    assert time.monotonic() - t0 < 20
    assert b"leaving so that it is restarted" in done.stderr


def test_the_watchdog_ignores_other_critical_records() -> None:
    from workers.celery_app import UnrecoverableErrorWatchdog

    dog = UnrecoverableErrorWatchdog(grace=0.1)
    record = logging.LogRecord("celery.worker", logging.CRITICAL, __file__, 1, "Other", None, None)
    dog.emit(record)
    assert dog.armed is False
