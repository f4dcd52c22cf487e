"""Cut the demo's embedded code data out of the real CMS files in ../shared/data (a dev tool).

The demo must run on a fresh machine without ../shared, so it ships a small excerpt of the real
public files, in their own layouts, for the codes its sample mails mention. CMS data only: codes,
indicators, HCPCS Level II text, NCCI edits; no CPT descriptor text (the PFS file has none).

    python scripts/dev/make_demo_data.py ../shared/data consultant/demo/data
"""

from __future__ import annotations

import csv
import gzip
import sys
from pathlib import Path

CODES = {
    "99202", "99203", "99204", "99205", "99211", "99212", "99213", "99214", "99215",
    "20610", "20611", "76942", "96372", "11042", "11045", "47120", "27447",
    "J3301", "J1030", "J1040", "J1020", "G0008", "E0601",
}


def main(src: Path, dst: Path) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    with (src / "pfs/PPRRVU24_JUL_rvu24c_indicators_no_descriptors.csv").open() as f, (
        dst / "PPRRVU24_JUL_demo.csv"
    ).open("w", newline="") as out:
        r = csv.reader(f)
        w = csv.writer(out)
        w.writerow(next(r))
        w.writerows(row for row in r if row[1] in CODES)
    with (src / "hcpcs/HCPC2025_OCT_ANWEB_v4.csv").open(encoding="latin-1") as f, (
        dst / "HCPC2025_OCT_ANWEB_demo.csv"
    ).open("w", newline="", encoding="latin-1") as out:
        r = csv.reader(f)
        w = csv.writer(out)
        w.writerow(next(r))
        w.writerows(row for row in r if row[0].strip() in CODES or row[2] in ("7", "8"))
    with gzip.open(src / "ncci/ccipra-v302r0_reshaped.csv.gz", "rt") as f, (
        dst / "ccipra-v302r0_demo_reshaped.csv"
    ).open("w", newline="") as out:
        r = csv.reader(f)
        w = csv.writer(out, quoting=csv.QUOTE_NONNUMERIC)
        w.writerow(next(r))
        for row in r:
            if row[0] in CODES and row[1] in CODES:
                w.writerow([row[0], row[1], row[2], int(row[3]), row[4]])
    for name in ("MCR_MUE_PractitionerServices_Eff_07-01-2024_reshaped.csv",):
        with (src / "ncci" / name).open() as f, (dst / name.replace("_reshaped", "_demo_reshaped")).open(
            "w", newline=""
        ) as out:
            r = csv.reader(f)
            w = csv.writer(out)
            w.writerow(next(r))
            w.writerows(row for row in r if row[0] in CODES)
    with (src / "ncci/aoc_medicare_active_2024-06-03_reshaped.csv").open() as f, (
        dst / "aoc_medicare_active_2024-06-03_demo_reshaped.csv"
    ).open("w", newline="") as out:
        r = csv.reader(f)
        w = csv.writer(out)
        w.writerow(next(r))
        w.writerows(row for row in r if row[1] in CODES)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
