"""Global surgical package: E/M with a 010/090-day procedure; modifiers 25/57 and 59 used where they fit."""

from __future__ import annotations

from consultant.checks.base import X_MODIFIERS, global_days, info_for, is_em, procedures, source_of
from consultant.checks.model import CheckContext, Finding


class GlobalSurgery:
    name = "global_surgery"
    description = "E/M with a 010/090 global procedure without 24/25/57; 25 off an E/M; 59 where X fits"

    def check(self, ctx: CheckContext) -> list[Finding]:
        procs = procedures(ctx)
        out: list[Finding] = []
        ems = [m for m in procs if is_em(m.code)]
        majors = []
        for p in procs:
            if is_em(p.code):
                continue
            info = info_for(ctx, p)
            if global_days(info) in ("010", "090"):
                majors.append((p, info))
        for em in ems:
            if set(em.modifiers) & {"24", "25", "57"}:
                continue
            for p, info in majors:
                days = global_days(info)
                advice = (
                    "57 when this E/M led to the decision for surgery (the day before or the day of a major "
                    "procedure)"
                    if days == "090"
                    else "25 when the E/M is significant and separately identifiable from the usual "
                    "pre-procedure evaluation"
                )
                out.append(
                    Finding(
                        self.name,
                        "warning",
                        (em.code, p.code),
                        f"{em.code} is an E/M service reported with {p.code}, which has a {days}-day "
                        "global surgical "
                        "package that includes the related E/M visits; the E/M is separately payable only "
                        "with a "
                        f"modifier: {advice}; 24 for an unrelated E/M during the postoperative period.",
                        source_of(info.release),
                    )
                )
        for m in procs:
            for mod in ("25", "57"):
                if mod in m.modifiers and not is_em(m.code):
                    out.append(
                        Finding(
                            self.name,
                            "error",
                            (m.code,),
                            f"Modifier {mod} is on {m.code}, which is not an E/M service: {mod} applies to "
                            "E/M "
                            "codes only (for a distinct procedure see 59 or XE/XS/XP/XU).",
                            None,
                        )
                    )
            if "59" in m.modifiers and not (set(m.modifiers) & X_MODIFIERS) and not is_em(m.code):
                out.append(
                    Finding(
                        self.name,
                        "info",
                        (m.code,),
                        f"Modifier 59 on {m.code}: CMS prefers the more specific X modifier when one "
                        "describes the "
                        "service: XE separate encounter, XS separate organ or structure, XP separate "
                        "practitioner, "
                        "XU unusual non-overlapping service. 59 remains valid when none of them fits.",
                        None,
                    )
                )
        return out


check = GlobalSurgery()
