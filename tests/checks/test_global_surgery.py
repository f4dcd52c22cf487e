"""Global surgical package and modifier use, on real PFS global days."""

from __future__ import annotations

from consultant.checks import global_surgery


def test_em_with_090_procedure_without_modifier(run):
    [f] = run("47381", "99213", check=global_surgery.check)
    assert f.severity == "warning" and f.codes == ("99213", "47381")
    assert "090" in f.message and "57" in f.message and "24" in f.message
    assert f.source is not None and f.source.file.startswith("PPRRVU24")


def test_em_with_57_passes(run):
    assert run("47381", "99213-57", check=global_surgery.check) == []


def test_em_with_000_procedure_is_left_to_ptp(run):
    assert run("20610", "99213", check=global_surgery.check) == []


def test_25_on_a_procedure(run):
    [f] = run("20610-25", check=global_surgery.check)
    assert f.severity == "error" and "not an E/M" in f.message


def test_59_where_an_x_modifier_fits(run):
    [f] = run("20610-59", check=global_surgery.check)
    assert f.severity == "info" and "XS" in f.message
    assert run("20610-XS", check=global_surgery.check) == []
