"""A TEST DOUBLE of the CodeStore protocol for extraction: in-memory sets of REAL code lists.

Not the product's store (that is `consultant.codes.store`, SQL-backed). It knows which codes
exist, from the same public files the store loads:

- CPT numbers: the PFS RVU24C indicator file (numbers only, no descriptors) under ../shared/data/pfs
- HCPCS Level II: the CMS 2025 October file (RECID 3 rows), with termination dates
- ICD-10-CM FY2026: simple_icd_10_cm (header vs billable leaf)
- ICD-10-PCS: ../shared/data/icd10pcs/icd_10_pcs.csv

Only `exists` and `lookup` are meaningful; the edit tables answer empty.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import simple_icd_10_cm as icd

from consultant.codes.model import AddOnEdit, CodeInfo, MueLimit, PtpEdit, Release, Setting, System

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
_ICD_CODE = re.compile(r"^[A-Z]\d[0-9A-Z](?:\.[0-9A-Z]{1,4})?$")
_CPT = re.compile(r"^(?:\d{5}|\d{4}[FTU])$")


def _ymd(s: str) -> dt.date | None:
    s = (s or "").strip()
    if len(s) == 8 and s.isdigit():
        return dt.date(int(s[:4]), int(s[4:6]), int(s[6:]))
    return None


class MemoryCodeStore:
    """Test double: CodeStore answering `exists` / `lookup` from in-memory sets of real codes."""

    def __init__(self, data_dir: Path = DATA) -> None:
        self.cpt: set[str] = set()
        with open(data_dir / "pfs" / "PPRRVU24_JUL_rvu24c_indicators_no_descriptors.csv", newline="") as f:
            for row in csv.DictReader(f):
                code = row["hcpcs"].strip().upper()
                if _CPT.match(code):
                    self.cpt.add(code)
        self.hcpcs: dict[str, dt.date | None] = {}
        with open(
            data_dir / "hcpcs" / "HCPC2025_OCT_ANWEB_v4.csv", newline="", encoding="utf-8", errors="replace"
        ) as f:
            for row in csv.DictReader(f):
                if row["RECID"] == "3":
                    self.hcpcs.setdefault(row["HCPC"].strip().upper(), _ymd(row["TERM DT"]))
        self.icd: dict[str, bool] = {}
        for code in icd.get_all_codes(True):
            if _ICD_CODE.match(code):
                self.icd[code] = icd.is_leaf(code)
        self.pcs: set[str] = set()
        with open(data_dir / "icd10pcs" / "icd_10_pcs.csv", newline="", encoding="utf-8") as f:
            for row in csv.reader(f):
                if row and len(row[0]) == 7:
                    self.pcs.add(row[0].upper())

    def exists(self, system: System, code: str) -> bool:
        if system == "CPT":
            return code in self.cpt
        if system == "HCPCS":
            return code in self.hcpcs
        if system == "ICD10CM":
            return code in self.icd
        if system == "ICD10PCS":
            return code in self.pcs
        return False

    def lookup(self, code: str, on: dt.date | None = None, system: System | None = None) -> CodeInfo:
        c = code.strip().upper()
        sys_: System = system or ("ICD10CM" if "." in c else "CPT")
        if sys_ == "HCPCS" and c in self.hcpcs:
            term = self.hcpcs[c]
            status = "terminated" if term and (on or dt.date.today()) > term else "active"
            return CodeInfo("HCPCS", c, status, termination_date=term)
        if sys_ == "ICD10CM" and c in self.icd:
            return CodeInfo("ICD10CM", c, "active", billable=self.icd[c])
        if (sys_ == "CPT" and c in self.cpt) or (sys_ == "ICD10PCS" and c in self.pcs):
            return CodeInfo(sys_, c, "active")
        return CodeInfo(sys_, c, "invalid")

    def ptp_edits(
        self, codes: Sequence[str], on: dt.date | None = None, setting: Setting = "practitioner"
    ) -> list[PtpEdit]:
        return []

    def mue(
        self, codes: Iterable[str], on: dt.date | None = None, setting: Setting = "practitioner"
    ) -> dict[str, MueLimit]:
        return {}

    def add_on_primaries(self, add_on_codes: Iterable[str]) -> dict[str, list[AddOnEdit]]:
        return {}

    def icd10cm_children(self, code: str, billable_only: bool = True) -> list[str]:
        return []

    def releases(self) -> list[Release]:
        return []


@functools.lru_cache(maxsize=1)
def memory_store() -> MemoryCodeStore:
    return MemoryCodeStore()
