"""ICD-10-CM Excludes1 pairs among the diagnoses in the question."""

from __future__ import annotations

from consultant.checks.base import diagnoses, info_for, source_of
from consultant.checks.icd_refs import note_matches
from consultant.checks.model import CheckContext, Finding


class Excludes1:
    name = "excludes1"
    description = "Two diagnoses that an ICD-10-CM Excludes1 note says are not coded together"

    def check(self, ctx: CheckContext) -> list[Finding]:
        dx = [m for m in diagnoses(ctx) if info_for(ctx, m).status != "invalid"]
        out: list[Finding] = []
        seen: set[frozenset[str]] = set()
        for a in dx:
            info = info_for(ctx, a)
            for note in info.notes.get("excludes1", []):
                for b in dx:
                    pair = frozenset((a.code, b.code))
                    if b.code == a.code or pair in seen or not note_matches(b.code, note):
                        continue
                    seen.add(pair)
                    out.append(
                        Finding(
                            self.name,
                            "warning",
                            (a.code, b.code),
                            f'Excludes1: the notes at {a.code} exclude {b.code} ("{note}"): the two are not '
                            "coded together, because one condition cannot occur with the other or one is "
                            "included "
                            "in the other. The exception (ICD-10-CM Official Guidelines I.A.12.a): when "
                            "the two "
                            "conditions are unrelated to each other, both may be reported. Confirm from the "
                            "record which applies.",
                            source_of(info.release),
                            summary=(
                                f"{a.code} and {b.code} are not reported together (Excludes1) unless the "
                                "record shows the two conditions are unrelated; clarify with the provider "
                                "which one is documented."
                            ),
                        )
                    )
        return out


check = Excludes1()
