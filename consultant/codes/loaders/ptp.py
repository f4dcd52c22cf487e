"""NCCI procedure-to-procedure edits (``ccipra-*`` practitioner, ``ccioph-*`` outpatient hospital).

Layouts:
- official CMS text: tab-delimited, an AMA notice line, "Column1/Column2 Edits", a header wrapped
  over 4 lines, then ``column 1, column 2, * (in existence prior to 1996), effective date,
  deletion date (* = none), modifier indicator 0/1/9, rationale``;
- the staged reshaped CSV (optionally gzip): ``column_1, column_2, deletion_date,
  modifier_indicator, ptp_edit_rationale`` (no effective date; it was lost upstream).

Semantics: the deletion date is the last day the edit applies (the CMS convention, like
the HCPCS termination date): an edit is in force on D when effective <= D <= deletion.
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

NAME_RE = re.compile(r"cci(pra|oph)[-_]?v?(\d{2})(\d)(?:r(\d+))?", re.IGNORECASE)
COLUMNS = (
    "release_id",
    "column1",
    "column2",
    "prior_1996",
    "effective_ymd",
    "deletion_ymd",
    "modifier_indicator",
    "rationale",
)


def matches(name: str) -> bool:
    return bool(NAME_RE.search(name))


def setting_of(path: Path) -> str:
    m = NAME_RE.search(path.name)
    if m:
        return "practitioner" if m.group(1).lower() == "pra" else "hospital"
    low = path.name.lower()
    if "hosp" in low or "outpatient" in low:
        return "hospital"
    if "prac" in low:
        return "practitioner"
    raise LoadError(path, 0, "cannot tell practitioner (ccipra) from hospital (ccioph) by the file name")


def describe(path: Path) -> SourceMeta:
    m = NAME_RE.search(path.name)
    system = "NCCI_PTP_" + setting_of(path).upper()
    if not m:
        raise LoadError(
            path, 0, "cannot tell the NCCI version from the file name; expected e.g. ccipra-v302r0-f1.txt"
        )
    major, minor = int(m.group(2)), int(m.group(3))
    if minor > 3:
        raise LoadError(path, 0, f"unknown NCCI quarter v{major}{minor} (the last digit must be 0-3)")
    rev = int(m.group(4) or 0)
    version = f"v{major}.{minor}" + (f"r{rev}" if rev else "")
    # v30.0 = January 2024, v30.1 = April, v30.2 = July, v30.3 = October
    return SourceMeta(system, version, dt.date(1994 + major, 1 + 3 * minor, 1))


def _ymd(path: Path, n: int, text: str, what: str) -> int | None:
    t = text.strip()
    if not t or t == "*":
        return None
    if len(t) != 8 or not t.isdigit():
        raise LoadError(path, n, f"bad {what} {t!r} (expected YYYYMMDD or *)")
    try:
        dt.date(int(t[:4]), int(t[4:6]), int(t[6:]))
    except ValueError as e:
        raise LoadError(path, n, f"bad {what} {t!r}: {e}") from e
    return int(t)


def _check_code(path: Path, n: int, code: str) -> str:
    if len(code) != 5 or not code.isalnum():
        raise LoadError(path, n, f"bad code {code!r}")
    return code.upper()


def _mod(path: Path, n: int, text: str) -> int:
    t = text.strip()
    if t not in ("0", "1", "9"):
        raise LoadError(path, n, f"bad modifier indicator {t!r} (expected 0, 1 or 9): file cut?")
    return int(t)


def _rows_reshaped(path: Path, release_id: int) -> Iterator[tuple[Any, ...]]:
    header: list[str] | None = None
    idx: dict[str, int] = {}
    for n, cells in read_csv(path):
        if header is None:
            header = [c.strip().lower() for c in cells]
            idx = {name: i for i, name in enumerate(header)}
            for need in ("column_1", "column_2", "deletion_date", "modifier_indicator"):
                if need not in idx:
                    raise LoadError(path, n, f"not an NCCI PTP layout: missing column {need}")
            continue
        if not cells:
            continue
        if len(cells) != len(header):
            raise LoadError(path, n, f"expected {len(header)} columns, found {len(cells)} (file cut?)")
        eff = (
            _ymd(path, n, cells[idx["effective_date"]], "effective date") if "effective_date" in idx else None
        )
        yield (
            release_id,
            _check_code(path, n, cells[idx["column_1"]]),
            _check_code(path, n, cells[idx["column_2"]]),
            bool(cells[idx["prior_1996"]].strip()) if "prior_1996" in idx else False,
            eff,
            _ymd(path, n, cells[idx["deletion_date"]], "deletion date"),
            _mod(path, n, cells[idx["modifier_indicator"]]),
            cells[idx["ptp_edit_rationale"]].strip() if "ptp_edit_rationale" in idx else "",
        )


def _rows_official(path: Path, release_id: int) -> Iterator[tuple[Any, ...]]:
    seen_header = False
    for n, line in read_lines(path):
        if not line.strip():
            continue
        cells = line.split("\t")
        first = cells[0].strip()
        if not seen_header:
            if first.lower().startswith("column 1"):
                seen_header = True
            elif n > 20:
                raise LoadError(path, n, "not an NCCI PTP layout: no 'Column 1 / Column 2' header found")
            continue
        if len(first) != 5 or not first.isalnum():
            continue  # the rest of the wrapped header
        if len(cells) < 6:
            raise LoadError(path, n, f"expected 7 tab-separated fields, found {len(cells)} (file cut?)")
        eff = _ymd(path, n, cells[3], "effective date")
        if eff is None:
            raise LoadError(path, n, "missing effective date")
        yield (
            release_id,
            _check_code(path, n, first),
            _check_code(path, n, cells[1].strip()),
            cells[2].strip() == "*",
            eff,
            _ymd(path, n, cells[4], "deletion date"),
            _mod(path, n, cells[5]),
            cells[6].strip() if len(cells) > 6 else "",
        )
    if not seen_header:
        raise LoadError(path, 0, "not an NCCI PTP layout: no 'Column 1 / Column 2' header found")


def load(conn: Connection, release_id: int, path: Path, progress: Progress | None = None) -> int:
    first_line = next((line for _, line in read_lines(path)), "")
    if "column_1" in first_line.lower():
        rows = _rows_reshaped(path, release_id)
    else:
        rows = _rows_official(path, release_id)
    n = bulk_insert(conn, "cs_ptp", COLUMNS, rows, progress)
    if n == 0:
        raise LoadError(path, 0, "no PTP edit rows found")
    return n
