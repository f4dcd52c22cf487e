"""NCCI Medically Unlikely Edits: practitioner, outpatient hospital and DME supplier tables.

Layouts: the official CMS CSV (a quoted AMA notice cell, then the header ``HCPCS/CPT Code,
<Practitioner|Outpatient Hospital|DME Supplier> Services MUE Values, MUE Adjudication Indicator,
MUE Rationale``; the indicator cell reads e.g. ``2 Date of Service Edit: Policy``) and the staged
reshaped CSV ``hcpcs_code, mue_value, mai, mue_rationale`` (indicator digit only).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from consultant.codes.errors import LoadError
from consultant.codes.loaders.common import Progress, SourceMeta, bulk_insert, read_csv

NAME_RE = re.compile(r"MUE", re.IGNORECASE)
DATE_RE = re.compile(r"Eff[_-]?(\d{2})[-_](\d{2})[-_](\d{4})", re.IGNORECASE)
MAI_TEXT = {1: "Line Edit", 2: "Date of Service Edit: Policy", 3: "Date of Service Edit: Clinical"}
COLUMNS = ("release_id", "code", "value", "adjudication_indicator", "adjudication_text", "rationale")


def matches(name: str) -> bool:
    return bool(NAME_RE.search(name)) and bool(re.search(r"practitioner|outpatient|hospital|dme", name, re.I))


def setting_of(path: Path) -> str:
    low = path.name.lower()
    if "dme" in low:
        return "dme"
    if "outpatient" in low or "hospital" in low:
        return "hospital"
    if "practitioner" in low:
        return "practitioner"
    raise LoadError(
        path, 0, "cannot tell the MUE table (Practitioner / OutpatientHospital / DMESupplier) by name"
    )


def describe(path: Path) -> SourceMeta:
    system = "NCCI_MUE_" + setting_of(path).upper()
    m = DATE_RE.search(path.name)
    if not m:
        raise LoadError(
            path, 0, "cannot tell the effective date from the file name; expected e.g. ..._Eff_07-01-2024.csv"
        )
    try:
        eff = dt.date(int(m.group(3)), int(m.group(1)), int(m.group(2)))
    except ValueError as e:
        raise LoadError(path, 0, f"bad effective date in the file name: {e}") from e
    return SourceMeta(system, eff.strftime("%Y-%m"), eff)


def parse(path: Path) -> Iterator[tuple[int, str, int, int, str, str]]:
    in_data = False
    seen: set[str] = set()
    for n, cells in read_csv(path):
        if not cells or not any(c.strip() for c in cells):
            continue
        first = cells[0].strip()
        if not in_data:
            low = " ".join(c.lower() for c in cells[:3])
            if ("hcpcs" in low and "mue" in low) or first.lower() == "hcpcs_code":
                in_data = True
            elif n > 40:
                raise LoadError(
                    path, n, "not an MUE layout: no header (HCPCS/CPT Code, ... MUE Values) found"
                )
            continue
        if len(cells) < 3:
            raise LoadError(path, n, f"expected 4 columns, found {len(cells)} (file cut?)")
        code = first.upper()
        if len(code) != 5 or not code.isalnum():
            raise LoadError(path, n, f"bad code {code!r}")
        try:
            value = int(cells[1].strip())
        except ValueError as e:
            raise LoadError(path, n, f"bad MUE value {cells[1]!r}") from e
        mai_cell = cells[2].strip()
        if not mai_cell or mai_cell[0] not in "123":
            raise LoadError(path, n, f"bad MUE adjudication indicator {mai_cell!r} (expected 1, 2 or 3)")
        mai = int(mai_cell[0])
        text = mai_cell[1:].strip() or MAI_TEXT[mai]
        if code in seen:
            raise LoadError(path, n, f"duplicate row for {code}")
        seen.add(code)
        yield n, code, value, mai, text, (cells[3].strip() if len(cells) > 3 else "")
    if not in_data:
        raise LoadError(path, 0, "not an MUE layout: no header row found")


def load(conn: Connection, release_id: int, path: Path, progress: Progress | None = None) -> int:
    rows: list[tuple[Any, ...]] = [(release_id, *r[1:]) for r in parse(path)]
    if not rows:
        raise LoadError(path, 0, "no MUE rows found")
    return bulk_insert(conn, "cs_mue", COLUMNS, rows, progress)
