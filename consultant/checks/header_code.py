"""ICD-10-CM header (category or subcategory) code that is not billable: suggest billable codes under it."""

from __future__ import annotations

from consultant.checks.base import cap_list, diagnoses, info_for, source_of
from consultant.checks.model import CheckContext, Finding

MAX_SUGGESTIONS = 10


class HeaderCode:
    name = "header_code"
    description = "ICD-10-CM header code that is not valid for billing; its billable codes suggested"

    def check(self, ctx: CheckContext) -> list[Finding]:
        out: list[Finding] = []
        for m in diagnoses(ctx):
            info = info_for(ctx, m)
            if info.status == "invalid" or info.billable is not False:
                continue
            if info.notes.get("seventh_characters"):
                continue  # the seventh_character check explains what is missing
            children = ctx.store.icd10cm_children(info.code, billable_only=True)
            msg = (
                f"{info.code} is a header code, not valid for billing: report it to the highest specificity."
            )
            summary = f"{info.code} is a header code and cannot be billed"
            if children:
                msg += f" Billable codes under it: {cap_list(children, MAX_SUGGESTIONS)}."
                summary += f": report the billable code the record supports ({cap_list(children, 4)})"
            out.append(
                Finding(self.name, "error", (info.code,), msg, source_of(info.release), summary=summary + ".")
            )
        return out


check = HeaderCode()
