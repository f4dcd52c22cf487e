"""Session fixtures of the code store over the REAL staged data (../shared/data).

`full_store_url` / `full_store_engine` / `full_store`: one SQLite database with everything loaded
(HCPCS Oct 2025, PFS RVU24C, ICD-10-PCS FY2024, NCCI MUE/AOC July 2024, both NCCI PTP tables
v30.2 with 4.3 M rows, and ICD-10-CM FY2026). Building it takes about a minute, so the file is
cached in pytest's cache directory (``.pytest_cache/d/codes-store``), keyed by the data files and the
code store's source; later sessions reuse it. Tests must only read it.

Import into a conftest: ``from tests.store_fixtures import full_store, full_store_engine  # noqa: F401``.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from consultant.codes.store import SqlCodeStore, open_store

SHARED_DATA = Path(os.environ.get("CC_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
CODES_SRC = Path(__file__).resolve().parents[1] / "consultant" / "codes"


def _cache_key() -> str:
    h = hashlib.sha256()
    for p in sorted(SHARED_DATA.rglob("*")):
        if p.is_file():
            st = p.stat()
            h.update(f"{p.relative_to(SHARED_DATA)}:{st.st_size}:{int(st.st_mtime)}".encode())
    for p in sorted(CODES_SRC.rglob("*.py")):
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def build_full_store(path: Path) -> None:
    """Load every staged file and ICD-10-CM into a new SQLite file at `path` (atomically).

    Built with a rollback journal (not WAL), so the renamed file is complete on its own."""
    from sqlalchemy import create_engine, event

    from consultant.codes.releases import create_schema, load_staged_data

    tmp = path.with_suffix(f".building-{os.getpid()}")
    for p in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm"), Path(f"{tmp}-journal")):
        p.unlink(missing_ok=True)
    engine = create_engine(f"sqlite:///{tmp}")

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=DELETE")
        cur.execute("PRAGMA synchronous=OFF")
        cur.close()

    try:
        create_schema(engine)
        load_staged_data(engine, SHARED_DATA, include_ptp=True)
    finally:
        engine.dispose()
    tmp.replace(path)


def _pause_test_timeout() -> Callable[[], None]:
    """The one-off build (1-3 minutes on a busy machine) must not count against pytest-timeout's
    per-test limit (its default signal method arms ITIMER_REAL): stop the timer, resume it after."""
    try:
        remaining, interval = signal.setitimer(signal.ITIMER_REAL, 0)
    except (AttributeError, ValueError):  # not the main thread / no itimer
        return lambda: None

    def resume() -> None:
        if remaining > 0:
            signal.setitimer(signal.ITIMER_REAL, remaining, interval)

    return resume


@pytest.fixture(scope="session")
def full_store_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"staged data not found at {SHARED_DATA} (set CC_SHARED_DATA)")
    cache = getattr(request.config, "cache", None)  # None with -p no:cacheprovider
    if os.environ.get("CC_TEST_CODE_STORE_DIR"):
        cache_dir = Path(os.environ["CC_TEST_CODE_STORE_DIR"])
        cache_dir.mkdir(parents=True, exist_ok=True)
    elif cache is not None:
        cache_dir = Path(cache.mkdir("codes-store"))
    else:
        cache_dir = tmp_path_factory.mktemp("codes-store")
    path = cache_dir / f"full-{_cache_key()}.sqlite3"
    # several pytest processes (other engineers, xdist) may want it at once: build under a lock
    with open(cache_dir / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        resume = _pause_test_timeout()
        try:
            if not path.exists():
                for old in cache_dir.glob("full-*"):
                    old.unlink(missing_ok=True)
                build_full_store(path)
        finally:
            resume()
            fcntl.flock(lock, fcntl.LOCK_UN)
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def full_store_engine(full_store_url: str) -> Iterator[Engine]:
    from consultant.db.session import make_engine

    engine = make_engine(full_store_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def full_store(full_store_engine: Engine) -> SqlCodeStore:
    """The real SqlCodeStore over the full staged data (read only)."""
    return open_store(full_store_engine)
