"""`caseconsultant codes load|lookup|search|releases` end to end on a fresh SQLite database."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from consultant.cli.main import app
from consultant.db.session import reset_engines
from consultant.settings import reset_settings
from tests.codes import helpers as h

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    data = tmp_path / "cms"
    data.mkdir()
    shutil.copy(h.HCPCS_TXT, data / h.HCPCS_TXT.name)
    shutil.copy(h.PTP_EXCERPT, data / "ccipra-v322r0-f1.txt")
    shutil.copy(h.MUE_EXCERPT, data / "MCR_MUE_PractitionerServices_Eff_07-01-2026.csv")
    h.aoc_official(data)
    (data / "README.md").write_text("not a CMS file\n")
    monkeypatch.setenv("CC_DATABASE_URL", f"sqlite:///{tmp_path / 'cc.sqlite3'}")
    monkeypatch.setenv("CC_CODE_DATA_DIR", str(data))
    reset_settings()
    reset_engines()
    yield data
    reset_settings()
    reset_engines()


def _json(args: list[str]) -> object:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_load_dir_from_settings_then_again(env: Path) -> None:
    out = _json(["codes", "load", "--no-icd10cm", "--json"])
    assert isinstance(out, dict) and out["ok"] is True
    loads = {x["system"]: x for x in out["loads"]}
    assert set(loads) == {"HCPCS", "NCCI_PTP_PRACTITIONER", "NCCI_MUE_PRACTITIONER", "NCCI_AOC"}
    assert loads["NCCI_PTP_PRACTITIONER"]["rows"] == 154 and not loads["HCPCS"]["skipped"]
    again = _json(["codes", "load", "--dir", str(env), "--no-icd10cm", "--json"])
    assert isinstance(again, dict) and all(x["skipped"] for x in again["loads"])
    rels = _json(["codes", "releases", "--json"])
    assert isinstance(rels, list) and len(rels) == 4
    assert {r["version"] for r in rels} == {"2025-10", "v32.2", "2026-07", "2024Q3"}


def test_lookup_and_search(env: Path) -> None:
    _json(["codes", "load", "--hcpcs", str(h.HCPCS_CSV), "--pfs", str(h.PFS_CSV), "--no-icd10cm", "--json"])
    j = _json(["codes", "lookup", "J1030", "--date", "2024-04-01", "--json"])
    assert isinstance(j, dict)
    assert (j["system"], j["status"], j["termination_date"]) == ("HCPCS", "terminated", "2024-03-31")
    assert j["release"]["version"] == "2025-10"
    cpt = _json(["codes", "lookup", "47381", "--json"])
    assert isinstance(cpt, dict) and cpt["description"] is None
    assert cpt["description_note"].startswith("CPT descriptor requires an AMA licence")
    assert cpt["indicators"]["global_days"] == "090"
    mod = _json(["codes", "lookup", "LT", "--system", "MODIFIER", "--json"])
    assert isinstance(mod, dict) and mod["description"].startswith("Left side")
    s = _json(["codes", "search", "continuous positive airway pressure", "--system", "HCPCS", "--json"])
    assert isinstance(s, dict) and s["results"][0]["code"] == "E0601"
    text = runner.invoke(app, ["codes", "lookup", "E0601"])
    assert text.exit_code == 0 and "Continuous positive airway pressure (cpap) device" in text.stdout


def test_bad_file_is_a_clear_error(env: Path, tmp_path: Path) -> None:
    bad = tmp_path / "ccipra-v322r0-f2.txt"
    bad.write_bytes(h.PTP_EXCERPT.read_bytes()[:2000] + b"\r\n0001A\tXX")
    result = runner.invoke(app, ["codes", "load", "--ptp", str(bad), "--no-icd10cm"])
    assert result.exit_code == 1
    assert "ccipra-v322r0-f2.txt:" in result.output and "nothing of this file was loaded" in result.output
    rels = _json(["codes", "releases", "--json"])
    assert rels == []
