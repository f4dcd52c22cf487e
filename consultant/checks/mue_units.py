"""Units above the NCCI medically unlikely edit (MUE) value, with its adjudication indicator."""

from __future__ import annotations

from consultant.checks.base import mue_limits, procedures, source_of
from consultant.checks.model import CheckContext, Finding, Severity

MAI_MEANING = {
    1: (
        "MAI 1, claim line edit: units above the value on one line are denied; when more units were "
        "medically necessary they may be reported on separate lines with an appropriate modifier "
        "(such as 76, 77, 91, anatomic modifiers or 59/XE/XS/XP/XU)"
    ),
    2: (
        "MAI 2, per day edit based on policy: an absolute limit for the date of service; units above "
        "it are not payable and an appeal is very unlikely to succeed"
    ),
    3: (
        "MAI 3, per day edit based on clinical benchmarks: all units for the date of service are denied "
        "when the total is above the value; an appeal with documentation of medical necessity may succeed"
    ),
}
SEVERITY: dict[int, Severity] = {1: "warning", 2: "error", 3: "error"}


class MueUnits:
    name = "mue_units"
    description = "Units above the MUE value, with what the adjudication indicator means"

    def check(self, ctx: CheckContext) -> list[Finding]:
        procs = [m for m in procedures(ctx) if m.units is not None]
        if not procs:
            return []
        limits = mue_limits(ctx, [m.code for m in procs])
        out: list[Finding] = []
        for m in procs:
            lim = limits.get(m.code)
            if lim is None or m.units is None or m.units <= lim.value:
                continue
            meaning = MAI_MEANING.get(lim.adjudication_indicator, f"MAI {lim.adjudication_indicator}")
            if lim.value == 0:
                msg = (
                    f"{m.code} has an MUE of 0 in the {lim.setting} table: it is not payable in this setting."
                )
            else:
                msg = (
                    f"{m.code} x{m.units}: {m.units} units is above the MUE value of {lim.value} "
                    f"({lim.setting} table; {meaning})."
                )
            if lim.rationale:
                msg += f" MUE rationale: {lim.rationale}."
            out.append(
                Finding(
                    self.name,
                    SEVERITY.get(lim.adjudication_indicator, "warning"),
                    (m.code,),
                    msg,
                    source_of(lim.release),
                    summary=(
                        f"{m.code} x{m.units} is above its MUE of {lim.value} unit(s) "
                        f"(MAI {lim.adjudication_indicator})."
                    ),
                )
            )
        return out


check = MueUnits()
