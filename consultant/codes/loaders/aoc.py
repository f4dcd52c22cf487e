"""NCCI add-on code edits.

Layouts:
- the staged reshaped CSV ``primary_code, add_on_code, aoc_edit_type`` (active edits only);
- the official CMS AOC file (``AOC_V2024Q3-MCR.txt`` / ``.csv``; tab- or comma-delimited). Its columns
  are found by their header names: "Add-on Code" (or "Add On Code"), "Primary Code", "AOC Edit Type",
  and, when present, the AOC edit effective / deletion dates. Rows whose AOC edit deletion date lies in the
  past are still stored; the store answers with the edits in force on the date asked.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from consultant.codes.errors import LoadError
from consultant.codes.loaders.common import Progress, SourceMeta, bulk_insert, read_csv, read_lines
from consultant.codes.normalize import parse_ymd

NAME_RE = re.compile(r"(^|[^a-z])aoc", re.IGNORECASE)
Q_RE = re.compile(r"V?(\d{4})Q([1-4])", re.IGNORECASE)
DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
COLUMNS = ("release_id", "add_on_code", "primary_code", "edit_type", "effective_date", "deletion_date")


def matches(name: str) -> bool:
    return bool(NAME_RE.search(name))


def describe(path: Path) -> SourceMeta:
    m = Q_RE.search(path.name)
    if m:
        year, q = int(m.group(1)), int(m.group(2))
        return SourceMeta("NCCI_AOC", f"{year}Q{q}", dt.date(year, 3 * q - 2, 1))
    d = DATE_RE.search(path.name)
    if d:
        eff = dt.date(int(d.group(1)), int(d.group(2)), int(d.group(3)))
        return SourceMeta("NCCI_AOC", eff.isoformat(), eff)
    raise LoadError(
        path, 0, "cannot tell the AOC release from the file name; expected e.g. AOC_V2024Q3-MCR.txt"
    )


def _norm(h: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", h.lower()).strip()


def _find(header: list[str], *options: str, exclude: tuple[str, ...] = ()) -> int | None:
    for i, h in enumerate(header):
        if any(o == h or h.startswith(o) for o in options) and not any(x in h for x in exclude):
            return i
    return None


def parse(path: Path) -> Iterator[tuple[str, str, int, dt.date | None, dt.date | None]]:
    first = next((line for _, line in read_lines(path) if line.strip()), "")
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    header: list[str] | None = None
    ia = ip = it = ie = idel = None
    for n, cells in read_csv(path, delimiter=delimiter):
        if not cells or not any(c.strip() for c in cells):
            continue
        if header is None:
            h = [_norm(c) for c in cells]
            ia = _find(h, "add on code", "addon code", "add on", exclude=("date", "effective", "deletion"))
            ip = _find(h, "primary code", "primary", exclude=("date", "effective", "deletion"))
            it = _find(h, "aoc edit type", "edit type", "type")
            if ia is not None and ip is not None and it is not None:
                header = h
                ie = _find(h, "aoc edit effective date", "aoc edit effective")
                idel = _find(h, "aoc edit deletion date", "aoc edit deletion")
            elif n > 20:
                raise LoadError(
                    path, n, "not an AOC layout: no header with add-on code, primary code, edit type"
                )
            continue
        assert ia is not None and ip is not None and it is not None
        if len(cells) <= max(ia, ip, it):
            raise LoadError(path, n, f"expected {len(header)} columns, found {len(cells)} (file cut?)")
        add_on = cells[ia].strip().upper()
        primary = cells[ip].strip().upper()
        for c in (add_on, primary):
            if len(c) != 5 or not c.isalnum():
                raise LoadError(path, n, f"bad code {c!r}")
        t = cells[it].strip()
        if t not in ("1", "2", "3"):
            raise LoadError(path, n, f"bad AOC edit type {t!r} (expected 1, 2 or 3)")
        try:
            eff = parse_ymd(cells[ie]) if ie is not None and ie < len(cells) else None
            dele = parse_ymd(cells[idel]) if idel is not None and idel < len(cells) else None
        except ValueError as e:
            raise LoadError(path, n, str(e)) from e
        yield add_on, primary, int(t), eff, dele
    if header is None:
        raise LoadError(path, 0, "not an AOC layout: no header row found")


def load(conn: Connection, release_id: int, path: Path, progress: Progress | None = None) -> int:
    rows: list[tuple[Any, ...]] = [(release_id, *r) for r in parse(path)]
    if not rows:
        raise LoadError(path, 0, "no AOC rows found")
    return bulk_insert(conn, "cs_aoc", COLUMNS, rows, progress)
