"""parse_mail on written and real mails: headers, charsets, HTML, attachments, never raising."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consultant.mail.charsets import decode_bytes, normalise_charset
from consultant.mail.parse import decode_header_value, html_to_text, parse_mail
from tests.mail import mails as m


def test_headers_of_a_plain_consult() -> None:
    p = parse_mail(m.CONSULT)
    assert p.message_id == "q1@clinic.example"
    assert p.from_addr == "dana.coder@clinic.example"
    assert p.from_name == "Dana Coder"
    assert p.to == ["consult@caseconsultant.test"]
    assert p.subject == "99214-25 with 20610 same day?"
    assert p.date == "2026-11-24T09:15:00-05:00"
    assert "99214-25 with 20610" in p.question
    assert "Dana" not in p.question  # the sign-off is a signature
    assert p.size == len(m.CONSULT)
    assert not p.defects


def test_threading_headers_without_angle_brackets() -> None:
    p = parse_mail(m.REPLY)
    assert p.in_reply_to == ["reply-42@caseconsultant.test"]
    assert p.references == ["q1@clinic.example", "reply-42@caseconsultant.test"]


@pytest.mark.parametrize(
    ("raw", "subject", "body"),
    [
        (m.LATIN1, "Café question", "Le café: 99213"),
        (m.CP1252, "smart quotes", "\u201cquoted\u201d \u2013 99213"),
        (m.CP1250, "Zpěšování", "Příliš žluťoučký kůň"),
        (m.CP1258, "vi", "Cà phê"),
        (m.ISO2022JP, "こんにちは", "こんにちは 99213"),
        (m.KOI8R, "Привет", "Привет 99213"),
        (m.GB2312_REALLY_GBK, "zh", "你好 镕"),
        (m.WRONG_LATIN1_IS_UTF8, "wrong label", "Müller café"),
        (m.UNKNOWN_CHARSET, "café", "café 99213"),
        (m.UTF8_RAW_HEADER, "Frage über 99213", "body"),
    ],
    ids=["iso-8859-1", "windows-1252", "windows-1250", "windows-1258", "iso-2022-jp", "koi8-r",
         "gb2312-as-gb18030", "latin1-label-on-utf8", "unknown-charset", "raw-utf8-header"],
)
def test_charsets(raw: bytes, subject: str, body: str) -> None:
    p = parse_mail(raw)
    assert p.subject == subject
    assert p.text.strip() == body


def test_html_only_keeps_tables_and_lists_readable() -> None:
    p = parse_mail(m.HTML_ONLY)
    assert p.html_only
    assert "Hello & good morning" in p.text
    assert "J1030" in p.text and "96372" in p.text
    row = next(line for line in p.text.splitlines() if "J1030" in line)
    assert "2" in row.replace("J1030", "")  # the table row stays on one line
    assert "E11.9" in p.text and "I10" in p.text
    assert "<" not in p.text and "&nbsp;" not in p.text


def test_alternative_prefers_plain() -> None:
    p = parse_mail(m.ALTERNATIVE)
    assert p.text.strip() == "Plain 99213 question"
    assert not p.html_only


def test_attachments_listed_not_parsed() -> None:
    p = parse_mail(m.WITH_ATTACHMENT)
    assert len(p.attachments) == 1
    att = p.attachments[0]
    assert (att.filename, att.content_type, att.size) == ("op note.pdf", "application/pdf", 15)
    assert "47562" in p.question and "JVBER" not in p.text


def test_broken_headers_never_raise() -> None:
    p = parse_mail(m.BROKEN_HEADERS)
    assert p.message_id == "brackets@clinic.example" or p.message_id is None or "@" in p.message_id
    assert p.date is None
    assert isinstance(p.subject, str)


@pytest.mark.parametrize(
    ("name", "subject", "from_addr"),
    [
        ("mikel-japanese-iso-2022.eml", "まみむめも", "raasdnil@gmail.com"),
        ("phpmime-issue212-polish-autoreply.eml", "Automatyczna odpowiedź: Piotrze, test z 6", None),
        ("mikel-invalid-subject-chars.eml", "Formação FrenetikPolis", "info@formacaofrenetik.info"),
        ("talon-gmail-reply.eml", "Re: Test", "xxx@gmail.com"),
    ],
)
def test_real_fixtures(name: str, subject: str, from_addr: str | None) -> None:
    p = parse_mail(m.fixture(name))
    assert p.subject.startswith(subject)
    assert p.from_addr == from_addr


def test_real_html_only_fixture() -> None:
    p = parse_mail(m.fixture("mikel-html-only-8bit.eml"))
    assert p.html_only
    assert "<td" not in p.text.lower() and len(p.text) > 500


@pytest.mark.parametrize(
    "raw",
    [b"", b"\x00\xff" * 50, b"\n\n\n", b"From nobody\n", b"Subject: x", b"\xef\xbb\xbfSubject: bom\n\nbody",
     b"   \nSubject: leading blank\n\nbody", b"Subject: cr\rFrom: a@b.example\r\rbody\r",
     b"Content-Type: multipart/mixed; boundary=a\n\n"
     + b"--a\nContent-Type: multipart/mixed; boundary=a\n\n" * 200],
    ids=["empty", "binary", "blank", "from-line", "header-only", "bom", "leading-blank", "cr-only", "deep"],
)
def test_garbage_never_raises(raw: bytes) -> None:
    p = parse_mail(raw)
    assert isinstance(p.text, str) and p.size == len(raw)


def test_bom_and_leading_blank_still_read_headers() -> None:
    assert parse_mail(b"\xef\xbb\xbfSubject: bom\n\nbody").subject == "bom"
    assert parse_mail(b"   \nSubject: leading blank\n\nbody").subject == "leading blank"
    cr = parse_mail(b"Subject: cr\rFrom: a@b.example\r\rbody\r")
    assert cr.subject == "cr" and cr.from_addr == "a@b.example"


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2000))
def test_fuzz_bytes_never_raise(raw: bytes) -> None:
    parse_mail(raw)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_fuzz_header_values_never_raise(value: str) -> None:
    raw = f"Subject: {value}\nFrom: {value}\nContent-Type: {value}\n\n{value}"
    parse_mail(raw.encode("utf-8", "replace"))
    decode_header_value(value)


def test_charset_helpers() -> None:
    assert normalise_charset("gb2312") == "gb18030"
    assert normalise_charset("uft-8") == "utf-8"
    assert normalise_charset("x-unknown") is None
    assert decode_bytes(b"caf\xe9", "no-such-charset")[0] == "café"
    assert decode_bytes(b"ok", None) == ("ok", None)


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("<style>p{color:red}</style><script>alert(1)</script><p>A&amp;B &lt;x&gt;</p>", "A&B <x>"),
        ("<ol><li>99213</li><li>G0008</li></ol>", "1. 99213\n 2. G0008"),
        ("<p>" + "<div>" * 3000 + "deep 99213" + "</div>" * 3000, "deep 99213"),
        ("", ""),
    ],
    ids=["script-style-entities", "ordered-list", "deep-nesting", "empty"],
)
def test_html_to_text(markup: str, expected: str) -> None:
    assert html_to_text(markup).strip() == expected


SMIME = m.BASE + "Subject: s\nContent-Type: application/pkcs7-mime; smime-type="
PGP = "-----BEGIN PGP MESSAGE-----\nhQEM\n-----END PGP MESSAGE-----\n"


@pytest.mark.parametrize(
    ("raw", "encrypted"),
    [
        (m.mail(SMIME + "enveloped-data", "MIAG"), True),
        (m.mail(SMIME + "signed-data", "MIAG"), False),
        (m.mail(m.BASE + "Subject: s", PGP), True),
        (m.CONSULT, False),
    ],
    ids=["smime-enveloped", "smime-signed", "inline-pgp", "plain"],
)
def test_encrypted_mail_is_flagged(raw: bytes, encrypted: bool) -> None:
    assert ("encrypted content: not readable" in parse_mail(raw).defects) is encrypted
