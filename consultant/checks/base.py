"""Helpers shared by the checks: looking codes up once per context, sources, code classes."""

from __future__ import annotations

import datetime as dt
import re

from consultant.checks.model import CheckContext, Source
from consultant.codes.model import CodeInfo, MueLimit, ReleaseRef
from consultant.extraction.model import CodeMention

PROCEDURE_SYSTEMS = frozenset({"CPT", "HCPCS"})

# NCCI-associated modifiers that may bypass a PTP edit with modifier indicator 1
ANATOMIC_MODIFIERS = frozenset(
    {"E1", "E2", "E3", "E4", "FA", *(f"F{i}" for i in range(1, 10)), "TA", *(f"T{i}" for i in range(1, 10)),
     "LT", "RT", "LC", "LD", "RC", "LM", "RI"}
)  # fmt: skip
GLOBAL_SURGERY_MODIFIERS = frozenset({"24", "25", "57", "58", "78", "79"})
OTHER_BYPASS_MODIFIERS = frozenset({"27", "59", "91", "XE", "XS", "XP", "XU"})
PTP_BYPASS_MODIFIERS = ANATOMIC_MODIFIERS | GLOBAL_SURGERY_MODIFIERS | OTHER_BYPASS_MODIFIERS
X_MODIFIERS = frozenset({"XE", "XS", "XP", "XU"})
EM_ONLY_MODIFIERS = frozenset({"24", "25", "57"})


def source_of(ref: ReleaseRef | None) -> Source | None:
    """The file and release a fact came from, as shown beside a finding."""
    if ref is None:
        return None
    release = f"{ref.system} {ref.version}"
    if ref.effective_date and ref.effective_date.isoformat() not in ref.version:
        release += f", effective {ref.effective_date.isoformat()}"
    return Source(file=ref.source_file, release=release)


def info_for(ctx: CheckContext, mention: CodeMention) -> CodeInfo:
    """Look a mentioned code up as of the date of service, once per context (cached in ctx.extra)."""
    cache: dict[tuple[str, str], CodeInfo] = ctx.extra.setdefault("infos", {})
    key = (mention.system, mention.code)
    info = cache.get(key)
    if info is None:
        info = ctx.store.lookup(mention.code, on=ctx.date_of_service, system=mention.system)
        cache[key] = info
    return info


def mue_limits(ctx: CheckContext, codes: list[str]) -> dict[str, MueLimit]:
    """The MUE limits of `codes` for the context's date and setting, asked once per context."""
    cache: dict[str, MueLimit | None] = ctx.extra.setdefault("mue", {})
    missing = [c for c in codes if c not in cache]
    if missing:
        found = ctx.store.mue(missing, on=ctx.date_of_service, setting=ctx.setting)
        for c in missing:
            cache[c] = found.get(c)
    return {c: lim for c in codes if (lim := cache.get(c)) is not None}


def procedures(ctx: CheckContext) -> list[CodeMention]:
    return [m for m in ctx.codes if m.system in PROCEDURE_SYSTEMS]


def diagnoses(ctx: CheckContext) -> list[CodeMention]:
    return [m for m in ctx.codes if m.system == "ICD10CM"]


def is_em(code: str) -> bool:
    """Evaluation and management service (99202-99499)."""
    return len(code) == 5 and code.isdigit() and "99202" <= code <= "99499"


def global_days(info: CodeInfo) -> str | None:
    ind = info.indicators
    return ind.get("global_days") or ind.get("glob_days")


def label(m: CodeMention) -> str:
    """How a code is written back to the consultant: 20610-RT-59 x2."""
    s = m.code + "".join(f"-{mod}" for mod in m.modifiers)
    return s + (f" x{m.units}" if m.units else "")


def fmt_date(d: dt.date | None) -> str:
    return d.isoformat() if d else "unknown"


def cap_list(items: list[str], cap: int) -> str:
    shown = ", ".join(items[:cap])
    return shown + (f" and {len(items) - cap} more" if len(items) > cap else "")


_NUMBER = r"(?:\d{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a few|few|several)"
_DIFFERENT_DATES = re.compile(
    r"(?i)\b(?:"
    rf"{_NUMBER}\s+(?:days?|weeks?|months?)\s+(?:ago|earlier|before|prior|later|after(?:wards)?)"
    r"|yesterday|the (?:day|week|month) before|last (?:week|month)"
    r"|(?:on|at) (?:a |an )?(?:different|separate|another|other|later|earlier|previous|prior) "
    r"(?:date|day|dos|date of service|encounter|visit)"
    r"|(?:different|separate) (?:dates|days|dates of service)"
    r")\b"
)
_NEGATED = re.compile(r"(?i)\b(?:not|n't|never|no)\s+(?:\w+\s+){0,2}$")


def different_dates_hint(text: str) -> str | None:
    """The words of the mail that clearly place services on different dates ("three weeks ago",
    "on a different date"), else None. Only explicit wording counts; a negation just before it
    ("not on a different day") does not."""
    for m in _DIFFERENT_DATES.finditer(text or ""):
        if _NEGATED.search(text[max(0, m.start() - 30) : m.start()]):
            continue
        return " ".join(m.group(0).split())
    return None
