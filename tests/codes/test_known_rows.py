"""The full store over the real staged data (tests/store_fixtures.py): known rows of the issue."""

from __future__ import annotations

import datetime as dt

import pytest

from consultant.codes.store import CPT_LICENCE_NOTE, SqlCodeStore

pytestmark = pytest.mark.slow
DOS = dt.date(2024, 8, 15)


def test_hcpcs_e0601_is_the_cpap_device(full_store: SqlCodeStore) -> None:
    info = full_store.lookup("E0601", DOS)
    assert info.system == "HCPCS" and info.status == "active"
    assert info.description == "Continuous positive airway pressure (cpap) device"
    assert info.indicators["betos"] == "D1E" and info.indicators["coverage"] == "D"
    assert info.release is not None and info.release.system == "HCPCS" and info.release.version == "2025-10"


def test_hcpcs_g0008_flu_vaccine_administration(full_store: SqlCodeStore) -> None:
    info = full_store.lookup("g0008", DOS)
    assert info.description == "Administration of influenza virus vaccine"
    assert info.indicators["betos"] == "O1G"


def test_hcpcs_j1030_terminated_2024_03_31(full_store: SqlCodeStore) -> None:
    assert full_store.lookup("J1030", dt.date(2024, 3, 31)).status == "active"
    info = full_store.lookup("J1030", dt.date(2024, 4, 1))
    assert info.status == "terminated"
    assert info.termination_date == dt.date(2024, 3, 31)
    assert info.description == "Injection, methylprednisolone acetate, 40 mg"


def test_pfs_global_days(full_store: SqlCodeStore) -> None:
    a = full_store.lookup("47381", DOS)
    assert a.system == "CPT" and a.status == "active"
    assert a.indicators["global_days"] == "090"
    assert a.indicators["mult_proc"] == "2" and a.indicators["assistant"] == "2"
    assert a.indicators["co_surgeon"] == "1" and a.indicators["bilateral"] == "0"
    assert full_store.lookup("11045", DOS).indicators["global_days"] == "ZZZ"
    assert full_store.lookup("47379", DOS).indicators["global_days"] == "YYY"
    assert full_store.lookup("20610", DOS).indicators["bilateral"] == "1"
    assert full_store.lookup("76940", DOS).indicators["pfs_modifiers"] == "26,TC"


def test_cpt_without_licence_has_no_descriptor(full_store: SqlCodeStore) -> None:
    info = full_store.lookup("99213", DOS)
    assert info.description is None
    assert info.description_note == CPT_LICENCE_NOTE


def test_icd10cm_billable_and_header(full_store: SqlCodeStore) -> None:
    leaf = full_store.lookup("M17.11")
    assert leaf.system == "ICD10CM" and leaf.billable is True and leaf.status == "active"
    header = full_store.lookup("M17.1")
    assert header.billable is False and header.status == "active"
    assert full_store.lookup("M1711").code == "M17.11"  # without the dot


def test_icd10cm_k76_89_carries_ancestor_excludes1(full_store: SqlCodeStore) -> None:
    info = full_store.lookup("K76.89")
    assert "jaundice NOS (R17)" in info.notes["excludes1"]  # from block K70-K77
    assert "R17" in info.notes["excludes1_codes"]
    assert "alcoholic liver disease (K70.-)" in info.notes["excludes2"]  # from category K76


def test_icd10cm_seventh_character_and_placeholder(full_store: SqlCodeStore) -> None:
    s72 = full_store.lookup("S72.001")
    assert s72.billable is False
    sevenths = s72.notes["seventh_characters"]
    assert any(n.startswith("A: initial encounter for closed fracture") for n in sevenths)
    assert s72.indicators["seventh_character_required"] == "true"
    full = full_store.lookup("S72.001A")
    assert full.billable is True and full.indicators["has_seventh_character"] == "true"
    t36 = full_store.lookup("T36.0X1A")
    assert t36.indicators["placeholder_x"] == "true" and t36.billable is True
    use_add = full_store.lookup("E11.9").notes["use_additional"]
    assert any("Z79.4" in n for n in use_add)


def test_icd10cm_children(full_store: SqlCodeStore) -> None:
    assert full_store.icd10cm_children("M17.1") == ["M17.10", "M17.11", "M17.12"]
    assert "M17.1" in full_store.icd10cm_children("M17", billable_only=False)


def test_icd10pcs(full_store: SqlCodeStore) -> None:
    info = full_store.lookup("0FT44ZZ")
    assert info.system == "ICD10PCS"
    assert info.description == "Resection of Gallbladder, Percutaneous Endoscopic Approach"
    assert info.release is not None and info.release.version == "FY2024"


def test_invalid_codes(full_store: SqlCodeStore) -> None:
    assert full_store.lookup("M17.19").status == "invalid"
    assert full_store.lookup("Z9999", system="HCPCS").status == "invalid"
    assert full_store.lookup("00000").status == "invalid"


def test_exists(full_store: SqlCodeStore) -> None:
    assert full_store.exists("ICD10CM", "M17.11")
    assert full_store.exists("ICD10CM", "M17.1")  # header codes are known codes
    assert full_store.exists("ICD10CM", "M1711")
    assert not full_store.exists("ICD10CM", "M17.19")
    assert full_store.exists("HCPCS", "E0601") and full_store.exists("HCPCS", "J1030")
    assert full_store.exists("CPT", "47381") and not full_store.exists("CPT", "E0601")
    assert full_store.exists("ICD10PCS", "0FT44ZZ")


def test_ptp_20610_99213_modifier_indicator_1(full_store: SqlCodeStore) -> None:
    edits = full_store.ptp_edits(["99213", "20610"], DOS)
    assert [(e.column1, e.column2, e.modifier_indicator, e.deletion_date) for e in edits] == [
        ("20610", "99213", 1, None)
    ]
    assert edits[0].release is not None and edits[0].release.version == "v30.2"
    hosp = full_store.ptp_edits(["20610", "99213"], DOS, setting="hospital")
    assert all(e.setting == "hospital" for e in hosp)


def test_ptp_claim_of_ten_codes(full_store: SqlCodeStore) -> None:
    codes = ["47563", "47562", "43239", "43235", "45385", "45380", "20610", "76942", "99213", "11042"]
    pairs = {(e.column1, e.column2): e.modifier_indicator for e in full_store.ptp_edits(codes, DOS)}
    assert pairs[("47563", "47562")] == 0
    assert pairs[("43239", "43235")] == 0
    assert pairs[("45385", "45380")] == 1
    assert pairs[("20610", "76942")] == 1


def test_ptp_deleted_edits_follow_the_date(full_store: SqlCodeStore) -> None:
    # 0001A/0591T was deleted 2023-12-31: the deletion date is the last day the edit applies
    assert full_store.ptp_edits(["0001A", "0591T"], dt.date(2023, 12, 31))
    assert not full_store.ptp_edits(["0001A", "0591T"], dt.date(2024, 1, 1))


def test_mue_20610(full_store: SqlCodeStore) -> None:
    m = full_store.mue(["20610", "J3301", "J1030"], DOS)
    assert (m["20610"].value, m["20610"].adjudication_indicator) == (2, 3)
    assert m["20610"].adjudication_text == "Date of Service Edit: Clinical"
    assert m["J3301"].value == 16
    assert "J1030" not in m
    assert full_store.mue(["E0601"], DOS, setting="dme")["E0601"].value == 1


def test_add_on_11045_primary_11042(full_store: SqlCodeStore) -> None:
    aoc = full_store.add_on_primaries(["11045", "99213"])
    assert "99213" not in aoc
    assert [(e.primary_code, e.edit_type) for e in aoc["11045"]] == [("11042", 1)]
    assert {e.primary_code for e in full_store.add_on_primaries(["22614"])["22614"]} >= {
        "22600", "22610", "22612", "22630", "22633"
    }  # fmt: skip


def test_modifier_lookup(full_store: SqlCodeStore) -> None:
    lt = full_store.modifier_description("LT")
    assert lt == "Left side (used to identify procedures performed on the left side of the body)"
    assert full_store.modifier_description("ZZ") is None


def test_search_ranked(full_store: SqlCodeStore) -> None:
    hits = full_store.search("primary osteoarthritis right knee", limit=5)
    assert hits[0].code == "M17.11"
    cpap = full_store.search("continuous positive airway pressure device", system="HCPCS", limit=3)
    assert cpap[0].code == "E0601"
    pcs = full_store.search("gallbladder resection percutaneous endoscopic", system="ICD10PCS")
    assert pcs[0].code == "0FT44ZZ"


def test_releases_recorded(full_store: SqlCodeStore) -> None:
    rels = {r.system: r for r in full_store.releases()}
    assert rels["NCCI_PTP_PRACTITIONER"].row_count == 2_546_017
    assert rels["NCCI_PTP_HOSPITAL"].row_count == 1_775_818
    assert rels["HCPCS"].row_count == 8_846  # 8,463 codes + 383 modifiers
    assert rels["ICD10CM"].version == "FY2026"
    assert all(len(r.sha256) == 64 for r in rels.values())


def test_hcpcs_code_known_only_from_the_pfs_file(full_store: SqlCodeStore) -> None:
    assert full_store.exists("HCPCS", "D0120")  # dental code: PFS rows, not in the HCPCS file
    info = full_store.lookup("D0120", DOS)
    assert info.system == "HCPCS" and info.status == "active" and info.indicators["status"]
    assert info.description is None and info.description_note is not None
