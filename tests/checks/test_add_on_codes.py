"""Add-on codes on the real NCCI AOC file and the PFS global days."""

from __future__ import annotations

from consultant.checks import add_on_codes


def test_11045_without_11042(run):
    [f] = run("11045", check=add_on_codes.check)
    assert f.severity == "error" and "type 1" in f.message and "11042" in f.message
    assert f.source is not None and f.source.file.startswith("aoc_medicare")


def test_11045_with_11042_passes(run):
    assert run("11042", "11045", check=add_on_codes.check) == []


def test_99292_needs_99291(run):
    [f] = run("99292", check=add_on_codes.check)
    assert "99291" in f.message
    assert run("99291", "99292", check=add_on_codes.check) == []


def test_type_3_wording(run):
    [f] = run("20701", check=add_on_codes.check)
    assert f.severity == "warning" and "type 3" in f.message and "11010" in f.message
    assert "contractor may accept others" in f.message


def test_type_2_wording(run):
    [f] = run("0054T", check=add_on_codes.check)
    assert f.severity == "warning" and "type 2" in f.message and "CCCCC" not in f.message


def test_zzz_code_alone_from_pfs_global_days(run):
    # G2211 has global days ZZZ in the PFS and no NCCI add-on edit in the staged AOC file
    [f] = run("G2211", check=add_on_codes.check)
    assert "ZZZ" in f.message and f.source is not None
    assert run("99213", "G2211", check=add_on_codes.check) == []
