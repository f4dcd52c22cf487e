"""Add-on codes reported without a primary code (NCCI add-on code edits; PFS global days ZZZ)."""

from __future__ import annotations

from consultant.checks.base import cap_list, global_days, info_for, procedures, source_of
from consultant.checks.model import CheckContext, Finding

MAX_PRIMARIES = 8


class AddOnCodes:
    name = "add_on_codes"
    description = "Add-on code without one of its primary codes (NCCI AOC edits), or a ZZZ-global code alone"

    def check(self, ctx: CheckContext) -> list[Finding]:
        procs = procedures(ctx)
        if not procs:
            return []
        present = {m.code for m in procs}
        aoc = ctx.store.add_on_primaries(present)
        out: list[Finding] = []
        for m in procs:
            edits = aoc.get(m.code)
            if edits:
                types = {e.edit_type for e in edits}
                primaries = sorted({e.primary_code for e in edits if e.primary_code != "CCCCC"})
                if any(p in present for p in primaries):
                    continue
                src = source_of(edits[0].release)
                if 1 in types:
                    out.append(
                        Finding(
                            self.name,
                            "error",
                            (m.code,),
                            f"{m.code} is an add-on code (NCCI add-on edit type 1): CMS pays it only "
                            "when one of its primary codes is also payable to the same practitioner "
                            "for the same patient on the same date of service. None is in the "
                            f"question; its primary codes: {cap_list(primaries, MAX_PRIMARIES)}.",
                            src,
                            summary=(
                                f"No: {m.code} is an add-on code and is not paid alone; it is payable only "
                                "with one of its primary codes "
                                f"({cap_list(primaries, MAX_PRIMARIES)}) reported by the same practitioner "
                                "for the same patient on the same date."
                            ),
                        )
                    )
                elif 3 in types:
                    out.append(
                        Finding(
                            self.name,
                            "warning",
                            (m.code,),
                            f"{m.code} is an add-on code (NCCI add-on edit type 3): CMS lists some primary "
                            "codes "
                            f"({cap_list(primaries, MAX_PRIMARIES)}), none of which is in the question, "
                            "and the "
                            "Medicare contractor may accept others. Confirm the primary procedure.",
                            src,
                        )
                    )
                else:
                    out.append(
                        Finding(
                            self.name,
                            "warning",
                            (m.code,),
                            f"{m.code} is an add-on code (NCCI add-on edit type 2): CMS names no primary "
                            "codes; the "
                            "Medicare contractor defines them. Confirm the primary procedure is reported.",
                            src,
                        )
                    )
                continue
            info = info_for(ctx, m)
            if global_days(info) == "ZZZ" and not (present - {m.code}):
                out.append(
                    Finding(
                        self.name,
                        "warning",
                        (m.code,),
                        f"{m.code} has global days ZZZ in the Physician Fee Schedule: it is an add-on "
                        "service that "
                        "is reported with a primary procedure, and none is in the question.",
                        source_of(info.release),
                    )
                )
        return out


check = AddOnCodes()
