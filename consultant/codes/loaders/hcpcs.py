"""HCPCS Level II quarterly file (CMS ``HCPC<yyyy>_<MON>_ANWEB``): xlsx, CSV export, or fixed-width text.

Record ids: 3 = procedure code, first line; 4 = procedure continuation line; 7 = modifier, first
line; 8 = modifier continuation line. In the fixed-width text each record is 320 characters and the
long description holds 80 characters per line, continued on RECID 4/8 lines with rising SEQNUM.
Column positions (1-based, inclusive) follow the CMS HCPCS record layout:

    HCPC 1-5, SEQNUM 6-10, RECID 11, LONG DESCRIPTION 12-91, SHORT DESCRIPTION 92-119,
    PRICE1..4 120-127 (2 each), MULT_PI 128, CIM1..3 129-146 (6 each), MCM1..3 147-170 (8 each),
    STATUTE 171-180, LABCERT1..8 181-204 (3 each), XREF1..5 205-229 (5 each), COV 230,
    ASC_GRP 231-232, ASC_DT 233-240, OPPS 241-243, OPPS_PI 244, OPPS_DT 245-252,
    PROCNOTE 253-256, BETOS 257-259, TOS1..5 261-265, ANEST_BU 266-268, ADD DT 269-276,
    ACT EFF DT 277-284, TERM DT 285-292, ACTION CD 293.
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
    read_lines,
    unknown_release,
)
from consultant.codes.normalize import parse_ymd

NAME_RE = re.compile(r"HCPC\d{4}.*ANWEB", re.IGNORECASE)
CODE_RE = re.compile(r"^[A-V]\d{4}$")
MOD_RE = re.compile(r"^[0-9A-Z]{2}$")

FIELDS: dict[str, tuple[int, int]] = {
    "HCPC": (1, 5),
    "SEQNUM": (6, 10),
    "RECID": (11, 11),
    "LONG DESCRIPTION": (12, 91),
    "SHORT DESCRIPTION": (92, 119),
    "PRICE1": (120, 121),
    "PRICE2": (122, 123),
    "PRICE3": (124, 125),
    "PRICE4": (126, 127),
    "MULT_PI": (128, 128),
    "COV": (230, 230),
    "ASC_GRP": (231, 232),
    "OPPS_PI": (244, 244),
    "BETOS": (257, 259),
    "TOS1": (261, 261),
    "ADD DT": (269, 276),
    "ACT EFF DT": (277, 284),
    "TERM DT": (285, 292),
    "ACTION CD": (293, 293),
}
REQUIRED = ("HCPC", "RECID", "LONG DESCRIPTION", "SHORT DESCRIPTION", "ADD DT", "ACT EFF DT", "TERM DT")


def matches(name: str) -> bool:
    return bool(NAME_RE.search(name)) and "transaction" not in name.lower()


def describe(path: Path) -> SourceMeta:
    q = quarter_from_name(path.name)
    if q is None:
        raise unknown_release(path, "HCPC2025_OCT_ANWEB_v4.xlsx")
    year, month = q
    return SourceMeta("HCPCS", f"{year}-{month:02d}", dt.date(year, month, 1))


def _records_xlsx(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # zipfile.BadZipFile, KeyError, ... on a cut or wrong file
        raise LoadError(path, 0, f"not a readable xlsx workbook ({e.__class__.__name__}: {e})") from e
    try:
        ws = wb.worksheets[0]
        header: list[str] | None = None
        for n, values in enumerate(ws.iter_rows(values_only=True), 1):
            cells = ["" if v is None else str(v) for v in values]
            if header is None:
                header = [c.strip().upper() for c in cells]
                continue
            if not any(c.strip() for c in cells):
                continue
            yield n, dict(zip(header, cells, strict=False))
    finally:
        wb.close()


def _records_csv(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    header: list[str] | None = None
    for n, cells in read_csv(path):
        if header is None:
            header = [c.strip().upper() for c in cells]
            continue
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise LoadError(path, n, f"expected {len(header)} columns, found {len(cells)} (file cut?)")
        yield n, dict(zip(header, cells, strict=True))


def _records_fixed(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    for n, line in read_lines(path):
        if not line.strip():
            continue
        if len(line) < 11 or line[10] not in "3478":
            raise LoadError(
                path, n, "not an HCPCS fixed-width record (RECID in column 11 must be 3, 4, 7 or 8)"
            )
        recid = line[10]
        if recid in "37" and len(line.rstrip()) < 277:
            raise LoadError(path, n, f"record too short ({len(line)} characters; expected 320): file cut?")
        rec = {}
        for name, (a, b) in FIELDS.items():
            rec[name] = line[a - 1 : b]
        yield n, rec


def _merge_continuations(
    path: Path, recs: Iterator[tuple[int, dict[str, str]]]
) -> Iterator[tuple[int, dict[str, str]]]:
    """Join RECID 4/8 continuation lines onto their first line (3/7)."""
    current: tuple[int, dict[str, str]] | None = None
    for n, rec in recs:
        recid = rec.get("RECID", "").strip()
        code = rec.get("HCPC", "").strip()
        if recid in ("4", "8"):
            if current is None or current[1]["HCPC"].strip() != code:
                raise LoadError(path, n, f"continuation line of {code} without its first line")
            # CMS wraps long descriptions at word boundaries: pieces join with one space
            current[1]["LONG DESCRIPTION"] += " " + rec.get("LONG DESCRIPTION", "")
            continue
        if current is not None:
            yield current
        current = (n, dict(rec))
    if current is not None:
        yield current


def _date(path: Path, n: int, rec: dict[str, str], field: str) -> dt.date | None:
    try:
        return parse_ymd(rec.get(field, ""))
    except ValueError as e:
        raise LoadError(path, n, f"{field}: {e}") from e


def parse(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """("code" | "modifier", row) for every record of the file."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        raw = _records_xlsx(path)
    elif suffix == ".csv":
        raw = _records_csv(path)
    else:
        raw = _records_fixed(path)
    first = True
    for n, rec in _merge_continuations(path, raw):
        if first:
            missing = [f for f in REQUIRED if f not in rec]
            if missing:
                raise LoadError(path, n, f"not an HCPCS ANWEB layout: missing columns {', '.join(missing)}")
            first = False
        recid = rec["RECID"].strip()
        code = rec["HCPC"].strip().upper()
        long_desc = " ".join(rec["LONG DESCRIPTION"].split())
        short_desc = " ".join(rec["SHORT DESCRIPTION"].split()) or None
        add = _date(path, n, rec, "ADD DT")
        eff = _date(path, n, rec, "ACT EFF DT")
        term = _date(path, n, rec, "TERM DT")
        action = rec.get("ACTION CD", "").strip() or None
        if recid == "7":
            if not MOD_RE.match(code):
                raise LoadError(path, n, f"bad modifier {code!r}")
            yield (
                "modifier",
                {
                    "modifier": code,
                    "description": long_desc,
                    "short_description": short_desc,
                    "effective_date": add or eff,
                    "termination_date": term,
                    "action_code": action,
                },
            )
            continue
        if recid != "3":
            raise LoadError(path, n, f"unknown RECID {recid!r}")
        if not CODE_RE.match(code):
            raise LoadError(path, n, f"bad HCPCS code {code!r}")
        indicators = {
            "action_code": action or "",
            "action_effective_date": eff.isoformat() if eff else "",
            "added_date": add.isoformat() if add else "",
            "betos": rec.get("BETOS", "").strip(),
            "coverage": rec.get("COV", "").strip(),
            "pricing": rec.get("PRICE1", "").strip(),
            "mult_pricing": rec.get("MULT_PI", "").strip(),
            "asc_group": rec.get("ASC_GRP", "").strip(),
            "opps_status": rec.get("OPPS_PI", "").strip(),
            "type_of_service": rec.get("TOS1", "").strip(),
        }
        for i in (2, 3, 4):
            v = rec.get(f"PRICE{i}", "").strip()
            if v:
                indicators[f"pricing{i}"] = v
        yield (
            "code",
            {
                "code": code,
                "description": long_desc,
                "short_description": short_desc,
                "effective_date": add,
                "termination_date": term,
                "indicators": {k: v for k, v in indicators.items() if v},
            },
        )


def load(conn: Connection, release_id: int, path: Path, progress: Progress | None = None) -> int:
    codes: list[tuple[Any, ...]] = []
    mods: list[tuple[Any, ...]] = []
    for kind, row in parse(path):
        if kind == "code":
            codes.append(
                (
                    release_id,
                    "HCPCS",
                    row["code"],
                    row["description"],
                    row["short_description"],
                    None,
                    row["effective_date"],
                    row["termination_date"],
                    json.dumps(row["indicators"], sort_keys=True),
                    None,
                )
            )
        else:
            mods.append(
                (
                    release_id,
                    row["modifier"],
                    row["description"],
                    row["short_description"],
                    row["effective_date"],
                    row["termination_date"],
                    row["action_code"],
                )
            )
    if not codes:
        raise LoadError(path, 0, "no HCPCS code records (RECID 3) found")
    n = bulk_insert(
        conn,
        "cs_code",
        (
            "release_id",
            "system",
            "code",
            "description",
            "short_description",
            "billable",
            "effective_date",
            "termination_date",
            "indicators",
            "notes",
        ),
        codes,
        progress,
    )
    n += bulk_insert(
        conn,
        "cs_hcpcs_modifier",
        (
            "release_id",
            "modifier",
            "description",
            "short_description",
            "effective_date",
            "termination_date",
            "action_code",
        ),
        mods,
        progress,
    )
    return n
