"""Shared fixtures: real servers for the tests.

Servers come from the environment when ``scripts/test`` (or you) started them -- ``CC_TEST_REDIS_URL``,
``CC_TEST_POSTGRES_URL``, ``CC_TEST_DOVECOT_DIR`` + ``CC_TEST_DOVECOT_{IMAP,IMAPS,LMTP}_PORT``,
``CC_TEST_CHROMIUM`` -- otherwise the session fixtures start them in a temp dir (plain ``pytest`` works).
A server that cannot be started or reached fails the test, never skips it
(``tests.servers.require_server``).

Session scope:  redis_server, redis_server_url, postgres_server, postgres_server_url, dovecot_server,
                tls_cert, chromium_path, chromium_browser
Module scope:   postgres_module_url
Function scope: redis_url, postgres_url, dovecot, sqlite_url, smtp_sink, smtp_sink_factory, embedded_imap,
                private_redis, private_postgres, private_dovecot (own instances a test may kill / restart)
"""

from __future__ import annotations

import contextlib
import itertools
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.servers import (
    CHROMIUM_ARGS,
    HOST,
    Dovecot,
    Postgres,
    Redis,
    ServerError,
    greeting,
    make_self_signed_cert,
    make_tmp_base,
    postgres_admin,
    require_server,
)
from tests.smtp_sink import SmtpSink

pytest_plugins = ["tests.app_db"]

# Tests that use one of these fixtures are marked `integration` automatically (select with -m).
SERVER_FIXTURES = {
    "redis_server", "redis_server_url", "redis_url", "postgres_server", "postgres_server_url",
    "postgres_url", "postgres_module_url", "dovecot_server", "dovecot", "smtp_sink", "smtp_sink_factory",
    "embedded_imap", "private_redis", "private_postgres", "private_dovecot", "chromium_path",
    "chromium_browser", "app_postgres_url",
}  # fmt: skip


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if SERVER_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)


# ---------------------------------------------------------------------------------------------------------
# where self-started servers live
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def servers_base() -> Iterator[Path]:
    """A temp dir (traversable by user postgres) for the servers this session starts itself."""
    base = make_tmp_base()
    yield base
    shutil.rmtree(base, ignore_errors=True)


def _start(server: Any, what: str) -> Any:
    try:
        return server.start()
    except (ServerError, OSError) as exc:
        require_server(f"could not start {what}: {exc}")


# ---------------------------------------------------------------------------------------------------------
# Redis
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_server(servers_base: Path) -> Iterator[Redis]:
    """The session's Redis: ``.url``, ``.ping()``; ``.restart()`` works if we or scripts/test started it."""
    url = os.environ.get("CC_TEST_REDIS_URL")
    if url:
        state_dir = os.environ.get("CC_TEST_REDIS_DIR")
        if state_dir and (Path(state_dir) / "state.json").exists():
            server = Redis.load(state_dir)
        else:
            parts = urlsplit(url)
            server = Redis(servers_base / "redis-external", parts.port or 6379)
            server.host = parts.hostname or HOST
        if not server.ping():
            require_server(f"CC_TEST_REDIS_URL={url} does not answer PING")
        yield server
        return
    server = _start(Redis(servers_base / "redis"), "redis-server")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server_url(redis_server: Redis) -> str:
    """``redis://127.0.0.1:PORT`` (no database number)."""
    return redis_server.url


_redis_dbs = itertools.cycle(range(1, 16))


@pytest.fixture
def redis_url(redis_server: Redis) -> str:
    """``redis://127.0.0.1:PORT/N``: a database (1-15, rotating) emptied with FLUSHDB for this test."""
    import redis

    if not redis_server.ping():  # an earlier test stopped it and did not bring it back
        _start(redis_server, "redis-server (restart)")
    url = f"{redis_server.url}/{next(_redis_dbs)}"
    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()
    return url


@pytest.fixture
def private_redis(servers_base: Path) -> Iterator[Redis]:
    """A Redis of this test's own: stop/kill/restart it freely. Stopped afterwards."""
    server = _start(Redis(servers_base / f"redis-{secrets.token_hex(4)}"), "redis-server")
    yield server
    server.stop(kill=True)
    shutil.rmtree(server.dir, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------------------------


def _pg_execute(server_url: str, sql: str) -> None:
    import psycopg

    kwargs, dbname = postgres_admin(server_url)
    with psycopg.connect(dbname=dbname, autocommit=True, connect_timeout=5, **kwargs) as conn:
        conn.execute(sql.encode())


def _with_database(server_url: str, name: str) -> str:
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@contextlib.contextmanager
def _fresh_database(server_url: str) -> Iterator[str]:
    name = f"cc_test_{secrets.token_hex(6)}"
    _pg_execute(server_url, f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(server_url, name)
    finally:
        _pg_execute(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_server(servers_base: Path) -> Iterator[Postgres]:
    """The session's PostgreSQL cluster (``.url`` superuser URL, ``.create_database()``, ``.restart()``)."""
    url = os.environ.get("CC_TEST_POSTGRES_URL")
    if url:
        state_dir = os.environ.get("CC_TEST_POSTGRES_DIR")
        if state_dir and (Path(state_dir) / "state.json").exists():
            server = Postgres.load(state_dir)
        else:
            kwargs, _ = postgres_admin(url)
            server = Postgres(servers_base / "postgres-external", kwargs["port"], kwargs["password"])
            server.host, server.user = kwargs["host"], kwargs["user"]
        try:
            _pg_execute(url, "SELECT 1")
        except Exception as exc:
            require_server(f"CC_TEST_POSTGRES_URL does not answer: {exc}")
        yield server
        return
    server = _start(Postgres(servers_base / "postgres"), "PostgreSQL")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_server_url(postgres_server: Postgres) -> str:
    """Superuser URL ``postgresql+psycopg://postgres:PW@127.0.0.1:PORT/postgres``; may CREATE DATABASE."""
    return os.environ.get("CC_TEST_POSTGRES_URL") or postgres_server.url


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A fresh, empty database for this test (SQLAlchemy URL, psycopg 3 driver); dropped afterwards."""
    with _fresh_database(postgres_server_url) as url:
        yield url


@pytest.fixture(scope="module")
def postgres_module_url(postgres_server_url: str) -> Iterator[str]:
    """A fresh database shared by the tests of one module; dropped afterwards."""
    with _fresh_database(postgres_server_url) as url:
        yield url


@pytest.fixture
def private_postgres(servers_base: Path) -> Iterator[Postgres]:
    """A PostgreSQL cluster of this test's own (~1 s to create): stop/kill/restart it freely."""
    server = _start(Postgres(servers_base / f"postgres-{secrets.token_hex(4)}"), "PostgreSQL")
    yield server
    server.stop(kill=True)
    shutil.rmtree(server.dir, ignore_errors=True)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """``sqlite:////tmp/.../cc.sqlite3``: a fresh SQLite file for this test."""
    return f"sqlite:///{tmp_path / 'cc.sqlite3'}"


# ---------------------------------------------------------------------------------------------------------
# Dovecot
# ---------------------------------------------------------------------------------------------------------


def _dovecot_up(server: Dovecot) -> bool:
    return greeting(server.imap_port, server.host).startswith(b"* OK")


@pytest.fixture(scope="session")
def dovecot_server(servers_base: Path) -> Iterator[Dovecot]:
    """The session's Dovecot (see ``dovecot`` for the per-test view with empty mailboxes)."""
    if os.environ.get("CC_TEST_DOVECOT_DIR"):
        try:
            server = Dovecot.from_env()
        except (KeyError, ValueError, OSError) as exc:
            require_server(f"CC_TEST_DOVECOT_* incomplete: {exc!r}")
        if not _dovecot_up(server):
            require_server(f"Dovecot of CC_TEST_DOVECOT_DIR does not greet on port {server.imap_port}")
        yield server
        return
    server = _start(Dovecot(servers_base / "dovecot"), "Dovecot")
    yield server
    server.stop()


@pytest.fixture
def dovecot(dovecot_server: Dovecot) -> Dovecot:
    """The Dovecot, its users' mailboxes emptied (and extra folders deleted) before this test.

    ``host``, ``imap_port``, ``imaps_port``, ``lmtp_port``, ``ca_file``, ``users`` ({"alice": "alice-pw",
    "bob": "bob-pw"}), ``conf``, ``deliver(user, raw, folder="INBOX")``, ``count(user, folder)``,
    ``mailboxes(user)``, ``doveadm(*args)``, ``stop(kill=False)``, ``start()``, ``restart(kill=False,
    downtime=0)``."""
    if not _dovecot_up(dovecot_server):  # an earlier test stopped it and did not bring it back
        _start(dovecot_server, "Dovecot (restart)")
    try:
        dovecot_server.clear_mailboxes()
    except ServerError as exc:
        require_server(f"could not empty the Dovecot mailboxes: {exc}")
    return dovecot_server


@pytest.fixture
def private_dovecot(servers_base: Path) -> Iterator[Dovecot]:
    """A Dovecot of this test's own (~0.4 s): stop/kill/restart it freely."""
    server = _start(Dovecot(servers_base / f"dovecot-{secrets.token_hex(4)}"), "Dovecot")
    yield server
    server.stop(kill=True)
    shutil.rmtree(server.dir, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------------
# SMTP sink, embedded IMAP, TLS
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def tls_cert(servers_base: Path) -> tuple[Path, Path]:
    """(cert.pem, key.pem): self-signed for localhost / 127.0.0.1; the cert is also the CA file."""
    try:
        return make_self_signed_cert(servers_base / "tls")
    except (ServerError, OSError) as exc:
        require_server(f"could not make a TLS certificate: {exc}")


@pytest.fixture
def smtp_sink_factory() -> Iterator[Callable[..., SmtpSink]]:
    """``make(**SmtpSink kwargs)`` -> a started sink (users=, tls_cert=, implicit_tls=, lmtp=...)."""
    sinks: list[SmtpSink] = []

    def make(**kwargs: Any) -> SmtpSink:
        sink = SmtpSink(**kwargs).start()
        sinks.append(sink)
        return sink

    yield make
    for sink in sinks:
        with contextlib.suppress(Exception):
            sink.stop()


@pytest.fixture
def smtp_sink(smtp_sink_factory: Callable[..., SmtpSink]) -> SmtpSink:
    """A plain SMTP sink on 127.0.0.1:``sink.port`` (no AUTH, no TLS). ``sink.fail_next([...])``,
    ``sink.wait_for(n)``, ``sink.messages``."""
    return smtp_sink_factory()


@pytest.fixture
def embedded_imap() -> Iterator[Any]:
    """pymap in-process (users alice/alice-pw, bob/bob-pw), plain IMAP on 127.0.0.1:``srv.port``."""
    from consultant.demo.embedded_imap import EmbeddedIMAP

    srv = EmbeddedIMAP({"alice": "alice-pw", "bob": "bob-pw"})
    try:
        srv.start()
    except RuntimeError as exc:
        require_server(str(exc))
    yield srv
    srv.stop()


# ---------------------------------------------------------------------------------------------------------
# Chromium
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Path of Debian's chromium (``CC_TEST_CHROMIUM`` or found on PATH)."""
    candidates = [os.environ.get("CC_TEST_CHROMIUM"), shutil.which("chromium"),
                  shutil.which("chromium-browser"), "/usr/bin/chromium"]  # fmt: skip
    for c in candidates:
        if c and Path(c).exists() and os.access(c, os.X_OK):
            return c
    require_server("chromium not found (apt-get install chromium, or set CC_TEST_CHROMIUM)")


@pytest.fixture(scope="session")
def chromium_browser(chromium_path: str) -> Iterator[Any]:
    """A headless playwright ``Browser`` on Debian's chromium (no ``playwright install`` needed)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        require_server(f"playwright not installed: {exc}")
    with sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        except Exception as exc:
            require_server(f"chromium did not launch: {exc}")
        yield browser
        browser.close()
