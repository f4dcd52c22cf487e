"""What kind of mail is this? Auto-reply, bounce, list, loop, refused sender, or a consult.

Pure: looks only at a `ParsedMail`. `follow_up` is decided later by threading (the
database knows the cases), so a normal mail is classified `consult` here. Each rule is a
small named check, tried in order; the first that fires decides. Reasons never contain
addresses (they are logged and shown in the UI).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from consultant.mail.model import Classification, Kind, ParsedMail
from consultant.mail.threading import strip_reply_prefixes

_BOUNCE_LOCALPARTS = {"mailer-daemon", "postmaster", "mail-daemon", "maildaemon", "mailerdaemon", "mdaemon"}
_BOUNCE_NAMES = re.compile(
    r"mail delivery (?:subsystem|system|service)|mailer[- ]daemon|postmaster|delivery status notification"
    r"|mail administrator|microsoft outlook|internet mail delivery|mail system",
    re.IGNORECASE,
)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|undelivered mail|returned mail|mail delivery fail|delivery (?:status )?notification"
    r"|delivery fail|failure notice|non[- ]?delivery|nondeliverable|not delivered|could not be delivered"
    r"|delivery problem|delivery report|returned to sender|mail system error|message delivery has failed"
    r"|delivery has failed|rejected:|unzustellbar|nicht zustellbar|non remis|non recapitabile|no entregado"
    r"|onbestelbaar|kan ikke leveres|delivery warning|warning: could not send|delayed mail|delivery delayed"
    r"|message (?:not|could not be) delivered|mail could not be delivered|bounced mail|bounce:",
    re.IGNORECASE,
)
_AUTO_SUBJECT = re.compile(
    r"out[- ]of[- ](?:the[- ])?office|\bauto(?:matic)?[- ]?(?:reply|response|respons|responder|answer|antwort)"
    r"|autoreply|autorespon|^auto:|abwesenheit|automatische antwort|\babwesend\b|réponse automatique"
    r"|respuesta automática|fuera de la oficina|risposta automatica|fuori (?:sede|ufficio)"
    r"|automatisch antwoord|\bafwezig|automatiskt? svar|\bautosvar|frånvaro|fraværende|automatyczna odpowied"
    r"|nieobecno|automaattinen vastaus|resposta automática|ausência|automātiskā atbilde|automatiska atbilde"
    r"|ārpus biroja|arpus biroja|\baway (?:until|from (?:the|my) (?:office|desk))|\bon vacation\b"
    r"|vacation (?:reply|notice|message|autoreply|response)|\bon (?:annual |parental )?leave\b"
    r"|自動応答|自動返信|不在|自动回复|자동 응답|atvaļinājum|atvalinajum|\bout of office\b",
    re.IGNORECASE,
)
_LIST_HEADERS = ("list-id", "list-unsubscribe", "list-post", "mailing-list", "x-mailing-list", "list-help")


@dataclass(frozen=True)
class Rule:
    """One named check: returns a reason when it fires, else None."""

    name: str
    kind: Kind
    description: str
    check: Callable[[ParsedMail], str | None]


def _h(parsed: ParsedMail, name: str) -> str:
    return (parsed.headers.get(name) or "").strip()


def _report_type(parsed: ParsedMail) -> str:
    ctype = _h(parsed, "content-type").lower()
    if not ctype.startswith("multipart/report"):
        return ""
    m = re.search(r'report-type\s*=\s*"?([\w-]+)', ctype)
    return m.group(1) if m else "unknown"


def _part_types(parsed: ParsedMail) -> set[str]:
    return {a.content_type for a in parsed.attachments}


def _local_part(addr: str | None) -> str:
    return (addr or "").split("@", 1)[0].lower()


# ------------------------------------------------------------------ bounce


def _bounce_strong(p: ParsedMail) -> str | None:
    report = _report_type(p)
    if report in ("delivery-status", "global-delivery-status"):
        return "delivery status report (multipart/report)"
    types = _part_types(p)
    if types & {"message/delivery-status", "message/global-delivery-status"}:
        return "delivery status part"
    if _local_part(p.from_addr) in _BOUNCE_LOCALPARTS:
        return "sent by a mailer daemon or postmaster"
    if p.from_name and _BOUNCE_NAMES.search(p.from_name) and _BOUNCE_SUBJECT.search(p.subject):
        return "sent by a mail delivery system"
    if _h(p, "x-failed-recipients"):
        return "X-Failed-Recipients header"
    return None


def _bounce_weak(p: ParsedMail) -> str | None:
    subject = strip_reply_prefixes(p.subject)
    return_path = _h(p, "return-path")
    null_sender = return_path.replace(" ", "") in ("<>", "") and "return-path" in p.headers
    if _BOUNCE_SUBJECT.search(subject) and (null_sender or not p.from_addr or "rfc822" in " ".join(_part_types(p))):
        return "delivery failure notice"
    if null_sender and _BOUNCE_SUBJECT.search(subject):
        return "delivery failure notice with an empty return path"
    if null_sender:
        return "empty return path (<>): automated message"
    if _BOUNCE_SUBJECT.search(subject) and _local_part(p.from_addr) in {"root", "daemon", "mailer", "mail"}:
        return "delivery failure notice from a system account"
    return None


# ------------------------------------------------------------------ auto-replies


def _auto_headers(p: ParsedMail) -> str | None:
    auto = _h(p, "auto-submitted").lower()
    if auto and not auto.startswith("no"):
        return f"Auto-Submitted: {auto.split(';')[0][:40]}"
    for name in ("x-autoreply", "x-autorespond", "x-autoresponder", "x-autogenerated"):
        if _h(p, name):
            return f"{name} header"
    precedence = _h(p, "precedence").lower()
    if precedence in ("auto_reply", "auto-reply", "autoreply"):
        return "Precedence: auto_reply"
    suppress = _h(p, "x-auto-response-suppress").lower()
    if re.search(r"\b(?:oof|all)\b", suppress):
        return "X-Auto-Response-Suppress (Exchange automatic reply)"
    if _h(p, "x-ms-exchange-generated-message-source") or _h(p, "x-ms-exchange-inbox-rules-loop"):
        return "generated by an Exchange rule"
    report = _report_type(p)
    if report and report not in ("delivery-status", "global-delivery-status"):
        return f"automatic report ({report})"
    return None


def _auto_subject(p: ParsedMail) -> str | None:
    subject = p.subject or ""
    if _AUTO_SUBJECT.search(subject):
        return "out-of-office or automatic-reply subject"
    return None


def _bulk(p: ParsedMail) -> str | None:
    precedence = _h(p, "precedence").lower()
    if precedence in ("bulk", "junk"):
        return f"Precedence: {precedence}"
    return None


# ------------------------------------------------------------------ lists


def _mailing_list(p: ParsedMail) -> str | None:
    for name in _LIST_HEADERS:
        if _h(p, name):
            return f"mailing-list mail ({name})"
    if _h(p, "precedence").lower() == "list":
        return "mailing-list mail (Precedence: list)"
    if _h(p, "x-beenthere"):
        return "mailing-list mail (X-BeenThere)"
    return None


RULES: tuple[Rule, ...] = (
    Rule("bounce", "bounce", "delivery status reports, mailer daemons, X-Failed-Recipients", _bounce_strong),
    Rule("auto-headers", "auto_reply", "Auto-Submitted, X-Autoreply, Precedence auto_reply, reports",
         _auto_headers),
    Rule("auto-subject", "auto_reply", "out-of-office subjects in several languages", _auto_subject),
    Rule("bounce-weak", "bounce", "failure-notice subjects, empty return path", _bounce_weak),
    Rule("list", "list", "List-Id, List-Unsubscribe, List-Post, Precedence list", _mailing_list),
    Rule("bulk", "auto_reply", "Precedence bulk or junk", _bulk),
)


def is_oversized(parsed: ParsedMail, max_bytes: int) -> bool:
    """Stored, classified, but never drafted: larger than the configured limit."""
    return max_bytes > 0 and parsed.size > max_bytes


def sender_allowed(addr: str | None, allowed_senders: list[str]) -> bool:
    """Allowlist entries: full addresses, "@domain" or "domain" (subdomains included). Empty = open."""
    entries = [e.strip().lower() for e in allowed_senders if e and e.strip()]
    if not entries:
        return True
    if not addr or "@" not in addr:
        return False
    addr = addr.lower()
    domain = addr.rsplit("@", 1)[1]
    for entry in entries:
        if "@" in entry and not entry.startswith("@"):
            if addr == entry:
                return True
            continue
        dom = entry.lstrip("@")
        if domain == dom or domain.endswith("." + dom):
            return True
    return False


def classify(
    parsed: ParsedMail,
    *,
    own_addresses: set[str],
    allowed_senders: list[str],
    max_bytes: int,
) -> Classification:
    """Classify one parsed mail. `consult` means "a human question"; the caller decides follow-up."""
    own = {a.strip().lower() for a in own_addresses if a}
    sender = (parsed.from_addr or "").lower()
    if sender and sender in own:
        return Classification("loop", "sent from our own address")
    x_loop = _h(parsed, "x-loop").lower()
    if x_loop and any(a in x_loop for a in own):
        return Classification("loop", "X-Loop names our own address")
    for rule in RULES:
        reason = rule.check(parsed)
        if reason:
            return Classification(rule.kind, reason)
    if not sender and not parsed.reply_to:
        return Classification("rejected", "no sender address to answer")
    if not sender_allowed(sender or parsed.reply_to, allowed_senders):
        return Classification("rejected", "sender not on the allowlist")
    if is_oversized(parsed, max_bytes):
        return Classification("consult", f"consult; oversized ({parsed.size} bytes > {max_bytes}): not drafted")
    return Classification("consult", "a question from an allowed sender")
