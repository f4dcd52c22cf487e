"""The pure pipeline: extraction -> lookups -> checks."""

from __future__ import annotations

import datetime as dt

from consultant.drafting.analyze import analyze
from consultant.extraction.model import CodeMention, Extraction


def test_analyze_with_given_extraction(store):
    ex = Extraction(
        codes=[CodeMention("HCPCS", "J1030", units=2), CodeMention("CPT", "20610")],
        question="J1030 x 2 units with 20610 on 06/01/2024",
        date_of_service="2024-06-01",
    )
    a = analyze(ex.question, store, extraction=ex)
    assert a.date_of_service == dt.date(2024, 6, 1)
    assert set(a.infos) == {"J1030", "20610"}
    assert a.infos["J1030"].status == "terminated" and ex.codes[0].status == "terminated"
    assert a.findings[0].rule == "code_dates" and a.findings[0].severity == "error"
    j = a.to_json()
    assert j["date_of_service"] == "2024-06-01" and j["findings"][0]["rule"] == "code_dates"
    assert j["infos"]["20610"]["indicators"]["mue"] == "2"


def test_analyze_extracts_from_text(store):
    a = analyze("Can we bill 99214-25 with 20610 x3? Dx M17.11", store, date_of_service=dt.date(2024, 8, 1))
    codes = {c.code for c in a.extraction.codes}
    assert {"99214", "20610", "M17.11"} <= codes
    rules = {f.rule for f in a.findings}
    assert "ptp_edits" in rules and "mue_units" in rules
