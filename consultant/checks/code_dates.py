"""A code terminated, or not yet in effect, on the date of service."""

from __future__ import annotations

from consultant.checks.base import fmt_date, info_for, source_of
from consultant.checks.model import CheckContext, Finding


class CodeDates:
    name = "code_dates"
    description = "Code terminated or not yet effective on the date of service"

    def check(self, ctx: CheckContext) -> list[Finding]:
        out: list[Finding] = []
        when = f"on the date of service {ctx.date_of_service.isoformat()}" if ctx.date_of_service else "today"
        for m in ctx.codes:
            info = info_for(ctx, m)
            if info.status == "terminated":
                msg = (
                    f"{info.code} was terminated effective {fmt_date(info.termination_date)} and is not "
                    f"valid {when}; check the HCPCS / CPT update for the code in effect on that date."
                )
                if not ctx.date_of_service:
                    msg += " The mail gives no date of service: if the service was before the "
                    msg += "termination date, the code was still valid then."
                summary = (
                    f"{info.code} was terminated effective {fmt_date(info.termination_date)}, so it was not "
                    f"valid {when}; the code in effect on that date comes from the HCPCS / CPT update for "
                    "that quarter (our tables do not name a replacement)."
                    if ctx.date_of_service
                    else None
                )
                out.append(
                    Finding(
                        self.name,
                        "error" if ctx.date_of_service else "warning",
                        (info.code,),
                        msg,
                        source_of(info.release),
                        summary=summary,
                    )
                )
            elif info.status == "not_yet_effective":
                out.append(
                    Finding(
                        self.name,
                        "error",
                        (info.code,),
                        f"{info.code} takes effect {fmt_date(info.effective_date)} and is not yet valid "
                        f"{when}.",
                        source_of(info.release),
                    )
                )
        return out


check = CodeDates()
