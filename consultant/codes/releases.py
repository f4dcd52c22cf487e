"""Loading source files as releases: one file = one release row, one transaction.

A release records system, version, effective date, source file name, sha256, row count and load
time. Loading a file whose sha256 is already recorded for that system changes nothing. A newer
quarter is added beside the older one; lookups pick the newest release in force on the date.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import cast

from sqlalchemy import Engine, Table, func, insert, inspect, select, update
from sqlalchemy.exc import IntegrityError

from consultant.codes import search, tables
from consultant.codes.errors import LoadError
from consultant.codes.loaders import aoc, cpt_descriptors, hcpcs, icd10cm, icd10pcs, mue, pfs, ptp
from consultant.codes.loaders.common import Progress, SourceMeta, sha256_file
from consultant.codes.model import Release

LOADERS: dict[str, ModuleType] = {
    "hcpcs": hcpcs,
    "pfs": pfs,
    "ptp": ptp,
    "mue": mue,
    "aoc": aoc,
    "icd10pcs": icd10pcs,
    "cpt_descriptors": cpt_descriptors,
    "icd10cm": icd10cm,
}
# kinds whose rows go to cs_code and are searchable
SEARCHABLE = {"hcpcs", "icd10pcs", "cpt_descriptors", "icd10cm"}
# the order --dir loads in (small reference tables first)
DIR_ORDER = ("hcpcs", "pfs", "icd10pcs", "mue", "aoc", "ptp")

CODE_STORE_TABLES = [
    tables.CodeRelease.__table__,
    tables.CodeEntry.__table__,
    tables.HcpcsModifier.__table__,
    tables.PfsIndicator.__table__,
    tables.PtpRow.__table__,
    tables.MueRow.__table__,
    tables.AocRow.__table__,
]


@dataclass(frozen=True)
class LoadResult:
    kind: str
    file: str
    system: str
    version: str
    effective_date: dt.date | None
    sha256: str
    rows: int
    skipped: bool  # the same file (sha256) was loaded before: nothing changed
    release_id: int
    seconds: float


def create_schema(engine: Engine) -> None:
    """Create the code store tables if missing, without Alembic (tests and throw-away databases)."""
    tables.CodeRelease.metadata.create_all(engine, tables=CODE_STORE_TABLES)  # type: ignore[arg-type]


_SCHEMA_READY: set[str] = set()


def ensure_schema(engine: Engine) -> None:
    """Make sure the code store tables exist. A database without them is brought to the current
    schema by the project's Alembic migrations (as `caseconsultant init` does), so that a later
    `init` finds it up to date; in-memory SQLite gets plain CREATE TABLEs."""
    key = engine.url.render_as_string(hide_password=True)
    if key in _SCHEMA_READY:
        return
    if not inspect(engine).has_table("cs_release"):
        database = engine.url.database or ""
        if engine.url.get_backend_name() == "sqlite" and database in ("", ":memory:"):
            create_schema(engine)
        else:
            from consultant.db.migrate import upgrade

            upgrade(engine.url.render_as_string(hide_password=False))
    _SCHEMA_READY.add(key)


def detect_kind(name: str) -> str | None:
    """Which loader takes a file, from its CMS name (HCPC*ANWEB*, PPRRVU*, ccipra*/ccioph*, MCR_MUE_*,
    aoc*/AOC_*, icd_10_pcs*/icd10pcs_*)."""
    low = name.lower()
    if low.startswith(".") or low.endswith((".md", ".pdf", ".zip")):
        return None
    for kind in ("hcpcs", "pfs", "ptp", "mue", "icd10pcs", "aoc"):
        if LOADERS[kind].matches(name):
            if kind == "pfs" and "addon" in low:
                return None
            return kind
    return None


def scan_dir(directory: Path) -> list[tuple[str, Path]]:
    """Files of a directory (recursively) that a loader recognizes, in load order. Excerpts of the
    official layouts (names containing 'excerpt') are skipped: they are not whole releases."""
    found: list[tuple[str, Path]] = []
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        if "excerpt" in path.name.lower():
            continue
        kind = detect_kind(path.name)
        if kind is not None:
            found.append((kind, path))
    # one format of a HCPCS release is enough: prefer xlsx, then txt, then csv
    hc = [p for k, p in found if k == "hcpcs"]
    if len(hc) > 1:
        pref = {".xlsx": 0, ".txt": 1, ".csv": 2}
        keep: dict[str, Path] = {}
        for p in hc:
            stem = p.stem
            if stem not in keep or pref.get(p.suffix.lower(), 9) < pref.get(keep[stem].suffix.lower(), 9):
                keep[stem] = p
        found = [(k, p) for k, p in found if k != "hcpcs" or p in keep.values()]
    found.sort(key=lambda kp: (DIR_ORDER.index(kp[0]) if kp[0] in DIR_ORDER else 99, str(kp[1])))
    return found


def load_file(
    engine: Engine,
    kind: str,
    path: Path | str,
    *,
    version: str | None = None,
    effective_date: dt.date | None = None,
    progress: Progress | None = None,
) -> LoadResult:
    """Load one file as one release in one transaction. Raises LoadError (file, line, reason)."""
    path = Path(path)
    loader = LOADERS.get(kind)
    if loader is None:
        raise LoadError(path, 0, f"unknown kind of file {kind!r}")
    if not path.is_file():
        raise LoadError(path, 0, "no such file")
    started = time.perf_counter()
    if version is None and effective_date is None:
        meta: SourceMeta = loader.describe(path)
    else:
        try:
            base = loader.describe(path)
        except LoadError:
            base = SourceMeta(_system_of(kind, path), "", None)
        meta = SourceMeta(base.system, version or base.version, effective_date or base.effective_date)
        if not meta.version:
            raise LoadError(path, 0, "a version is needed when it cannot be read from the file name")
    digest = sha256_file(path)
    ensure_schema(engine)
    rel = cast(Table, tables.CodeRelease.__table__)
    try:
        with engine.begin() as conn:
            found = conn.execute(
                select(rel.c.id, rel.c.row_count).where(rel.c.system == meta.system, rel.c.sha256 == digest)
            ).first()
            if found is not None:
                return LoadResult(
                    kind,
                    path.name,
                    meta.system,
                    meta.version,
                    meta.effective_date,
                    digest,
                    found[1],
                    True,
                    found[0],
                    time.perf_counter() - started,
                )
            release_id = conn.execute(
                insert(rel)
                .values(
                    system=meta.system,
                    version=meta.version,
                    effective_date=meta.effective_date,
                    source_file=_source_name(kind, path),
                    sha256=digest,
                    row_count=0,
                    loaded_at=dt.datetime.now(dt.UTC),
                )
                .returning(rel.c.id)
            ).scalar_one()
            rows = loader.load(conn, release_id, path, progress)
            conn.execute(update(rel).where(rel.c.id == release_id).values(row_count=rows))
            if kind in SEARCHABLE:
                search.index_release(conn, release_id)
    except IntegrityError as e:  # a concurrent load of the same file won the race
        raise LoadError(path, 0, f"loaded concurrently by another process ({e.orig})") from e
    return LoadResult(
        kind,
        path.name,
        meta.system,
        meta.version,
        meta.effective_date,
        digest,
        rows,
        False,
        release_id,
        time.perf_counter() - started,
    )


def _system_of(kind: str, path: Path) -> str:
    if kind == "ptp":
        return "NCCI_PTP_" + ptp.setting_of(path).upper()
    if kind == "mue":
        return "NCCI_MUE_" + mue.setting_of(path).upper()
    return {
        "hcpcs": "HCPCS",
        "pfs": "PFS",
        "aoc": "NCCI_AOC",
        "icd10pcs": "ICD10PCS",
        "cpt_descriptors": "CPT_DESCRIPTORS",
        "icd10cm": "ICD10CM",
    }[kind]


def _source_name(kind: str, path: Path) -> str:
    if kind == "icd10cm":
        from importlib.metadata import PackageNotFoundError, version

        try:
            v = version("simple-icd-10-cm")
        except PackageNotFoundError:  # pragma: no cover
            v = "?"
        return f"{path.name} (simple-icd-10-cm {v})"
    return path.name


def ensure_icd10cm(engine: Engine, progress: Progress | None = None) -> LoadResult:
    """Load ICD-10-CM from simple-icd-10-cm as its own release unless already loaded (idempotent).

    `caseconsultant init` calls this; the store also calls it on first use of ICD-10-CM."""
    try:
        return load_file(engine, "icd10cm", icd10cm.data_file(), progress=progress)
    except LoadError as e:
        if "concurrently" in e.reason:
            return load_file(engine, "icd10cm", icd10cm.data_file(), progress=progress)
        raise


def load_files(
    engine: Engine,
    files: Sequence[tuple[str, Path]],
    progress_for: Callable[[str, Path], Progress | None] | None = None,
) -> list[LoadResult]:
    """Load several files, each in its own transaction (a failing file raises; earlier ones stay)."""
    out: list[LoadResult] = []
    for kind, path in files:
        out.append(load_file(engine, kind, path, progress=progress_for(kind, path) if progress_for else None))
    return out


def load_dir(engine: Engine, directory: Path | str, include_ptp: bool = True) -> list[LoadResult]:
    files = scan_dir(Path(directory))
    if not include_ptp:
        files = [(k, p) for k, p in files if k != "ptp"]
    return load_files(engine, files)


def load_staged_data(engine: Engine, data_dir: Path | str, include_ptp: bool = True) -> list[LoadResult]:
    """Everything a full store needs: the CMS files of `data_dir` (recognized by name) and ICD-10-CM."""
    results = load_dir(engine, data_dir, include_ptp=include_ptp)
    results.append(ensure_icd10cm(engine))
    return results


def list_releases(engine: Engine) -> list[Release]:
    rel = cast(Table, tables.CodeRelease.__table__)
    ensure_schema(engine)
    with engine.connect() as conn:
        rows = conn.execute(select(rel).order_by(rel.c.system, rel.c.effective_date, rel.c.id)).all()
    return [
        Release(
            id=r.id,
            system=r.system,
            version=r.version,
            effective_date=r.effective_date,
            source_file=r.source_file,
            sha256=r.sha256,
            row_count=r.row_count,
            loaded_at=r.loaded_at,
        )
        for r in rows
    ]


def release_fingerprint(engine: Engine) -> tuple[int, int]:
    rel = cast(Table, tables.CodeRelease.__table__)
    with engine.connect() as conn:
        row = conn.execute(
            select(func.count(), func.coalesce(func.max(rel.c.id), 0)).select_from(rel)
        ).first()
    return (0, 0) if row is None else (int(row[0]), int(row[1]))
