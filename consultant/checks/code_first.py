"""ICD-10-CM 'code first' and 'use additional code' notes whose partner code is not in the question."""

from __future__ import annotations

from consultant.checks.base import diagnoses, info_for, source_of
from consultant.checks.icd_refs import note_matches, note_refs
from consultant.checks.model import CheckContext, Finding

MAX_NOTE = 200
MAX_NOTES = 2


def _short(note: str) -> str:
    text = " ".join(note.split())
    return text if len(text) <= MAX_NOTE else text[: MAX_NOTE - 1].rstrip() + "…"


class CodeFirst:
    name = "code_first"
    description = "Code first / use additional code reminders when the partner code is absent"

    def check(self, ctx: CheckContext) -> list[Finding]:
        dx = [m for m in diagnoses(ctx) if info_for(ctx, m).status != "invalid"]
        out: list[Finding] = []
        for m in dx:
            info = info_for(ctx, m)
            others = [o.code for o in dx if o.code != m.code]
            for key, what in (
                ("code_first", "has a 'code first' note (the underlying condition is sequenced first)"),
                ("use_additional", "has a 'use additional code' note"),
            ):
                missing = [
                    note
                    for note in info.notes.get(key, [])
                    # a note without code references ("code to identify infection") cannot be checked
                    if note_refs(note) and not any(note_matches(o, note) for o in others)
                ]
                if not missing:
                    continue
                quoted = "; ".join(f'"{_short(n)}"' for n in missing[:MAX_NOTES])
                if len(missing) > MAX_NOTES:
                    quoted += f" and {len(missing) - MAX_NOTES} more"
                out.append(
                    Finding(
                        self.name,
                        "info",
                        (info.code,),
                        f"{info.code} {what} and no code it names is in the question: {quoted}. "
                        "Add the code when the record documents the condition.",
                        source_of(info.release),
                    )
                )
        return out


check = CodeFirst()
