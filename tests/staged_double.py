"""A TEST DOUBLE of the CodeStore protocol, built from REAL rows of the staged CMS files.

`StagedDataDouble` is not the product's store (that is `consultant.codes.store`, SQL-backed).
It reads the real staged files under ../shared/data (PFS RVU24C indicators, HCPCS 2025 Oct,
NCCI PTP v30.2 / MUE / AOC of July 2024) and ICD-10-CM from simple_icd_10_cm, so the checks
can be tested on real data while the SQL store is being written. Only the PTP rows whose two
codes are both in `ptp_codes` are read (the full file has 2.5 million rows).
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import simple_icd_10_cm as icd

from consultant.codes.model import (
    AddOnEdit,
    CodeInfo,
    MueLimit,
    PtpEdit,
    Release,
    ReleaseRef,
    Setting,
    System,
)

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

PFS_REF = ReleaseRef(
    "PFS", "RVU24C", "PPRRVU24_JUL_rvu24c_indicators_no_descriptors.csv", dt.date(2024, 7, 1)
)
HCPCS_REF = ReleaseRef("HCPCS", "2025-10", "HCPC2025_OCT_ANWEB_v4.csv", dt.date(2025, 10, 1))
ICD_REF = ReleaseRef("ICD10CM", "FY2026", "simple-icd-10-cm 1.5.0 (CDC tabular XML)", dt.date(2025, 10, 1))
PTP_REF = {
    "practitioner": ReleaseRef(
        "NCCI_PTP_PRACTITIONER", "v30.2", "ccipra-v302r0_reshaped.csv.gz", dt.date(2024, 7, 1)
    ),
    "hospital": ReleaseRef(
        "NCCI_PTP_HOSPITAL", "v30.2", "ccioph-v302r0_reshaped.csv.gz", dt.date(2024, 7, 1)
    ),
}
MUE_REF = ReleaseRef(
    "NCCI_MUE_PRACTITIONER",
    "2024-07-01",
    "MCR_MUE_PractitionerServices_Eff_07-01-2024_reshaped.csv",
    dt.date(2024, 7, 1),
)
AOC_REF = ReleaseRef(
    "NCCI_AOC", "2024-06-03", "aoc_medicare_active_2024-06-03_reshaped.csv", dt.date(2024, 6, 3)
)
MAI_TEXT = {1: "Line Edit", 2: "Date of Service Edit: Policy", 3: "Date of Service Edit: Clinical"}

DEFAULT_PTP_CODES = {
    "20610", "99211", "99212", "99213", "99214", "99215", "47381", "11042", "11045", "76942",
    "J3301", "J1030", "43239", "43235", "45385", "45380", "47562", "47563", "96372", "99291",
}  # fmt: skip


def _date(s: str) -> dt.date | None:
    s = (s or "").strip()
    if not s or s == "*":
        return None
    return dt.date(int(s[:4]), int(s[4:6]), int(s[6:8]))


def _icd_dotted(code: str) -> str:
    c = code.upper().replace(".", "")
    return c if len(c) <= 3 else f"{c[:3]}.{c[3:]}"


class StagedDataDouble:
    """Test double: CodeStore over real staged rows (see the module docstring)."""

    def __init__(self, ptp_codes: Iterable[str] = DEFAULT_PTP_CODES) -> None:
        self.pfs: dict[str, dict[str, str]] = {}
        with open(DATA / "pfs" / "PPRRVU24_JUL_rvu24c_indicators_no_descriptors.csv", newline="") as f:
            for row in csv.DictReader(f):
                if not row["mod"]:
                    self.pfs[row["hcpcs"]] = row
        self.hcpcs: dict[str, dict[str, str]] = {}
        with open(DATA / "hcpcs" / "HCPC2025_OCT_ANWEB_v4.csv", newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                if row["RECID"] == "3":
                    self.hcpcs.setdefault(row["HCPC"], row)
        self.mues: dict[str, MueLimit] = {}
        with open(
            DATA / "ncci" / "MCR_MUE_PractitionerServices_Eff_07-01-2024_reshaped.csv", newline=""
        ) as f:
            for row in csv.DictReader(f):
                mai = int(row["mai"])
                self.mues[row["hcpcs_code"]] = MueLimit(
                    row["hcpcs_code"],
                    int(row["mue_value"]),
                    mai,
                    MAI_TEXT[mai],
                    row["mue_rationale"],
                    "practitioner",
                    MUE_REF,
                )
        self.aoc: dict[str, list[AddOnEdit]] = {}
        with open(DATA / "ncci" / "aoc_medicare_active_2024-06-03_reshaped.csv", newline="") as f:
            for row in csv.DictReader(f):
                self.aoc.setdefault(row["add_on_code"], []).append(
                    AddOnEdit(row["add_on_code"], row["primary_code"], int(row["aoc_edit_type"]), AOC_REF)
                )
        wanted = set(ptp_codes)
        self.ptp: list[PtpEdit] = []
        with gzip.open(DATA / "ncci" / "ccipra-v302r0_reshaped.csv.gz", "rt", newline="") as f:
            for line in f:
                c1 = line[1:6]
                if c1 not in wanted:
                    continue
                row = next(csv.reader([line]))
                if row[1] in wanted:
                    self.ptp.append(
                        PtpEdit(
                            row[0],
                            row[1],
                            int(row[3]),
                            None,
                            _date(row[2]),
                            row[4],
                            "practitioner",
                            PTP_REF["practitioner"],
                        )
                    )

    # -- CodeStore ---------------------------------------------------------------------------
    def _guess(self, code: str) -> System | None:
        c = code.upper().replace(".", "")
        if c in self.hcpcs:
            return "HCPCS"
        if c in self.pfs:
            return "CPT"
        if icd.is_valid_item(_icd_dotted(c)):
            return "ICD10CM"
        if re.fullmatch(r"\d{4}[0-9FTU]", c):
            return "CPT"
        if re.fullmatch(r"[A-V]\d{4}", c):
            return "HCPCS"
        if len(c) == 7 and c[0].isdigit():
            return "ICD10PCS"
        return "ICD10CM"

    def lookup(self, code: str, on: dt.date | None = None, system: System | None = None) -> CodeInfo:
        on = on or dt.date.today()
        system = system or self._guess(code)
        c = code.upper().replace(".", "").strip()
        if system == "ICD10CM":
            d = _icd_dotted(c)
            if not icd.is_valid_item(d) or (
                not icd.is_category_or_subcategory(d) and not icd.is_extended_subcategory(d)
            ):
                return CodeInfo("ICD10CM", d, "invalid", release=ICD_REF)
            return CodeInfo(
                "ICD10CM",
                d,
                "active",
                description=icd.get_description(d),
                billable=icd.is_leaf(d),
                notes=self._icd_notes(d),
                release=ICD_REF,
            )
        if system == "HCPCS":
            row = self.hcpcs.get(c)
            if row is None:
                return CodeInfo("HCPCS", c, "invalid", release=HCPCS_REF)
            eff, term = _date(row["ADD DT"]), _date(row["TERM DT"])
            status = "active"
            if term and on > term:
                status = "terminated"
            elif eff and on < eff:
                status = "not_yet_effective"
            ind = {"betos": row["BETOS"], "coverage": row["COV"], "action_code": row["ACTION CD"]}
            if c in self.pfs:
                ind.update(status=self.pfs[c]["status_code"], global_days=self.pfs[c]["glob_days"])
            return CodeInfo(
                "HCPCS",
                c,
                status,
                description=row["LONG DESCRIPTION"],
                short_description=row["SHORT DESCRIPTION"],
                effective_date=eff,
                termination_date=term,
                indicators=ind,
                release=HCPCS_REF,
            )
        if system == "CPT":
            row = self.pfs.get(c)
            if row is None:
                return CodeInfo("CPT", c, "invalid", release=PFS_REF)
            ind = {
                "status": row["status_code"],
                "global_days": row["glob_days"],
                "mult_proc": row["mult_proc"],
                "bilat_surg": row["bilat_surg"],
                "asst_surg": row["asst_surg"],
                "co_surg": row["co_surg"],
                "team_surg": row["team_surg"],
                "pctc_ind": row["pctc_ind"],
            }
            return CodeInfo(
                "CPT",
                c,
                "active",
                description_note="CPT descriptor text is AMA-licensed and not loaded",
                indicators=ind,
                release=PFS_REF,
            )
        return CodeInfo("ICD10PCS", c, "invalid")

    def _icd_notes(self, code: str) -> dict[str, list[str]]:
        notes: dict[str, list[str]] = {}
        chain = [code, *icd.get_ancestors(code)]
        for node in chain:
            for key, fn in (("excludes1", icd.get_excludes1), ("excludes2", icd.get_excludes2)):
                notes.setdefault(key, []).extend(fn(node))
            for key, fn2 in (
                ("code_first", icd.get_code_first),
                ("use_additional", icd.get_use_additional_code),
            ):
                text = fn2(node)
                if text:
                    notes.setdefault(key, []).append(text)
            sev = icd.get_seven_chr_def(node)
            if sev and "seventh_characters" not in notes:
                notes["seventh_characters"] = [f"{k}: {v}" for k, v in sev.items()]
        return {k: v for k, v in notes.items() if v}

    def exists(self, system: System, code: str) -> bool:
        return self.lookup(code, system=system).status != "invalid"

    def ptp_edits(
        self, codes: Sequence[str], on: dt.date | None = None, setting: Setting = "practitioner"
    ) -> list[PtpEdit]:
        on = on or dt.date.today()
        s = set(codes)
        return [
            e
            for e in self.ptp
            if e.column1 in s and e.column2 in s and (e.deletion_date is None or e.deletion_date >= on)
        ]

    def mue(
        self, codes: Iterable[str], on: dt.date | None = None, setting: Setting = "practitioner"
    ) -> dict[str, MueLimit]:
        return {c: self.mues[c] for c in codes if c in self.mues}

    def add_on_primaries(self, add_on_codes: Iterable[str]) -> dict[str, list[AddOnEdit]]:
        return {c: self.aoc[c] for c in add_on_codes if c in self.aoc}

    def icd10cm_children(self, code: str, billable_only: bool = True) -> list[str]:
        d = _icd_dotted(code)
        if not icd.is_valid_item(d):
            return []
        out = icd.get_descendants(d)
        return [x for x in out if icd.is_leaf(x)] if billable_only else out

    def releases(self) -> list[Release]:
        now = dt.datetime.now(dt.UTC)
        refs = [PFS_REF, HCPCS_REF, ICD_REF, PTP_REF["practitioner"], MUE_REF, AOC_REF]
        return [
            Release(i, r.system, r.version, r.effective_date, r.source_file, "", 0, now)
            for i, r in enumerate(refs, 1)
        ]
