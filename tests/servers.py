"""Real throw-away servers for the tests: Redis, PostgreSQL, Dovecot (IMAP, IMAPS, LMTP).

Used by ``tests/conftest.py`` (fixtures) and by ``scripts/test`` through the command line::

    python -m tests.servers start --dir DIR [redis] [postgres] [dovecot]   # prints `export CC_TEST_...=...`
    python -m tests.servers stop --dir DIR                                  # stops what `start` started
    python -m tests.servers status --dir DIR

Every server lives in its own directory (config, data, logs, ``state.json``), binds 127.0.0.1 only on a free
port, and is stopped by its recorded PID. Each class can ``start()``, ``stop(kill=...)`` and ``restart()`` any
number of times on the same ports, which the reliability tests use to simulate outages. A server started by
another process (``scripts/test``) is re-attached with ``Redis.load(dir)`` / ``Postgres.load(dir)`` /
``Dovecot.load(dir)``.

A missing server is handled in ONE place: :func:`require_server`, which fails the test (never skips it),
in CI and locally alike.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import json
import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

HOST = "127.0.0.1"
DOVECOT_USERS: dict[str, str] = {"alice": "alice-pw", "bob": "bob-pw"}
DOVECOT_DEFAULT_FOLDERS = ("INBOX", "Archive", "Trash", "Sent")

# Debian's chromium, headless, as a root user in a container (see ../shared/docs/services.md)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class ServerError(RuntimeError):
    """A server could not be started, reached or stopped."""


# ---------------------------------------------------------------------------------------------------------
# Policy: a test that needs a server fails when the server is missing (never skips)
# ---------------------------------------------------------------------------------------------------------


def is_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}


def require_server(reason: str) -> NoReturn:
    """A server (or browser) a test needs is unavailable: the test fails, in CI and elsewhere alike
    (./scripts/test starts every server the suite needs, so a missing one is a real fault)."""
    import pytest

    where = "CI=true and " if is_ci() else ""
    pytest.fail(f"{where}a required server is unavailable: {reason}", pytrace=False)


# ---------------------------------------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------------------------------------


def free_port(host: str = HOST) -> int:
    """A port that was free a moment ago (bind to port 0 and let the kernel choose)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def free_ports(n: int, host: str = HOST) -> list[int]:
    """``n`` distinct free ports (all held open together while choosing, so they differ)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((host, 0))
            socks.append(s)
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for s in socks:
            s.close()


def port_open(port: int, host: str = HOST, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for(predicate: Any, timeout: float, what: str, interval: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        if time.monotonic() > deadline:
            raise ServerError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def greeting(port: int, host: str = HOST, timeout: float = 2.0) -> bytes:
    """The first line a server sends (IMAP/SMTP/LMTP greeting), or b'' if nothing could be read."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.settimeout(timeout)
            return s.recv(512)
    except OSError:
        return b""


def pid_alive(pid: int | None) -> bool:
    """True if the process exists and is not a zombie."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def child_pids(pid: int) -> list[int]:
    """Direct children of ``pid`` (from /proc)."""
    out = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.split("/")[2]))
    return out


def kill_tree(pid: int, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
    """Send ``sig`` to the process group led by ``pid`` (or to ``pid`` alone), wait until it is gone.

    Falls back to SIGKILL when ``timeout`` passes."""
    if not pid_alive(pid):
        return
    try:
        pgid = os.getpgid(pid)
    except ProcessLookupError:
        return
    target_group = pgid == pid  # we start servers with start_new_session=True: they lead their group

    def send(s: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if target_group:
                os.killpg(pgid, s)
            else:
                os.kill(pid, s)

    send(sig)
    try:
        wait_for(lambda: not pid_alive(pid), timeout, f"pid {pid} to exit", interval=0.02)
    except ServerError:
        send(signal.SIGKILL)
        wait_for(lambda: not pid_alive(pid), 5, f"pid {pid} to exit after SIGKILL")
    # reap it if it is our own child (Popen in this process)
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def make_self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """``directory/cert.pem`` + ``key.pem`` for localhost / 127.0.0.1 (made once, then reused)."""
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / "cert.pem", directory / "key.pem"
    if not (cert.exists() and key.exists()):
        openssl = shutil.which("openssl")
        if not openssl:
            raise ServerError("openssl not found (needed for the test TLS certificate)")
        subprocess.run(
            [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
             "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
             "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
            check=True, capture_output=True,
        )  # fmt: skip
        key.chmod(0o644)  # Dovecot reads it as root, aiosmtpd in-process: fine
    return cert, key


def make_tmp_base(prefix: str = "cc-servers-") -> Path:
    """A temp directory other users can traverse (PostgreSQL runs as user postgres below it)."""
    base = Path(tempfile.mkdtemp(prefix=prefix))
    base.chmod(0o755)
    return base


def _log_tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# ---------------------------------------------------------------------------------------------------------
# base class
# ---------------------------------------------------------------------------------------------------------


class _Server:
    kind = "server"

    def __init__(self, directory: Path | str) -> None:
        self.dir = Path(directory).resolve()
        self.pid: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    # state file, so another process can stop / restart what this one started
    def _state(self) -> dict[str, Any]:
        return {"kind": self.kind, "pid": self.pid}

    def save_state(self) -> None:
        (self.dir / "state.json").write_text(json.dumps(self._state(), indent=1))

    @staticmethod
    def read_state(directory: Path | str) -> dict[str, Any]:
        return dict(json.loads((Path(directory) / "state.json").read_text()))

    def is_running(self) -> bool:
        return pid_alive(self.pid)

    def _popen(self, argv: Sequence[str], log: Path) -> subprocess.Popen[bytes]:
        with open(log, "ab") as out:
            return subprocess.Popen(
                list(argv), stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True, cwd=self.dir,
            )  # fmt: skip

    def start(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def stop(self, kill: bool = False) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def restart(self, kill: bool = False, downtime: float = 0.0) -> None:
        """Stop (SIGKILL when ``kill``), stay down ``downtime`` seconds, start again on the same port(s)."""
        self.stop(kill=kill)
        if downtime:
            time.sleep(downtime)
        self.start()

    def env(self) -> dict[str, str]:  # pragma: no cover - abstract
        raise NotImplementedError

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ---------------------------------------------------------------------------------------------------------
# Redis
# ---------------------------------------------------------------------------------------------------------


class Redis(_Server):
    """``redis-server`` in the foreground (Popen), no persistence unless ``appendonly=True``."""

    kind = "redis"

    def __init__(self, directory: Path | str, port: int | None = None, appendonly: bool = False) -> None:
        super().__init__(directory)
        self.host = HOST
        self.port = port or free_port()
        self.appendonly = appendonly

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}"

    @classmethod
    def load(cls, directory: Path | str) -> Redis:
        st = cls.read_state(directory)
        obj = cls(directory, st["port"], st.get("appendonly", False))
        obj.pid = st.get("pid")
        return obj

    def _state(self) -> dict[str, Any]:
        return {**super()._state(), "port": self.port, "appendonly": self.appendonly}

    def ping(self, timeout: float = 1.0) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=timeout) as s:
                s.sendall(b"PING\r\n")
                return s.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def start(self) -> Redis:
        binary = shutil.which("redis-server")
        if not binary:
            raise ServerError("redis-server not installed (apt-get install redis-server)")
        self.dir.mkdir(parents=True, exist_ok=True)
        argv = [
            binary, "--port", str(self.port), "--bind", self.host, "--save", "",
            "--appendonly", "yes" if self.appendonly else "no", "--dir", str(self.dir),
            "--pidfile", str(self.dir / "redis.pid"), "--logfile", str(self.dir / "redis.log"),
            "--daemonize", "no", "--protected-mode", "no",
        ]  # fmt: skip
        self._proc = self._popen(argv, self.dir / "redis.stdout.log")
        self.pid = self._proc.pid
        try:
            wait_for(lambda: self.ping() or self._proc is None or self._proc.poll() is not None, 15,
                     f"Redis on port {self.port}")  # fmt: skip
            if not self.ping():
                raise ServerError("exited")
        except ServerError as exc:
            self.stop(kill=True)
            raise ServerError(f"Redis did not start ({exc}):\n{_log_tail(self.dir / 'redis.log')}") from None
        self.save_state()
        return self

    def stop(self, kill: bool = False) -> None:
        if self.pid:
            kill_tree(self.pid, signal.SIGKILL if kill else signal.SIGTERM)
        if self._proc is not None:
            with contextlib.suppress(Exception):
                self._proc.wait(5)
            self._proc = None

    def env(self) -> dict[str, str]:
        return {"CC_TEST_REDIS_URL": self.url, "CC_TEST_REDIS_DIR": str(self.dir)}


# ---------------------------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------------------------


def _pg_bindir() -> Path | None:
    def version(p: str) -> float:
        try:
            return float(Path(p).parent.parent.name)
        except ValueError:
            return 0.0

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=version, reverse=True)
    if found:
        return Path(found[0]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class Postgres(_Server):
    """A throw-away cluster (initdb + pg_ctl) run as user postgres when we are root, TCP + scram password."""

    kind = "postgres"

    def __init__(self, directory: Path | str, port: int | None = None, password: str | None = None) -> None:
        super().__init__(directory)
        self.host = HOST
        self.port = port or free_port()
        self.password = password or "pg-" + secrets.token_hex(8)
        self.user = "postgres"

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the superuser on database ``postgres``."""
        return self.url_for("postgres")

    def url_for(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}:{self.password}@{self.host}:{self.port}/{database}"

    @classmethod
    def load(cls, directory: Path | str) -> Postgres:
        st = cls.read_state(directory)
        obj = cls(directory, st["port"], st["password"])
        obj.pid = st.get("pid")
        return obj

    def _state(self) -> dict[str, Any]:
        return {**super()._state(), "port": self.port, "password": self.password}

    def _as_owner(self, argv: list[str]) -> list[str]:
        if os.geteuid() == 0:
            runuser = shutil.which("runuser")
            if not runuser:
                raise ServerError("runuser not found (needed to run initdb as user postgres)")
            return [runuser, "-u", "postgres", "--", *argv]
        return argv

    def _chown(self, path: Path) -> None:
        if os.geteuid() == 0:
            shutil.chown(path, "postgres", "postgres")

    def _run(self, argv: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self._as_owner(argv), capture_output=True, text=True, timeout=timeout,
                              start_new_session=True, cwd="/")  # fmt: skip

    @property
    def data(self) -> Path:
        return self.dir / "data"

    def start(self) -> Postgres:
        bindir = _pg_bindir()
        if bindir is None:
            raise ServerError("PostgreSQL server binaries not found (apt-get install postgresql)")
        self.dir.mkdir(parents=True, exist_ok=True)
        self._chown(self.dir)
        if not (self.data / "PG_VERSION").exists():
            pwfile = self.dir / "pwfile"
            pwfile.write_text(self.password + "\n")
            pwfile.chmod(0o600)
            self._chown(pwfile)
            r = self._run([str(bindir / "initdb"), "-D", str(self.data), "-U", self.user,
                           "--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={pwfile}",
                           "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])  # fmt: skip
            pwfile.unlink()
            if r.returncode != 0:
                raise ServerError(f"initdb failed: {r.stderr.strip() or r.stdout.strip()}")
        opts = (f"-p {self.port} -k {self.dir} -c listen_addresses={self.host} -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")  # fmt: skip
        log = self.dir / "pg.log"
        if not log.exists():
            log.touch()
            self._chown(log)
        r = self._run([str(bindir / "pg_ctl"), "-D", str(self.data), "-l", str(log), "-w", "-t", "60",
                       "-o", opts, "start"], timeout=90)  # fmt: skip
        if r.returncode != 0:
            raise ServerError(f"pg_ctl start failed: {r.stderr.strip()}\n{_log_tail(log)}")
        self.pid = int((self.data / "postmaster.pid").read_text().split()[0])
        self.save_state()
        self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 30) -> None:
        def ok() -> bool:
            try:
                self.execute("SELECT 1")
                return True
            except Exception:
                return False

        wait_for(ok, timeout, f"PostgreSQL on port {self.port}", interval=0.05)

    def stop(self, kill: bool = False) -> None:
        if kill:  # a crash: the postmaster and all its backends at once
            if self.pid and pid_alive(self.pid):
                children = child_pids(self.pid)
                kill_tree(self.pid, signal.SIGKILL)
                for child in children:
                    kill_tree(child, signal.SIGKILL)
            for stale in (self.data / "postmaster.pid", self.dir / f".s.PGSQL.{self.port}.lock"):
                with contextlib.suppress(OSError):
                    stale.unlink()
            return
        bindir = _pg_bindir()
        if bindir is not None and (self.data / "postmaster.pid").exists():
            self._run([str(bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "-t", "30", "stop"])
        if self.pid and pid_alive(self.pid):
            kill_tree(self.pid, signal.SIGTERM)

    def execute(self, sql: str, database: str = "postgres") -> None:
        """Run one statement in autocommit as the superuser (CREATE/DROP DATABASE...)."""
        import psycopg

        with psycopg.connect(host=self.host, port=self.port, user=self.user, password=self.password,
                             dbname=database, autocommit=True, connect_timeout=5) as conn:  # fmt: skip
            conn.execute(sql.encode())

    def create_database(self, name: str | None = None) -> str:
        """Create a fresh database, return its SQLAlchemy URL."""
        name = name or "cc_test_" + secrets.token_hex(6)
        self.execute(f'CREATE DATABASE "{name}"')
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def env(self) -> dict[str, str]:
        return {"CC_TEST_POSTGRES_URL": self.url, "CC_TEST_POSTGRES_DIR": str(self.dir)}


def postgres_admin(url: str) -> tuple[dict[str, Any], str]:
    """psycopg connect kwargs and database name from a ``postgresql[+driver]://`` URL."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    kwargs: dict[str, Any] = {
        "host": parts.hostname or HOST,
        "port": parts.port or 5432,
        "user": unquote(parts.username or "postgres"),
        "password": unquote(parts.password or ""),
    }
    return kwargs, (parts.path.lstrip("/") or "postgres")


# ---------------------------------------------------------------------------------------------------------
# Dovecot
# ---------------------------------------------------------------------------------------------------------


class Dovecot(_Server):
    """A self-contained Dovecot (config of ../shared/docs/services.md): IMAP, IMAPS and LMTP on 127.0.0.1.

    Users alice/alice-pw and bob/bob-pw (``alice@example.test`` works too); Maildir stored as nobody.
    Must run as root."""

    kind = "dovecot"

    def __init__(self, directory: Path | str, imap_port: int | None = None, imaps_port: int | None = None,
                 lmtp_port: int | None = None, users: Mapping[str, str] | None = None) -> None:  # fmt: skip
        super().__init__(directory)
        self.host = HOST
        ports = free_ports(3)
        self.imap_port = imap_port or ports[0]
        self.imaps_port = imaps_port or ports[1]
        self.lmtp_port = lmtp_port or ports[2]
        self.users: dict[str, str] = dict(users or DOVECOT_USERS)

    @property
    def conf(self) -> Path:
        return self.dir / "dovecot.conf"

    @property
    def ca_file(self) -> Path:
        return self.dir / "tls" / "cert.pem"

    @property
    def maildir_root(self) -> Path:
        return self.dir / "mail"

    @classmethod
    def load(cls, directory: Path | str) -> Dovecot:
        st = cls.read_state(directory)
        obj = cls(directory, st["imap_port"], st["imaps_port"], st["lmtp_port"], st["users"])
        obj.pid = st.get("pid")
        return obj

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Dovecot:
        """The instance named by CC_TEST_DOVECOT_DIR (+ ports), e.g. the one scripts/test started."""
        d = Path(env["CC_TEST_DOVECOT_DIR"])
        if (d / "state.json").exists():
            obj = cls.load(d)
        else:
            obj = cls(d, int(env["CC_TEST_DOVECOT_IMAP_PORT"]), int(env["CC_TEST_DOVECOT_IMAPS_PORT"]),
                      int(env["CC_TEST_DOVECOT_LMTP_PORT"]))  # fmt: skip
            pidfile = d / "run" / "master.pid"
            if pidfile.exists():
                obj.pid = int(pidfile.read_text().split()[0])
        return obj

    def _state(self) -> dict[str, Any]:
        return {**super()._state(), "imap_port": self.imap_port, "imaps_port": self.imaps_port,
                "lmtp_port": self.lmtp_port, "users": self.users}  # fmt: skip

    def write_config(self) -> None:
        d = self.dir
        for sub in ("run", "state", "mail", "tls"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(d / "mail", "nobody", "nogroup")
        (d / "users").write_text("".join(f"{u}:{{PLAIN}}{pw}::::::\n" for u, pw in self.users.items()))
        make_self_signed_cert(d / "tls")
        lmtp = shutil.which("dovecot") and Path("/usr/lib/dovecot/lmtp").exists()
        special = {"Archive": "\\Archive", "Trash": "\\Trash", "Sent": "\\Sent"}
        mailboxes = "".join(
            f"  mailbox {name} {{\n    auto = create\n    special_use = {flag}\n  }}\n"
            for name, flag in special.items()
        )
        lmtp_service = f"service lmtp {{\n  inet_listener lmtp {{\n    port = {self.lmtp_port}\n  }}\n}}\n"
        self.conf.write_text(
            f"""# generated by tests/servers.py -- throw-away test instance
instance_name = test-dovecot-{self.imap_port}
base_dir = {d}/run
state_dir = {d}/state
protocols = imap{" lmtp" if lmtp else ""}
auth_username_format = %Ln
listen = {self.host}
log_path = {d}/dovecot.log
info_log_path = {d}/dovecot.log
ssl = yes
ssl_cert = <{d}/tls/cert.pem
ssl_key = <{d}/tls/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
first_valid_uid = 1
# a waiting login is not delayed after a wrong password (tests try wrong passwords)
auth_failure_delay = 0
# tests open many connections as alice (pollers, clients left open by earlier tests): default is 10
protocol imap {{
  mail_max_userip_connections = 500
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/users
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={d}/mail/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
{mailboxes}}}
{lmtp_service if lmtp else ""}service imap-login {{
  inet_listener imap {{
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    port = {self.imaps_port}
    ssl = yes
  }}
}}
"""
        )

    def start(self) -> Dovecot:
        binary = shutil.which("dovecot") or (
            "/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None
        )
        if not binary:
            raise ServerError("dovecot not installed (apt-get install dovecot-imapd dovecot-lmtpd)")
        if os.geteuid() != 0:
            raise ServerError("the test Dovecot must run as root (it stores mail as nobody)")
        self.dir.mkdir(parents=True, exist_ok=True)
        if not self.conf.exists():  # a restart keeps the config (and never rewrites one given to us)
            self.write_config()
        self._proc = self._popen([binary, "-F", "-c", str(self.conf)], self.dir / "stdout.log")
        self.pid = self._proc.pid

        def ready() -> bool:
            if self._proc is not None and self._proc.poll() is not None:
                return True
            return (
                greeting(self.imap_port).startswith(b"* OK")
                and port_open(self.imaps_port)
                and (not self.lmtp_enabled or port_open(self.lmtp_port))
            )

        try:
            wait_for(ready, 20, f"Dovecot on port {self.imap_port}")
            if self._proc.poll() is not None:
                raise ServerError(f"exited with {self._proc.returncode}")
        except ServerError as exc:
            self.stop(kill=True)
            raise ServerError(
                f"Dovecot did not start ({exc}):\n{_log_tail(self.dir / 'stdout.log')}\n"
                f"{_log_tail(self.dir / 'dovecot.log')}"
            ) from None
        self.save_state()
        return self

    @property
    def lmtp_enabled(self) -> bool:
        try:
            return " lmtp" in self.conf.read_text().split("protocols =", 1)[1].splitlines()[0]
        except (OSError, IndexError):
            return False

    def stop(self, kill: bool = False) -> None:
        if self.pid:
            kill_tree(self.pid, signal.SIGKILL if kill else signal.SIGTERM)
        if self._proc is not None:
            with contextlib.suppress(Exception):
                self._proc.wait(5)
            self._proc = None
        # children hold the listeners until they notice the master is gone
        with contextlib.suppress(ServerError):
            wait_for(lambda: not port_open(self.imap_port, timeout=0.2), 10, "Dovecot's port to close")

    # ---- mail helpers (doveadm works on the storage directly, the server need not be up) ----------------

    def doveadm(self, *args: str, input: bytes | None = None, check: bool = True) -> str:
        doveadm = shutil.which("doveadm") or "/usr/bin/doveadm"
        r = subprocess.run([doveadm, "-c", str(self.conf), *args], input=input, capture_output=True,
                           timeout=60)  # fmt: skip
        if check and r.returncode != 0:
            raise ServerError(f"doveadm {shlex.join(args)} failed ({r.returncode}): "
                              f"{r.stderr.decode(errors='replace').strip()}")  # fmt: skip
        return r.stdout.decode(errors="replace")

    def login(self, user: str) -> str:
        return self.users[user.split("@", 1)[0]]

    def deliver(self, user: str, raw: bytes, folder: str = "INBOX") -> None:
        """Put a message into ``user``'s ``folder`` (created if missing) without IMAP or LMTP."""
        user = user.split("@", 1)[0]
        if folder not in self.mailboxes(user):
            self.doveadm("mailbox", "create", "-u", user, folder, check=False)
        self.doveadm("save", "-u", user, "-m", folder, input=raw)

    def mailboxes(self, user: str) -> list[str]:
        return [
            line.strip() for line in self.doveadm("mailbox", "list", "-u", user).splitlines() if line.strip()
        ]

    def count(self, user: str, folder: str = "INBOX") -> int:
        out = self.doveadm("mailbox", "status", "-u", user, "messages", folder).strip()
        return int(out.rsplit("=", 1)[-1] or 0)

    def clear_mailboxes(self) -> None:
        """Expunge every message of every user and delete every folder but the default ones."""
        for user in self.users:
            home = self.maildir_root / user
            if not home.exists():
                continue
            self.doveadm("expunge", "-u", user, "mailbox", "*", "all", check=False)
            extra = [m for m in self.mailboxes(user) if m not in DOVECOT_DEFAULT_FOLDERS]
            # children first
            for name in sorted(extra, key=lambda m: m.count("/"), reverse=True):
                self.doveadm("mailbox", "delete", "-u", user, name, check=False)

    def env(self) -> dict[str, str]:
        return {
            "CC_TEST_DOVECOT_DIR": str(self.dir),
            "CC_TEST_DOVECOT_IMAP_PORT": str(self.imap_port),
            "CC_TEST_DOVECOT_IMAPS_PORT": str(self.imaps_port),
            "CC_TEST_DOVECOT_LMTP_PORT": str(self.lmtp_port),
        }


# ---------------------------------------------------------------------------------------------------------
# processes the tests start themselves (celery workers, pollers...) and may SIGKILL
# ---------------------------------------------------------------------------------------------------------


class ManagedProcess:
    """A subprocess in its own process group, logging to a file; ``kill()`` takes down its children too.

    worker = ManagedProcess(["caseconsultant", "worker"], env=env, log=tmp_path / "w.log")
    worker.start(); worker.wait_for_log("ready", 20); worker.kill(signal.SIGKILL); worker.start()
    """

    def __init__(self, argv: Sequence[str], log: Path | str, env: Mapping[str, str] | None = None,
                 cwd: Path | str | None = None) -> None:  # fmt: skip
        self.argv = list(argv)
        self.log = Path(log)
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def start(self) -> ManagedProcess:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, env=self.env, cwd=self.cwd,
                                         start_new_session=True)  # fmt: skip
        return self

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def wait_for_log(self, needle: str, timeout: float = 30) -> None:
        def seen() -> bool:
            if needle in self.log_text():
                return True
            if not self.running():
                raise ServerError(f"{self.argv[0]} exited before {needle!r}:\n{self.log_text()[-3000:]}")
            return False

        wait_for(seen, timeout, f"{needle!r} in {self.log}", interval=0.05)

    def kill(self, sig: int = signal.SIGKILL, timeout: float = 15) -> int | None:
        """Signal the whole process group and wait for the leader; returns its exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            return self.proc.wait(10)

    def terminate(self, timeout: float = 15) -> int | None:
        return self.kill(signal.SIGTERM, timeout)

    stop = terminate


# ---------------------------------------------------------------------------------------------------------
# command line (scripts/test)
# ---------------------------------------------------------------------------------------------------------

SERVER_CLASSES: dict[str, type[Redis] | type[Postgres] | type[Dovecot]] = {
    "redis": Redis,
    "postgres": Postgres,
    "dovecot": Dovecot,
}


def _iter_started(base: Path) -> Iterator[tuple[str, Path]]:
    for name in ("dovecot", "redis", "postgres"):
        if (base / name / "state.json").exists():
            yield name, base / name


def _cmd_start(base: Path, names: list[str]) -> int:
    base.mkdir(parents=True, exist_ok=True)
    base.chmod(0o755)
    env: dict[str, str] = {}
    failed: list[str] = []
    for name in names:
        t = time.monotonic()
        try:
            server = SERVER_CLASSES[name](base / name)
            server.start()
        except Exception as exc:
            failed.append(name)
            print(f"!! {name}: {exc}", file=sys.stderr)
            continue
        env.update(server.env())
        detail = ", ".join(f"{k}={v}" for k, v in server.env().items() if "PORT" in k or "URL" in k)
        print(f"   {name} up in {time.monotonic() - t:.2f}s (pid {server.pid}): {detail}", file=sys.stderr)
    for k, v in env.items():
        print(f"export {k}={shlex.quote(v)}")
    if failed:
        print(f"!! could not start: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def _cmd_stop(base: Path) -> int:
    rc = 0
    for name, d in _iter_started(base):
        try:
            server = SERVER_CLASSES[name].load(d)
            server.stop()
            print(f"   {name} stopped (pid {server.pid})", file=sys.stderr)
        except Exception as exc:
            rc = 1
            print(f"!! stopping {name}: {exc}", file=sys.stderr)
    return rc


def _cmd_status(base: Path) -> int:
    for name, d in _iter_started(base):
        server = SERVER_CLASSES[name].load(d)
        print(f"{name}: pid {server.pid} {'running' if server.is_running() else 'DOWN'} {server.env()}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.servers", description=__doc__.split("\n\n")[0])
    ap.add_argument("action", choices=["start", "stop", "status"])
    ap.add_argument("servers", nargs="*", default=[], help="redis, postgres, dovecot (default: all)")
    ap.add_argument("--dir", required=True, type=Path, help="base directory, one sub-directory per server")
    args = ap.parse_intermixed_args(argv)
    unknown = set(args.servers) - set(SERVER_CLASSES)
    if unknown:
        ap.error(f"unknown server(s): {', '.join(sorted(unknown))}")
    if args.action == "start":
        return _cmd_start(args.dir, args.servers or list(SERVER_CLASSES))
    if args.action == "stop":
        return _cmd_stop(args.dir)
    return _cmd_status(args.dir)


if __name__ == "__main__":
    sys.exit(main())
