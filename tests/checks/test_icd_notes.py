"""Excludes1 and code first / use additional code on real ICD-10-CM notes."""

from __future__ import annotations

from consultant.checks import code_first, excludes1
from consultant.checks.icd_refs import matches, note_refs


def test_note_references_with_ranges_and_categories():
    assert note_refs("bilateral involvement of single joint (M16-M19)") == (("M16", "M19"),)
    assert note_refs("gestational diabetes (O24.4-)") == (("O244", "O244"),)
    assert note_refs("(T82.6-T82.7, T85.7)") == (("T826", "T827"), ("T857", "T857"))
    assert matches("M17.11", ("M16", "M19")) and not matches("M15.0", ("M16", "M19"))
    assert matches("E10.9", ("E10", "E10")) and not matches("E11.9", ("E10", "E10"))


def test_type1_and_type2_diabetes_excludes1(run):
    [f] = run("E11.9", "E10.9", check=excludes1.check)
    assert f.severity == "warning" and set(f.codes) == {"E11.9", "E10.9"}
    assert "Excludes1" in f.message and "unrelated" in f.message


def test_excludes1_through_a_range(run):
    [f] = run("M15.0", "M17.11", check=excludes1.check)
    assert "M16-M19" in f.message


def test_no_excludes1_for_osteoarthritis_and_diabetes(run):
    assert run("M17.11", "E11.9", check=excludes1.check) == []


def test_code_first_reminder_when_partner_absent(run):
    [f] = [x for x in run("N18.3", check=code_first.check) if "code first" in x.message]
    assert f.severity == "info" and "E11.22" in f.message


def test_code_first_quiet_when_partner_present(run):
    found = run("N18.30", "E11.22", check=code_first.check)
    assert not any("code first" in x.message for x in found if x.codes == ("N18.30",))
