"""ICD-10-PCS code list: the CMS order file (fixed width) or a code, description CSV.

CMS order file (``icd10pcs_order_<year>.txt``), 1-based columns: order number 1-5, code 7-13,
header flag 15 (1 = a valid code, 0 = a header), short description 17-76, long description 78-end.
Only valid codes (flag 1) are stored. The CSV (``code,description``, no header; e.g. the Tuva
``icd_10_pcs.csv``) holds valid codes only. The fiscal year comes from the file name; without
one, from the content: the newest New Technology (section X) group qualifier, the 7th character,
1 = FY2016 ... 9 = FY2024, A = FY2025, B = FY2026.
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
from consultant.codes.normalize import ICD10PCS_RE

NAME_RE = re.compile(r"icd[_-]?10[_-]?pcs", re.IGNORECASE)
YEAR_RE = re.compile(r"(?:FY)?(20\d{2})")
NT_GROUPS = "123456789ABCDEFGH"


def matches(name: str) -> bool:
    return bool(NAME_RE.search(name))


def _is_order_file(path: Path) -> bool:
    for _, line in read_lines(path):
        if line.strip():
            return bool(re.match(r"^\d{5} [0-9A-Z][0-9A-Z ]{6} [01] ", line))
    return False


def describe(path: Path) -> SourceMeta:
    m = YEAR_RE.search(path.name)
    if m:
        fy = int(m.group(1))
    else:
        best = 0
        for _, code, _desc in parse(path):
            if code[0] == "X":
                g = NT_GROUPS.find(code[6])
                best = max(best, g + 1)
        if best == 0:
            raise LoadError(
                path, 0, "cannot tell the fiscal year: no year in the file name and no section X codes"
            )
        fy = 2015 + best
    return SourceMeta("ICD10PCS", f"FY{fy}", dt.date(fy - 1, 10, 1))


def parse(path: Path) -> Iterator[tuple[int, str, str]]:
    if _is_order_file(path):
        for n, line in read_lines(path):
            if not line.strip():
                continue
            if len(line) < 17 or line[5] != " " or line[13] != " ":
                raise LoadError(path, n, "not an ICD-10-PCS order file record (file cut?)")
            flag = line[14]
            code = line[6:13].strip().upper()
            if flag not in "01":
                raise LoadError(path, n, f"bad header flag {flag!r}")
            if flag == "0":
                continue
            if not ICD10PCS_RE.match(code):
                raise LoadError(path, n, f"bad ICD-10-PCS code {code!r}")
            desc = line[77:].strip() if len(line) > 77 else line[16:76].strip()
            if not desc:
                raise LoadError(path, n, f"no description for {code} (file cut?)")
            yield n, code, desc
        return
    for n, cells in read_csv(path):
        if not cells or not any(c.strip() for c in cells):
            continue
        if len(cells) < 2:
            raise LoadError(path, n, f"expected code,description, found {len(cells)} column(s) (file cut?)")
        code = cells[0].strip().upper()
        if n == 1 and not ICD10PCS_RE.match(code):
            continue  # a header row
        if not ICD10PCS_RE.match(code):
            raise LoadError(path, n, f"bad ICD-10-PCS code {code!r}")
        desc = cells[1].strip()
        if not desc:
            raise LoadError(path, n, f"no description for {code} (file cut?)")
        yield n, code, desc


def load(conn: Connection, release_id: int, path: Path, progress: Progress | None = None) -> int:
    rows: list[tuple[Any, ...]] = [
        (release_id, "ICD10PCS", code, desc, None, True) for _, code, desc in parse(path)
    ]
    if not rows:
        raise LoadError(path, 0, "no ICD-10-PCS codes found")
    return bulk_insert(
        conn,
        "cs_code",
        ("release_id", "system", "code", "description", "short_description", "billable"),
        rows,
        progress,
    )
