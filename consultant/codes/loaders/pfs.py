"""PFS Relative Value File (PPRRVU): CMS payment policy indicators per code and modifier.

Two layouts, same column order (CMS order):
- the official PPRRVU CSV: notice lines, a header, then ``HCPCS, MOD, DESCRIPTION, STATUS CODE, ...``;
  the DESCRIPTION column (AMA CPT short descriptor) is dropped on read and never stored;
- the staged export with renamed columns ``source_file, hcpcs, mod, status_code, ...``.
In both, the status code is the 4th cell and every later column sits at the same position.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from consultant.codes.errors import LoadError
from consultant.codes.loaders.common import (
    Progress,
    SourceMeta,
    bulk_insert,
    quarter_from_name,
    read_csv,
    unknown_release,
)

NAME_RE = re.compile(r"PPRRVU", re.IGNORECASE)
CODE_RE = re.compile(r"^[0-9A-Z]{4}[0-9A-Z]$")
GLOBAL_DAYS = {"000", "010", "090", "XXX", "YYY", "ZZZ", "MMM"}
STATUS_CODES = set("ABCDEFGHIJMNPRTX")

# position (0-based) -> indicator name; positions from the status code on are the same in both layouts
COLUMNS: dict[int, str] = {
    3: "status",
    4: "not_used_for_medicare_payment",
    5: "work_rvu",
    7: "non_facility_na",
    9: "facility_na",
    13: "pctc",
    14: "global_days",
    18: "mult_proc",
    19: "bilateral",
    20: "assistant",
    21: "co_surgeon",
    22: "team",
    23: "endo_base",
    25: "supervision",
    27: "diagnostic_imaging_family",
}
MIN_CELLS = 25


def matches(name: str) -> bool:
    return bool(NAME_RE.search(name))


def describe(path: Path) -> SourceMeta:
    q = quarter_from_name(path.name)
    if q is None:
        raise unknown_release(path, "PPRRVU24_JUL.csv")
    year, month = q
    return SourceMeta("PFS", f"{year}-{month:02d}", dt.date(year, month, 1))


def parse(path: Path) -> Iterator[dict[str, Any]]:
    layout: str | None = None
    for n, cells in read_csv(path):
        if not cells or not any(c.strip() for c in cells):
            continue
        first = cells[0].strip().upper()
        if layout is None:
            if first == "SOURCE_FILE" or first == "HCPCS" or first.startswith("HCPCS"):
                if len(cells) < MIN_CELLS:
                    raise LoadError(
                        path,
                        n,
                        f"not a PPRRVU layout: the header has {len(cells)} columns, expected {MIN_CELLS}+",
                    )
                layout = "renamed" if first == "SOURCE_FILE" else "official"
                continue
            if CODE_RE.match(first):
                raise LoadError(path, n, "not a PPRRVU layout: data before any header row")
            if n > 50:
                raise LoadError(path, n, "not a PPRRVU layout: no header row (HCPCS, MOD, ...) found")
            continue  # notice lines of the official file
        code = (cells[1] if layout == "renamed" else cells[0]).strip().upper()
        if layout == "official" and not code:
            continue  # header continuation lines
        if layout == "official" and not CODE_RE.match(code) and not cells[3].strip():
            continue  # wrapped header lines of the official file
        if len(cells) < MIN_CELLS:
            raise LoadError(path, n, f"expected at least {MIN_CELLS} columns, found {len(cells)} (file cut?)")
        if not CODE_RE.match(code):
            raise LoadError(path, n, f"bad code {code!r}")
        mod = cells[2].strip().upper() if layout == "renamed" else cells[1].strip().upper()
        ind = {name: cells[i].strip() for i, name in COLUMNS.items() if i < len(cells) and cells[i].strip()}
        status = ind.get("status", "")
        if status not in STATUS_CODES:
            raise LoadError(path, n, f"bad status code {status!r} for {code}")
        gd = ind.get("global_days")
        if gd is not None and gd not in GLOBAL_DAYS:
            raise LoadError(path, n, f"bad global days {gd!r} for {code}")
        yield {"code": code, "modifier": mod, "status": status, "global_days": gd, "indicators": ind}
    if layout is None:
        raise LoadError(path, 0, "not a PPRRVU layout: empty or no header row")


def load(conn: Connection, release_id: int, path: Path, progress: Progress | None = None) -> int:
    rows = [
        (
            release_id,
            r["code"],
            r["modifier"],
            r["status"],
            r["global_days"],
            json.dumps(r["indicators"], sort_keys=True),
        )
        for r in parse(path)
    ]
    if not rows:
        raise LoadError(path, 0, "no PPRRVU rows found")
    return bulk_insert(
        conn,
        "cs_pfs",
        ("release_id", "code", "modifier", "status", "global_days", "indicators"),
        rows,
        progress,
    )
