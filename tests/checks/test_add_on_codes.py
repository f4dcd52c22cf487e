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
