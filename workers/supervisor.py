"""Keep a Celery worker running: start it as a child process and start it again when it dies.

Celery's worker can end itself on an "Unrecoverable error": seen here with celery/kombu 5.7 when
Redis went away mid-batch (closing the lost connection raised AttributeError from kombu's
`restore_unacked`, and the worker shut down). docker-compose restarts the container
(`restart: unless-stopped`); `caseconsultant worker` run by hand, by `./scripts/demo` or by a
plain init system gets the same here, as systemd's `Restart=on-failure` would give it: a child that
exits non-zero, or is killed by a signal the supervisor did not send, is started again after a
backoff (1 s doubling to 30 s, back to 1 s after a minute of uptime). SIGTERM / SIGINT / SIGQUIT
are passed to the child, and the supervisor exits with its status. Nothing is lost meanwhile:
tasks are acked late, and the sweeper re-sends rows that were not processed.

The child shares the supervisor's process group, so killing the group kills both.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import FrameType

log = logging.getLogger(__name__)

FORWARDED_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT)


@dataclass
class Backoff:
    """Seconds to wait before the next start: doubles after each quick death, resets after a
    child that ran for `stable_after` seconds."""

    first: float = 1.0
    most: float = 30.0
    stable_after: float = 60.0
    _next: float = field(default=0.0, init=False)

    def after_exit(self, uptime: float) -> float:
        if uptime >= self.stable_after or self._next == 0.0:
            self._next = self.first
        else:
            self._next = min(self.most, self._next * 2)
        return self._next


@dataclass
class Supervisor:
    argv: Sequence[str]
    backoff: Backoff = field(default_factory=Backoff)
    max_restarts: int | None = None  # None: for ever
    sleep: Callable[[float], None] = time.sleep
    restarts: int = 0
    _child: subprocess.Popen[bytes] | None = field(default=None, init=False)
    _stopping: int | None = field(default=None, init=False)  # the signal that asked us to stop

    def _forward(self, signum: int, _frame: FrameType | None) -> None:
        self._stopping = signum
        if self._child is not None and self._child.poll() is None:
            self._child.send_signal(signum)

    def run(self) -> int:
        """Run the child until it ends on its own with status 0 or we are told to stop; returns
        the exit status to leave with."""
        previous = {s: signal.signal(s, self._forward) for s in FORWARDED_SIGNALS}
        try:
            while True:
                started = time.monotonic()
                self._child = subprocess.Popen(list(self.argv))
                status = self._child.wait()
                uptime = time.monotonic() - started
                if self._stopping is not None:
                    return 0 if status in (0, -self._stopping) else status
                if status == 0:
                    return 0
                if self.max_restarts is not None and self.restarts >= self.max_restarts:
                    log.error("worker exited with status %s; not restarted after %d", status, self.restarts)
                    return status if status > 0 else 128 - status
                wait = self.backoff.after_exit(uptime)
                log.warning(
                    "worker exited with status %s after %.1f s; starting it again in %.0f s",
                    status,
                    uptime,
                    wait,
                )
                self.sleep(wait)
                if self._stopping is not None:
                    return 0
                self.restarts += 1
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
