"""`caseconsultant ingest | unshunt | poll | smtpd`: taking mail in."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from typing import Any

import typer

from consultant.cli.output import fail, print_json
from consultant.settings import get_settings

log = logging.getLogger(__name__)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""
    app.command("ingest")(ingest)
    app.command("unshunt")(unshunt)
    app.command("poll")(poll)
    app.command("smtpd")(smtpd)


def _setup_logging() -> None:
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(
            level=get_settings().log_level.upper(),
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )


def _stop_on_signals(stop: threading.Event) -> None:
    def handler(signum: int, _frame: Any) -> None:
        log.info("signal %s: stopping", signum)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


# ---- ingest -------------------------------------------------------------------------------------------


def ingest(
    files: list[Path] = typer.Argument(..., help="Mail files (.eml, raw RFC 5322 bytes)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Parse and classify only; store nothing."),
    as_json: bool = typer.Option(False, "--json", help="One JSON line per file."),
) -> None:
    """Inject mail files by hand (stored and processed like mail from IMAP), or --dry-run them."""
    if dry_run:
        _dry_run(files, as_json)
        return
    errors = 0
    for path in files:
        line = _ingest_one(path)
        errors += "error" in line
        if as_json:
            print_json(line)
        elif "error" in line:
            typer.echo(f"{path}: error: {line['error']}", err=True)
        else:
            dup = "" if line["created"] else " (already stored)"
            typer.echo(f"{path}: inbound #{line['inbound_id']} {line['state']}{dup}")
    if errors:
        raise typer.Exit(1)


def _read(path: Path) -> bytes | str:
    try:
        return path.read_bytes()
    except OSError as exc:
        return f"cannot read: {exc.strerror or type(exc).__name__}"


def _ingest_one(path: Path) -> dict[str, Any]:
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from consultant.db.models import InboundMessage
    from consultant.db.session import session_scope
    from consultant.services.inbox import store_inbound

    raw = _read(path)
    if isinstance(raw, str):
        return {"file": str(path), "error": raw}
    try:
        with session_scope() as session:
            stored = store_inbound(session, raw, source="file")
        # committed; in the embedded default (no broker) processing has run by now
        with session_scope() as session:
            state = session.scalar(select(InboundMessage.state).where(InboundMessage.id == stored.inbound_id))
    except SQLAlchemyError as exc:
        return {
            "file": str(path),
            "error": f"database: {type(exc).__name__} (did you run `caseconsultant init`?)",
        }
    except Exception as exc:  # stored and committed before processing ran: the sweeper retries
        log.warning("ingest: processing after the store failed: %s", type(exc).__name__)
        return {"file": str(path), "error": f"{type(exc).__name__}: {str(exc)[:200]}"}
    return {"file": str(path), "inbound_id": stored.inbound_id, "created": stored.created, "state": state}


def _dry_run(files: list[Path], as_json: bool) -> None:
    from consultant.mail.dry_run import dry_run

    settings = get_settings()
    store = _store_or_none()
    for path in files:
        raw = _read(path)
        if isinstance(raw, str):
            out: dict[str, Any] = {"file": str(path), "classification": "failed", "reason": raw,
                                   "case_token": None, "question": "", "codes": []}  # fmt: skip
        else:
            out = dry_run(
                raw,
                str(path),
                own_addresses={settings.consult_address.lower()},
                allowed_senders=settings.allowed_senders,
                max_bytes=settings.max_message_bytes,
                store=store,
            )
        if as_json:
            print_json(out)
        else:
            codes = ", ".join(str(c.get("code", c)) if isinstance(c, dict) else str(c) for c in out["codes"])
            tail = f" codes: {codes}" if codes else ""
            typer.echo(f"{out['file']}: {out['classification']} ({out['reason']}){tail}")


def _store_or_none() -> Any:
    """The code store when the database has one; a dry run works without (codes: [])."""
    try:
        from consultant.services.store_provider import get_store

        return get_store()
    except Exception as exc:
        log.debug("dry run without a code store: %s", type(exc).__name__)
        return None


# ---- unshunt ------------------------------------------------------------------------------------------


def unshunt(
    ids: list[int] = typer.Argument(None, help="Inbound message ids (see `caseconsultant queue`)."),
    all_failed: bool = typer.Option(False, "--all", help="Every failed inbound message."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Reprocess failed mails: back to `received`, enqueued again (raw bytes were kept)."""
    from consultant.db.session import session_scope
    from consultant.services.unshunt import NotUnshuntable, failed_ids
    from consultant.services.unshunt import unshunt as unshunt_one

    if not ids and not all_failed:
        fail("give inbound ids or --all")
    done: list[int] = []
    skipped: list[dict[str, Any]] = []
    with session_scope() as session:
        for i in failed_ids(session) if all_failed else list(ids or []):
            try:
                unshunt_one(session, i, actor="cli")
                done.append(i)
            except NotUnshuntable as exc:
                reason = "not found" if exc.state is None else "not failed"
                skipped.append({"id": i, "state": exc.state, "reason": reason})
    if as_json:
        print_json({"unshunted": done, "skipped": skipped})
    else:
        typer.echo(f"unshunted {len(done)}: {', '.join(map(str, done)) or '-'}")
        for s in skipped:
            typer.echo(f"skipped {s['id']}: {s['reason']}", err=True)
    if skipped and not done:
        raise typer.Exit(1)


# ---- poll / smtpd --------------------------------------------------------------------------------------


def poll(
    once: bool = typer.Option(False, "--once", help="Take what is there, move what is finished, exit."),
    folder: list[str] = typer.Option(None, "--folder", help="Folder(s) to watch (default CC_IMAP_FOLDERS)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (with --once)."),
) -> None:
    """Run the IMAP poller: IDLE (or poll) on each folder, store, enqueue, move when processed."""
    from consultant.adapters.imap_connection import CONNECTION_ERRORS, ImapConfigError
    from consultant.adapters.imap_poller import Poller

    _setup_logging()
    settings = get_settings()
    try:
        poller = Poller(settings, folder or None)
    except ImapConfigError as exc:
        fail(str(exc))
    if once:
        try:
            results = poller.run_once()
        except CONNECTION_ERRORS as exc:
            fail(f"IMAP: {type(exc).__name__}: {exc}")
        except Exception as exc:  # database down, token command failing...: a clear line, no traceback
            fail(f"{type(exc).__name__}: {str(exc)[:300]}")
        rows = [{"folder": r.folder, "fetched": r.fetched, "stored": r.stored, "duplicates": r.duplicates,
                 "moved": r.moved, "resynced": r.resynced} for r in results]  # fmt: skip
        if as_json:
            print_json({"folders": rows})
        else:
            for r in rows:
                typer.echo(f"{r['folder']}: fetched {r['fetched']}, stored {r['stored']}, "
                           f"duplicates {r['duplicates']}, moved {r['moved']}")  # fmt: skip
        return
    _stop_on_signals(poller.stop_event)
    poller.run_forever()


def smtpd(
    host: str = typer.Option(None, "--host", help="Listen address (default CC_SMTPD_HOST)."),
    port: int = typer.Option(None, "--port", help="Port (default CC_SMTPD_PORT)."),
    lmtp: bool = typer.Option(None, "--lmtp/--smtp", help="Speak LMTP instead of SMTP."),
) -> None:
    """Receive mail by SMTP or LMTP (aiosmtpd) for the consult address; store before answering 250."""
    from consultant.adapters.smtpd import SmtpReceiver

    _setup_logging()
    stop = threading.Event()
    _stop_on_signals(stop)
    receiver = SmtpReceiver(get_settings(), host=host, port=port, lmtp=lmtp)
    try:
        receiver.serve_forever(stop)
    except OSError as exc:
        fail(f"cannot listen: {exc}")
