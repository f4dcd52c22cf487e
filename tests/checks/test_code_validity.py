"""Invalid codes, code dates, header codes and 7th characters on real HCPCS / ICD-10-CM data."""

from __future__ import annotations

import datetime as dt

from consultant.checks import code_dates, header_code, invalid_code, seventh_character


def test_j1030_terminated_before_the_date_of_service(run):
    [f] = run("J1030", check=code_dates.check, on=dt.date(2024, 6, 1))
    assert f.severity == "error" and "2024-03-31" in f.message and "2024-06-01" in f.message
    assert f.source is not None and f.source.file.startswith("HCPC2025_OCT")


def test_j1030_valid_before_termination(run):
    assert run("J1030", check=code_dates.check, on=dt.date(2024, 1, 15)) == []


def test_invalid_icd_code(run):
    [f] = run("M17.99", check=invalid_code.check)
    assert f.severity == "error" and "M17.99" in f.message and "ICD-10-CM" in f.message


def test_valid_codes_are_not_invalid(run):
    assert run("99214", "20610", "J3301", "M17.11", check=invalid_code.check) == []


def test_m17_1_header_suggests_billable_children(run):
    [f] = run("M17.1", check=header_code.check)
    assert f.severity == "error"
    for child in ("M17.10", "M17.11", "M17.12"):
        assert child in f.message


def test_header_suggestions_are_capped(run):
    [f] = run("E11", check=header_code.check)
    assert "more" in f.message and f.message.count("E11.") <= header_code.MAX_SUGGESTIONS + 1


def test_billable_code_is_not_a_header(run):
    assert run("M17.11", check=header_code.check) == []


def test_s72_001_missing_seventh_character(run):
    [f] = run("S72.001", check=seventh_character.check)
    assert f.severity == "error" and "7th character" in f.message and "S72.001_" in f.message
    assert "S72.001A" not in f.message  # nothing in the (empty) mail says which episode of care
    [ed] = run("S72.001", check=seventh_character.check, text="ED visit, closed fracture")
    assert "S72.001A" in ed.message
    assert run("S72.001", check=header_code.check) == []  # one finding, not two


def test_placeholder_x_needed(run):
    [f] = run("T81.40", check=seventh_character.check)
    assert "placeholder X" in f.message and "T81.40X_" in f.message
    [ed] = run("T81.40", check=seventh_character.check, text="initial encounter in the ED")
    assert "T81.40XA" in ed.message


def test_placeholder_x_missing_in_written_code(run):
    [f] = run("T81.40A", check=seventh_character.check)
    assert "T81.40XA" in f.message


def test_complete_code_passes(run):
    assert run("S72.001A", "T81.40XA", check=seventh_character.check) == []


def test_seventh_characters_are_listed_compactly(run):
    [f] = run("S72.001", check=seventh_character.check)
    assert "A, B, C, D" in f.message and "S sequela" in f.message
