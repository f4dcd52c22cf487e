"""`caseconsultant init | worker | sweep`: running the service."""

from __future__ import annotations

import time

import typer

from consultant.cli.output import print_json
from consultant.settings import get_settings


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("worker")(worker)
    app.command("sweep")(sweep)


def init(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Create or upgrade the database schema (Alembic) and make ICD-10-CM available."""
    from consultant.db.migrate import upgrade

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.effective_database_url)
    icd = _ensure_icd10cm()
    if as_json:
        print_json({"database": "upgraded", "icd10cm": icd})
    else:
        typer.echo(f"database upgraded; ICD-10-CM: {icd}")


def _ensure_icd10cm() -> str:
    from consultant.codes.releases import ensure_icd10cm
    from consultant.db.session import get_engine

    result = ensure_icd10cm(get_engine())
    return f"{result.version} ({result.rows} codes{', already loaded' if result.skipped else ''})"


def worker(
    concurrency: int = typer.Option(2, help="Worker processes."),
    beat: bool = typer.Option(False, help="Also run the sweeper schedule in this worker."),
    loglevel: str = typer.Option("INFO"),
    supervise: bool = typer.Option(
        True,
        "--supervise/--no-supervise",
        help="Start the Celery worker again when it dies (workers/supervisor.py).",
    ),
) -> None:
    """Run a Celery worker (needs CC_BROKER_URL), started again if it dies."""
    if not get_settings().broker_url:
        raise typer.BadParameter("CC_BROKER_URL is not set: with the embedded default tasks run in-process")
    if supervise:
        import logging
        import sys

        from workers.supervisor import Supervisor

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        child = [sys.executable, "-m", "consultant.cli.main", "worker", "--no-supervise",
                 f"--concurrency={concurrency}", f"--loglevel={loglevel}"]  # fmt: skip
        if beat:
            child.append("--beat")
        raise typer.Exit(Supervisor(child).run())
    from workers.celery_app import app as celery_app

    argv = ["worker", f"--concurrency={concurrency}", f"--loglevel={loglevel}", "--without-gossip",
            "--without-mingle", "-Q", "caseconsultant"]
    if beat:
        argv.append("--beat")
    celery_app.worker_main(argv)


def sweep(
    loop: bool = typer.Option(False, "--loop", help="Sweep every CC_SWEEP_AFTER_SECONDS until stopped."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Re-enqueue rows stuck in a state (lost Celery messages, crashed sends)."""
    from consultant.db.session import session_scope
    from consultant.services.sweeper import sweep as do_sweep

    while True:
        try:
            with session_scope() as session:
                result = do_sweep(session, get_settings())
        except Exception as exc:
            if not loop:
                raise
            # broker or database away for a moment: the loop must outlive it (that is its job)
            typer.echo(f"sweep failed ({type(exc).__name__}: {str(exc)[:200]}); retrying", err=True)
            result = None
        if as_json and result is not None:
            print_json(result)
        if not loop:
            return
        time.sleep(max(1, get_settings().sweep_after_seconds // 2))
