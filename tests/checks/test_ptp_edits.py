"""NCCI PTP edits on real v30.2 practitioner rows."""

from __future__ import annotations

import pytest

from consultant.checks import ptp_edits
from consultant.checks.base import PTP_BYPASS_MODIFIERS


def test_em_with_25_and_20610_is_bypassed_with_documentation(run):
    [f] = run("99214-25", "20610", check=ptp_edits.check)
    assert f.codes == ("20610", "99214")  # column 1, column 2 as in the CMS file
    assert f.severity == "info"
    assert "modifier indicator 1" in f.message and "25 on 99214" in f.message
    assert f.source is not None and f.source.file.startswith("ccipra-v302r0")
    assert "v30.2" in f.source.release


def test_em_without_modifier_is_not_payable_unless_modifier(run):
    [f] = run("99214", "20610", check=ptp_edits.check)
    assert f.severity == "error"
    assert "not payable with 20610 unless a modifier applies" in f.message
    assert "modifier 25 on 99214" in f.message


def test_either_order_is_found(run):
    [a] = run("20610", "99213", check=ptp_edits.check)
    [b] = run("99213", "20610", check=ptp_edits.check)
    assert a.codes == b.codes == ("20610", "99213")


def test_modifier_on_column1_only_is_a_warning(run):
    [f] = run("20610-RT", "76942", check=ptp_edits.check)
    assert f.severity == "warning" and "column 1 code 20610" in f.message


def test_59_on_column2_bypasses_indicator_1(run):
    [f] = run("20610", "76942-59", check=ptp_edits.check)
    assert f.severity == "info" and "59 on 76942" in f.message


def test_indicator_0_cannot_be_bypassed(run):
    [f] = run("47563", "47562-59", check=ptp_edits.check)
    assert f.codes == ("47563", "47562")
    assert f.severity == "error" and "modifier indicator 0" in f.message
    assert "no modifier bypasses" in f.message and "59" in f.message


def test_25_on_a_procedure_does_not_bypass(run):
    [f] = run("20610", "76942-25", check=ptp_edits.check)
    assert f.severity == "error" and "25 on 76942 cannot bypass" in f.message


def test_no_edit_no_finding(run):
    assert run("99214", "J3301", check=ptp_edits.check) == []


def test_bypass_modifier_list_is_the_ncci_list():
    for mod in [
        "E1",
        "E4",
        "FA",
        "F9",
        "TA",
        "T9",
        "LT",
        "RT",
        "LC",
        "LD",
        "RC",
        "LM",
        "RI",
        "24",
        "25",
        "57",
        "58",
        "78",
        "79",
        "27",
        "59",
        "91",
        "XE",
        "XS",
        "XP",
        "XU",
    ]:
        assert mod in PTP_BYPASS_MODIFIERS
    assert "76" not in PTP_BYPASS_MODIFIERS and "50" not in PTP_BYPASS_MODIFIERS


def test_em_with_major_surgery_suggests_57(run):
    [f] = run("47381", "99213", check=ptp_edits.check)
    assert f.codes == ("47381", "99213") and f.severity == "error"
    assert "modifier 57 on 99213" in f.message


def test_same_anatomic_modifier_on_both_codes_does_not_bypass(run):
    [f] = run("20610-RT", "76942-RT", check=ptp_edits.check)
    assert f.severity == "error"
    [g] = run("20610-RT", "76942-LT", check=ptp_edits.check)
    assert g.severity == "info" and "LT on 76942" in g.message


def test_hospital_setting_reads_the_outpatient_table(run, store):
    if type(store).__name__ == "StagedDataDouble":
        pytest.skip("the staged-data double reads the practitioner table only")
    [f] = run("20610", "96372", check=ptp_edits.check, setting="hospital")
    assert "hospital outpatient" in f.message and f.severity == "error"
    assert f.source is not None and f.source.file.startswith("ccioph-v302r0")
