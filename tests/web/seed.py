"""Realistic rows for the review UI tests: users, consult mails, cases with drafts and analyses.

Rows are made directly with the models (the analysis JSON in the shape of `Analysis.to_json()`);
CPT codes carry no descriptor text (AMA-licensed), only CMS indicators.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from sqlalchemy.orm import Session

from consultant.db.models import CASE_DRAFTED, DRAFT_READY, Case, Draft, InboundMessage, utcnow
from consultant.services import users

PASSWORD = "correct-horse-battery"
CPT_NOTE = "descriptor requires a CPT licence"


def _code(
    question: str,
    code: str,
    system: str,
    needle: str | None = None,
    modifiers: list[str] | None = None,
    units: int | None = None,
    status: str = "active",
    billable: bool | None = None,
) -> dict[str, Any]:
    start = question.index(needle or code)
    return {
        "system": system,
        "code": code,
        "modifiers": modifiers or [],
        "units": units,
        "span": [start, start + len(needle or code)],
        "status": status,
        "billable": billable,
    }


def _finding(
    rule: str, severity: str, codes: list[str], message: str, file: str, release: str
) -> dict[str, Any]:
    return {
        "rule": rule,
        "severity": severity,
        "codes": codes,
        "message": message,
        "source": {"file": file, "release": release},
    }


CPT_INFO = {"system": "CPT", "status": "active", "description": None, "description_note": CPT_NOTE}


@dataclass
class Consult:
    subject: str
    from_addr: str
    from_name: str
    question: str
    codes: list[dict[str, Any]]
    infos: dict[str, dict[str, Any]]
    findings: list[dict[str, Any]]
    draft: str
    html: str | None = None
    age_hours: float = 0.0


def consult_knee(age_hours: float = 5.0) -> Consult:
    q = (
        "Hi, can we bill 99214-25 with 20610 on the same day? The patient got a steroid injection "
        "in the right knee. Dx M17.11. Thanks!"
    )
    return Consult(
        subject="E/M with knee injection same day?",
        from_addr="dana.biller@clinic.example",
        from_name="Dana Biller",
        question=q,
        codes=[
            _code(q, "99214", "CPT", "99214-25", ["25"]),
            _code(q, "20610", "CPT"),
            _code(q, "M17.11", "ICD10CM", billable=True),
        ],
        infos={
            "99214": {**CPT_INFO, "code": "99214", "indicators": {"status": "A", "global_days": "XXX"}},
            "20610": {
                **CPT_INFO,
                "code": "20610",
                "indicators": {"status": "A", "global_days": "000", "mult_proc": "2"},
            },
            "M17.11": {
                "system": "ICD10CM",
                "code": "M17.11",
                "status": "active",
                "billable": True,
                "description": "Unilateral primary osteoarthritis, right knee",
                "notes": {"excludes1": ["polyosteoarthritis (M15.-)"]},
                "source": {"file": "icd10cm-order-2026.txt", "release": "ICD10CM 2026"},
            },
        },
        findings=[
            _finding(
                "ptp_edits",
                "warning",
                ["20610", "99214"],
                "NCCI PTP edit: 99214 is column 2 to 20610 (modifier indicator 1): payable together only "
                "with a bypass modifier; 25 on the E/M is present — document a significant, separately "
                "identifiable E/M service.",
                "ccipra-v321r0-f1.xlsx",
                "PTP practitioner 2026Q1",
            ),
            _finding(
                "mue_units",
                "info",
                ["20610"],
                "MUE for 20610 is 2 (adjudication indicator 3: per day, "
                "clinical benchmark); 1 unit reported.",
                "MCR_MUE_PractitionerServices.csv",
                "MUE 2026Q1",
            ),
        ],
        draft=(
            "Hello Dana,\n\nYou asked whether 99214-25 can be billed with 20610 on the same day.\n\n"
            "20610: descriptor requires a CPT licence. Status A, global period 000.\n"
            "99214: descriptor requires a CPT licence. Status A.\n"
            "M17.11: Unilateral primary osteoarthritis, right knee (billable).\n\n"
            "Findings\n- NCCI PTP: 99214 is column 2 to 20610, modifier indicator 1. Modifier 25 on the E/M "
            "bypasses the edit when the documentation supports a significant, separately "
            "identifiable E/M.\n\n"
            "Please confirm the visit note supports the separate E/M.\n\n"
            "This answer is guidance from the code sets and CMS edit tables; the payer's policy decides.\n"
        ),
        age_hours=age_hours,
    )


def consult_header_code(age_hours: float = 3.0) -> Consult:
    q = "Is M17.1 ok as the primary dx for 27447? Also J3301 x 4 units same visit."
    return Consult(
        subject="Header code for TKA claim",
        from_addr="ray.coder@ortho.example",
        from_name="Ray Coder",
        question=q,
        codes=[
            _code(q, "M17.1", "ICD10CM", billable=False),
            _code(q, "27447", "CPT"),
            _code(q, "J3301", "HCPCS", "J3301 x 4 units", units=4),
        ],
        infos={
            "M17.1": {
                "system": "ICD10CM",
                "code": "M17.1",
                "status": "active",
                "billable": False,
                "description": "Unilateral primary osteoarthritis of knee",
            },
            "27447": {**CPT_INFO, "code": "27447", "indicators": {"status": "A", "global_days": "090"}},
            "J3301": {
                "system": "HCPCS",
                "code": "J3301",
                "status": "active",
                "description": "Triamcinolone acetonide, not otherwise specified, 10 mg",
                "indicators": {"coverage": "C", "pricing": "51"},
            },
        },
        findings=[
            _finding(
                "header_code",
                "error",
                ["M17.1"],
                "M17.1 is a header (non-billable) code: use a billable "
                "child such as M17.10, M17.11 or M17.12.",
                "icd10cm-order-2026.txt",
                "ICD-10-CM 2026",
            ),
        ],
        draft="Hello Ray,\n\nM17.1 cannot be billed: it is a header code. Use M17.11 or M17.12.\n",
        age_hours=age_hours,
    )


def consult_script(age_hours: float = 1.0) -> Consult:
    q = 'Can I bill G0439 <script>window.__pwned = 1; document.title = "pwned"</script> with 99397?'
    return Consult(
        subject='AWV question <img src=x onerror="window.__pwned=2">',
        from_addr="mallory@evil.example",
        from_name='Mallory "<b>bold</b>"',
        question=q,
        codes=[_code(q, "G0439", "HCPCS"), _code(q, "99397", "CPT")],
        infos={
            "G0439": {
                "system": "HCPCS",
                "code": "G0439",
                "status": "active",
                "description": "Annual wellness visit, subsequent <script>alert(1)</script>",
            },
            "99397": {**CPT_INFO, "code": "99397"},
        },
        findings=[
            _finding(
                "invalid_code",
                "info",
                ["G0439"],
                "<script>window.__pwned=3</script> note",
                "HCPC2026_JAN_ANWEB.txt",
                "HCPCS 2026",
            )
        ],
        draft="Hello,\n\n<script>window.__pwned = 4</script>\nG0439 and 99397 ...\n",
        html='<p>Can I bill G0439 <script>window.__pwned=5</script><img src="x" onerror="window.__pwned=6">'
        ' with 99397?</p><a href="javascript:window.__pwned=7">click</a>',
        age_hours=age_hours,
    )


def raw_mail(c: Consult, when: dt.datetime) -> bytes:
    msg = EmailMessage()
    msg["From"] = f'"{c.from_name}" <{c.from_addr}>'
    msg["To"] = "consult@caseconsultant.test"
    msg["Subject"] = c.subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = make_msgid(domain=c.from_addr.rpartition("@")[2])
    msg.set_content(c.question + "\n")
    if c.html:
        msg.add_alternative(c.html, subtype="html")
    return msg.as_bytes()


def add_case(session: Session, c: Consult, *, state: str = CASE_DRAFTED) -> Case:
    when = utcnow() - dt.timedelta(hours=c.age_hours)
    raw = raw_mail(c, when)
    mid = f"{hashlib.sha256(raw).hexdigest()[:16]}@{c.from_addr.rpartition('@')[2]}"
    case = Case(
        subject=c.subject,
        requester=c.from_addr,
        requester_name=c.from_name,
        state=state,
        max_severity=next(
            (s for s in ("error", "warning", "info") if any(f["severity"] == s for f in c.findings)), None
        ),
        created_at=when,
        updated_at=when,
    )
    session.add(case)
    session.flush()
    inbound = InboundMessage(
        source="file",
        dedupe_key=f"mid:{mid}",
        message_id=mid,
        content_sha256=hashlib.sha256(raw).hexdigest(),
        raw=raw,
        size=len(raw),
        state="consult",
        reason="drafted",
        sender=c.from_addr,
        subject=c.subject,
        parsed={
            "message_id": mid,
            "in_reply_to": [],
            "references": [],
            "subject": c.subject,
            "from_addr": c.from_addr,
            "from_name": c.from_name,
            "reply_to": None,
            "to": ["consult@caseconsultant.test"],
            "cc": [],
            "date": when.isoformat(),
            "text": c.question + "\n",
            "question": c.question,
            "html_only": False,
            "attachments": [],
            "headers": {},
            "content_type": "text/plain",
            "defects": [],
            "size": len(raw),
        },
        case_id=case.id,
        received_at=when,
        processed_at=when + dt.timedelta(milliseconds=180),
    )
    session.add(inbound)
    session.flush()
    session.add(
        Draft(
            case_id=case.id,
            inbound_id=inbound.id,
            version=1,
            state=DRAFT_READY,
            subject=f"Re: {c.subject} [Case #{case.id}]",
            body_text=c.draft,
            analysis={
                "extraction": {"codes": c.codes, "question": c.question},
                "infos": c.infos,
                "findings": c.findings,
            },
            created_at=when,
        )
    )
    session.flush()
    return case


def add_failed(session: Session) -> InboundMessage:
    raw = b"From: broken@example.test\r\nSubject: =?bogus?Q?x?=\r\n\r\n\xff\xfe garbage"
    m = InboundMessage(
        source="imap",
        mailbox="INBOX",
        uidvalidity=1,
        uid=99,
        dedupe_key="sha256:broken",
        content_sha256=hashlib.sha256(raw).hexdigest(),
        raw=raw,
        size=len(raw),
        state="failed",
        failed_stage="parse",
        reason="parse: UnicodeDecodeError: invalid start byte",
        sender="broken@example.test",
        subject="=?bogus?Q?x?=",
    )
    session.add(m)
    session.flush()
    return m


def seed_users(session: Session) -> dict[str, int]:
    ids = {}
    for email, role in (
        ("alice@caseconsultant.test", "consultant"),
        ("bob@caseconsultant.test", "consultant"),
        ("admin@caseconsultant.test", "admin"),
    ):
        ids[email] = users.create_user(session, email, PASSWORD, role).id
    return ids


def seed_all(session: Session) -> dict[str, Any]:
    ids = seed_users(session)
    knee = add_case(session, consult_knee())
    header = add_case(session, consult_header_code())
    script = add_case(session, consult_script())
    failed = add_failed(session)
    return {"users": ids, "knee": knee.id, "header": header.id, "script": script.id, "failed": failed.id}
