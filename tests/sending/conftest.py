"""Fixtures for the sending tests: a migrated database (SQLite and PostgreSQL), CC_* settings, a seeded
case approved into an outbound row, and a dispatcher that records what would be enqueued."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from consultant.adapters.transport import reset_transports
from consultant.db.migrate import upgrade
from consultant.db.models import Case, Draft, InboundMessage, OutboundMessage
from consultant.db.session import make_engine, reset_engines
from consultant.services import review
from consultant.services.dispatch import set_dispatcher
from consultant.settings import Settings, get_settings, reset_settings


class Recorder:
    """A Dispatcher that remembers (id, countdown) of every send it is asked for."""

    def __init__(self) -> None:
        self.inbound: list[int] = []
        self.sends: list[tuple[int, float]] = []

    def process_inbound(self, inbound_id: int) -> None:
        self.inbound.append(inbound_id)

    def send_outbound(self, outbound_id: int, countdown: float = 0.0) -> None:
        self.sends.append((outbound_id, countdown))

    @property
    def outbound(self) -> list[int]:
        return [i for i, _ in self.sends]


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    rec = Recorder()
    set_dispatcher(rec)
    yield rec
    set_dispatcher(None)


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    url = sqlite_url if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    upgrade(url)
    return url


@pytest.fixture
def pg_db_url(postgres_url: str) -> str:
    upgrade(postgres_url)
    return postgres_url


_CLEARED = ("BROKER_URL", "IMAP_HOST", "IMAP_SENT_FOLDER", "SMTP_HOST", "SMTP_USER", "SMTP_PASSWORD",
            "SMTP_CA_FILE", "OAUTH2_TOKEN_COMMAND", "IMAP_USER", "IMAP_PASSWORD", "CONFIG_FILE")  # fmt: skip


@pytest.fixture
def configure(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Settings]]:
    """``configure(database_url=..., smtp_port=...)`` sets CC_* variables and returns fresh settings."""
    for name in _CLEARED:
        monkeypatch.delenv(f"CC_{name}", raising=False)
    monkeypatch.setenv("CC_CONSULT_ADDRESS", "consult@caseconsultant.test")
    monkeypatch.setenv("CC_CONSULT_DISPLAY_NAME", "CaseConsultant Desk")
    monkeypatch.setenv("CC_SMTP_TLS", "none")
    monkeypatch.setenv("CC_SMTP_TIMEOUT_SECONDS", "10")
    monkeypatch.setenv("CC_SEND_BACKOFF_SECONDS", "30")

    def apply(**values: Any) -> Settings:
        for key, value in values.items():
            name = f"CC_{key.upper()}"
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, str(value))
        reset_settings()
        reset_engines()
        reset_transports()
        return get_settings()

    yield apply
    reset_transports()
    reset_settings()
    reset_engines()


def smtp_env(sink: Any, **extra: Any) -> dict[str, Any]:
    return {"smtp_host": "127.0.0.1", "smtp_port": sink.port, "smtp_tls": "none", **extra}


@dataclass
class Db:
    url: str
    engine: Engine
    factory: sessionmaker[Session]
    cases: list[int] = field(default_factory=list)

    def session(self) -> Session:
        return self.factory()

    def outbound(self, outbound_id: int) -> OutboundMessage:
        with self.factory() as s:
            out = s.get(OutboundMessage, outbound_id)
            assert out is not None
            return out

    def case(self, case_id: int) -> Case:
        with self.factory() as s:
            case = s.get(Case, case_id)
            assert case is not None
            return case

    def seed_case(self, *, subject: str = "Re: RE: Can I bill 99214-25 with 20610 same day?",
                  requester: str = "pat.coder@clinic.example", requester_name: str | None = "Pat Coder",
                  reply_to: str | None = None, message_id: str = "q1.2026@clinic.example",
                  references: list[str] | None = None, inbound_state: str = "consult",
                  body: str = "Yes: 99214-25 with 20610 is payable when the E/M is significant and separate.",
                  ) -> int:  # fmt: skip
        with self.factory() as s, s.begin():
            case = Case(subject=subject, requester=requester, requester_name=requester_name,
                        reply_to=reply_to, state="drafted")  # fmt: skip
            s.add(case)
            s.flush()
            raw = f"Message-ID: <{message_id}>\r\nSubject: {subject}\r\n\r\nquestion\r\n".encode()
            s.add(InboundMessage(source="file", dedupe_key=message_id, message_id=message_id,
                                 content_sha256=f"{case.id:064d}", raw=raw, size=len(raw),
                                 state=inbound_state, sender=requester, subject=subject, case_id=case.id,
                                 parsed={"references": list(references or [])}))  # fmt: skip
            s.add(Draft(case_id=case.id, version=1, state="ready", subject=subject, body_text=body))
            case_id = case.id
        self.cases.append(case_id)
        return case_id

    def approve(self, case_id: int) -> int:
        with self.factory() as s, s.begin():
            out = review.approve(s, case_id, review.Actor(None, "reviewer@caseconsultant.test"),
                                 base_version=None)  # fmt: skip
            return out.id

    def queued_reply(self, **kwargs: Any) -> int:
        return self.approve(self.seed_case(**kwargs))


@pytest.fixture
def db(db_url: str, configure: Callable[..., Settings]) -> Iterator[Db]:
    configure(database_url=db_url)
    engine = make_engine(db_url)
    yield Db(db_url, engine, sessionmaker(bind=engine, expire_on_commit=False))
    engine.dispose()


@pytest.fixture
def pg_db(pg_db_url: str, configure: Callable[..., Settings]) -> Iterator[Db]:
    configure(database_url=pg_db_url)
    engine = make_engine(pg_db_url)
    yield Db(pg_db_url, engine, sessionmaker(bind=engine, expire_on_commit=False))
    engine.dispose()


def subprocess_env(settings_env: dict[str, Any]) -> dict[str, str]:
    env = dict(os.environ)  # includes the CC_* variables `configure` set
    env.update({f"CC_{k.upper()}": str(v) for k, v in settings_env.items() if v is not None})
    return env
