"""The real stack for the ingestion benches: Dovecot, Redis, PostgreSQL (own throw-away instances),
a prepared database, Celery worker / poller subprocesses. Used by bench_ingest_latency.py and
bench_backlog.py; stops everything it started."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from consultant.adapters.imap_connection import ImapConfig, connect  # noqa: E402
from consultant.db.models import Draft, InboundMessage  # noqa: E402
from tests.app_db import prepare_database  # noqa: E402
from tests.ingestion.conftest import make_mail  # noqa: E402
from tests.servers import Dovecot, ManagedProcess, Postgres, Redis, make_tmp_base  # noqa: E402

CLI = [sys.executable, "-m", "consultant.cli.main"]
RESULTS = ROOT / "bench" / "RESULTS-ingest.md"


class Stack:
    def __init__(self) -> None:
        self.base = make_tmp_base("cc-bench-")
        self._exit = ExitStack()
        self.procs: list[ManagedProcess] = []

    def __enter__(self) -> Stack:
        t = time.monotonic()
        self.dovecot = Dovecot(self.base / "dovecot").start()
        self._exit.callback(self.dovecot.stop)
        self.redis = Redis(self.base / "redis").start()
        self._exit.callback(self.redis.stop)
        self.pg = Postgres(self.base / "pg").start()
        self._exit.callback(self.pg.stop)
        self.db_url = self.pg.url
        print(f"servers up in {time.monotonic() - t:.1f}s; preparing the database (ICD-10-CM load)...",
              flush=True)  # fmt: skip
        t = time.monotonic()
        prepare_database(self.db_url)
        print(f"database prepared in {time.monotonic() - t:.1f}s", flush=True)
        self.engine = create_engine(self.db_url)
        self.sessions: sessionmaker[Session] = sessionmaker(bind=self.engine)
        return self

    def __exit__(self, *exc: object) -> None:
        for p in reversed(self.procs):
            p.terminate(timeout=10)
        self.engine.dispose()
        self._exit.close()
        keep = Path(tempfile.gettempdir()) / "cc-bench-logs"
        shutil.rmtree(keep, ignore_errors=True)
        keep.mkdir(parents=True)
        for log in self.base.glob("*.log"):
            shutil.copy(log, keep / log.name)
        shutil.copy(self.dovecot.dir / "dovecot.log", keep / "dovecot.log")
        shutil.rmtree(self.base, ignore_errors=True)

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CC_")}
        env.update(
            CC_DATABASE_URL=self.db_url,
            CC_BROKER_URL=f"{self.redis.url}/0",
            CC_IMAP_HOST=self.dovecot.host,
            CC_IMAP_PORT=str(self.dovecot.imap_port),
            CC_IMAP_SSL="false",
            CC_IMAP_USER="alice",
            CC_IMAP_PASSWORD=self.dovecot.users["alice"],
            CC_SWEEP_AFTER_SECONDS="60",
            CC_CONSULT_ADDRESS="consult@caseconsultant.test",
            CC_LOG_LEVEL="WARNING",
        )
        env.update(extra)
        return env

    def start(self, name: str, argv: list[str], ready: str | None = None, **env: str) -> ManagedProcess:
        p = ManagedProcess(argv, self.base / f"{name}.log", env=self.env(**env)).start()
        self.procs.append(p)
        if ready:
            p.wait_for_log(ready, 120)
        return p

    def worker(self, concurrency: int) -> ManagedProcess:
        return self.start("worker", [*CLI, "worker", "--concurrency", str(concurrency), "--loglevel", "INFO"],
                          ready="ready")  # fmt: skip

    def poller(self) -> ManagedProcess:
        return self.start("poller", [*CLI, "poll"], CC_LOG_LEVEL="INFO")

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds used so far: the worker (parent and pool), the poller, PostgreSQL, Redis."""
        by_name = {Path(p.log).stem: p.pid for p in self.procs}
        return {
            "worker": _tree_cpu_seconds(by_name.get("worker")),
            "poller": _tree_cpu_seconds(by_name.get("poller")),
            "postgres": _tree_cpu_seconds(getattr(self.pg, "pid", None)),
            "redis": _tree_cpu_seconds(getattr(self.redis, "pid", None)),
        }

    def imap(self) -> Any:
        return connect(ImapConfig(host=self.dovecot.host, port=self.dovecot.imap_port, user="alice",
                                  password=self.dovecot.users["alice"], ssl=False, timeout=60))  # fmt: skip

    def drafts(self) -> int:
        with self.sessions() as s:
            return int(s.scalar(select(func.count(Draft.id))) or 0)

    def inbound(self) -> int:
        with self.sessions() as s:
            return int(s.scalar(select(func.count(InboundMessage.id))) or 0)

    def draft_for(self, message_id: str) -> bool:
        with self.sessions() as s:
            q = (select(Draft.id).join(InboundMessage, Draft.inbound_id == InboundMessage.id)
                 .where(InboundMessage.message_id == message_id).limit(1))  # fmt: skip
            return s.scalar(q) is not None

    def warm_up(self, n: int = 4) -> None:
        """A few mails through the whole path first (imports, caches, connection pools)."""
        c = self.imap()
        for i in range(n):
            c.append("INBOX", make_mail(900_000 + i))
        c.logout()
        deadline = time.monotonic() + 120
        while self.drafts() < n and time.monotonic() < deadline:
            time.sleep(0.1)


def _tree_cpu_seconds(root: int | None) -> float:
    """CPU seconds (user + system) used so far by process `root` and its live descendants, with
    the reaped children each one waited for (Linux /proc; 0.0 elsewhere)."""
    if root is None:
        return 0.0
    tick = os.sysconf("SC_CLK_TCK")
    parent: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        parent[int(entry.name)] = int(fields[1])
        cpu[int(entry.name)] = sum(int(f) for f in fields[11:15]) / tick  # utime stime cutime cstime
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += cpu.get(pid, 0.0)
        todo.extend(c for c, p in parent.items() if p == pid)
    return total


def machine() -> str:
    load = os.getloadavg()
    return f"{os.cpu_count()} cores, load average {load[0]:.1f} at the start"


def write_results(section: str, lines: list[str]) -> None:
    """Replace this bench's section of bench/RESULTS-ingest.md (each bench owns one section)."""
    header = (
        "# Ingestion benchmarks\n\nWritten by `bench/bench_ingest_latency.py` and `bench/bench_backlog.py`.\n"
    )
    text = RESULTS.read_text() if RESULTS.exists() else header
    marker = f"\n## {section}\n"
    body = marker + "\n".join(lines) + "\n"
    if marker in text:
        start = text.index(marker)
        nxt = text.find("\n## ", start + len(marker))
        text = text[:start] + body + (text[nxt:] if nxt != -1 else "")
    else:
        text = text.rstrip("\n") + "\n" + body
    RESULTS.write_text(text)
