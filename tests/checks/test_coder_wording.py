"""What a certified coder expects the findings to say, on real staged rows: PTP edits only on the
same date of service, advice from the CMS rationale, postoperative visits and modifier 24, the 7th
character named only when the mail supports it, and a one-sentence answer per finding."""

from __future__ import annotations

import pytest

from consultant.checks import (
    add_on_codes,
    code_dates,
    global_surgery,
    header_code,
    ptp_edits,
    seventh_character,
)
from consultant.checks.base import different_dates_hint
from consultant.checks.seventh_character import likely_seventh

POSTOP = "Surgeon did the procedure (47120) three weeks ago. Patient came in for a new problem."


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("Surgeon did a partial hepatectomy (47120) three weeks ago.", "three weeks ago"),
        ("the injection was 2 days later", "2 days later"),
        ("surgery was yesterday, visit today", "yesterday"),
        ("the visit was on a different date of service", "on a different date"),
        ("billed on separate dates of service", "separate dates"),
        ("Can I bill 99214-25 with 20610 the same day?", None),
        ("decided to inject at the same visit", None),
        ("it was not on a different date", None),
        ("", None),
    ],
)
def test_different_dates_only_when_the_text_says_so(text, hint):
    assert different_dates_hint(text) == hint


def test_ptp_says_it_applies_to_the_same_date_only(run):
    [f] = run("99214-25", "20610", check=ptp_edits.check)
    assert "same beneficiary by the same provider on the same date of service" in f.message


def test_ptp_on_different_dates_is_only_a_note(run):
    [same_day] = run("47120", "99213", check=ptp_edits.check)
    assert same_day.severity == "error"
    [f] = run("47120", "99213", check=ptp_edits.check, text=POSTOP)
    assert f.severity == "info" and f.codes == ("47120", "99213")
    assert '("three weeks ago")' in f.message and "does not apply" in f.message
    assert f.summary is not None and "applies only to the same date of service" in f.summary
    assert f.confirm is not None and "dates of service of 47120 and 99213" in f.confirm
    assert f.source is not None and f.source.file.startswith("ccipra-v302r0")


def test_included_column2_is_not_invited_to_take_a_modifier(run):
    [f] = run("20611", "76942", check=ptp_edits.check)
    assert f.severity == "error" and f.codes == ("20611", "76942")
    assert "CMS rationale: CPT Manual or CMS manual coding instruction" in f.message
    assert "76942 is not reported separately when 20611 is reported" in f.message
    assert "Do not add a modifier just to get 76942 paid" in f.message
    assert "must not be used to report a part of 20611 itself" in f.message
    assert "when the documentation supports it, use an NCCI-associated modifier" not in f.message
    assert f.summary is not None and f.summary.startswith("No: 76942 is not separately payable with 20611")


@pytest.mark.parametrize(
    "rationale",
    [
        "CPT Manual or CMS manual coding instruction",
        "HCPCS/CPT procedure code definition",
        "Misuse of column two code with column one code",
        "CPT separate procedure definition",
        "Mutually exclusive procedures",
        "More extensive procedure",
        "Standards of medical/surgical practice",
    ],
)
def test_every_common_rationale_has_plain_advice(rationale):
    meaning = ptp_edits.RATIONALE_MEANING[ptp_edits._rationale_key(rationale)]
    assert meaning.format(c1="11111", c2="22222")


def test_59_on_an_included_code_is_conditional(run):
    [f] = run("20610", "76942-59", check=ptp_edits.check)
    assert f.severity == "info"
    assert "only when 76942 was truly a separate service" in f.message
    assert f.summary is not None and "only if the record shows 76942 was a separate service" in f.summary


def test_em_25_with_a_minor_procedure_answers_yes_with_the_condition(run):
    [f] = run("99214-25", "20610", check=ptp_edits.check)
    assert f.summary is not None and f.summary.startswith("Yes: 99214-25 with 20610 on the same day")
    assert "significant, separately identifiable E/M service" in f.summary
    assert "decision to perform this minor procedure" in f.message
    assert f.confirm is not None and "separately identifiable E/M service for 99214" in f.confirm


def test_anatomic_modifier_on_column1_only_does_not_make_column2_separate(run):
    [f] = run("20610-RT", "96372x3", check=ptp_edits.check)
    assert f.severity == "warning" and "RT on 20610 identifies the site of 20610" in f.message
    assert f.summary is not None and "RT on 20610 does not do that" in f.summary


def test_postoperative_visit_needs_24(run):
    [f] = run("99213", "47120", check=global_surgery.check, text=POSTOP)
    assert f.severity == "error" and "modifier 24" in f.message and '("three weeks ago")' in f.message
    assert "postoperative period" in f.message
    assert f.summary is not None and f.summary.startswith("Yes: 99213 during the 090-day global period")
    assert f.source is not None and f.source.file.startswith("PPRRVU")


def test_same_day_visit_with_major_surgery_keeps_57_advice(run):
    [f] = run("99213", "47120", check=global_surgery.check)
    assert f.severity == "warning" and "57 when this E/M led to the decision" in f.message


def test_seventh_character_named_when_the_mail_supports_it(run):
    text = "Coder question from the ED: closed fracture of the right femur, S72.001."
    [f] = run("S72.001", check=seventh_character.check, text=text)
    assert "S72.001A" in f.message and "initial encounter for closed fracture" in f.message
    assert 'The mail says "ED" and "closed fracture"' in f.message
    assert f.summary is not None and "report S72.001A if the record agrees" in f.summary


def test_seventh_character_not_guessed_without_support(run):
    [f] = run("S72.001", check=seventh_character.check, text="Is S72.001 ok to send?")
    assert "S72.001A" not in f.message and "S72.001_" in f.message
    assert "A initial encounter for closed fracture" in f.message  # the options, briefly
    assert f.summary is not None and "S72.001A" not in f.summary


def test_open_fracture_in_the_ed_is_not_guessed(run):
    [f] = run("S72.001", check=seventh_character.check, text="ED visit, open fracture of the femur")
    assert "S72.001A" not in f.message and "S72.001B" not in f.message


def test_likely_seventh_needs_one_episode():
    chars = [("A", "initial encounter"), ("D", "subsequent encounter"), ("S", "sequela")]
    assert likely_seventh("seen in the ED", chars) == ("A", "initial encounter", ("ED",))
    words = "subsequent encounter"
    assert likely_seventh(words, chars) == ("D", "subsequent encounter", (words,))
    assert likely_seventh("ED visit for the sequela", chars) is None  # two signs: no guess
    assert likely_seventh("red rash", chars) is None  # 'ED' only as a word


def test_header_summary_lists_billable_codes(run):
    [f] = run("M17.1", check=header_code.check)
    assert f.summary == (
        "M17.1 is a header code and cannot be billed: report the billable code the record supports "
        "(M17.10, M17.11, M17.12)."
    )


def test_add_on_alone_says_same_practitioner(run):
    [f] = run("11045", check=add_on_codes.check)
    assert "same practitioner for the same patient on the same date of service" in f.message
    assert f.summary is not None and f.summary.startswith("No: 11045 is an add-on code")


def test_terminated_code_summary_does_not_invent_a_replacement(run):
    import datetime as dt

    [f] = run("J1030x2", check=code_dates.check, on=dt.date(2024, 6, 1))
    assert f.summary is not None and "do not name a replacement" in f.summary
