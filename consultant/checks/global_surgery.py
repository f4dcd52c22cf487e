"""Global surgical package: E/M with a 010/090-day procedure; modifiers 25/57 and 59 used where they fit."""

from __future__ import annotations

from consultant.checks.base import (
    X_MODIFIERS,
    different_dates_hint,
    global_days,
    info_for,
    is_em,
    procedures,
    source_of,
)
from consultant.checks.model import CheckContext, Finding
from consultant.codes.model import CodeInfo


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
        hint = different_dates_hint(ctx.text)
        for em in ems:
            if set(em.modifiers) & {"24", "25", "57"}:
                continue
            for p, info in majors:
                out.append(self._em_in_global(em.code, p.code, global_days(info), hint, info))
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

    def _em_in_global(
        self, em: str, proc: str, days: str | None, hint: str | None, info: CodeInfo
    ) -> Finding:
        src = source_of(info.release)
        if hint:  # the mail places the procedure on another date: a postoperative visit
            return Finding(
                self.name,
                "error",
                (em, proc),
                f'The mail places {proc} on another date ("{hint}"): {proc} has a {days}-day global '
                f"surgical package, and E/M visits by the same physician (or another of the same group and "
                f"specialty) during its postoperative period are included in it when they relate to the "
                f"surgery. {em} reported without a modifier will be treated as part of the package. When "
                f"the visit was for a problem unrelated to the surgery, report {em} with modifier 24 and a "
                f"diagnosis that shows the unrelated problem; the record must support it.",
                src,
                summary=(
                    f"Yes: {em} during the {days}-day global period of {proc} needs modifier 24, with a "
                    f"diagnosis and documentation showing the visit was unrelated to the surgery; without "
                    f"it the visit is included in the surgical package."
                ),
                confirm=(
                    f"that the visit ({em}) was unrelated to the surgery ({proc}) and by whom it was "
                    f"performed (24 applies to the same physician or group and specialty)"
                ),
            )
        advice = (
            "57 when this E/M led to the decision for surgery (the day before or the day of a major "
            "procedure)"
            if days == "090"
            else "25 when the E/M is significant and separately identifiable from the usual "
            "pre-procedure evaluation"
        )
        return Finding(
            self.name,
            "warning",
            (em, proc),
            f"{em} is an E/M service reported with {proc}, which has a {days}-day global surgical "
            "package that includes the related E/M visits; the E/M is separately payable only with a "
            f"modifier: {advice}; 24 for an unrelated E/M during the postoperative period.",
            src,
            summary=(
                f"{em} with {proc} ({days}-day global) is payable only with the modifier that fits: "
                f"{advice}, or 24 for an unrelated visit during the postoperative period."
            ),
        )


check = GlobalSurgery()
