"""The question is the new text: quotes and signatures stripped, forwards kept."""

from __future__ import annotations

import pytest

from consultant.mail.parse import parse_mail
from consultant.mail.quotes import extract_question, is_forward, strip_signature
from tests.mail import mails as m


@pytest.mark.parametrize(
    ("raw", "must_have", "must_not_have"),
    [
        (m.REPLY, ["20611"], ["20610 and 99214", "wrote:"]),
        (m.OUTLOOK_REPLY, ["11042", "11045"], ["97110", "97140", "Sent:"]),
        (m.INLINE_REPLY, ["M17.11", "2 units of J1030"], ["Which dx", "And the units"]),
        (m.GMAIL_FORWARD, ["Can you answer", "modifier 59 to 97140", "97530"], []),
        (m.OUTLOOK_FORWARD, ["E0601-RR", "A7030"], []),
        (m.APPLE_FORWARD, ["G0008", "90686"], []),
        (m.CONSULT, ["99214-25 with 20610", "M17.11"], ["Dana"]),
    ],
    ids=["gmail-reply", "outlook-reply", "inline-reply", "gmail-forward", "outlook-forward",
         "apple-forward", "signoff"],
)
def test_question_of_written_mails(raw: bytes, must_have: list[str], must_not_have: list[str]) -> None:
    q = parse_mail(raw).question
    for s in must_have:
        assert s in q, (s, q)
    for s in must_not_have:
        assert s not in q, (s, q)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Is 99213 ok?\n\nSent from my iPhone", "Is 99213 ok?"),
        ("Is 99213 ok?\n\n-- \nDana Coder\nClinic billing", "Is 99213 ok?"),
        ("Is 99213 ok?\n\nBest regards,\nDana Coder\nCPC, CRC", "Is 99213 ok?"),
        # a list of codes with hyphens is not a signature
        ("Codes:\n- 99214-25\n- 20610\nIs that right?", "Codes:\n- 99214-25\n- 20610\nIs that right?"),
        # "Thanks," followed by a real question is not a signature
        (
            "Hi\nThanks,\nwhat about 99215 with 99417?\nand G2212 too?",
            "Hi\nThanks,\nwhat about 99215 with 99417?\nand G2212 too?",
        ),
    ],
    ids=["sent-from", "dash-dash", "sign-off", "hyphen-list", "thanks-then-question"],
)
def test_signatures(text: str, expected: str) -> None:
    assert strip_signature(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Yes.\n\nAm 24.11.2026 um 10:00 schrieb Consult <c@example.test>:\n> 99213?\n", "Yes."),
        ("Ja.\n\nDen 24. nov. 2026 kl. 10.00 skrev Consult <c@example.test>:\n> 99213?\n", "Ja."),
        ("Top.\n\n-----Original Message-----\nFrom: X\nSent: Monday\nTo: Y\nSubject: Z\n\nold\n", "Top."),
        ("> quoted 99213\nnew 99214\n", "new 99214"),
        ('Hello\n02.04.2026 14:20 пользователь "bob@x.example" <\nbob@x.example> написал:\n> old\n', "Hello"),
        ("", ""),
    ],
    ids=["german-header", "danish-header", "original-message", "bare-quote", "wrapped-russian", "empty"],
)
def test_reply_headers(text: str, expected: str) -> None:
    assert extract_question(text) == expected


def test_forward_detection() -> None:
    assert is_forward("x", "Fwd: hi")
    assert is_forward("x", "WG: hi")
    assert is_forward("note\n---------- Forwarded message ---------\nFrom: a", "hi")
    assert not is_forward("-----Original Message-----\nFrom: a", "RE: hi")
    assert not is_forward("text", "Re: Fwd: hi")


@pytest.mark.parametrize(
    ("name", "expected"),
    [("talon-gmail-reply.eml", "Hello"), ("talon-outlook-reply.eml", "Hello")],
)
def test_real_replies(name: str, expected: str) -> None:
    assert parse_mail(m.fixture(name)).question == expected


def test_long_quote_is_bounded() -> None:
    text = "New 99213 text\n\nOn Mon, Jan 1, 2026 at 1:00 PM X wrote:\n" + "> old line 12345\n" * 50_000
    assert extract_question(text) == "New 99213 text"
