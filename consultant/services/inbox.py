"""Taking mail in: store the raw bytes first, commit, then enqueue (never the other way round)."""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
from collections.abc import Sequence
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


def store_inbound_batch(
    session: Session,
    mails: Sequence[tuple[bytes, int | None]],
    *,
    source: str,
    mailbox: str | None = None,
    uidvalidity: int | None = None,
) -> list[Stored]:
    """`store_inbound` for many mails at once (the IMAP poller's batches): two lookups and one
    multi-row INSERT instead of a few round trips per mail. Enqueues nothing; the caller commits,
    then enqueues the created ids as batch messages (`dispatch.enqueue_inbound_batch`: one Celery
    message per chunk of ids, not one per mail). Each new row's `enqueued_at` is its insert time,
    so the sweeper leaves it alone while it waits in the queue. Same dedupe rules; one Stored per
    input, in order."""
    keyed = [(raw, uid, *dedupe_key_for(raw)) for raw, uid in mails]
    keys = sorted({k for _, _, k, _, _ in keyed})
    by_key: dict[str, int] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        by_key.update(
            session.execute(
                select(InboundMessage.dedupe_key, InboundMessage.id).where(
                    InboundMessage.dedupe_key.in_(chunk)
                )
            ).all()
        )
    by_uid: dict[int | None, int] = {}
    uids = [uid for _, uid, _, _, _ in keyed if uid is not None]
    if mailbox is not None and uids:
        by_uid.update(
            session.execute(
                select(InboundMessage.uid, InboundMessage.id).where(
                    InboundMessage.mailbox == mailbox,
                    InboundMessage.uidvalidity == uidvalidity,
                    InboundMessage.uid.in_(uids),
                )
            ).all()
        )
    slots: list[int | InboundMessage] = []  # an existing id, or the new row
    new_by_key: dict[str, InboundMessage] = {}
    for raw, uid, key, mid, digest in keyed:
        found = by_key.get(key) or (by_uid.get(uid) if uid is not None else None)
        if found is not None:
            slots.append(found)
        elif key in new_by_key:  # the same mail twice in one batch
            slots.append(new_by_key[key])
        else:
            row = InboundMessage(source=source, mailbox=mailbox, uidvalidity=uidvalidity, uid=uid,
                                 dedupe_key=key, message_id=mid, content_sha256=digest, raw=raw,
                                 size=len(raw), state=RECEIVED)  # fmt: skip
            new_by_key[key] = row
            slots.append(row)
    try:
        with session.begin_nested():
            session.add_all(new_by_key.values())
            session.flush()
    except IntegrityError:  # a concurrent writer took some of them: one by one, each deduped
        return [
            store_inbound(
                session, raw, source=source, mailbox=mailbox, uidvalidity=uidvalidity, uid=uid, enqueue=False
            )
            for raw, uid in mails
        ]
    out: list[Stored] = []
    first_use: set[int] = set()
    for slot in slots:
        if isinstance(slot, InboundMessage):
            created = id(slot) not in first_use
            first_use.add(id(slot))
            out.append(Stored(slot.id, created))
        else:
            out.append(Stored(slot, False))
    return out
