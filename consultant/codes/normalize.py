"""Code normalization and system guessing (pure functions, no I/O)."""

from __future__ import annotations

import datetime as dt
import re

CPT_RE = re.compile(r"^(?:\d{5}|\d{4}[FTUM])$")
HCPCS_RE = re.compile(r"^[A-V]\d{4}$")
ICD10CM_RE = re.compile(r"^[A-Z]\d[0-9A-Z](?:\.[0-9A-Z]{1,4})?$")
ICD10PCS_RE = re.compile(r"^[0-9A-HJ-NP-Z]{7}$")
MODIFIER_RE = re.compile(r"^[0-9A-Z]{2}$")

_STRIP = re.compile(r"[\s\u00a0]+")


def clean(raw: str) -> str:
    """Upper case, no spaces."""
    return _STRIP.sub("", raw).upper()


def icd10cm_with_dot(code: str) -> str:
    """``M1711`` -> ``M17.11``; codes of three characters and dotted codes unchanged."""
    code = clean(code)
    if "." in code or len(code) <= 3:
        return code.rstrip(".")
    return f"{code[:3]}.{code[3:]}"


def icd10cm_without_dot(code: str) -> str:
    return clean(code).replace(".", "")


def normalize(code: str, system: str | None = None) -> str:
    """Normalized form for a given (or guessed) system: ICD-10-CM with a dot, others plain upper."""
    c = clean(code)
    if system == "ICD10CM":
        return icd10cm_with_dot(c)
    if system is None and "." in c:
        return icd10cm_with_dot(c)
    return c


def candidate_systems(code: str) -> list[str]:
    """Systems a code could belong to by its form, most likely first."""
    c = clean(code)
    out: list[str] = []
    if "." in c:
        return ["ICD10CM"] if ICD10CM_RE.match(c) else []
    if CPT_RE.match(c):
        out.append("CPT")
    if HCPCS_RE.match(c):
        out.append("HCPCS")
    if 3 <= len(c) <= 7 and ICD10CM_RE.match(icd10cm_with_dot(c)):
        out.append("ICD10CM")
    if ICD10PCS_RE.match(c):
        # a 7-character code starting with a digit is PCS before CM (CM codes start with a letter)
        if c[0].isdigit():
            out.insert(0, "ICD10PCS")
        else:
            out.append("ICD10PCS")
    return out


def parse_ymd(text: str | None) -> dt.date | None:
    """``20240331`` / ``2024-03-31`` / ``03/31/2024`` -> date; blank, ``*`` or zeros -> None.

    Raises ValueError on anything else."""
    if text is None:
        return None
    t = text.strip()
    if not t or t == "*" or set(t) <= {"0"}:
        return None
    if len(t) == 8 and t.isdigit():
        return dt.date(int(t[:4]), int(t[4:6]), int(t[6:]))
    if len(t) == 10 and t[4] == "-":
        return dt.date.fromisoformat(t)
    if len(t) == 10 and t[2] == "/":
        return dt.date(int(t[6:]), int(t[:2]), int(t[3:5]))
    raise ValueError(f"not a date: {t!r}")


def ymd_int(d: dt.date | None) -> int | None:
    return None if d is None else d.year * 10000 + d.month * 100 + d.day
