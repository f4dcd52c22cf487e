"""Possible PHI: flagged with kind and place, never with the value."""

from __future__ import annotations

from consultant.checks import phi

MAIL = (
    "Patient: Maria Gonzalez DOB 03/14/1957, MRN 00457812, member ID WXY123456789, "
    "cell 602-555-0143, SSN 123-45-6789. Can I bill 99214-25 with 20610 on 06/01/2024? Dx M17.11"
)
VALUES = ["Maria Gonzalez", "03/14/1957", "00457812", "WXY123456789", "602-555-0143", "123-45-6789"]


def test_each_kind_found_and_no_value_repeated(run):
    [f] = run(check=phi.check, text=MAIL)
    assert f.severity == "warning" and f.rule == "phi"
    for kind in (
        "patient name",
        "date of birth",
        "medical record number",
        "member or policy id",
        "phone number",
        "social security number",
    ):
        assert kind in f.message
    for value in VALUES:
        assert value not in f.message
    assert "characters" in f.message


def test_offsets_point_at_the_values():
    hits = phi.find_phi(MAIL)
    assert sorted(MAIL[h.start : h.end] for h in hits) == sorted(VALUES)


def test_redact_removes_values():
    text = phi.redact(MAIL)
    assert not any(v in text for v in VALUES) and "99214-25" in text


def test_plain_coding_question_is_clean(run):
    text = (
        "Can we bill 99214-25 with 20610 x3 on 2024-06-01? Dx M17.11. Call me at 555-123-4567 "
        "with questions. Thanks, Jane (billing office)"
    )
    assert run(check=phi.check, text=text) == []


def test_account_and_claim_numbers(run):
    text = "Claim #448812 was denied. Account 77120. Visit 99213 with 20610 on 2024-06-01."
    [f] = run(check=phi.check, text=text)
    assert "account or claim number" in f.message
    assert "448812" not in f.message and "77120" not in f.message
    assert [text[h.start : h.end] for h in phi.find_phi(text)] == ["448812", "77120"]
