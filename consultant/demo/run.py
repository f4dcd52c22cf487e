"""The whole flow on embedded defaults: embedded IMAP ► poller ► worker (eager) ► review ► SMTP sink.

Nothing here is demo-only logic: the poller, the tasks, the review service and the sender are the
production ones; only the servers around them are embedded (pymap for IMAP, an aiosmtpd sink for
the asker's mail server, SQLite for the database, Celery in eager mode for the broker).
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from consultant.db.models import OUT_SENT, Case, Draft, InboundMessage, OutboundMessage, User
from consultant.demo.embedded_imap import EmbeddedIMAP
from consultant.demo.sink import DemoSink
from consultant.settings import Settings, get_settings, reset_settings

MAILS_DIR = Path(__file__).resolve().parent / "mails"
DATA_DIR = Path(__file__).resolve().parent / "data"
CONSULT_USER = "consult"
DEMO_CONSULTANT = "demo@caseconsultant.test"


@dataclass
class DemoEnv:
    workdir: Path
    imap: EmbeddedIMAP
    sink: DemoSink
    imap_password: str
    consultant_password: str
    settings: Settings
    seeded: int = 0
    notes: list[str] = field(default_factory=list)


def demo_mails() -> list[bytes]:
    return [p.read_bytes() for p in sorted(MAILS_DIR.glob("*.eml"))]


def _reset_process_state() -> None:
    from consultant.db.session import reset_engines
    from consultant.services.store_provider import reset_store
    from workers.celery_app import rebuild

    reset_settings()
    reset_engines()
    reset_store()
    rebuild()


@contextmanager
def demo_environment(workdir: Path | None = None) -> Iterator[DemoEnv]:
    """Start the embedded servers and point every CC_* setting at them (restored afterwards)."""
    tmp = tempfile.TemporaryDirectory(prefix="caseconsultant-demo-") if workdir is None else None
    base = Path(tmp.name) if tmp else workdir
    assert base is not None
    base.mkdir(parents=True, exist_ok=True)
    imap_password = secrets.token_urlsafe(12)
    imap = EmbeddedIMAP({CONSULT_USER: imap_password}).start()
    sink = DemoSink().start()
    env = {
        "CC_DATA_DIR": str(base),
        "CC_IMAP_HOST": imap.host,
        "CC_IMAP_PORT": str(imap.port),
        "CC_IMAP_SSL": "false",
        "CC_IMAP_STARTTLS": "false",
        "CC_IMAP_USER": CONSULT_USER,
        "CC_IMAP_PASSWORD": imap_password,
        "CC_IMAP_FOLDER": "INBOX",
        "CC_SMTP_HOST": sink.host,
        "CC_SMTP_PORT": str(sink.port),
        "CC_SMTP_TLS": "none",
        "CC_CONSULT_ADDRESS": "consult@caseconsultant.test",
    }
    cleared = ("CC_DATABASE_URL", "CC_BROKER_URL", "CC_SMTP_USER", "CC_SMTP_PASSWORD")
    saved = {k: os.environ.get(k) for k in (*env, *cleared)}
    os.environ.update(env)
    for k in cleared:
        os.environ.pop(k, None)
    _reset_process_state()
    try:
        yield DemoEnv(base, imap, sink, imap_password, secrets.token_urlsafe(10), get_settings())
    finally:
        sink.stop()
        imap.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        _reset_process_state()
        if tmp:
            tmp.cleanup()


def prepare(env: DemoEnv, code_data_dir: Path | None = None) -> None:
    """Schema, code data (ICD-10-CM from the package; CMS tables from the embedded excerpt or the
    user's CC_CODE_DATA_DIR), the demo consultant, and the seeded inbox."""
    from consultant.codes.releases import ensure_icd10cm, load_dir
    from consultant.db.migrate import upgrade
    from consultant.db.session import get_engine, session_scope
    from consultant.services.users import create_user, set_password

    upgrade(env.settings.effective_database_url)
    engine = get_engine()
    ensure_icd10cm(engine)
    load_dir(engine, code_data_dir or DATA_DIR)
    with session_scope() as session:
        user = session.scalar(select(User).where(User.email == DEMO_CONSULTANT))
        if user is None:
            create_user(session, DEMO_CONSULTANT, env.consultant_password, role="admin")
        else:  # a kept demo directory: the password printed this time must work
            set_password(session, user, env.consultant_password)
    for raw in demo_mails():
        env.imap.append(CONSULT_USER, raw)
        env.seeded += 1


def fetch_once(env: DemoEnv) -> int:
    """One poller pass over the inbox: store, commit, enqueue (eager: drafted at once), move."""
    from consultant.adapters.imap_poller import Poller

    return sum(r.stored for r in Poller(env.settings).run_once())


def approve_all(env: DemoEnv) -> int:
    from consultant.db.session import session_scope
    from consultant.services import review

    approved = 0
    with session_scope() as session:
        user = session.scalar(select(User).where(User.email == DEMO_CONSULTANT))
        actor = review.Actor.of(user)
        case_ids = list(session.scalars(select(Case.id).where(Case.state == "drafted").order_by(Case.id)))
    for case_id in case_ids:
        with session_scope() as session:
            draft = review.current_draft(session, case_id)
            assert draft is not None
            review.approve(session, case_id, actor, base_version=draft.version)
        approved += 1
    return approved


def counts(env: DemoEnv, approved: int) -> dict[str, int]:
    from consultant.db.session import session_scope

    with session_scope() as session:
        ingested = session.scalar(select(func.count(InboundMessage.id))) or 0
        drafted = session.scalar(select(func.count(func.distinct(Draft.case_id)))) or 0
        sent = session.scalar(select(func.count(OutboundMessage.id)).where(OutboundMessage.state == OUT_SENT))
    received = env.sink.wait_for(approved, timeout=15)
    return {
        "ingested": int(ingested),
        "drafted": int(drafted),
        "approved": approved,
        "sent": int(sent or 0),
        "received_by_sink": received,
    }


def run_once(code_data_dir: Path | None = None) -> dict[str, int]:
    with demo_environment() as env:
        prepare(env, code_data_dir)
        fetch_once(env)
        approved = approve_all(env)
        return counts(env, approved)
