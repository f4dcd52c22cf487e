"""MUE units on the real practitioner table of 2024-07-01."""

from __future__ import annotations

from consultant.checks import mue_units


def test_20610_x3_is_above_mue_2_mai_3(run):
    [f] = run("20610x3", check=mue_units.check)
    assert f.severity == "error" and f.codes == ("20610",)
    assert "MUE value of 2" in f.message and "MAI 3" in f.message and "clinical" in f.message
    assert (
        f.source is not None and f.source.file == "MCR_MUE_PractitionerServices_Eff_07-01-2024_reshaped.csv"
    )


def test_units_within_mue_pass(run):
    assert run("20610x2", "J3301x4", check=mue_units.check) == []


def test_j3301_above_16(run):
    [f] = run("J3301x20", check=mue_units.check)
    assert "MUE value of 16" in f.message


def test_no_units_given_no_finding(run):
    assert run("20610", check=mue_units.check) == []


def test_mai_meanings_are_named():
    assert "claim line" in mue_units.MAI_MEANING[1]
    assert "policy" in mue_units.MAI_MEANING[2]
    assert "clinical" in mue_units.MAI_MEANING[3]
