"""`caseconsultant codes load|lookup|search|releases`: the code store from the command line."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from consultant.cli.output import fail, print_json

app = typer.Typer(
    help="The code store: load CMS files, look codes up, search descriptions.", no_args_is_help=True
)

SYSTEMS = ("CPT", "HCPCS", "ICD10CM", "ICD10PCS", "MODIFIER")


def _engine() -> Any:
    from consultant.db.session import get_engine

    return get_engine()


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(f"--date must be YYYY-MM-DD, got {value!r}")
        raise  # pragma: no cover


def _result_json(r: Any) -> dict[str, Any]:
    return {
        "kind": r.kind,
        "file": r.file,
        "system": r.system,
        "version": r.version,
        "effective_date": r.effective_date.isoformat() if r.effective_date else None,
        "sha256": r.sha256,
        "rows": r.rows,
        "skipped": r.skipped,
        "release_id": r.release_id,
        "seconds": round(r.seconds, 2),
    }


@app.command("load")
def load(
    hcpcs: Path | None = typer.Option(
        None, "--hcpcs", help="HCPCS quarterly file (HCPC*ANWEB*: xlsx, csv or txt)"
    ),
    pfs: Path | None = typer.Option(None, "--pfs", help="PFS relative value file (PPRRVU*.csv)"),
    ptp: list[Path] = typer.Option([], "--ptp", help="NCCI PTP file(s) (ccipra*/ccioph*)"),
    mue: list[Path] = typer.Option([], "--mue", help="NCCI MUE table(s) (MCR_MUE_*)"),
    aoc: Path | None = typer.Option(None, "--aoc", help="NCCI add-on code edits (AOC_*)"),
    icd10pcs: Path | None = typer.Option(
        None, "--icd10pcs", help="ICD-10-PCS codes (order file or code,description CSV)"
    ),
    cpt_descriptors: Path | None = typer.Option(
        None, "--cpt-descriptors", help="your licensed CPT descriptor file (CSV code,description)"
    ),
    directory: Path | None = typer.Option(
        None, "--dir", help="load every file recognized by its CMS name (default: CC_CODE_DATA_DIR)"
    ),
    icd10cm: bool = typer.Option(True, "--icd10cm/--no-icd10cm", help="make sure ICD-10-CM is loaded"),
    as_json: bool = typer.Option(False, "--json", help="print a JSON summary"),
) -> None:
    """Load CMS source files; each file is one release, loaded in one transaction."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from consultant.codes.errors import LoadError
    from consultant.codes.releases import ensure_icd10cm, load_file, scan_dir
    from consultant.settings import get_settings

    files: list[tuple[str, Path]] = []
    for kind, value in (("hcpcs", hcpcs), ("pfs", pfs), ("aoc", aoc), ("icd10pcs", icd10pcs)):
        if value is not None:
            files.append((kind, value))
    files += [("mue", p) for p in mue] + [("ptp", p) for p in ptp]
    if cpt_descriptors is not None:
        files.append(("cpt_descriptors", cpt_descriptors))
    explicit = bool(files)
    if directory is None and not explicit:
        directory = get_settings().code_data_dir
    if directory is not None:
        if not directory.is_dir():
            fail(f"--dir {directory}: not a directory")
        found = scan_dir(directory)
        if not found and not explicit:
            fail(f"no CMS files recognized in {directory}")
        files += found
    if not files and not icd10cm:
        fail("nothing to load: give files, --dir, or set CC_CODE_DATA_DIR")

    engine = _engine()
    results = []
    console = Console(stderr=True)
    columns = (
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,} rows"),
        TimeElapsedColumn(),
    )
    try:
        with Progress(*columns, console=console, transient=as_json) as progress:
            for kind, path in files:
                task = progress.add_task(f"{kind} {path.name}", total=None)
                r = load_file(engine, kind, path, progress=_advancer(progress, task))
                progress.update(task, total=max(r.rows, 1), completed=r.rows)
                results.append(r)
            if icd10cm:
                task = progress.add_task("icd10cm simple-icd-10-cm", total=None)
                r = ensure_icd10cm(engine, progress=_advancer(progress, task))
                progress.update(task, total=max(r.rows, 1), completed=r.rows)
                results.append(r)
    except LoadError as e:
        if as_json:
            print_json({"ok": False, "error": {"file": e.file, "line": e.line, "reason": e.reason}})
        fail(f"{e.file}:{e.line}: {e.reason} (nothing of this file was loaded)")
    if as_json:
        print_json({"ok": True, "loads": [_result_json(r) for r in results]})
        return
    for r in results:
        state = "unchanged (already loaded)" if r.skipped else f"loaded {r.rows:,} rows in {r.seconds:.1f}s"
        typer.echo(f"{r.system} {r.version} {r.file}: {state}")


def _advancer(progress: Any, task: Any) -> Callable[[int], None]:
    def advance(n: int) -> None:
        progress.advance(task, n)

    return advance


def _info_json(info: Any) -> dict[str, Any]:
    d = dataclasses.asdict(info)
    for k in ("effective_date", "termination_date"):
        if d.get(k) is not None:
            d[k] = d[k].isoformat()
    if d.get("release") and d["release"].get("effective_date") is not None:
        d["release"]["effective_date"] = d["release"]["effective_date"].isoformat()
    return d


@app.command("lookup")
def lookup(
    code: str = typer.Argument(..., help="a code: CPT, HCPCS, ICD-10-CM (with or without dot), ICD-10-PCS"),
    on: str | None = typer.Option(None, "--date", help="date of service YYYY-MM-DD (default today)"),
    system: str | None = typer.Option(None, "--system", help="CPT, HCPCS, ICD10CM, ICD10PCS or MODIFIER"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """What the store knows about one code on a date of service."""
    from consultant.codes.store import open_store

    day = _date(on)
    sys_ = system.upper().replace("-", "") if system else None
    if sys_ is not None and sys_ not in SYSTEMS:
        fail(f"--system must be one of {', '.join(SYSTEMS)}")
    store = open_store(_engine())
    if sys_ == "MODIFIER":
        desc = store.modifier_description(code, day)
        out = {"system": "MODIFIER", "code": code.strip().upper(), "status": "active" if desc else "invalid",
               "description": desc}  # fmt: skip
        if as_json:
            print_json(out)
        else:
            typer.echo(f"modifier {out['code']}: {desc or 'unknown HCPCS Level II modifier'}")
        return
    info = store.lookup(code, day, sys_)  # type: ignore[arg-type]
    if as_json:
        print_json(_info_json(info))
        return
    typer.echo(f"{info.system} {info.code}: {info.status}")
    typer.echo(f"  {info.description or '(no description: ' + (info.description_note or 'unknown') + ')'}")
    if info.billable is not None:
        typer.echo(f"  billable: {'yes' if info.billable else 'no (header)'}")
    if info.effective_date or info.termination_date:
        typer.echo(f"  effective {info.effective_date or '-'}, terminated {info.termination_date or '-'}")
    for k, v in sorted(info.indicators.items()):
        typer.echo(f"  {k}: {v}")
    for k, notes in info.notes.items():
        typer.echo(f"  {k}: " + "; ".join(notes))
    if info.release:
        typer.echo(f"  release: {info.release.system} {info.release.version} ({info.release.source_file})")


@app.command("search")
def search(
    words: str = typer.Argument(..., help="words of the description"),
    system: str | None = typer.Option(None, "--system", help="CPT, HCPCS, ICD10CM or ICD10PCS"),
    limit: int = typer.Option(20, "--limit", min=1, max=500),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Ranked full-text matches over code descriptions."""
    from consultant.codes.store import open_store

    sys_ = system.upper().replace("-", "") if system else None
    if sys_ is not None and sys_ not in SYSTEMS[:4]:
        fail(f"--system must be one of {', '.join(SYSTEMS[:4])}")
    hits = open_store(_engine()).search(words, sys_, limit)
    if as_json:
        print_json(
            {
                "query": words,
                "system": sys_,
                "results": [
                    {
                        "system": h.system,
                        "code": h.code,
                        "description": h.description,
                        "rank": round(h.rank, 4),
                    }
                    for h in hits
                ],
            }
        )
        return
    if not hits:
        typer.echo("no match")
    for h in hits:
        typer.echo(f"{h.system:9} {h.code:8} {h.description}")


@app.command("releases")
def releases(as_json: bool = typer.Option(False, "--json")) -> None:
    """Every loaded release: system, version, effective date, file, sha256, rows, loaded at."""
    from consultant.codes.releases import list_releases

    rels = list_releases(_engine())
    if as_json:
        print_json(
            [
                {
                    "id": r.id,
                    "system": r.system,
                    "version": r.version,
                    "effective_date": r.effective_date.isoformat() if r.effective_date else None,
                    "source_file": r.source_file,
                    "sha256": r.sha256,
                    "row_count": r.row_count,
                    "loaded_at": r.loaded_at.isoformat(),
                }
                for r in rels
            ]
        )
        return
    if not rels:
        typer.echo("no releases loaded")
    for r in rels:
        typer.echo(
            f"{r.system:24} {r.version:10} {r.effective_date or '-'}  {r.row_count:>9,}  {r.source_file}"
        )
