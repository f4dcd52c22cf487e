"""Taking mail in: store the raw bytes first, commit, then enqueue (never the other way round)."""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from consultant.db.models import RECEIVED, InboundMessage
from consultant.services.dispatch import enqueue_inbound_after_commit

_HEADER_PARSER = email.parser.BytesHeaderParser(policy=email.policy.compat32)


@dataclass(frozen=True)
class Stored:
    inbound_id: int
    created: bool  # False: the same mail was already stored (duplicate delivery)


def header_message_id(raw: bytes) -> str | None:
    """The Message-ID without brackets, read cheaply from the header block; None if absent."""
    try:
        value = _HEADER_PARSER.parsebytes(raw[:65536]).get("Message-ID")
    except Exception:
        return None
    if not value:
        return None
    mid = str(value).strip().strip("<>").strip()
    return mid[:990] or None


def dedupe_key_for(raw: bytes) -> tuple[str, str | None, str]:
    digest = hashlib.sha256(raw).hexdigest()
    mid = header_message_id(raw)
    return (f"mid:{mid}" if mid else f"sha256:{digest}"), mid, digest


def store_inbound(
    session: Session,
    raw: bytes,
    *,
    source: str,
    mailbox: str | None = None,
    uidvalidity: int | None = None,
    uid: int | None = None,
    enqueue: bool = True,
) -> Stored:
    """Insert the mail unless the same one is already stored; enqueue processing after commit.

    Duplicates are recognized by (mailbox, UIDVALIDITY, UID) and by Message-ID (or the content
    hash when there is none): the same mail copied into two folders, delivered twice, or seen
    again after a UIDVALIDITY change becomes one row. The caller commits.
    """
    key, mid, digest = dedupe_key_for(raw)
    existing = session.scalar(select(InboundMessage.id).where(InboundMessage.dedupe_key == key))
    if existing is None and mailbox is not None and uid is not None:
        existing = session.scalar(
            select(InboundMessage.id).where(
                InboundMessage.mailbox == mailbox,
                InboundMessage.uidvalidity == uidvalidity,
                InboundMessage.uid == uid,
            )
        )
    if existing is not None:
        return Stored(existing, False)
    row = InboundMessage(
        source=source,
        mailbox=mailbox,
        uidvalidity=uidvalidity,
        uid=uid,
        dedupe_key=key,
        message_id=mid,
        content_sha256=digest,
        raw=raw,
        size=len(raw),
        state=RECEIVED,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # a concurrent poller stored it first
        found = session.scalar(select(InboundMessage.id).where(InboundMessage.dedupe_key == key))
        if found is None:
            raise
        return Stored(found, False)
    if enqueue:
        enqueue_inbound_after_commit(session, row.id)
    return Stored(row.id, True)
