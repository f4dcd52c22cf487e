"""Loaders on real staged files and on the official CMS layouts, releases, bad input (SQLite)."""

from __future__ import annotations

import datetime as dt
import gzip
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from consultant.codes.errors import LoadError
from consultant.codes.loaders import hcpcs
from consultant.codes.releases import create_schema, detect_kind, list_releases, load_file, scan_dir
from consultant.codes.store import CPT_LICENCE_NOTE, SqlCodeStore
from consultant.db.session import make_engine
from tests.codes import helpers as h


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    e = make_engine(f"sqlite:///{tmp_path / 'codes.sqlite3'}")
    create_schema(e)
    return e


def _store(engine: Engine) -> SqlCodeStore:
    return SqlCodeStore(engine, auto_icd10cm=False)


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


# ------------------------------------------------------------------------------------------- HCPCS
def test_hcpcs_fixed_width_text_joins_continuation_lines(engine: Engine) -> None:
    r = load_file(engine, "hcpcs", h.HCPCS_TXT)
    assert (r.system, r.version, r.effective_date) == ("HCPCS", "2025-10", dt.date(2025, 10, 1))
    store = _store(engine)
    g0019 = store.lookup("G0019", dt.date(2025, 11, 1))
    assert g0019.description is not None and len(g0019.description) > 3000  # 40+ continuation lines
    assert g0019.description.startswith("Community health integration services performed by certified")
    j1030 = store.lookup("J1030", dt.date(2025, 11, 1))
    assert j1030.status == "terminated" and j1030.termination_date == dt.date(2024, 3, 31)
    assert store.lookup("E0601").indicators["betos"] == "D1E"
    tc = store.modifier_description("TC")
    assert tc is not None and tc.startswith("Technical component")


def test_hcpcs_text_matches_the_csv_rows() -> None:
    txt = {r.get("code") or r.get("modifier"): r for _, r in hcpcs.parse(h.HCPCS_TXT)}
    csv_rows = {r.get("code") or r.get("modifier"): r for _, r in hcpcs.parse(h.HCPCS_CSV)}
    assert len(txt) == 10
    for code, row in txt.items():
        assert row == csv_rows[code], code


def test_hcpcs_xlsx_and_csv_agree() -> None:
    xlsx = list(hcpcs.parse(h.HCPCS_XLSX))
    csv_rows = list(hcpcs.parse(h.HCPCS_CSV))
    assert len(xlsx) == len(csv_rows) == 8846
    assert sum(1 for k, _ in xlsx if k == "modifier") == 383
    assert xlsx == csv_rows


def test_same_file_twice_changes_nothing(engine: Engine) -> None:
    first = load_file(engine, "hcpcs", h.HCPCS_CSV)
    n = _count(engine, "cs_code")
    again = load_file(engine, "hcpcs", h.HCPCS_CSV)
    assert not first.skipped and again.skipped and again.release_id == first.release_id
    assert _count(engine, "cs_code") == n and len(list_releases(engine)) == 1


def test_newer_quarter_is_added_beside_the_older(engine: Engine, tmp_path: Path) -> None:
    load_file(engine, "hcpcs", h.HCPCS_TXT)
    newer = tmp_path / "HCPC2026_JAN_ANWEB_sample.txt"
    lines = h.HCPCS_TXT.read_text(encoding="cp1252").splitlines(keepends=True)
    newer.write_text("".join(x for x in lines if not x.startswith("E0601")), encoding="cp1252")
    r = load_file(engine, "hcpcs", newer)
    assert r.version == "2026-01" and r.effective_date == dt.date(2026, 1, 1)
    assert [x.version for x in list_releases(engine)] == ["2025-10", "2026-01"]
    store = _store(engine)
    old = store.lookup("G0008", dt.date(2025, 12, 1))
    new = store.lookup("G0008", dt.date(2026, 2, 1))
    assert old.release is not None and old.release.version == "2025-10"
    assert new.release is not None and new.release.version == "2026-01"
    assert store.lookup("E0601", dt.date(2025, 12, 1)).status == "active"
    dropped = store.lookup("E0601", dt.date(2026, 2, 1))  # not in the release in force
    assert dropped.status == "terminated" and dropped.release is not None
    assert dropped.release.version == "2025-10"


# --------------------------------------------------------------------------------------------- PFS
def test_pfs_official_layout_drops_the_descriptor_column(engine: Engine, tmp_path: Path) -> None:
    r = load_file(engine, "pfs", h.pfs_official(tmp_path))
    assert (r.system, r.version, r.rows) == ("PFS", "2024-07", 7)  # 76940 has 3 rows
    store = _store(engine)
    a = store.lookup("47381", dt.date(2024, 8, 1))
    assert a.indicators["global_days"] == "090" and a.indicators["mult_proc"] == "2"
    assert store.lookup("11045").indicators["global_days"] == "ZZZ"
    assert a.description is None and a.description_note == CPT_LICENCE_NOTE
    with engine.connect() as conn:
        dump = "\n".join(str(row) for row in conn.execute(text("SELECT * FROM cs_pfs")))
    assert "TEST DESCRIPTOR" not in dump


def test_pfs_staged_layout(engine: Engine) -> None:
    r = load_file(engine, "pfs", h.PFS_CSV)
    assert r.rows == 18664
    assert _store(engine).lookup("47379").indicators["status"] == "C"


# --------------------------------------------------------------------------------------------- PTP
def test_ptp_official_layout_excerpt(engine: Engine) -> None:
    r = load_file(engine, "ptp", h.PTP_EXCERPT)
    assert (r.system, r.version, r.effective_date, r.rows) == (
        "NCCI_PTP_PRACTITIONER", "v32.2", dt.date(2026, 7, 1), 154
    )  # fmt: skip
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT effective_ymd, deletion_ymd, modifier_indicator, prior_1996 FROM cs_ptp "
                "WHERE column1 = '0001A' AND column2 = '0591T'"
            )
        ).one()
    assert tuple(row) == (20220101, 20231231, 1, 0)


def test_ptp_releases_by_date_and_deletion_semantics(engine: Engine, tmp_path: Path) -> None:
    load_file(engine, "ptp", h.ptp_subset(tmp_path))  # v30.2, July 2024, reshaped, gzip
    load_file(engine, "ptp", h.PTP_EXCERPT)  # v32.2, July 2026, official layout
    store = _store(engine)
    e2024 = store.ptp_edits(["0001U", "0029U"], dt.date(2024, 8, 1))
    assert [(e.column1, e.column2, e.deletion_date) for e in e2024] == [("0001U", "0029U", None)]
    assert e2024[0].release is not None and e2024[0].release.version == "v30.2"
    # in v32.2 the edit was deleted 2026-06-30: the deletion date is the last day it applies
    assert not store.ptp_edits(["0001U", "0029U"], dt.date(2026, 7, 15))
    added = store.ptp_edits(["0001U", "0417U"], dt.date(2026, 7, 15))
    assert added and added[0].effective_date is not None
    assert not store.ptp_edits(["0001U", "0417U"], dt.date(2024, 8, 1))  # not in the 2024 release
    e = store.ptp_edits(["99213", "20610"], dt.date(2024, 8, 1))
    assert [(x.column1, x.column2, x.modifier_indicator) for x in e] == [("20610", "99213", 1)]


def test_truncated_official_ptp_is_reported_and_nothing_stays(engine: Engine, tmp_path: Path) -> None:
    cut = tmp_path / "ccipra-v322r0-f1.txt"
    raw = h.PTP_EXCERPT.read_bytes()
    lines = raw.split(b"\r\n")
    cut.write_bytes(b"\r\n".join(lines[:56]) + b"\r\n0001A\t0593")
    with pytest.raises(LoadError) as err:
        load_file(engine, "ptp", cut)
    assert err.value.line == 57 and "cut" in err.value.reason
    assert err.value.file.endswith("ccipra-v322r0-f1.txt")
    assert _count(engine, "cs_release") == 0 and _count(engine, "cs_ptp") == 0


def test_truncated_gzip_is_reported_and_nothing_stays(engine: Engine, tmp_path: Path) -> None:
    whole = h.ptp_subset(tmp_path)
    cut = tmp_path / "ccipra-v302r0_cut.csv.gz"
    data = whole.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(LoadError) as err:
        load_file(engine, "ptp", cut)
    assert "truncated" in err.value.reason and err.value.line > 1
    assert _count(engine, "cs_release") == 0 and _count(engine, "cs_ptp") == 0


def test_ptp_unknown_quarter(engine: Engine, tmp_path: Path) -> None:
    bad = tmp_path / "ccipra-v305r0-f1.txt"
    shutil.copy(h.PTP_EXCERPT, bad)
    with pytest.raises(LoadError, match="unknown NCCI quarter"):
        load_file(engine, "ptp", bad)


# --------------------------------------------------------------------------------------------- MUE
def test_mue_official_layout_with_notice_row(engine: Engine) -> None:
    r = load_file(engine, "mue", h.MUE_EXCERPT)
    assert (r.system, r.effective_date, r.rows) == ("NCCI_MUE_PRACTITIONER", dt.date(2026, 7, 1), 44)
    m = _store(engine).mue(["0001U", "0002M"], dt.date(2026, 8, 1))
    assert (m["0001U"].value, m["0001U"].adjudication_indicator) == (1, 2)
    assert m["0001U"].adjudication_text == "Date of Service Edit: Policy"
    assert m["0002M"].rationale == "Nature of Analyte"


def test_mue_bad_code_row(engine: Engine, tmp_path: Path) -> None:
    bad = tmp_path / "MCR_MUE_PractitionerServices_Eff_07-01-2024.csv"
    lines = h.MUE_PRAC.read_text().splitlines()
    lines[4] = "2061!,2,3,Clinical: Data"
    bad.write_text("\n".join(lines[:20]) + "\n")
    with pytest.raises(LoadError) as err:
        load_file(engine, "mue", bad)
    assert err.value.line == 5 and "bad code" in err.value.reason
    assert _count(engine, "cs_release") == 0 and _count(engine, "cs_mue") == 0


# --------------------------------------------------------------------------------------------- AOC
def test_aoc_staged_and_official_layouts(engine: Engine, tmp_path: Path) -> None:
    load_file(engine, "aoc", h.AOC_CSV)
    store = _store(engine)
    assert [e.primary_code for e in store.add_on_primaries(["11045"])["11045"]] == ["11042"]
    r = load_file(engine, "aoc", h.aoc_official(tmp_path))
    assert (r.version, r.effective_date, r.rows) == ("2024Q3", dt.date(2024, 7, 1), 4)
    store.refresh()
    aoc = store.add_on_primaries(["64484"], dt.date(2024, 8, 1))
    assert [e.primary_code for e in aoc["64484"]] == ["64483"]  # the deleted 64479 edit is not in force


# ------------------------------------------------------------------------------------ ICD-10-PCS
def test_icd10pcs_csv_and_order_file(engine: Engine, tmp_path: Path) -> None:
    r = load_file(engine, "icd10pcs", h.PCS_CSV)
    assert (r.version, r.rows) == ("FY2024", 78638)  # year read from the New Technology groups
    r2 = load_file(engine, "icd10pcs", h.pcs_order_file(tmp_path))
    assert (r2.version, r2.effective_date, r2.rows) == ("FY2025", dt.date(2024, 10, 1), 40)
    info = _store(engine).lookup("0016070", dt.date(2024, 11, 1))
    assert info.release is not None and info.release.version == "FY2025"
    assert (
        info.description
        == "Bypass Cerebral Ventricle to Nasopharynx with Autologous Tissue Substitute, Open Approach"
    )


# ------------------------------------------------------------------------------- CPT descriptors
def test_cpt_descriptor_file_of_a_licensed_user(engine: Engine, tmp_path: Path) -> None:
    load_file(engine, "pfs", h.PFS_CSV)
    store = _store(engine)
    assert store.lookup("99213").description_note == CPT_LICENCE_NOTE
    load_file(engine, "cpt_descriptors", h.cpt_descriptors(tmp_path))
    store.refresh()
    info = store.lookup("99213")
    assert info.description == "TEST DESCRIPTOR ONE" and info.description_note is None
    assert info.indicators["global_days"] == "XXX"
    assert [x.code for x in store.search("zebra", system="CPT")] == ["47381"]


# ------------------------------------------------------------------------------------- bad input
def test_wrong_layout_is_reported(engine: Engine, tmp_path: Path) -> None:
    wrong = tmp_path / "PPRRVU24_JUL.csv"
    shutil.copy(h.MUE_PRAC, wrong)
    with pytest.raises(LoadError) as err:
        load_file(engine, "pfs", wrong)
    assert "not a PPRRVU layout" in err.value.reason and err.value.line > 0
    assert _count(engine, "cs_release") == 0


def test_unknown_quarter_is_reported(engine: Engine, tmp_path: Path) -> None:
    nameless = tmp_path / "hcpcs_codes.csv"
    shutil.copy(h.HCPCS_CSV, nameless)
    with pytest.raises(LoadError, match="cannot tell the release"):
        load_file(engine, "hcpcs", nameless)
    r = load_file(engine, "hcpcs", nameless, version="2025-10", effective_date=dt.date(2025, 10, 1))
    assert r.rows == 8846


def test_bad_code_row_rolls_back_everything(engine: Engine, tmp_path: Path) -> None:
    bad = tmp_path / "PPRRVU24_JUL_bad.csv"
    lines = h.PFS_CSV.read_text().splitlines()
    lines[9000] = lines[9000].replace(lines[9000].split(",")[1], "47!81", 1)
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(LoadError) as err:
        load_file(engine, "pfs", bad)
    assert err.value.line == 9001 and "bad code" in err.value.reason
    assert str(err.value).startswith("PPRRVU24_JUL_bad.csv:9001: ")
    assert _count(engine, "cs_pfs") == 0 and _count(engine, "cs_release") == 0


def test_dir_recognizes_cms_names(tmp_path: Path) -> None:
    found = {(k, p.name) for k, p in scan_dir(h.SHARED_DATA)}
    assert ("hcpcs", "HCPC2025_OCT_ANWEB_v4.xlsx") in found
    assert ("hcpcs", "HCPC2025_OCT_ANWEB_v4.csv") not in found  # one format per release
    assert ("pfs", "PPRRVU24_JUL_rvu24c_indicators_no_descriptors.csv") in found
    assert ("ptp", "ccioph-v302r0_reshaped.csv.gz") in found
    assert ("mue", "MCR_MUE_DMESupplierServices_Eff_07-01-2024_reshaped.csv") in found
    assert ("aoc", "aoc_medicare_active_2024-06-03_reshaped.csv") in found
    assert ("icd10pcs", "icd_10_pcs.csv") in found
    assert not any("excerpt" in name or "addon" in name for _, name in found)
    assert detect_kind("AOC_V2025Q4_01-MCR.txt") == "aoc"
    assert detect_kind("icd10pcs_order_2026.txt") == "icd10pcs"
    assert detect_kind("PPRRVU2026_Jan_nonQPP.csv") == "pfs"
    assert detect_kind("HCPC2025_OCT_ANWEB_Transaction_Report_v4.xlsx") is None


def test_gzip_helper_roundtrip(tmp_path: Path) -> None:
    p = h.ptp_subset(tmp_path)
    with gzip.open(p, "rt") as f:
        assert f.readline().startswith('"column_1"')
