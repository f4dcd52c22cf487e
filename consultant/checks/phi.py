"""Possible protected health information (PHI) in the mail: flagged, never repeated.

The finding says what kind of identifier and where (character offsets in the question), never the
value itself, so neither the draft nor a log repeats it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from consultant.checks.model import CheckContext, Finding

_DATE = r"(?:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})|\d{4}-\d{2}-\d{2}|[A-Z][a-z]{2,8}\.? \d{1,2},? \d{4})"
_NAME = r"[A-Z][a-z'’-]+(?: [A-Z]\.?)?(?: [A-Z][a-z'’-]+){1,2}"
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "date of birth",
        re.compile(rf"(?i:\b(?:DOB|D\.O\.B\.?|date of birth|birth ?date|born(?: on)?)\b)[\s:#-]*({_DATE})"),
    ),
    (
        "social security number",
        re.compile(r"(?i:\b(?:SSN|SS#|social security(?: number| no\.?)?)\b)[\s:#-]*(\d{3}-?\d{2}-?\d{4})"),
    ),
    ("social security number", re.compile(r"(?<![\d-])(\d{3}-\d{2}-\d{4})(?![\d-])")),
    (
        "medical record number",
        re.compile(
            r"(?i:\b(?:MRN|MR#|MR No\.?|medical record(?: number| no\.?| #)?|chart(?: number| no\.?"
            r"| #))\b)[\s:#-]*"
            r"([A-Z0-9][A-Z0-9-]{3,})"
        ),
    ),
    (
        "member or policy id",
        re.compile(
            r"(?i:\b(?:member|subscriber|policy|insurance|medicare|medicaid|beneficiary|patient|pt) ?(?:id"
            r"|#|number|no\.?)"
            r"|\bMBI|\bHICN)\b[\s:#-]*([A-Z0-9][A-Z0-9-]{4,})"
        ),
    ),
    (
        "account or claim number",
        re.compile(
            r"(?i:\b(?:account|acct)\b(?:\s*(?:#|no\.?|number))?|\b(?:claim|invoice)\s*(?:#|no\.?|number|id))"
            r"(?i:\s+is)?\s*[:#]?\s*"
            r"((?!\d{4}-\d{2}-\d{2})(?=[A-Z0-9-]*\d{4})[A-Z0-9][A-Z0-9-]{4,})(?!\w|\.\w)"
        ),
    ),
    (
        "Medicare beneficiary identifier",
        re.compile(
            r"(?<![A-Z0-9])([1-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\d[AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\d"
            r"[AC-HJKMNP-RT-Y]{2}\d{2})(?![A-Z0-9])"
        ),
    ),
    (
        "patient name",
        re.compile(
            r"(?i:\b(?:patient|pt|member|subscriber|name)(?:'s)?(?:\s+name)?(?:\s+is)?)\s*[:#-]?\s*"
            rf"({_NAME})"
        ),
    ),
    ("patient name", re.compile(r"\b(?:Mr|Mrs|Ms|Miss)\.? ([A-Z][a-z'’-]+(?: [A-Z][a-z'’-]+)?)")),
]
_PHONE = re.compile(r"(?<!\d)(\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4})(?!\d)")


# capitalized words that follow "patient" without being a name
_NOT_NAMES = frozenset(
    [
        "medicare",
        "medicaid",
        "part",
        "new",
        "established",
        "came",
        "had",
        "has",
        "was",
        "is",
        "with",
        "presented",
        "returned",
        "seen",
        "visit",
        "dx",
        "cpt",
        "icd",
        "hcpcs",
        "mod",
        "modifier",
        "the",
        "a",
        "an",
        "and",
        "who",
        "in",
        "for",
        "from",
        "on",
        "of",
        "to",
        "at",
    ]
)


def _looks_like_name(value: str) -> bool:
    return not any(w.lower().rstrip(".") in _NOT_NAMES for w in value.split())


@dataclass(frozen=True)
class PhiHit:
    kind: str
    start: int
    end: int


def find_phi(text: str) -> list[PhiHit]:
    """Spans of possible PHI values in `text` (a phone number only when a patient name is there too)."""
    hits: list[PhiHit] = []
    taken: list[tuple[int, int]] = []
    for kind, rx in _PATTERNS:
        for m in rx.finditer(text):
            s, e = m.span(1)
            if any(s < te and ts < e for ts, te in taken):
                continue
            if kind == "patient name" and not _looks_like_name(m.group(1)):
                continue
            taken.append((s, e))
            hits.append(PhiHit(kind, s, e))
    if any(h.kind == "patient name" for h in hits):
        for m in _PHONE.finditer(text):
            s, e = m.span(1)
            if not any(s < te and ts < e for ts, te in taken):
                hits.append(PhiHit("phone number", s, e))
    return sorted(hits, key=lambda h: h.start)


def redact(text: str, hits: list[PhiHit] | None = None) -> str:
    """`text` with every possible PHI value replaced by its kind in brackets."""
    hits = find_phi(text) if hits is None else hits
    for h in sorted(hits, key=lambda h: h.start, reverse=True):
        text = text[: h.start] + f"[{h.kind} removed]" + text[h.end :]
    return text


class Phi:
    name = "phi"
    description = "Possible protected health information in the mail (kind and place, never the value)"

    def check(self, ctx: CheckContext) -> list[Finding]:
        hits = find_phi(ctx.text)
        if not hits:
            return []
        kinds: dict[str, list[str]] = {}
        for h in hits:
            kinds.setdefault(h.kind, []).append(f"{h.start}-{h.end}")
        where = "; ".join(f"{kind} at characters {', '.join(spans)}" for kind, spans in kinds.items())
        return [
            Finding(
                self.name,
                "warning",
                (),
                f"Possible PHI in the mail: {where} of the question. Do not quote it in the reply; ask the "
                "sender to send de-identified questions.",
                None,
            )
        ]


check = Phi()
