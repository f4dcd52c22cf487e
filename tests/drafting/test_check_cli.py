"""`caseconsultant check ... --json`."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from consultant.cli import check_cmd
from consultant.cli.main import app


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("99214-25", ("99214", ["25"], None)),
        ("20610", ("20610", [], None)),
        ("J3301x4", ("J3301", [], 4)),
        ("20610-RT-59", ("20610", ["RT", "59"], None)),
        ("20610-rt-59x2", ("20610", ["RT", "59"], 2)),
        ("M17.11", ("M17.11", [], None)),
        ("T36.0X1A", ("T36.0X1A", [], None)),
        ("T36.0X1", ("T36.0X1", [], None)),
    ],
)
def test_parse_code_arg(token, expected):
    assert check_cmd.parse_code_arg(token) == expected


def test_bad_modifier_is_refused():
    with pytest.raises(check_cmd.ArgError):
        check_cmd.parse_code_arg("99214-ABC")


def test_check_json(store, monkeypatch):
    monkeypatch.setattr(check_cmd, "_open_store", lambda: store)
    result = CliRunner().invoke(
        app, ["check", "99214-25", "20610x3", "J1030", "M17.1", "--date", "2024-06-01", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    rules = [f["rule"] for f in data["findings"]]
    assert {"ptp_edits", "mue_units", "code_dates", "header_code"} <= set(rules)
    sev = [f["severity"] for f in data["findings"]]
    assert sev == sorted(sev, key=["error", "warning", "info"].index)
    assert [c["code"] for c in data["codes"]] == ["99214", "20610", "J1030", "M17.1"]
    assert data["codes"][0]["modifiers"] == ["25"] and data["codes"][1]["units"] == 3


def test_check_bad_date(store, monkeypatch):
    monkeypatch.setattr(check_cmd, "_open_store", lambda: store)
    result = CliRunner().invoke(app, ["check", "99214", "--date", "June 1", "--json"])
    assert result.exit_code != 0
