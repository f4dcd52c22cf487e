"""The draft a consultant edits: sections, order, sources, no PHI repeated, no unsupported claims."""

from __future__ import annotations

import datetime as dt

import pytest
from jinja2 import UndefinedError

from consultant.drafting.analyze import check_codes
from consultant.drafting.draft import build_draft, greeting_name, reply_subject
from consultant.drafting.templates import environment
from tests.checks.conftest import mention

QUESTION = (
    "Hi, patient: John Smith DOB 01/02/1950. Can I bill 99214-25 with 20610 x3 on 06/01/2024? "
    "Dx M17.11. Thanks, Jane"
)


def _draft(store, tokens, question=QUESTION, on=dt.date(2024, 6, 1), name="Jane Coder"):
    codes = [mention(t) for t in tokens]
    infos, findings = check_codes(codes, store, text=question, date_of_service=on)
    d = build_draft(
        parsed_subject="RE: Re: knee injection",
        asker_name=name,
        question=question,
        codes=codes,
        infos=infos,
        findings=findings,
        case_id=42,
        date_of_service=on.isoformat() if on else None,
    )
    return d, findings


def test_draft_has_every_section(store):
    d, findings = _draft(store, ["99214-25", "20610x3", "M17.11"])
    body = d.body_text
    assert d.subject == "Re: knee injection [Case #42]"
    assert body.startswith("Hello Jane,")
    assert "You asked about 99214-25, 20610 x3 with diagnosis M17.11, date of service 2024-06-01." in body
    for section in ("SHORT ANSWER", "WHAT WE FOUND", "THE CODES", "PLEASE CONFIRM", "SOURCES"):
        assert section in body
    assert "CPT descriptor requires an AMA CPT licence" in body
    assert "Unilateral primary osteoarthritis, right knee" in body  # ICD-10-CM text is public
    assert "Global days 000" in body and "MUE 2 unit(s) (MAI 3" in body
    assert "not legal or payment advice" in body
    # every finding is in the draft with its source
    for f in findings:
        assert f.message.split(" ")[0] in body
        if f.source:
            assert f.source.file in body


def test_findings_most_severe_first(store):
    d, _ = _draft(store, ["99214-25", "20610x3", "M17.11"])
    body = d.body_text
    problem, check, note = body.index("[Problem]"), body.index("[Check]"), body.index("[Note]")
    assert problem < check < note
    assert "MUE value of 2" in body[problem:check]


def test_phi_is_not_repeated_in_the_draft(store):
    d, findings = _draft(store, ["99214-25", "20610"])
    assert any(f.rule == "phi" for f in findings)
    assert "John Smith" not in d.body_text and "01/02/1950" not in d.body_text
    assert "[date of birth removed]" in d.body_text
    assert "quotes no patient identifiers" in d.body_text


def test_clean_codes_say_nothing_unsupported(store):
    d, findings = _draft(store, ["M17.11"], question="Is M17.11 billable for a right knee OA visit?")
    assert findings == []
    assert "found no edit or coding rule against these codes" in d.body_text
    assert "WHAT WE FOUND" not in d.body_text
    assert "MUE" not in d.body_text and "PTP" not in d.body_text


def test_no_date_of_service_is_a_confirm_item(store):
    d, _ = _draft(store, ["99213", "20610"], question="99213 and 20610 same day?", on=None)
    assert "the mail gives none" in d.body_text


def test_subjects_never_stack():
    assert reply_subject("Re: RE: Fwd: Q about 20610 [Case #42]", 42) == "Re: Q about 20610 [Case #42]"
    assert reply_subject("", 7) == "Re: Your coding question [Case #7]"
    assert reply_subject(reply_subject("AW: x", 3), 3) == "Re: x [Case #3]"


def test_greeting_names():
    assert greeting_name("Coder, Jane") == "Jane"
    assert greeting_name("Dr. Ann Lee") == "Dr. Lee"
    assert greeting_name("jane@example.org") is None
    assert greeting_name(None) is None


def test_templates_are_strict():
    with pytest.raises(UndefinedError):
        environment().get_template("mail/draft.subject.txt").render()


def test_bypassed_edit_short_answer_and_forward_headers_dropped(store):
    q = (
        "Please see below.\n---------- Forwarded message ---------\nFrom: RN <rn@clinic.example>\n"
        "Subject: visit\n\nCan we bill 99214-25 with 20610?"
    )
    d, findings = _draft(store, ["99214-25", "20610"], question=q)
    assert [f.severity for f in findings] == ["info"]
    short = " ".join(d.body_text.split("SHORT ANSWER\n", 1)[1].split("\n\n", 1)[0].split())
    assert short.startswith("Yes: 99214-25 with 20610 on the same day passes the NCCI PTP edit")
    assert "rn@clinic.example" not in d.body_text and "Forwarded message" not in d.body_text


def test_department_senders_get_a_plain_greeting():
    assert greeting_name("Billing Desk") is None and greeting_name("Coding Team") is None
    assert greeting_name("Jane Coder") == "Jane"


def test_wrap_filter():
    from consultant.drafting.templates import wrap

    text = "one two three four five six seven eight nine ten"
    assert wrap(text, 14, 2) == "one two three\n  four five six\n  seven eight\n  nine ten"
    assert wrap("averyveryverylongword x", 5) == "averyveryverylongword\nx"
