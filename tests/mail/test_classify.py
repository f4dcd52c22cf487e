"""classify(): table-driven over written and real mails."""

from __future__ import annotations

import pytest

from consultant.mail.classify import RULES, classify, is_oversized, sender_allowed
from consultant.mail.parse import parse_mail
from tests.mail import mails as m

OWN = {"consult@caseconsultant.test"}


def kind_of(raw: bytes, allowed: list[str] | None = None, max_bytes: int = 10 << 20) -> tuple[str, str]:
    c = classify(parse_mail(raw), own_addresses=OWN, allowed_senders=allowed or [], max_bytes=max_bytes)
    return c.kind, c.reason


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (m.CONSULT, "consult"),
        (m.HTML_ONLY, "consult"),
        (m.REPLY, "consult"),  # follow-up is decided by threading, not here
        (m.GMAIL_FORWARD, "consult"),
        (m.AUTO_SUBMITTED_NO, "consult"),
        (m.OOF_EXCHANGE, "auto_reply"),
        (m.OOF_SUBJECT_ONLY, "auto_reply"),
        (m.OOF_GERMAN, "auto_reply"),
        (m.OOF_X_AUTOREPLY, "auto_reply"),
        (m.OOF_PRECEDENCE, "auto_reply"),
        (m.BOUNCE_DSN, "bounce"),
        (m.BOUNCE_NULL_RETURN_PATH, "bounce"),
        (m.BOUNCE_FAILED_RCPT, "bounce"),
        (m.LIST_MAIL, "list"),
        (m.OWN, "loop"),
        (m.NO_FROM, "rejected"),
        (m.fixture("sisimai-rfc3834-02-autoreply.eml"), "auto_reply"),
        (m.fixture("phpmime-issue212-polish-autoreply.eml"), "auto_reply"),
        (m.fixture("sisimai-gmail-bounce.eml"), "bounce"),
        (m.fixture("sisimai-office365-bounce.eml"), "bounce"),
        (m.fixture("flanker-mdn.eml"), "auto_reply"),
        (m.fixture("talon-gmail-reply.eml"), "consult"),
    ],
    ids=["consult", "html-only", "reply", "forward", "auto-submitted-no", "oof-exchange", "oof-subject",
         "oof-german", "x-autoreply", "precedence-auto-reply", "dsn", "null-return-path",
         "x-failed-recipients", "list", "own-address", "no-from", "rfc3834", "polish-autoreply",
         "gmail-bounce", "o365-bounce", "mdn", "real-reply"],
)
def test_kinds(raw: bytes, kind: str) -> None:
    got, reason = kind_of(raw)
    assert got == kind, reason
    assert reason and "@" not in reason  # reasons never carry addresses


@pytest.mark.parametrize(
    ("allowed", "kind"),
    [
        ([], "consult"),
        (["dana.coder@clinic.example"], "consult"),
        (["Dana.Coder@Clinic.example"], "consult"),
        (["@clinic.example"], "consult"),
        (["clinic.example"], "consult"),
        (["example"], "consult"),  # a parent domain covers its subdomains
        (["@other.example"], "rejected"),
        (["someone.else@clinic.example"], "rejected"),
        (["linic.example"], "rejected"),
    ],
)
def test_allowlist(allowed: list[str], kind: str) -> None:
    assert kind_of(m.CONSULT, allowed)[0] == kind


def test_allowlist_does_not_hide_bounces() -> None:
    assert kind_of(m.BOUNCE_DSN, ["@clinic.example"])[0] == "bounce"


def test_oversized_is_classified_and_flagged() -> None:
    parsed = parse_mail(m.CONSULT)
    assert is_oversized(parsed, 100)
    assert not is_oversized(parsed, 0)  # 0 = no limit
    kind, reason = kind_of(m.CONSULT, max_bytes=100)
    assert kind == "consult" and "oversized" in reason


def test_sender_allowed_edge_cases() -> None:
    assert sender_allowed(None, [])
    assert not sender_allowed(None, ["@x.example"])
    assert not sender_allowed("no-at-sign", ["x.example"])


def test_rules_are_named_and_described() -> None:
    names = [r.name for r in RULES]
    assert len(names) == len(set(names))
    assert all(r.description for r in RULES)
