"""The registry: one list, findings most severe first, a failing check does not sink the rest."""

from __future__ import annotations

import datetime as dt

from consultant.checks.model import SEVERITY_ORDER, CheckContext
from consultant.checks.registry import CHECKS, check_names, run_checks


def test_every_check_has_name_and_description():
    names = check_names()
    assert len(names) == len(set(names)) == len(CHECKS)
    for c in CHECKS:
        assert c.name and c.description and callable(c.check)
    assert {
        "invalid_code",
        "code_dates",
        "header_code",
        "seventh_character",
        "ptp_edits",
        "mue_units",
        "add_on_codes",
        "excludes1",
        "code_first",
        "global_surgery",
        "phi",
    } <= set(names)


def test_findings_sorted_most_severe_first(run):
    found = run("99214", "20610x3", "47381", "E11.9", "E10.9", "M17.1", "J1030", on=dt.date(2024, 6, 1))
    ranks = [SEVERITY_ORDER[f.severity] for f in found]
    assert ranks == sorted(ranks)
    rules = {f.rule for f in found}
    assert {"ptp_edits", "mue_units", "excludes1", "header_code", "code_dates", "global_surgery"} <= rules
    for f in found:
        if f.rule != "phi":
            assert f.source is not None and f.source.file and f.source.release


def test_failing_check_is_reported_not_raised(store):
    class Broken:
        name = "broken"
        description = "raises"

        def check(self, ctx):
            raise RuntimeError("boom")

    found = run_checks(CheckContext([], store), checks=(Broken(),))
    assert [f.rule for f in found] == ["check_failed"] and "broken" in found[0].message


def test_findings_are_json(run):
    for f in run("99214", "20610"):
        j = f.to_json()
        assert set(j) == {"rule", "severity", "codes", "message", "source"}
