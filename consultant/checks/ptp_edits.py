"""NCCI procedure-to-procedure (PTP) edits between every pair of procedure codes in the mail."""

from __future__ import annotations

from consultant.checks.base import (
    ANATOMIC_MODIFIERS,
    EM_ONLY_MODIFIERS,
    PTP_BYPASS_MODIFIERS,
    X_MODIFIERS,
    global_days,
    info_for,
    is_em,
    procedures,
    source_of,
)
from consultant.checks.model import CheckContext, Finding
from consultant.codes.model import PtpEdit
from consultant.extraction.model import CodeMention


def bypass_modifiers(m: CodeMention | None) -> tuple[list[str], list[str]]:
    """(NCCI-associated modifiers on this code that can bypass an edit, those that cannot here)."""
    if m is None:
        return [], []
    good: list[str] = []
    bad: list[str] = []
    for mod in m.modifiers:
        if mod not in PTP_BYPASS_MODIFIERS:
            continue
        if mod in EM_ONLY_MODIFIERS and not is_em(m.code):
            bad.append(mod)  # 24/25/57 belong on an E/M service
        elif (mod == "59" or mod in X_MODIFIERS) and is_em(m.code):
            bad.append(mod)  # 59 and the X modifiers are not used on E/M services
        else:
            good.append(mod)
    return good, bad


def _suggestion(column2: str, column1_global: str | None) -> str:
    if is_em(column2):
        if column1_global == "090":
            return (
                f"modifier 57 on {column2} when the visit was the decision for this major surgery, or 25 "
                "when it was a significant, separately identifiable E/M service"
            )
        return f"modifier 25 on {column2} (a significant, separately identifiable E/M service)"
    return (
        f"an NCCI-associated modifier on {column2}: 59 or the more specific XE/XS/XP/XU for a distinct "
        "procedural service, or an anatomic modifier (LT/RT, F1-F9, T1-T9...) for a different site"
    )


class PtpEdits:
    name = "ptp_edits"
    description = "NCCI procedure-to-procedure edit between two procedure codes, with its modifier indicator"

    def check(self, ctx: CheckContext) -> list[Finding]:
        procs = procedures(ctx)
        if len(procs) < 2:
            return []
        by_code = {m.code: m for m in procs}
        edits = ctx.store.ptp_edits(list(by_code), on=ctx.date_of_service, setting=ctx.setting)
        seen: set[tuple[str, str]] = set()
        out: list[Finding] = []
        for e in edits:
            key = (e.column1, e.column2)
            if key in seen or e.column1 not in by_code or e.column2 not in by_code:
                continue
            seen.add(key)
            out.append(self._finding(e, by_code[e.column1], by_code[e.column2], ctx))
        return out

    def _finding(self, e: PtpEdit, m1: CodeMention, m2: CodeMention, ctx: CheckContext) -> Finding:
        c1, c2 = e.column1, e.column2
        src = source_of(e.release)
        setting = "hospital outpatient" if ctx.setting == "hospital" else ctx.setting
        head = (
            f"NCCI PTP edit ({setting}): {c1} is column 1 and {c2} column 2, modifier indicator "
            f"{e.modifier_indicator}; rationale: {e.rationale or 'not given'}. It applies when both are "
            "reported for the same patient by the same provider on the same date of service."
        )
        good2, bad2 = bypass_modifiers(m2)
        good1, bad1 = bypass_modifiers(m1)
        # the same anatomic modifier on both codes means the same site: it shows nothing distinct
        same_site = set(good1) & set(good2) & ANATOMIC_MODIFIERS
        if same_site:
            good1 = [x for x in good1 if x not in same_site]
            good2 = [x for x in good2 if x not in same_site]
        misplaced = ""
        if bad1 or bad2:
            pairs = [f"{mod} on {m1.code}" for mod in bad1] + [f"{mod} on {m2.code}" for mod in bad2]
            misplaced = (
                f" {', '.join(pairs)} cannot bypass it (25/57/24 apply to E/M services only; 59 and X "
                "modifiers are not used on E/M services)."
            )
        codes = (c1, c2)
        if e.modifier_indicator == 9:
            return Finding(
                self.name,
                "info",
                codes,
                head + " Indicator 9: the edit is not applicable (deleted or never in force); "
                "no modifier is needed for this pair.",
                src,
            )
        if e.modifier_indicator == 0:
            used = good1 + good2
            note = f" The modifier {', '.join(used)} in the mail does not change that." if used else ""
            return Finding(
                self.name,
                "error",
                codes,
                head + f" Indicator 0: no modifier bypasses this edit; {c2} is not payable with {c1} for the "
                f"same patient on the same date of service, by the same provider.{note}",
                src,
            )
        if good2:
            return Finding(
                self.name,
                "info",
                codes,
                head
                + f" The modifier {', '.join(good2)} on {c2} is an NCCI-associated modifier that bypasses "
                "it, provided the record documents a separate, distinct service.",
                src,
            )
        if good1:
            return Finding(
                self.name,
                "warning",
                codes,
                head + f" The modifier {', '.join(good1)} is on the column 1 code {c1}; the bypass modifier "
                f"normally goes on the column 2 code {c2}. Confirm the placement and that the record "
                "documents a separate, distinct service." + misplaced,
                src,
            )
        advice = _suggestion(c2, global_days(info_for(ctx, m1)))
        return Finding(
            self.name,
            "error",
            codes,
            head + f" With no NCCI-associated modifier, {c2} is not payable with {c1} unless a modifier "
            f"applies: when the documentation supports it, use {advice}." + misplaced,
            src,
        )


check = PtpEdits()
