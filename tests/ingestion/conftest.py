"""Helpers for the ingestion tests: a PostgreSQL database with the tables, settings for the test Dovecot."""

from __future__ import annotations

import email.utils
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from consultant.db.base import Base
from consultant.db.models import InboundMessage
from consultant.settings import Settings


@pytest.fixture
def pg_engine(postgres_url: str) -> Iterator[Engine]:
    """A fresh PostgreSQL database with every table."""
    import consultant.db.models  # noqa: F401  (registers the tables)

    engine = create_engine(postgres_url, pool_pre_ping=True)
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(pg_engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=pg_engine, expire_on_commit=False)


def imap_settings(dovecot: Any, user: str = "alice", *, tls: str = "plain", **over: Any) -> Settings:
    """Settings pointing the poller at the test Dovecot: plain, starttls or imaps."""
    kw: dict[str, Any] = dict(
        imap_host="localhost" if tls != "plain" else "127.0.0.1",
        imap_port=dovecot.imaps_port if tls == "imaps" else dovecot.imap_port,
        imap_user=user,
        imap_password=dovecot.users[user],
        imap_ssl=tls == "imaps",
        imap_starttls=tls == "starttls",
        imap_ca_file=dovecot.ca_file,
        imap_timeout_seconds=10.0,
        imap_processed_folder="Processed",
        imap_failed_folder="Failed",
    )
    kw.update(over)
    return Settings(**kw)


def make_mail(n: int = 0, *, sender: str | None = None, subject: str | None = None,
              message_id: str | None = None, body: str | None = None) -> bytes:  # fmt: skip
    m = EmailMessage()
    m["From"] = sender or f"Coder {n} <coder{n}@clinic{n % 97}.example>"
    m["To"] = "consult@caseconsultant.test"
    m["Subject"] = subject or f"Question {n}: can I bill 99214-25 with 20610?"
    m["Date"] = email.utils.formatdate(localtime=False)
    m["Message-ID"] = message_id or f"<{uuid.uuid4().hex}.{n}@clinic.example>"
    m.set_content(
        body or f"Hello,\n\nCan I bill 99214-25 with 20610 on the same day? Dx M17.11 (#{n})\n\nThanks\n"
    )
    return m.as_bytes()


def count_rows(sessions: sessionmaker[Session], **where: Any) -> int:
    with sessions() as s:
        q = select(func.count(InboundMessage.id))
        for k, v in where.items():
            q = q.where(getattr(InboundMessage, k) == v)
        return int(s.scalar(q) or 0)
