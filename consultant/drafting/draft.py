"""The draft answer a consultant edits: built only from the codes, the store's facts and the findings.

Rendering is Jinja (templates/mail/draft.subject.txt, draft.body.txt); this module prepares plain data
for the templates and says nothing a finding or the store does not support.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from consultant.checks.base import label, source_of
from consultant.checks.model import SEVERITY_ORDER, Finding, Source
from consultant.checks.phi import redact
from consultant.codes.model import CodeInfo
from consultant.drafting.templates import render
from consultant.extraction.model import CodeMention
from consultant.mail.threading import strip_case_token, strip_reply_prefixes

SYSTEM_NAMES = {"CPT": "CPT", "HCPCS": "HCPCS Level II", "ICD10CM": "ICD-10-CM", "ICD10PCS": "ICD-10-PCS"}
SEVERITY_LABEL = {"error": "Problem", "warning": "Check", "info": "Note"}
STATUS_TEXT = {
    "active": "valid",
    "terminated": "terminated",
    "not_yet_effective": "not yet in effect",
    "invalid": "not found in the loaded code set",
}
PFS_STATUS = {
    "A": "active, separately paid",
    "B": "bundled, not separately paid",
    "C": "priced by the Medicare contractor",
    "D": "deleted",
    "E": "excluded from the fee schedule by regulation",
    "I": "not valid for Medicare purposes",
    "J": "anesthesia service",
    "M": "measurement code, no payment",
    "N": "non-covered service",
    "P": "bundled or excluded",
    "R": "restricted coverage",
    "T": "injection: paid only when no other service is paid that day",
    "X": "excluded from coverage by statute",
}
GLOBAL_DAYS = {
    "000": "0-day global (endoscopy or minor procedure; a same-day E/M is included unless significant "
    "and separately identifiable, modifier 25)",
    "010": "10-day global (minor procedure; same-day E/M and related visits for 10 days after are included)",
    "090": "90-day global (major surgery; E/M the day before and the day of surgery and related visits "
    "for 90 days after are included)",
    "XXX": "global concept does not apply",
    "YYY": "global period set by the Medicare contractor",
    "ZZZ": "add-on code, within the global period of its primary procedure",
    "MMM": "maternity care global",
}
BILATERAL = {
    "0": "bilateral adjustment does not apply (modifier 50 not used)",
    "1": "bilateral adjustment applies (150% with modifier 50 or RT/LT)",
    "2": "code is already bilateral",
    "3": "each side paid at 100% (RT/LT or 50)",
}
MAI = {"1": "claim line edit", "2": "per day, policy", "3": "per day, clinical benchmark"}
HCPCS_COVERAGE = {
    "C": "carrier judgment",
    "D": "special coverage instructions apply",
    "I": "not payable by Medicare",
    "M": "non-covered by Medicare",
    "S": "non-covered by Medicare statute",
}
NOTE_KEYS = (
    ("excludes1", "Excludes1"),
    ("code_first", "Code first"),
    ("use_additional", "Use additional code"),
    ("code_also", "Code also"),
)
MAX_NOTES = 3
MAX_NOTE_CHARS = 160
MAX_QUESTION_CHARS = 420

CONFIRM = {
    "invalid_code": "the code {codes} as written in the record (typing error, or deleted code)",
    "code_dates": "the date of service for {codes}",
    "header_code": "the documented specificity for {codes}, so a billable code can be chosen",
    "seventh_character": "the episode of care (initial, subsequent, sequela) and detail documented for "
    "{codes}",
    "ptp_edits": "that the record supports {codes} as separate and distinct services before any modifier "
    "is used",
    "mue_units": "the units of {codes} documented and their medical necessity",
    "add_on_codes": "the primary procedure performed with {codes}",
    "excludes1": "whether {codes} are unrelated conditions (the only case both are reported)",
    "code_first": "whether the record documents the related condition the note for {codes} asks for",
    "global_surgery": "how the E/M visit relates to the procedure ({codes}): decision for surgery, a "
    "separately identifiable problem, or an unrelated postoperative visit",
    "phi": "that the reply quotes no patient identifiers: the question contains possible PHI",
}


@dataclass(frozen=True)
class DraftContent:
    subject: str
    body_text: str


def base_subject(subject: str) -> str:
    """The subject without Re:/Fwd: prefixes and our [Case #N] token (the mail module's rules)."""
    s = strip_reply_prefixes(strip_case_token(strip_reply_prefixes(subject)))
    return " ".join(s.split())


def reply_subject(subject: str, case_id: int) -> str:
    """`Re: <original> [Case #N]`, never stacked, whatever `subject` already carries."""
    return f"Re: {base_subject(subject) or 'Your coding question'} [Case #{case_id}]"


_NOT_PERSON = frozenset(
    [
        "billing",
        "office",
        "team",
        "coding",
        "admin",
        "info",
        "support",
        "department",
        "dept",
        "clinic",
        "group",
        "practice",
        "services",
        "noreply",
        "no-reply",
        "reception",
        "frontdesk",
        "desk",
        "center",
        "centre",
        "hospital",
    ]
)


def greeting_name(asker_name: str | None) -> str | None:
    if not asker_name:
        return None
    name = " ".join(asker_name.replace('"', "").split())
    if "@" in name or not name:
        return None
    if "," in name:  # "Coder, Jane"
        last, _, first = name.partition(",")
        name = first.strip() or last.strip()
    parts = name.split()
    if any(p.lower().strip(".,()") in _NOT_PERSON for p in parts):
        return None  # "Billing Office", "Coding Team": no first name to greet
    if parts[0].rstrip(".").lower() in ("dr", "mr", "mrs", "ms", "prof") and len(parts) > 1:
        return f"{parts[0]} {parts[-1]}"
    return parts[0]


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


_FORWARD_LINE = re.compile(
    r"^\s*(?:-{2,}.*(?:forward|original).*-*|(?:from|to|cc|date|sent|subject)\s*:.*)$", re.IGNORECASE
)
_GREETING = re.compile(
    r"^\s*(?:hi|hello|hey|dear|greetings|good (?:morning|afternoon|evening)|bonjour)\b"
    r"[^.?!\n]{0,40}[,!:]?\s*$",
    re.IGNORECASE,
)
_SIGNOFF = re.compile(
    r"^\s*(?:thanks|thank you|thx|many thanks|merci|regards|best|kind regards|best regards|warm regards"
    r"|cheers|sincerely|respectfully|sent from)\b[^.?]{0,30}$|^\s*--\s*$",
    re.IGNORECASE,
)
_CONTACT = re.compile(
    r"(?i)\(?\b\d{3}\)?[ .-]\d{3}-\d{4}\b|\b\d{3}-\d{4}\b|\bNPI\b|\bext\.? ?\d|@|\bphone\b|\bfax\b"
    r"|\b\d{2,6} [A-Z][a-z]+ (?:St|Ave|Blvd|Dr|Rd|Road|Street|Avenue|Lane|Ln|Way|Suite)\b"
)
_SMALL_WORDS = frozenset({"of", "and", "&", "|", "-", "–", "for", "the", "at", "ext", "ext."})


def _signature_like(line: str) -> bool:
    """A line of a signature block: a name, credentials, a practice, contact details."""
    text = line.strip()
    if not text or "?" in text or text.endswith("."):
        return False
    if _CONTACT.search(text):
        return True
    words = [w for w in re.split(r"[\s,]+", text) if w]
    return len(words) <= 8 and all(
        w.lower() in _SMALL_WORDS or not w[0].isalpha() or w[0].isupper() for w in words
    )


def _trim_question(question: str) -> str:
    """The question without the greeting line, the sign-off and the signature block after it, and
    trailing paragraphs that are only a signature or contact details (names, phone, address)."""
    lines = [ln for ln in question.splitlines() if not _FORWARD_LINE.match(ln)]
    while lines and not lines[0].strip():
        lines.pop(0)
    if lines and _GREETING.match(lines[0]):
        lines.pop(0)
    for i, ln in enumerate(lines):
        if i > 0 and _SIGNOFF.match(ln) and any(x.strip() for x in lines[:i]):
            lines = lines[:i]
            break
    paragraphs: list[list[str]] = [[]]
    for ln in lines:
        if ln.strip():
            paragraphs[-1].append(ln)
        elif paragraphs[-1]:
            paragraphs.append([])
    paragraphs = [p for p in paragraphs if p]
    while len(paragraphs) > 1 and all(_signature_like(ln) for ln in paragraphs[-1]):
        paragraphs.pop()
    if paragraphs:  # a signature that follows the last sentence without a blank line
        last = paragraphs[-1]
        while len(last) > 1 and _signature_like(last[-1]) and _CONTACT.search(last[-1]):
            last.pop()
    return "\n\n".join("\n".join(p) for p in paragraphs)


def _brief_question(question: str) -> str:
    """The question without greeting and signature, PHI and forward header lines removed, whitespace
    collapsed, cut at a sentence end near the limit."""
    text = " ".join(redact(_trim_question(question) or question).split())
    if len(text) <= MAX_QUESTION_CHARS:
        return text
    cut = max(text.rfind(". ", 0, MAX_QUESTION_CHARS), text.rfind("? ", 0, MAX_QUESTION_CHARS))
    return text[: cut + 1] if cut > MAX_QUESTION_CHARS // 2 else _short(text, MAX_QUESTION_CHARS)


def _indicators(info: CodeInfo) -> list[str]:
    ind = info.indicators
    out: list[str] = []
    if info.system in ("CPT", "HCPCS") and ind.get("status"):
        out.append(f"PFS status {ind['status']}: {PFS_STATUS.get(ind['status'], 'see the PFS file')}")
    days = ind.get("global_days") or ind.get("glob_days")
    if days:
        out.append(f"Global days {days}: {GLOBAL_DAYS.get(days, 'see the PFS file')}")
    bilateral = ind.get("bilateral") or ind.get("bilat_surg")
    if bilateral in BILATERAL:
        out.append(f"Bilateral indicator {bilateral}: {BILATERAL[bilateral]}")
    if ind.get("coverage") in HCPCS_COVERAGE:
        out.append(f"HCPCS coverage {ind['coverage']}: {HCPCS_COVERAGE[ind['coverage']]}")
    if ind.get("mue"):
        mai = ind.get("mue_mai", "")
        text = f"MUE {ind['mue']} unit(s)"
        if mai:
            text += f" (MAI {mai}: {MAI.get(mai, 'see the MUE table')})"
        out.append(text)
    return out


def _code_view(m: CodeMention, info: CodeInfo | None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "label": label(m),
        "system": SYSTEM_NAMES.get(m.system, m.system),
        "description": None,
        "description_note": None,
        "status": "not looked up",
        "indicators": [],
        "notes": [],
        "source": None,
    }
    if info is None:
        return view
    if info.description:
        view["description"] = info.description
    elif info.system == "CPT" and info.status != "invalid":
        view["description_note"] = (
            "The CPT descriptor requires an AMA CPT licence and is not shown; the code and its CMS "
            "indicators are."
        )
    elif info.description_note:
        view["description_note"] = info.description_note
    status = STATUS_TEXT.get(info.status, info.status)
    if info.status == "terminated" and info.termination_date:
        status += f" (effective {info.termination_date.isoformat()})"
    if info.status == "not_yet_effective" and info.effective_date:
        status += f" (from {info.effective_date.isoformat()})"
    if info.system == "ICD10CM" and info.status != "invalid" and info.billable is not None:
        status += ", billable" if info.billable else ", not billable (a more specific code is required)"
    view["status"] = status
    view["indicators"] = _indicators(info)
    for key, title in NOTE_KEYS:
        notes = info.notes.get(key, [])
        if notes:
            text = f"{title}: " + "; ".join(_short(n, MAX_NOTE_CHARS) for n in notes[:MAX_NOTES])
            if len(notes) > MAX_NOTES:
                text += f" (and {len(notes) - MAX_NOTES} more)"
            view["notes"].append(text)
    view["source"] = _source_text(source_of(info.release))
    return view


def _finding_view(f: Finding) -> dict[str, Any]:
    return {
        "severity": f.severity,
        "label": SEVERITY_LABEL.get(f.severity, f.severity),
        "rule": f.rule,
        "codes": " / ".join(f.codes),
        "message": f.message,
        "source": _source_text(f.source),
    }


def _source_text(src: Source | None) -> str | None:
    return f"{src.file} ({src.release})" if src else None


MAX_SHORT_SENTENCES = 3
_UNITS_QUESTION = re.compile(r"(?i)\bunits?\b|\bMUEs?\b")
_EFFECTIVE = re.compile(r"effective (\d{4}-\d{2}-\d{2})")


def _units_within_mue(codes: list[CodeMention], infos: dict[str, CodeInfo], findings: list[Finding]) -> str:
    """'J3301 x4 is within its MUE of 16 unit(s) (MAI 3)...' for the codes whose units the store
    checked and found within the limit; empty when there are none."""
    over = {c for f in findings if f.rule == "mue_units" for c in f.codes}
    parts: list[str] = []
    for m in codes:
        info = infos.get(m.code)
        mue = info.indicators.get("mue") if info else None
        if m.units is None or not mue or m.code in over or not mue.isdigit() or m.units > int(mue):
            continue
        mai = info.indicators.get("mue_mai") if info else None
        parts.append(f"{m.code} x{m.units} is within its MUE of {mue}" + (f" (MAI {mai})" if mai else ""))
    if not parts:
        return ""
    return "Units: " + "; ".join(parts) + "."


def short_answer(
    question: str, codes: list[CodeMention], infos: dict[str, CodeInfo], findings: list[Finding]
) -> list[str]:
    """One to three sentences that answer the question, taken from the findings' own summaries (most
    severe first) and, for units, the MUE values of the store. Empty when no finding has one."""
    sentences: list[str] = []
    upper = question.upper()

    def first_mention(f: Finding) -> int:
        found = [i for c in f.codes if (i := upper.find(c.upper())) >= 0]
        return min(found, default=len(upper))

    ordered = sorted(findings, key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), first_mention(f)))
    for f in ordered:
        if f.summary and f.rule != "phi" and f.summary not in sentences:
            sentences.append(f.summary)
    units = _units_within_mue(codes, infos, findings)
    if units:
        if _UNITS_QUESTION.search(question):
            sentences.insert(0, units)
        else:
            sentences.append(units)
    return sentences[:MAX_SHORT_SENTENCES]


def later_releases(
    infos: dict[str, CodeInfo], findings: list[Finding], date_of_service: str | None
) -> list[str]:
    """The releases used that took effect after the date of service ("PFS 2024-07")."""
    if not date_of_service:
        return []
    out: list[str] = []
    texts = [s.release for i in infos.values() if (s := source_of(i.release))]
    texts += [f.source.release for f in findings if f.source]
    texts += [mue.rsplit(" (", 1)[-1] for i in infos.values() if (mue := i.indicators.get("mue_source"))]
    for text in texts:
        m = _EFFECTIVE.search(text)
        name = text.split(", effective")[0]
        if m and m.group(1) > date_of_service[:10] and name not in out:
            out.append(name)
    return out


def confirm_items(findings: list[Finding], has_date: bool, later: list[str] | None = None) -> list[str]:
    items: list[str] = []
    for f in findings:
        if f.severity == "info" and f.rule not in ("ptp_edits", "code_first"):
            continue
        template = CONFIRM.get(f.rule)
        codes = " and ".join(f.codes) or "the codes"
        item = f.confirm or (template.format(codes=codes) if template else None)
        if item and item not in items:
            items.append(item)
    if later:
        items.append(
            "the rules in force on the date of service: the loaded "
            + ", ".join(later)
            + (" release took" if len(later) == 1 else " releases took")
            + " effect after it; the tables in force on that date may differ"
        )
    if not has_date:
        items.append(
            "the date of service: the mail gives none, so the codes and edits in force today were used"
        )
    items.append("the payer: these checks use Medicare (CMS) tables; other payers may apply their own edits")
    return items


def build_draft(
    *,
    parsed_subject: str,
    asker_name: str | None,
    question: str,
    codes: list[CodeMention],
    infos: dict[str, CodeInfo],
    findings: list[Finding],
    case_id: int,
    date_of_service: str | dt.date | None = None,
) -> DraftContent:
    """The draft (subject, text) for the consultant to edit and approve."""
    if date_of_service is None:  # the caller did not pass it: read it as the extraction does
        from consultant.extraction.extract import parse_date_of_service

        dos = parse_date_of_service(question)
        date_of_service = dos.isoformat() if dos else None
    elif isinstance(date_of_service, dt.date):
        date_of_service = date_of_service.isoformat()
    findings = sorted(findings, key=lambda f: SEVERITY_ORDER.get(f.severity, 9))
    counts = {s: sum(1 for f in findings if f.severity == s) for s in ("error", "warning", "info")}
    procs = [label(m) for m in codes if m.system in ("CPT", "HCPCS", "ICD10PCS")]
    dx = [label(m) for m in codes if m.system == "ICD10CM"]
    sources: list[str] = []
    candidates = [_source_text(source_of(i.release)) for i in infos.values()]
    candidates += [i.indicators.get("mue_source") for i in infos.values()]
    candidates += [_source_text(f.source) for f in findings]
    for text in candidates:
        if text and text not in sources:
            sources.append(text)
    context = {
        "case_id": case_id,
        "subject": reply_subject(parsed_subject, case_id),
        "name": greeting_name(asker_name),
        "procedures": procs,
        "diagnoses": dx,
        "date_of_service": date_of_service,
        "brief": _brief_question(question) if question.strip() else "",
        "codes": [_code_view(m, infos.get(m.code)) for m in codes],
        "findings": [_finding_view(f) for f in findings],
        "counts": counts,
        "short": short_answer(question, codes, infos, findings),
        "confirm": confirm_items(
            findings, bool(date_of_service), later_releases(infos, findings, date_of_service)
        ),
        "sources": sources,
    }
    subject = render("mail/draft.subject.txt", **context).strip()
    body = render("mail/draft.body.txt", **context).rstrip() + "\n"
    return DraftContent(subject=subject, body_text=body)
