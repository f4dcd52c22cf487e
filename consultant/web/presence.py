"""Who has a case open: an in-memory map case → {user: last seen}, per web process.

The case page reports itself on load and every 20 s (`POST /api/v1/cases/{id}/presence`);
an entry older than `ttl` seconds is gone. In-memory is enough for a hint ("bob is looking at
this too"); the hard guarantee against overwriting is the draft version check in the services.
With several web processes each knows only its own viewers (a table would be the next step).
"""

from __future__ import annotations

import threading
import time


class Presence:
    def __init__(self, ttl: float = 60.0, clock: object = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._seen: dict[int, dict[str, float]] = {}
        self._lock = threading.Lock()

    def _now(self) -> float:
        clock = self._clock
        assert callable(clock)
        return float(clock())

    def touch(self, case_id: int, who: str) -> None:
        with self._lock:
            self._seen.setdefault(case_id, {})[who] = self._now()

    def leave(self, case_id: int, who: str) -> None:
        with self._lock:
            self._seen.get(case_id, {}).pop(who, None)

    def viewers(self, case_id: int, exclude: str | None = None) -> list[tuple[str, int]]:
        """(user, seconds since last seen) for everyone but `exclude`, most recent first."""
        now = self._now()
        with self._lock:
            seen = self._seen.get(case_id, {})
            for who in [w for w, t in seen.items() if now - t > self.ttl]:
                del seen[who]
            out = [(w, int(now - t)) for w, t in seen.items() if w != exclude]
        return sorted(out, key=lambda x: x[1])
