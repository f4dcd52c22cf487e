"""A code that exists in none of the loaded releases of its code set."""

from __future__ import annotations

from consultant.checks.base import info_for, source_of
from consultant.checks.model import CheckContext, Finding

SYSTEM_NAMES = {"CPT": "CPT", "HCPCS": "HCPCS Level II", "ICD10CM": "ICD-10-CM", "ICD10PCS": "ICD-10-PCS"}


class InvalidCode:
    name = "invalid_code"
    description = "A well-formed code that is not in the loaded code set"

    def check(self, ctx: CheckContext) -> list[Finding]:
        out: list[Finding] = []
        for m in ctx.codes:
            info = info_for(ctx, m)
            if info.status != "invalid":
                continue
            system = SYSTEM_NAMES.get(info.system, info.system)
            out.append(
                Finding(
                    self.name,
                    "error",
                    (info.code,),
                    f"{info.code} is not a valid {system} code in the loaded release; "
                    "check it for a typing error or a code that was deleted or never existed.",
                    source_of(info.release),
                )
            )
        return out


check = InvalidCode()
