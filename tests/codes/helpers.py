"""Small source files for the loader tests, derived from REAL rows of the staged CMS files.

Only CPT descriptor text is made up ("TEST DESCRIPTOR ..."): real CPT descriptors are AMA-licensed
and never appear in this repository."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

from tests.store_fixtures import SHARED_DATA

NCCI = SHARED_DATA / "ncci"
PTP_EXCERPT = NCCI / "excerpts" / "ccipra-v322r0-f1.excerpt.txt"
MUE_EXCERPT = NCCI / "excerpts" / "MCR_MUE_PractitionerServices_Eff_07-01-2026.excerpt.csv"
HCPCS_CSV = SHARED_DATA / "hcpcs" / "HCPC2025_OCT_ANWEB_v4.csv"
HCPCS_XLSX = SHARED_DATA / "hcpcs" / "HCPC2025_OCT_ANWEB_v4.xlsx"
PFS_CSV = SHARED_DATA / "pfs" / "PPRRVU24_JUL_rvu24c_indicators_no_descriptors.csv"
PCS_CSV = SHARED_DATA / "icd10pcs" / "icd_10_pcs.csv"
AOC_CSV = NCCI / "aoc_medicare_active_2024-06-03_reshaped.csv"
MUE_PRAC = NCCI / "MCR_MUE_PractitionerServices_Eff_07-01-2024_reshaped.csv"
HCPCS_TXT = Path(__file__).with_name("fixtures") / "HCPC2025_OCT_ANWEB_sample.txt"

PTP_CODES = {"20610", "0001A", "0001U", "47563", "43239", "45385", "99213"}


def ptp_subset(dest_dir: Path, name: str = "ccipra-v302r0_subset.csv.gz") -> Path:
    """The real July 2024 practitioner PTP rows whose column 1 is one of PTP_CODES (gzip, same layout)."""
    out = dest_dir / name
    with (
        gzip.open(NCCI / "ccipra-v302r0_reshaped.csv.gz", "rt", newline="") as src,
        gzip.open(out, "wt", newline="") as dst,
    ):
        header = src.readline()
        dst.write(header)
        for line in src:
            if line[1:6] in PTP_CODES:
                dst.write(line)
    return out


def pfs_official(
    dest_dir: Path, codes: tuple[str, ...] = ("47381", "11045", "20610", "99213", "76940")
) -> Path:
    """The official PPRRVU CSV layout (notice lines, a 2-line header, DESCRIPTION as the 3rd column)
    built from real staged rows; the description cells are made up."""
    out = dest_dir / "PPRRVU24_JUL.csv"
    with PFS_CSV.open(newline="") as f:
        rows = [r for r in csv.reader(f)]
    header, data = rows[0], rows[1:]
    with out.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["PPRRVU24_JUL"] + [""] * 30)
        w.writerow(["CPT codes and descriptions only are copyright (notice line)"] + [""] * 30)
        w.writerow([""] * 31)
        w.writerow(["", "", "", "STATUS", "NOT USED FOR MEDICARE", "WORK"] + [""] * 25)
        w.writerow(
            ["HCPCS", "MOD", "DESCRIPTION", "CODE", "PAYMENT", "RVU"] + [h.upper() for h in header[6:]]
        )
        n = 0
        for r in data:
            if r[1] in codes:
                n += 1
                w.writerow([r[1], r[2], f"TEST DESCRIPTOR {n}", *r[3:]])
    return out


def pcs_order_file(dest_dir: Path, n: int = 40) -> Path:
    """The CMS ICD-10-PCS order file layout (fixed width) from the first real staged codes."""
    out = dest_dir / "icd10pcs_order_2025.txt"
    with PCS_CSV.open(newline="") as f:
        rows = [r for _, r in zip(range(n), csv.reader(f), strict=False)]
    lines = [f"{1:05d} {'001':<7} 0 {'Central Nervous System and Cranial Nerves, Bypass':<60} "
             "Central Nervous System and Cranial Nerves, Bypass"]  # fmt: skip
    for i, (code, desc) in enumerate(rows, 2):
        lines.append(f"{i:05d} {code:<7} 1 {desc[:60]:<60} {desc}")
    out.write_text("\r\n".join(lines) + "\r\n")
    return out


def aoc_official(dest_dir: Path) -> Path:
    """An AOC file in the column layout CMS describes for its AOC tables (tab-delimited). The column
    order is our best reading of CMS's layout; the code pairs are real rows of the staged AOC file."""
    out = dest_dir / "AOC_V2024Q3-MCR.txt"
    header = [
        "Add-on Code", "Add-On Code Effective Date", "Add-On Code Deletion Date", "Primary Code",
        "Primary Code Effective Date", "Primary Code Deletion Date", "AOC Edit Type",
        "AOC Edit Effective Date", "AOC Edit Deletion Date", "Special Instruction Notes",
    ]  # fmt: skip
    rows = [
        ["11045", "20110101", "*", "11042", "20110101", "*", "1", "20130101", "*", ""],
        ["99292", "19990101", "*", "99291", "19990101", "*", "1", "20130101", "*", ""],
        ["64484", "20110101", "*", "64483", "20110101", "*", "1", "20130101", "*", ""],
        ["64484", "20110101", "*", "64479", "20110101", "*", "1", "20130101", "20131231", "deleted edit"],
    ]
    out.write_text("\r\n".join("\t".join(r) for r in [header, *rows]) + "\r\n")
    return out


def cpt_descriptors(dest_dir: Path) -> Path:
    out = dest_dir / "my_cpt_2024.csv"
    out.write_text("code,description\n99213,TEST DESCRIPTOR ONE\n47381,TEST DESCRIPTOR TWO zebra\n")
    return out
