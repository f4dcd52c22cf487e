"""The draft as a certified coder would write it: the question restated without the signature, a
short answer drawn from the findings, the units answered from the MUE table, releases later than
the date of service flagged, every source shown."""

from __future__ import annotations

import datetime as dt

from consultant.drafting.analyze import check_codes
from consultant.drafting.draft import _brief_question, build_draft, later_releases
from tests.checks.conftest import mention

SIGNED = (
    "Hi team,\n\nCan I bill 99214-25 with 20610 the same day? Dx M17.11. The provider\n"
    "evaluated a new complaint of knee pain.\n\nThanks,\nDana Whitfield, CPC\nLakeside Orthopedics Billing\n"
    "1200 Harbor Blvd, Suite 4, Tampa FL 33602\nPhone 813-555-0142 | NPI 1234567893"
)


def _draft(store, tokens, question, on=None):
    codes = [mention(t) for t in tokens]
    infos, findings = check_codes(codes, store, text=question, date_of_service=on)
    d = build_draft(
        parsed_subject="question",
        asker_name="Dana Whitfield",
        question=question,
        codes=codes,
        infos=infos,
        findings=findings,
        case_id=7,
        date_of_service=on.isoformat() if on else None,
    )
    return d.body_text, findings


def _short(body: str) -> str:
    return " ".join(body.split("SHORT ANSWER\n", 1)[1].split("\n\n\n", 1)[0].split())


def test_restated_question_drops_greeting_and_signature():
    brief = _brief_question(SIGNED)
    assert brief.startswith("Can I bill 99214-25 with 20610 the same day?")
    assert brief.endswith("evaluated a new complaint of knee pain.")
    for gone in ("Hi team", "Thanks", "Whitfield", "Harbor", "813-555-0142", "NPI", "Lakeside"):
        assert gone not in brief


def test_signature_without_sign_off_and_trailing_name_are_dropped():
    q = (
        "Good morning,\n\nIs 76942 separately payable with 20611?\n\nMarcus\n\n"
        "Tom Alvarez, RHIT\nRiverbend Surgical Associates | 555-0177 ext 12"
    )
    assert _brief_question(q) == "Is 76942 separately payable with 20611?"


def test_question_text_is_kept_when_it_has_no_signature():
    q = "For a right knee injection we billed 20610-RT.\nAre the units OK against the MUEs?"
    assert _brief_question(q) == " ".join(q.split())


def test_short_answer_answers_the_question(store):
    body, _ = _draft(store, ["99214-25", "20610", "M17.11"], SIGNED)
    short = _short(body)
    assert short.startswith("Yes: 99214-25 with 20610 on the same day passes the NCCI PTP edit")
    assert "separately identifiable E/M service" in short
    assert "813-555-0142" not in body and "Harbor Blvd" not in body


def test_short_answer_for_an_included_service(store):
    q = "We coded 20611 and also 76942. Is 76942 separately payable or is that bundled?"
    body, findings = _draft(store, ["20611", "76942", "M17.12"], q)
    assert _short(body).startswith("No: 76942 is not separately payable with 20611")
    assert "whether 76942 was a separate service from 20611" in body  # confirm item from the finding
    for f in findings:
        if f.source:
            assert f"{f.source.file} ({f.source.release})" in body


def test_units_are_answered_from_the_mue_table(store):
    q = "We billed 20610-RT and J3301 x 4 units, plus 96372 x3. Are the units OK against the MUEs?"
    body, _ = _draft(store, ["20610-RT", "J3301x4", "96372x3", "M17.11"], q, on=dt.date(2024, 6, 12))
    short = _short(body)
    assert short.startswith("Units: J3301 x4 is within its MUE of 16 (MAI 3); 96372 x3 is within")


def test_postoperative_visit_answer(store):
    q = (
        "Surgeon did a partial hepatectomy (47120) three weeks ago. Patient came in for a new problem, "
        "E11.9 and also E10.9. We billed 99213 without a modifier. Do we need 24?"
    )
    body, findings = _draft(store, ["47120", "E11.9", "E10.9", "99213"], q)
    short = _short(body)
    assert short.startswith("Yes: 99213 during the 090-day global period of 47120 needs modifier 24")
    assert "applies only to the same date of service" in short
    ptp = next(f for f in findings if f.rule == "ptp_edits")
    assert ptp.severity == "info"


def test_releases_later_than_the_date_of_service_are_a_confirm_item(store):
    q = "20610-RT and J3301 x4 on DOS 06/12/2024?"
    body, _ = _draft(store, ["20610-RT", "J3301x4"], q, on=dt.date(2024, 6, 12))
    assert "took effect after it; the tables in force on that date may differ" in " ".join(body.split())
    codes = [mention("20610-RT")]
    infos, _ = check_codes(codes, store, date_of_service=dt.date(2024, 6, 12))
    later = later_releases(infos, [], "2024-06-12")
    assert later[0] == "PFS 2024-07" and all("ICD10CM" not in r for r in later)
    assert later_releases(infos, [], "2024-08-01") == []
    assert later_releases(infos, [], None) == []
