"""Core tables: inbound mail, cases, drafts, outbound mail, users, audit log, IMAP checkpoints.

Every arrow in the flow that crosses a process is one of these rows first and a Celery message
second; the states are plain strings, listed here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consultant.db.base import Base

# inbound_message.state
RECEIVED = "received"
PARSED = "parsed"
INBOUND_FINAL = ("consult", "follow_up", "auto_reply", "bounce", "list", "loop", "rejected", "failed")
# case.state
CASE_OPEN = "open"  # waiting for a draft
CASE_DRAFTED = "drafted"  # draft ready for review
CASE_APPROVED = "approved"  # reply queued
CASE_ANSWERED = "answered"  # reply sent
CASE_CLOSED = "closed"  # rejected / closed without reply
CASE_STATES = (CASE_OPEN, CASE_DRAFTED, CASE_APPROVED, CASE_ANSWERED, CASE_CLOSED)
# draft.state
DRAFT_READY = "ready"
DRAFT_APPROVED = "approved"
DRAFT_REJECTED = "rejected"
DRAFT_SUPERSEDED = "superseded"
# outbound_message.state
OUT_QUEUED = "queued"
OUT_SENDING = "sending"
OUT_SENT = "sent"
OUT_RETRYING = "retrying"
OUT_DEAD = "dead"
OUTBOUND_STATES = (OUT_QUEUED, OUT_SENDING, OUT_SENT, OUT_RETRYING, OUT_DEAD)

BigIntPk = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrement needs INTEGER


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UtcDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on both SQLite (which stores them naive) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class MailboxCheckpoint(Base):
    """Per-mailbox IMAP checkpoint: (UIDVALIDITY, last UID)."""

    __tablename__ = "mailbox_checkpoint"
    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(500), unique=True)
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class InboundMessage(Base):
    """A mail as it arrived: raw bytes kept forever, whatever happens to it later."""

    __tablename__ = "inbound_message"
    __table_args__ = (UniqueConstraint("mailbox", "uidvalidity", "uid"),)
    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    source: Mapped[str] = mapped_column(String(20))  # imap | smtp | lmtp | file
    mailbox: Mapped[str | None] = mapped_column(String(500))
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    uid: Mapped[int | None] = mapped_column(BigInteger)
    # Message-ID when present, else "sha256:<content hash>": one mail, one row
    dedupe_key: Mapped[str] = mapped_column(String(1000), unique=True)
    message_id: Mapped[str | None] = mapped_column(String(1000), index=True)
    content_sha256: Mapped[str] = mapped_column(String(64), index=True)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), default=RECEIVED, index=True)
    reason: Mapped[str | None] = mapped_column(Text)  # classification reason or error
    failed_stage: Mapped[str | None] = mapped_column(String(40))
    sender: Mapped[str | None] = mapped_column(String(320), index=True)
    subject: Mapped[str | None] = mapped_column(Text)
    parsed: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # ParsedMail as JSON, for the UI
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)
    processed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    # when processing was last enqueued (set on insert, since every stored row is enqueued after its
    # commit, and by the sweeper): a row waiting in a long queue is not re-enqueued as if lost
    enqueued_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime(), default=utcnow)
    imap_done: Mapped[bool] = mapped_column(Boolean, default=False)  # moved/flagged on the server

    case: Mapped[Case | None] = relationship(back_populates="messages", foreign_keys=[case_id])


class Case(Base):
    """One per thread."""

    __tablename__ = "case"
    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    subject: Mapped[str] = mapped_column(Text, default="")
    requester: Mapped[str] = mapped_column(String(320), index=True)
    requester_name: Mapped[str | None] = mapped_column(String(320))
    reply_to: Mapped[str | None] = mapped_column(String(320))
    state: Mapped[str] = mapped_column(String(20), default=CASE_OPEN, index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    max_severity: Mapped[str | None] = mapped_column(String(10))  # error | warning | info | None
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)

    messages: Mapped[list[InboundMessage]] = relationship(
        back_populates="case", foreign_keys=[InboundMessage.case_id], order_by=InboundMessage.id
    )
    drafts: Mapped[list[Draft]] = relationship(back_populates="case", order_by="Draft.version")


class ThreadMessageId(Base):
    """Message-IDs known to belong to a case (questions and our replies), for threading."""

    __tablename__ = "thread_message_id"
    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(1000), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)


class Draft(Base):
    """A draft reply; every edit is a new version row. The newest version is the current one."""

    __tablename__ = "draft"
    __table_args__ = (UniqueConstraint("case_id", "version"),)
    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    inbound_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_message.id"))
    version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), default=DRAFT_READY, index=True)
    subject: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    analysis: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # codes, infos, findings
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))  # None: drafted by us
    reject_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)

    case: Mapped[Case] = relationship(back_populates="drafts")


class OutboundMessage(Base):
    """An approved reply on its way out. Message-ID is fixed when queued."""

    __tablename__ = "outbound_message"
    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("draft.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="reply")  # reply | notice
    state: Mapped[str] = mapped_column(String(20), default=OUT_QUEUED, index=True)
    message_id: Mapped[str] = mapped_column(String(1000), unique=True)
    to_addr: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    in_reply_to: Mapped[str | None] = mapped_column(String(1000))
    references: Mapped[str | None] = mapped_column(Text)  # space-separated <ids>
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())


class User(Base):
    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(500))
    role: Mapped[str] = mapped_column(String(20), default="consultant")  # consultant | admin
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    api_token_hash: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)


class AuditLog(Base):
    """Who did what when: approve, reject, edit, assign, reopen, login, retry, unshunt."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(320))  # user email or "system"
    action: Mapped[str] = mapped_column(String(40), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class SenderNotice(Base):
    """At most one refusal notice per sender per day."""

    __tablename__ = "sender_notice"
    __table_args__ = (UniqueConstraint("sender", "day"),)
    id: Mapped[int] = mapped_column(BigIntPk, primary_key=True)
    sender: Mapped[str] = mapped_column(String(320))
    day: Mapped[dt.date] = mapped_column(Date)
