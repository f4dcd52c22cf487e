"""Mails written for this project (no real people, no CPT descriptor text), as raw bytes."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "mail"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def mail(headers: str, body: bytes | str, *, crlf: bool = False) -> bytes:
    """Headers (one per line) + blank line + body."""
    head = "\n".join(line.strip() for line in headers.strip().splitlines()).encode("ascii")
    data = head + b"\n\n" + (body.encode("utf-8") if isinstance(body, str) else body)
    return data.replace(b"\n", b"\r\n") if crlf else data


BASE = """
From: Dana Coder <Dana.Coder@Clinic.example>
To: consult@caseconsultant.test
Date: Tue, 24 Nov 2026 09:15:00 -0500
Message-ID: <q1@clinic.example>
"""

CONSULT = mail(
    BASE + "Subject: 99214-25 with 20610 same day?\nContent-Type: text/plain; charset=utf-8",
    "Hi,\n\nCan I bill 99214-25 with 20610 on the same day? Dx M17.11.\n\nThanks,\nDana\n",
)

HTML_ONLY = mail(
    BASE + "Subject: Units question\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8",
    "<html><body><p>Hello &amp; good morning,</p>"
    "<table><tr><th>Code</th><th>Units</th></tr><tr><td>J1030</td><td>2</td></tr>"
    "<tr><td>96372</td><td>1</td></tr></table>"
    "<ul><li>Dx E11.9</li><li>Dx I10</li></ul><p>Is this right&nbsp;&ndash; MUE?</p></body></html>",
)

ALTERNATIVE = mail(
    BASE
    + "Subject: alt\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=XX",
    "--XX\nContent-Type: text/plain; charset=utf-8\n\nPlain 99213 question\n"
    "--XX\nContent-Type: text/html; charset=utf-8\n\n<p>HTML 99213 question</p>\n--XX--\n",
)

WITH_ATTACHMENT = mail(
    BASE + "Subject: see attached\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B1",
    "--B1\nContent-Type: text/plain\n\nOp note attached, 47562 with 49320?\n"
    "--B1\nContent-Type: application/pdf; name=\"op note.pdf\"\n"
    "Content-Disposition: attachment; filename=\"op note.pdf\"\nContent-Transfer-Encoding: base64\n\n"
    "JVBERi0xLjQKJcfsj6IK\n--B1--\n",
)

REPLY = mail(
    BASE.replace("q1@", "q2@")
    + "Subject: Re: 99214-25 with 20610 same day? [Case #42]\n"
    "In-Reply-To: <reply-42@caseconsultant.test>\n"
    "References: <q1@clinic.example> <reply-42@caseconsultant.test>\n",
    "What about 20611 instead?\n\n"
    "On Tue, Nov 24, 2026 at 10:00 AM CaseConsultant <consult@caseconsultant.test> wrote:\n"
    "> 20610 and 99214 are a PTP pair with modifier indicator 1.\n> Use 25 on the E/M.\n",
)

OUTLOOK_REPLY = mail(
    BASE + "Subject: RE: modifier question\n",
    "Follow-up: what if it is 11042 and 11045?\n\n"
    "From: CaseConsultant <consult@caseconsultant.test>\nSent: Tuesday, November 24, 2026 10:00 AM\n"
    "To: Dana Coder <dana.coder@clinic.example>\nSubject: modifier question\n\n"
    "97110 and 97140 need 59 or XU.\n",
)

INLINE_REPLY = mail(
    BASE + "Subject: Re: two questions\n",
    "On Tue, Nov 24, 2026 at 10:00 AM CaseConsultant wrote:\n> Which dx did you use?\n\nM17.11\n\n"
    "> And the units?\n\n2 units of J1030\n",
)

GMAIL_FORWARD = mail(
    BASE + "Subject: Fwd: billing question from Dr. Who\n",
    "Can you answer this one?\n\n---------- Forwarded message ---------\n"
    "From: Front Desk <desk@clinic.example>\n"
    "Date: Mon, Nov 23, 2026 at 4:00 PM\nSubject: billing question\nTo: Dana <dana.coder@clinic.example>\n\n"
    "Do we add modifier 59 to 97140 when billed with 97530?\n",
)

OUTLOOK_FORWARD = mail(
    BASE + "Subject: FW: E0601 rental\n",
    "FYI\n\nFrom: Supplier Billing <billing@dme.example>\nSent: Monday, November 23, 2026 3:00 PM\n"
    "To: Dana Coder <dana.coder@clinic.example>\nSubject: E0601 rental\n\n"
    "Is E0601-RR payable with A7030 the same month?\n",
)

APPLE_FORWARD = mail(
    BASE + "Subject: Fwd: G0008\n",
    "Begin forwarded message:\n\nFrom: Nurse <nurse@clinic.example>\nSubject: G0008\n\n"
    "Can G0008 go with 90686 on a Medicare claim?\n",
)

OOF_EXCHANGE = mail(
    BASE + "Subject: Automatic reply: 99214-25 with 20610 same day?\nAuto-Submitted: auto-replied\n"
    "X-Auto-Response-Suppress: All\n",
    "I am out of the office until Monday.",
)
OOF_SUBJECT_ONLY = mail(BASE + "Subject: Out of Office: your question\n", "Back on Monday.")
OOF_GERMAN = mail(BASE + "Subject: Abwesenheitsnotiz: Frage zu 99213\n", "Ich bin bis Montag nicht im Büro.")
OOF_X_AUTOREPLY = mail(BASE + "Subject: Re: your question\nX-Autoreply: yes\n", "Away.")
OOF_PRECEDENCE = mail(BASE + "Subject: Re: your question\nPrecedence: auto_reply\n", "Away.")
AUTO_SUBMITTED_NO = mail(BASE + "Subject: a real question\nAuto-Submitted: no\n", "Is 99215 right here?")

BOUNCE_DSN = mail(
    "From: Mail Delivery System <MAILER-DAEMON@mx.clinic.example>\nTo: consult@caseconsultant.test\n"
    "Subject: Undelivered Mail Returned to Sender\nReturn-Path: <>\nMIME-Version: 1.0\n"
    "Content-Type: multipart/report; report-type=delivery-status; boundary=R",
    "--R\nContent-Type: text/plain\n\nThis is the mail system.\n"
    "--R\nContent-Type: message/delivery-status\n\n"
    "Reporting-MTA: dns; mx.clinic.example\n\n"
    "Final-Recipient: rfc822; nobody@clinic.example\nAction: failed\n"
    "Status: 5.1.1\n\n--R--\n",
)
BOUNCE_NULL_RETURN_PATH = mail(
    "From: someone@clinic.example\nReturn-Path: <>\nSubject: Delivery failure\n", "Could not deliver."
)
BOUNCE_FAILED_RCPT = mail(
    BASE + "Subject: hello\nX-Failed-Recipients: nobody@clinic.example\n", "failed"
)

LIST_MAIL = mail(
    BASE + "Subject: [coders] weekly digest\nList-Id: <coders.lists.example>\n"
    "List-Unsubscribe: <mailto:leave@lists.example>\nPrecedence: list\n",
    "Digest",
)
OWN = mail(
    "From: CaseConsultant <Consult@CaseConsultant.test>\nTo: consult@caseconsultant.test\nSubject: Re: x\n",
    "our own reply came back",
)
NO_FROM = mail("To: consult@caseconsultant.test\nSubject: who am I\n", "99213?")

# Charsets: each body says "café" or its language's word, in that charset.
LATIN1 = mail(
    BASE + "Subject: =?iso-8859-1?q?Caf=E9_question?=\nContent-Type: text/plain; charset=iso-8859-1\n"
    "Content-Transfer-Encoding: 8bit",
    "Le café: 99213".encode("iso-8859-1"),
)
CP1252 = mail(
    BASE + "Subject: smart quotes\nContent-Type: text/plain; charset=windows-1252",
    "\u201cquoted\u201d \u2013 99213".encode("cp1252"),
)
CP1250 = mail(
    BASE + "Subject: =?windows-1250?b?WnDsmm924W7t?=\nContent-Type: text/plain; charset=windows-1250",
    "Příliš žluťoučký kůň".encode("cp1250"),
)
CP1258 = mail(
    BASE + "Subject: vi\nContent-Type: text/plain; charset=windows-1258",
    "Cà phê".encode("cp1258"),
)
ISO2022JP = mail(
    BASE + "Subject: =?iso-2022-jp?b?GyRCJDMkcyRLJEEkTxsoQg==?=\n"
    "Content-Type: text/plain; charset=iso-2022-jp",
    "こんにちは 99213".encode("iso2022_jp"),
)
KOI8R = mail(
    BASE + "Subject: =?koi8-r?b?8NLJ18XU?=\nContent-Type: text/plain; charset=koi8-r",
    "Привет 99213".encode("koi8_r"),
)
GB2312_REALLY_GBK = mail(
    BASE + "Subject: zh\nContent-Type: text/plain; charset=gb2312",
    "你好 镕".encode("gb18030"),  # 镕 is outside GB2312: senders label GBK text gb2312
)
WRONG_LATIN1_IS_UTF8 = mail(
    BASE + "Subject: wrong label\nContent-Type: text/plain; charset=iso-8859-1",
    "Müller café".encode(),
)
UNKNOWN_CHARSET = mail(
    BASE + "Subject: =?x-unknown?q?caf=E9?=\nContent-Type: text/plain; charset=x-bogus-charset",
    "caf\xe9 99213".encode("latin-1"),
)
UTF8_RAW_HEADER = mail(BASE + "Subject: PLACEHOLDER\n", "body").replace(
    b"PLACEHOLDER", "Frage über 99213".encode()
)
BROKEN_HEADERS = mail(
    "From: \"unterminated <broken@@clinic..example\nTo: ;;;,,,<>\nDate: not a date\n"
    "Message-ID: no brackets@clinic.example\nSubject: =?utf-8?q?broken=ZZ?=\n"
    "Content-Type: multipart/mixed; boundary=\"never-closed\"",
    "--never-closed\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
    "!!!not base64!!!\n",
)
