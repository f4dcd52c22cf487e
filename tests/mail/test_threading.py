"""Subject tokens and reply prefixes."""

from __future__ import annotations

import pytest

from consultant.mail.threading import case_token, is_forward_subject, reply_subject, strip_reply_prefixes


@pytest.mark.parametrize(
    ("subject", "token"),
    [
        ("Re: question [Case #123]", 123),
        ("[case #7] hi", 7),
        ("[Case#  42 ]", 42),
        ("Re: [Case #1] x [Case #2]", 2),
        ("Case #5 without brackets", None),
        ("[Case #abc]", None),
        ("", None),
        (None, None),
    ],
)
def test_case_token(subject: str | None, token: int | None) -> None:
    assert case_token(subject) == token


@pytest.mark.parametrize(
    ("subject", "stripped"),
    [
        ("Re: x", "x"),
        ("RE: RE: Re: x", "x"),
        ("Fwd: FW: x", "x"),
        ("AW: WG: x", "x"),
        ("SV: Antw: x", "x"),
        ("Re[2]: x", "x"),
        ("Re (3): x", "x"),
        ("Re:x", "x"),
        ("[coders] Re: x", "x"),
        ("Reply needed", "Reply needed"),
        ("Review of 99213", "Review of 99213"),
        ("", ""),
    ],
)
def test_strip_reply_prefixes(subject: str, stripped: str) -> None:
    assert strip_reply_prefixes(subject) == stripped


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ("99214-25 with 20610?", "Re: 99214-25 with 20610? [Case #9]"),
        ("Re: 99214-25 with 20610?", "Re: 99214-25 with 20610? [Case #9]"),
        ("RE: Re: AW: x [Case #9]", "Re: x [Case #9]"),
        ("Re: x [Case #3]", "Re: x [Case #9]"),
        ("[Case #9] Re: x", "Re: x [Case #9]"),
        ("", "Re: [Case #9]"),
        (None, "Re: [Case #9]"),
    ],
)
def test_reply_subject(original: str | None, expected: str) -> None:
    assert reply_subject(original, 9) == expected


def test_forward_subject() -> None:
    assert is_forward_subject("Fwd: x") and is_forward_subject("FW: x") and is_forward_subject("WG: x")
    assert not is_forward_subject("Re: Fwd: x") and not is_forward_subject("Forward planning")
