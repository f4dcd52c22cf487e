"""The IMAP poller: take every mail of the watched folders in exactly once, lose none.

One ``FolderPoller`` per folder, each on its own connection (IDLE watches one selected folder).

The cycle, per folder:

1. SELECT; read UIDVALIDITY. The checkpoint row (``mailbox_checkpoint``: UIDVALIDITY, last UID)
   says where we are. A changed UIDVALIDITY resets the checkpoint to UID 0 of the new validity:
   everything in the folder is fetched again and ``store_inbound`` dedupes it by Message-ID /
   content hash, so a resync never duplicates.
2. ``UID SEARCH UID last+1:*``; fetch ``BODY.PEEK[]`` (never sets ``\\Seen``) in batches of
   ``batch_size`` UIDs (and at most ``batch_bytes`` of mail). Per batch, ONE transaction stores the
   raw bytes with mailbox / UIDVALIDITY / UID and advances the checkpoint; commit; then enqueue the
   new rows (a failed enqueue loses nothing: the sweeper re-enqueues rows left ``received``).
3. Mails whose rows reached a final state (``consult``, ``auto_reply``, ..., ``failed``) are MOVEd
   to the processed folder, or to the failed folder when processing failed (or flagged ``\\Seen``
   when the folder setting is None), and the rows are marked ``imap_done``. A mail stays in the
   watched folder until its fate is known: the server always shows truthfully what is still open,
   and a failed mail lands in the failed folder, not in the processed one.
   The same mail seen twice (copied into two folders, delivered twice, refetched after a resync)
   is stored once; the extra server copy is moved at once (next to the original's outcome).
4. IDLE (re-issued every ``imap_idle_seconds``) when the server offers it, else poll every
   ``imap_poll_seconds``. While waiting, rows this poller stored are checked every
   ``check_interval`` seconds, so a processed mail is moved within seconds.
5. Any error (disconnect, timeout, server restart, database down): log, close, reconnect with
   exponential backoff (``backoff_min`` .. ``backoff_max``, with jitter). Nothing is lost: the
   checkpoint only moves forward in the transaction that stored the mails.

Checkpoint semantics: ``last_uid`` is the highest UID of the current UIDVALIDITY whose bytes are
committed in ``inbound_message`` (or that turned out to be a duplicate of a committed row, or
vanished before we could fetch it). It never says anything about processing or moving.
"""

from __future__ import annotations

import logging
import random
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from consultant.adapters.imap_connection import (
    CONNECTION_ERRORS,
    ImapConfig,
    connect,
    logout_quietly,
)
from consultant.db.models import INBOUND_FINAL, InboundMessage, MailboxCheckpoint
from consultant.services.dispatch import Dispatcher, enqueue_inbound_batch, get_dispatcher
from consultant.services.inbox import store_inbound_batch
from consultant.settings import Settings

log = logging.getLogger(__name__)

SEEN = b"\\Seen"
DELETED = b"\\Deleted"
FAILED = "failed"
MOVE_CHUNK = 500  # UIDs per MOVE / STORE command (keeps command lines short)


class ConnectionLost(IMAPClientError):
    """The server said BYE or closed the connection."""


@dataclass
class SyncResult:
    folder: str
    uidvalidity: int = 0
    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    moved: int = 0
    resynced: bool = False
    new_ids: list[int] = field(default_factory=list)

    def add(self, other: SyncResult) -> None:
        self.fetched += other.fetched
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.moved += other.moved
        self.resynced = self.resynced or other.resynced
        self.new_ids.extend(other.new_ids)


def mailbox_key(cfg: ImapConfig, folder: str) -> str:
    """What ``inbound_message.mailbox`` and the checkpoint are keyed on: account and folder."""
    return f"{cfg.user}@{cfg.host}/{folder}"


class FolderPoller:
    """Watches one folder of one account. ``run_once()`` or ``run_forever()`` (until ``stop()``)."""

    def __init__(
        self,
        settings: Settings,
        folder: str,
        *,
        session_factory: sessionmaker[Session] | None = None,
        config: ImapConfig | None = None,
        dispatcher: Dispatcher | None = None,
        connect_fn: Callable[[ImapConfig], IMAPClient] = connect,
        use_idle: bool | None = None,
        idle_seconds: float | None = None,
        poll_seconds: float | None = None,
        check_interval: float = 1.0,
        batch_size: int = 200,
        batch_bytes: int = 32 * 1024 * 1024,
        backoff_min: float = 0.5,
        backoff_max: float = 60.0,
        stop_event: threading.Event | None = None,
    ) -> None:
        from consultant.db.session import session_factory as default_factory

        self.settings = settings
        self.folder = folder
        self.config = config or ImapConfig.from_settings(settings)
        self.key = mailbox_key(self.config, folder)
        self.session_factory = session_factory or default_factory()
        self._dispatcher = dispatcher
        self.connect_fn = connect_fn
        self.use_idle = settings.imap_idle if use_idle is None else use_idle
        self.idle_seconds = float(idle_seconds if idle_seconds is not None else settings.imap_idle_seconds)
        self.poll_seconds = float(poll_seconds if poll_seconds is not None else settings.imap_poll_seconds)
        self.check_interval = check_interval
        self.batch_size = batch_size
        self.batch_bytes = batch_bytes
        self.backoff_min = backoff_min
        self.backoff_max = backoff_max
        self.stop_event = stop_event or threading.Event()
        self.processed_folder = settings.imap_processed_folder or None
        self.failed_folder = settings.imap_failed_folder or None
        # inbound ids stored from this folder whose server copy still waits for its final state
        self._pending: dict[int, tuple[int | None, int | None]] = {}  # id -> (uidvalidity, uid)
        self.connects = 0  # successful connections (tests watch reconnects)
        self.cycles = 0

    # ---- public ------------------------------------------------------------------------------

    @property
    def dispatcher(self) -> Dispatcher:
        return self._dispatcher or get_dispatcher()

    def stop(self) -> None:
        self.stop_event.set()

    def run_once(self) -> SyncResult:
        """Connect, take what is there, move what is finished, log out. Errors propagate."""
        client = self._open()
        try:
            result = self.sync(client)
            result.moved += self.move_finished(client, result.uidvalidity)
            return result
        finally:
            logout_quietly(client)

    def run_forever(self) -> None:
        """IDLE (or poll) until ``stop()``; reconnect with exponential backoff after any error."""
        delay = self.backoff_min
        while not self.stop_event.is_set():
            client: IMAPClient | None = None
            healthy = False
            try:
                client = self._open()
                self._cycle(client)
                healthy = True
                delay = self.backoff_min
                self._serve(client)
            except CONNECTION_ERRORS as exc:
                log.warning("IMAP %s: connection problem (%s: %s); reconnecting",
                            self.folder, type(exc).__name__, exc)  # fmt: skip
            except SQLAlchemyError as exc:
                log.warning("IMAP %s: database problem (%s); retrying", self.folder, type(exc).__name__)
            except Exception:
                log.exception("IMAP %s: unexpected error; reconnecting", self.folder)
            finally:
                logout_quietly(client)
            if self.stop_event.is_set():
                break
            if healthy:
                delay = self.backoff_min
            wait = delay * random.uniform(0.8, 1.2)
            log.info("IMAP %s: reconnecting in %.1fs", self.folder, wait)
            self.stop_event.wait(wait)
            delay = min(delay * 2, self.backoff_max)

    # ---- connection -----------------------------------------------------------------------------

    def _open(self) -> IMAPClient:
        client = self.connect_fn(self.config)
        try:
            self.ensure_folders(client)
            self.connects += 1
            self._load_pending()
        except BaseException:
            logout_quietly(client)
            raise
        log.info("IMAP %s: connected to %s", self.folder, self.config.label)
        return client

    def ensure_folders(self, client: IMAPClient) -> None:
        """Create the processed / failed folders when missing (racing pollers are fine)."""
        for name in {f for f in (self.processed_folder, self.failed_folder) if f}:
            if client.folder_exists(name):
                continue
            try:
                client.create_folder(name)
                log.info("IMAP: created folder %s", name)
            except IMAPClientError:
                if not client.folder_exists(name):
                    raise
            try:
                client.subscribe_folder(name)
            except IMAPClientError:
                pass

    def _serve(self, client: IMAPClient) -> None:
        idle = self.use_idle and client.has_capability("IDLE")
        how = "IDLE" if idle else f"polling every {self.poll_seconds}s"
        log.info("IMAP %s: waiting by %s", self.folder, how)
        while not self.stop_event.is_set():
            if idle:
                self._idle(client)
            else:
                self._poll_wait()
                client.noop()
            self._cycle(client)

    def _cycle(self, client: IMAPClient) -> SyncResult:
        result = self.sync(client)
        result.moved += self.move_finished(client, result.uidvalidity)
        self.cycles += 1
        if result.fetched or result.moved:
            log.info("IMAP %s: fetched %d, stored %d, duplicates %d, moved %d", self.folder,
                     result.fetched, result.stored, result.duplicates, result.moved)  # fmt: skip
        return result

    def _idle(self, client: IMAPClient) -> None:
        """Wait in IDLE until new mail, a finished row to move, the re-IDLE time, or stop()."""
        client.idle()
        started = time.monotonic()
        try:
            if _has_buffered_input(client):
                # mail arrived between our SEARCH and IDLE: its EXISTS came in the same packet as
                # "+ idling" and sits in imaplib's read buffer, where idle_check()'s poll() cannot
                # see it. Leave IDLE at once; DONE reads it and the next cycle fetches the mail.
                return
            while not self.stop_event.is_set():
                remaining = self.idle_seconds - (time.monotonic() - started)
                if remaining <= 0:
                    return  # re-IDLE before the server's timeout
                wait = min(self.check_interval, remaining)
                t0 = time.monotonic()
                responses = client.idle_check(timeout=wait)
                if any(_is_bye(r) for r in responses):
                    raise ConnectionLost("server said BYE")
                if any(_is_exists(r) for r in responses):
                    return
                if not responses and time.monotonic() - t0 < wait * 0.5:
                    return  # woke up with nothing: possibly EOF; DONE will tell
                if self._finished_pending_ids():
                    return
        finally:
            client.idle_done()

    def _poll_wait(self) -> None:
        deadline = time.monotonic() + self.poll_seconds
        while not self.stop_event.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            if self.stop_event.wait(min(self.check_interval, remaining)):
                return
            if self._finished_pending_ids():
                return

    # ---- fetching -----------------------------------------------------------------------------------

    def sync(self, client: IMAPClient) -> SyncResult:
        """Fetch and store every mail above the checkpoint, batch by batch."""
        info = client.select_folder(self.folder)
        uidvalidity = int(info[b"UIDVALIDITY"])
        result = SyncResult(self.folder, uidvalidity)
        last_uid, result.resynced = self._checkpoint(uidvalidity)
        uids = sorted(u for u in client.search(["UID", f"{last_uid + 1}:*"]) if u > last_uid)
        for start in range(0, len(uids), self.batch_size):
            if self.stop_event.is_set() and start:
                break
            chunk = uids[start : start + self.batch_size]
            for batch in self._split_by_size(client, chunk):
                result.add(self._fetch_and_store(client, uidvalidity, batch))
        return result

    def _split_by_size(self, client: IMAPClient, uids: list[int]) -> Iterable[list[int]]:
        if len(uids) <= 1:
            yield uids
            return
        sizes = client.fetch(uids, ["RFC822.SIZE"])
        batch: list[int] = []
        total = 0
        for uid in uids:
            size = int(sizes.get(uid, {}).get(b"RFC822.SIZE", 0))
            if batch and total + size > self.batch_bytes:
                yield batch
                batch, total = [], 0
            batch.append(uid)
            total += size
        if batch:
            yield batch

    def _fetch_and_store(self, client: IMAPClient, uidvalidity: int, uids: list[int]) -> SyncResult:
        result = SyncResult(self.folder, uidvalidity)
        data = client.fetch(uids, ["BODY.PEEK[]"])
        raws: dict[int, bytes] = {}
        for uid, item in data.items():
            raw = item.get(b"BODY[]")
            if isinstance(raw, bytes | bytearray) and int(uid) in uids:
                raws[int(uid)] = bytes(raw)
        result.fetched = len(raws)
        duplicates: list[tuple[int, int]] = []  # (uid, existing inbound id)
        with self.session_factory() as session:
            checkpoint = session.scalar(
                select(MailboxCheckpoint).where(MailboxCheckpoint.mailbox == self.key).with_for_update()
            )
            if checkpoint is None or checkpoint.uidvalidity != uidvalidity:
                raise ConnectionLost("checkpoint changed under us (another poller?); starting over")
            ordered = sorted(raws)
            batch = [(raws[uid], uid) for uid in ordered]
            results = store_inbound_batch(session, batch, source="imap", mailbox=self.key,
                                          uidvalidity=uidvalidity)  # fmt: skip
            for uid, stored in zip(ordered, results, strict=True):
                if stored.created:
                    result.new_ids.append(stored.inbound_id)
                    self._pending[stored.inbound_id] = (uidvalidity, uid)
                else:
                    duplicates.append((uid, stored.inbound_id))
            # UIDs that vanished between SEARCH and FETCH (expunged elsewhere) are passed over too
            checkpoint.last_uid = max(checkpoint.last_uid, max(uids))
            dup_states = self._duplicate_dispositions(session, uidvalidity, duplicates)
            session.commit()
        result.stored = len(result.new_ids)
        result.duplicates = len(duplicates)
        self._enqueue(result.new_ids)
        if dup_states:
            log.info("IMAP %s: %d duplicate(s) of stored mail", self.folder, len(dup_states))
            failed = [uid for uid, is_failed in dup_states if is_failed]
            done = [uid for uid, is_failed in dup_states if not is_failed]
            self._dispose(client, done, failed=False)
            self._dispose(client, failed, failed=True)
            result.moved += len(dup_states)
        return result

    def _duplicate_dispositions(
        self, session: Session, uidvalidity: int, duplicates: list[tuple[int, int]]
    ) -> list[tuple[int, bool]]:
        """For each duplicate server copy: (uid, original failed?). Copies that ARE the original
        row's own server copy (same mailbox/UIDVALIDITY/UID) stay pending instead."""
        if not duplicates:
            return []
        ids = [i for _, i in duplicates]
        rows = {
            r.id: r
            for r in session.execute(
                select(InboundMessage.id, InboundMessage.mailbox, InboundMessage.uidvalidity,
                       InboundMessage.uid, InboundMessage.state, InboundMessage.imap_done)
                .where(InboundMessage.id.in_(ids))
            )
        }  # fmt: skip
        out: list[tuple[int, bool]] = []
        for uid, inbound_id in duplicates:
            row = rows.get(inbound_id)
            here = (self.key, uidvalidity, uid)
            if row is not None and (row.mailbox, row.uidvalidity, row.uid) == here and not row.imap_done:
                self._pending[inbound_id] = (uidvalidity, uid)
                continue
            out.append((uid, row is not None and row.state == FAILED))
        return out

    def _checkpoint(self, uidvalidity: int) -> tuple[int, bool]:
        """(last UID, resynced?) for this folder at ``uidvalidity``, creating or resetting the row."""
        for _attempt in range(3):
            with self.session_factory() as session:
                cp = session.scalar(
                    select(MailboxCheckpoint).where(MailboxCheckpoint.mailbox == self.key).with_for_update()
                )
                if cp is not None and cp.uidvalidity == uidvalidity:
                    return int(cp.last_uid), False
                resynced = cp is not None
                if cp is None:
                    session.add(MailboxCheckpoint(mailbox=self.key, uidvalidity=uidvalidity, last_uid=0))
                else:
                    log.warning("IMAP %s: UIDVALIDITY changed %s -> %s: resync (deduped)",
                                self.folder, cp.uidvalidity, uidvalidity)  # fmt: skip
                    cp.uidvalidity = uidvalidity
                    cp.last_uid = 0
                try:
                    session.commit()
                except IntegrityError:  # another poller created it at the same moment
                    session.rollback()
                    continue
                return 0, resynced
        raise ConnectionLost("could not create the checkpoint row")

    def _enqueue(self, ids: Sequence[int]) -> None:
        """Enqueue after commit, one message per chunk of the batch. A broker outage costs nothing:
        the sweeper re-enqueues."""
        if not ids:
            return
        try:
            enqueue_inbound_batch(self.dispatcher, ids)
        except Exception as exc:
            log.warning("IMAP %s: enqueue of %d rows failed (%s); the sweeper will retry",
                        self.folder, len(ids), type(exc).__name__)  # fmt: skip

    # ---- moving finished mail --------------------------------------------------------------------

    def _load_pending(self) -> None:
        """After (re)connecting: every row of this folder whose server copy was not moved yet."""
        with self.session_factory() as session:
            rows = session.execute(
                select(InboundMessage.id, InboundMessage.uidvalidity, InboundMessage.uid).where(
                    InboundMessage.mailbox == self.key, InboundMessage.imap_done.is_(False)
                )
            ).all()
        self._pending = {r.id: (r.uidvalidity, r.uid) for r in rows}

    def _finished_pending_ids(self) -> list[tuple[int, int | None, int | None, str]]:
        """(id, uidvalidity, uid, state) of pending rows that reached a final state."""
        if not self._pending:
            return []
        ids = list(self._pending)
        out: list[tuple[int, int | None, int | None, str]] = []
        with self.session_factory() as session:
            for start in range(0, len(ids), 1000):
                chunk = ids[start : start + 1000]
                out.extend(
                    (r.id, r.uidvalidity, r.uid, r.state)
                    for r in session.execute(
                        select(InboundMessage.id, InboundMessage.uidvalidity, InboundMessage.uid,
                               InboundMessage.state)
                        .where(InboundMessage.id.in_(chunk), InboundMessage.state.in_(INBOUND_FINAL))
                    )
                )  # fmt: skip
        return out

    def move_finished(self, client: IMAPClient, uidvalidity: int | None = None) -> int:
        """Move (or flag) the server copies of rows whose processing is final; mark them done."""
        finished = self._finished_pending_ids()
        if not finished:
            return 0
        if uidvalidity is None:
            info = client.select_folder(self.folder)
            uidvalidity = int(info[b"UIDVALIDITY"])
        ok = [(i, uid, state) for i, uv, uid, state in finished if uv == uidvalidity and uid is not None]
        # rows of an older UIDVALIDITY: their UIDs mean nothing now; a resync refetched any copy
        # still in the folder as a duplicate and moved it
        failed = [uid for _, uid, state in ok if state == FAILED and uid is not None]
        done = [uid for _, uid, state in ok if state != FAILED and uid is not None]
        self._dispose(client, done, failed=False)
        self._dispose(client, failed, failed=True)
        ids = [f[0] for f in finished]
        with self.session_factory() as session:
            for start in range(0, len(ids), 1000):
                session.execute(
                    update(InboundMessage)
                    .where(InboundMessage.id.in_(ids[start : start + 1000]))
                    .values(imap_done=True)
                )
            session.commit()
        for i in ids:
            self._pending.pop(i, None)
        return len(ok)

    def _dispose(self, client: IMAPClient, uids: list[int], *, failed: bool) -> None:
        """MOVE to the processed (failed) folder; without a folder setting, flag \\Seen instead."""
        if not uids:
            return
        target = self.failed_folder if failed else self.processed_folder
        if target == self.folder:  # watching the processed folder itself: never move in circles
            target = None
        for start in range(0, len(uids), MOVE_CHUNK):
            chunk = sorted(uids[start : start + MOVE_CHUNK])
            if target is None:
                client.add_flags(chunk, [SEEN])
            elif client.has_capability("MOVE"):
                client.move(chunk, target)
            else:  # RFC 3501 fallback: COPY, \Deleted, expunge
                client.copy(chunk, target)
                client.add_flags(chunk, [DELETED])
                if client.has_capability("UIDPLUS"):
                    client.uid_expunge(chunk)
                else:
                    client.expunge()


def _has_buffered_input(client: IMAPClient) -> bool:
    """True when imaplib has already read server data into its buffer (not visible to poll())."""
    try:
        sock = client.socket()
        reader = client._imap.file
    except Exception:
        return False
    timeout = sock.gettimeout()
    try:
        sock.setblocking(False)
        return bool(reader.peek(1))  # buffered bytes, else one non-blocking read
    except (BlockingIOError, ssl.SSLWantReadError):
        return False
    except OSError:
        return True  # a broken connection: let DONE find out
    finally:
        try:
            sock.settimeout(timeout)
        except OSError:
            pass


def _is_exists(response: Any) -> bool:
    return isinstance(response, tuple) and len(response) >= 2 and response[1] == b"EXISTS"


def _is_bye(response: Any) -> bool:
    return isinstance(response, tuple) and len(response) >= 1 and response[0] == b"BYE"


# ---- several folders ------------------------------------------------------------------------------------


class Poller:
    """All configured folders, one thread and one connection each."""

    def __init__(self, settings: Settings, folders: Sequence[str] | None = None, **kwargs: Any) -> None:
        self.stop_event: threading.Event = kwargs.pop("stop_event", None) or threading.Event()
        self.folders = list(folders or settings.effective_imap_folders)
        self.pollers = [FolderPoller(settings, f, stop_event=self.stop_event, **kwargs) for f in self.folders]
        self._threads: list[threading.Thread] = []

    def run_once(self) -> list[SyncResult]:
        return [p.run_once() for p in self.pollers]

    def start(self) -> Poller:
        for p in self.pollers:
            t = threading.Thread(target=p.run_forever, name=f"imap-{p.folder}", daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self.stop_event.set()
        for t in self._threads:
            t.join(timeout)

    def run_forever(self) -> None:
        self.start()
        try:
            while not self.stop_event.wait(1.0):
                pass
        finally:
            self.stop()
