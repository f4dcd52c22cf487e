"""NCCI procedure-to-procedure (PTP) edits between every pair of procedure codes in the mail.

A PTP edit applies only to services reported for the same beneficiary by the same provider on the
same date of service. The advice follows the edit's rationale in the CMS table: a column 2 code that
the column 1 code already includes is not unbundled with 59 or an X modifier.
"""

from __future__ import annotations

from consultant.checks.base import (
    ANATOMIC_MODIFIERS,
    EM_ONLY_MODIFIERS,
    PTP_BYPASS_MODIFIERS,
    X_MODIFIERS,
    different_dates_hint,
    global_days,
    info_for,
    is_em,
    procedures,
    source_of,
)
from consultant.checks.model import CheckContext, Finding, Severity
from consultant.codes.model import PtpEdit
from consultant.extraction.model import CodeMention

SAME_DATE = (
    "A PTP edit applies only when both codes are reported for the same beneficiary by the same "
    "provider on the same date of service."
)

# What each CMS PTP rationale means for the pair, in plain words (no CPT descriptor text).
# {c1} is the column 1 code, {c2} the column 2 code.
RATIONALE_MEANING: dict[str, str] = {
    "cpt manual or cms manual coding instruction": (
        "a CPT Manual or CMS manual instruction says {c2} is not reported separately when {c1} is "
        "reported for the same service"
    ),
    "hcpcs/cpt procedure code definition": (
        "by its code definition {c1} already includes the service {c2} describes, so {c2} is not "
        "reported for the same work"
    ),
    "misuse of column two code with column one code": (
        "CMS treats {c2} reported with {c1} as a misuse of {c2}: in this combination it does not "
        "describe a separate service"
    ),
    "cpt separate procedure definition": (
        '{c2} is designated a "separate procedure": it is included when performed as part of {c1} '
        "at the same session and site"
    ),
    "mutually exclusive procedures": (
        "the two procedures would not reasonably be performed at the same session on the same site; "
        "only the one that describes the service performed is reported"
    ),
    "more extensive procedure": "{c1} is the more extensive procedure and includes {c2}",
    "standards of medical/surgical practice": (
        "under standards of medical and surgical practice, {c2} is integral to {c1} when performed "
        "at the same session"
    ),
}


def _rationale_key(rationale: str | None) -> str:
    return " ".join((rationale or "").lower().split())


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


def _em_advice(column2: str, column1_global: str | None) -> str:
    if column1_global == "090":
        return (
            f"modifier 57 on {column2} when the visit was the decision for this major surgery, or 25 "
            "when it was a significant, separately identifiable E/M service"
        )
    return f"modifier 25 on {column2} (a significant, separately identifiable E/M service)"


def _minor_decision(c1: str, days: str | None) -> str:
    """CMS: the decision to perform a minor procedure (0/10-day global) is part of the procedure."""
    if days not in ("000", "010"):
        return ""
    return (
        f" {c1} has a {days}-day global period: under CMS global surgery policy the decision to perform "
        "this minor procedure and the usual evaluation before it are part of the procedure, so the E/M "
        "must address more than that (for example a separate problem, or work beyond the procedure's "
        "own evaluation)."
    )


def _distinct_only(c1: str, c2: str) -> str:
    return (
        f"59 or an X modifier (XE separate encounter, XS separate site or structure, XU unusual "
        f"non-overlapping service) belongs on {c2} only when {c2} was truly a separate service from "
        f"{c1}; it must not be used to report a part of {c1} itself (CMS NCCI Policy Manual, ch. I)"
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
        hint = different_dates_hint(ctx.text)
        for e in edits:
            key = (e.column1, e.column2)
            if key in seen or e.column1 not in by_code or e.column2 not in by_code:
                continue
            seen.add(key)
            out.append(self._finding(e, by_code[e.column1], by_code[e.column2], ctx, hint))
        return out

    def _finding(
        self, e: PtpEdit, m1: CodeMention, m2: CodeMention, ctx: CheckContext, hint: str | None
    ) -> Finding:
        c1, c2 = e.column1, e.column2
        src = source_of(e.release)
        setting = "hospital outpatient" if ctx.setting == "hospital" else ctx.setting
        rationale = e.rationale or "not given"
        meaning = RATIONALE_MEANING.get(_rationale_key(e.rationale))
        head = (
            f"NCCI PTP edit ({setting}): {c1} is column 1 and {c2} column 2, modifier indicator "
            f"{e.modifier_indicator}; CMS rationale: {rationale}"
            + (f" ({meaning.format(c1=c1, c2=c2)})" if meaning and not is_em(c2) else "")
            + f". {SAME_DATE}"
        )
        codes = (c1, c2)

        def finding(
            severity: Severity, text: str, summary: str | None, confirm: str | None = None
        ) -> Finding:
            return Finding(
                self.name, severity, codes, head + " " + text, src, summary=summary, confirm=confirm
            )

        if e.modifier_indicator == 9:
            return finding(
                "info",
                "Indicator 9: the edit is not applicable (deleted or never in force); no modifier is "
                "needed for this pair.",
                None,
            )
        if hint:
            return finding(
                "info",
                f'The mail places these services on different dates ("{hint}"): if so, this edit does '
                f"not apply and no PTP modifier is needed; what matters then is whether {c2} falls in "
                f"the global period of the other service.",
                f"The NCCI PTP edit between {c1} and {c2} applies only to the same date of service, so "
                f'it does not apply when the services were on different dates ("{hint}").',
                f"the dates of service of {c1} and {c2} (the PTP edit applies only when they are the same)",
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
        em = is_em(c2)
        days1 = global_days(info_for(ctx, m1))
        if em:
            confirm = (
                f"that the record documents a significant, separately identifiable E/M service for {c2}, "
                f"beyond the usual evaluation before {c1}"
            )
        else:
            confirm = (
                f"whether {c2} was a separate service from {c1} (another site or encounter) or part of "
                f"{c1}; if part of it, {c2} is not reported"
            )

        if e.modifier_indicator == 0:
            used = good1 + good2
            note = f" The modifier {', '.join(used)} in the mail does not change that." if used else ""
            return finding(
                "error",
                f"Indicator 0: no modifier bypasses this edit; {c2} is not payable with {c1} for the "
                f"same patient on the same date of service, by the same provider.{note}",
                f"No: {c2} is not payable with {c1} on the same date of service by the same provider "
                "(NCCI PTP edit, modifier indicator 0); no modifier changes that.",
                confirm,
            )
        if good2:
            mods = ", ".join(good2)
            if em:
                return finding(
                    "info",
                    f"The modifier {mods} on {c2} is an NCCI-associated modifier that bypasses it, provided "
                    "the record documents a significant, separately identifiable E/M service."
                    + _minor_decision(c1, days1),
                    f"Yes: {c2}-{good2[0]} with {c1} on the same day passes the NCCI PTP edit (modifier "
                    f"indicator 1; {good2[0]} is an NCCI-associated modifier), provided the record documents "
                    f"a significant, separately identifiable E/M service beyond the usual evaluation "
                    f"before {c1}.",
                    confirm,
                )
            return finding(
                "info",
                f"The modifier {mods} on {c2} is an NCCI-associated modifier that bypasses it; "
                + _distinct_only(c1, c2)
                + ".",
                f"{c2}-{good2[0]} passes the NCCI PTP edit with {c1} only if the record shows {c2} was a "
                f"separate service (another site or encounter), not part of {c1}.",
                confirm,
            )
        if good1:
            mods = ", ".join(good1)
            anatomic = all(x in ANATOMIC_MODIFIERS for x in good1)
            why = (
                f" {mods} on {c1} identifies the site of {c1}; it does not show that {c2} was separate."
                if anatomic
                else ""
            )
            return finding(
                "warning",
                f"The modifier {mods} is on the column 1 code {c1}; the bypass modifier normally goes on "
                f"the column 2 code {c2}.{why} Confirm the placement and that the record documents a "
                "separate, distinct service." + misplaced,
                f"{c2} with {c1}: the NCCI PTP edit (modifier indicator 1) pays {c2} on the same date only "
                f"with an NCCI-associated modifier on {c2} when the record shows a separate service; "
                f"{mods} on {c1} does not do that.",
                confirm,
            )
        if em:
            advice = _em_advice(c2, days1)
            return finding(
                "error",
                f"With no NCCI-associated modifier, {c2} is not payable with {c1} unless a modifier "
                f"applies: when the documentation supports it, use {advice}."
                + _minor_decision(c1, days1)
                + misplaced,
                f"{c2} without a modifier is not payable with {c1} on the same date (NCCI PTP edit); "
                f"{advice} only when the record supports it.",
                confirm,
            )
        if meaning:
            return finding(
                "error",
                f"As reported, {c2} is not separately payable with {c1} on the same date of service. Do "
                f"not add a modifier just to get {c2} paid: " + _distinct_only(c1, c2) + "." + misplaced,
                f"No: {c2} is not separately payable with {c1} on the same date of service; the NCCI PTP "
                f"edit bundles it into {c1} (CMS rationale: {rationale}). A 59 or X modifier is "
                f"appropriate only if {c2} was a truly separate service (another site or encounter), "
                f"never for part of {c1}.",
                confirm,
            )
        return finding(
            "error",
            f"With no NCCI-associated modifier, {c2} is not payable with {c1}. A modifier applies only "
            f"when the documentation supports it: " + _distinct_only(c1, c2) + "; for a different site, "
            "an anatomic modifier (LT/RT, F1-F9, T1-T9...)." + misplaced,
            f"{c2} is not payable with {c1} on the same date of service as reported (NCCI PTP edit, "
            "modifier indicator 1) unless the record shows a separate service.",
            confirm,
        )


check = PtpEdits()
