"""ICD-10-CM codes from categories that require a 7th character (with placeholder X where short)."""

from __future__ import annotations

import re

from consultant.checks.base import cap_list, diagnoses, info_for, source_of
from consultant.checks.model import CheckContext, Finding
from consultant.codes.model import CodeInfo

_LETTER = re.compile(r"^\s*([0-9A-Z])(?=$|[\s:=\-–.)])")
MAX_SHOWN = 6


def seventh_characters(notes: list[str]) -> list[tuple[str, str]]:
    """[(character, meaning)] from the 'seventh_characters' notes ("A: initial encounter ...")."""
    out: list[tuple[str, str]] = []
    for note in notes:
        m = _LETTER.match(note)
        if m:
            meaning = note[m.end() :].lstrip(" :=-–.)\t").split("/")[0].strip()
            out.append((m.group(1), meaning))
    return out


def describe_characters(chars: list[tuple[str, str]]) -> str:
    """'A, D, S (A initial encounter; D subsequent encounter; S sequela)': every character, and the
    meaning of the usual ones (A, D, S) or of the first three."""
    letters = [c for c, _ in chars]
    meanings = {c: m for c, m in chars if m}
    usual: list[str] = [c for c in ("A", "D", "S") if c in meanings] or [
        c for c, _ in chars[:3] if c in meanings
    ]
    text = ", ".join(letters)
    if usual:
        text += " (" + "; ".join(f"{c} {meanings[c]}" for c in usual) + ")"
    return text


_EPISODE_SIGNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "initial encounter",
        re.compile(
            r"\b(?:ED|ER)\b|(?i:\binitial (?:encounter|visit)\b|\bemergency (?:department|room)\b"
            r"|\bactive treatment\b)"
        ),
    ),
    ("subsequent encounter", re.compile(r"(?i)\bsubsequent (?:encounter|visit)\b|\broutine healing\b")),
    ("sequela", re.compile(r"(?i)\bsequela[e]?\b|\blate effects?\b")),
)
_OPEN = re.compile(r"(?i)\bopen fracture\b|\bfracture\b[^.]{0,30}\bopen\b|\bcompound fracture\b")
_CLOSED = re.compile(r"(?i)\bclosed fracture\b|\bfracture\b[^.]{0,30}\bclosed\b")


def likely_seventh(text: str, chars: list[tuple[str, str]]) -> tuple[str, str, tuple[str, ...]] | None:
    """(character, meaning, the words that support it) when the mail clearly points to one 7th
    character: one episode of care named ("initial encounter", an ED visit, "sequela"...) and, for
    fractures, open or closed stated or implied; else None."""
    kinds = [(kind, m.group(0)) for kind, rx in _EPISODE_SIGNS if (m := rx.search(text or ""))]
    if len(kinds) != 1:
        return None
    kind, word = kinds[0]
    words: tuple[str, ...] = (word,)
    cands = [(c, mean) for c, mean in chars if mean.lower().startswith(kind)]
    if len(cands) > 1:
        is_open, is_closed = bool(_OPEN.search(text)), bool(_CLOSED.search(text))
        if is_open and is_closed:
            return None
        if is_open:
            cands = [(c, mean) for c, mean in cands if "open" in mean.lower()]
        else:
            cands = [(c, mean) for c, mean in cands if "open" not in mean.lower()]
            if (closed := _CLOSED.search(text)) is not None:
                words += (closed.group(0),)
    if len(cands) != 1:
        return None
    return cands[0][0], cands[0][1], words


def _plain(code: str) -> str:
    return code.replace(".", "")


def _dotted(plain: str) -> str:
    return plain if len(plain) <= 3 else f"{plain[:3]}.{plain[3:]}"


class SeventhCharacter:
    name = "seventh_character"
    description = "ICD-10-CM code missing its required 7th character or placeholder X"

    def check(self, ctx: CheckContext) -> list[Finding]:
        out: list[Finding] = []
        for m in diagnoses(ctx):
            info = info_for(ctx, m)
            rule_info: CodeInfo = info
            if info.status == "invalid":
                rule_info = ctx.store.lookup(_plain(info.code)[:3], on=ctx.date_of_service, system="ICD10CM")
                if rule_info.status == "invalid":
                    continue
            chars = seventh_characters(rule_info.notes.get("seventh_characters", []))
            if not chars:
                continue
            letters = [c for c, _ in chars]
            shown = describe_characters(chars)
            plain = _plain(info.code)
            if info.status == "invalid":
                finding = self._invalid(ctx, info, plain, letters, shown)
                if finding:
                    out.append(finding)
                continue
            if len(plain) >= 7 or info.billable:
                continue
            children = [
                c for c in ctx.store.icd10cm_children(info.code, billable_only=True) if len(_plain(c)) == 7
            ]
            likely = likely_seventh(ctx.text, chars)
            summary = None
            if len(plain) == 6 or (children and all(_plain(c)[:-1] == plain.ljust(6, "X") for c in children)):
                stem = plain.ljust(6, "X")
                need = (
                    "a 7th character"
                    if len(plain) == 6
                    else "the placeholder X to fill the empty positions and a 7th character"
                )
                if likely:
                    char, meaning, words = likely
                    full = _dotted(stem + char)
                    said = " and ".join(f'"{w}"' for w in words)
                    msg = (
                        f"{info.code} is not complete: it needs {need}. The mail says {said}, which "
                        f"points to 7th character {char} ({meaning}): {full}. The category's 7th "
                        f"characters: {shown}."
                    )
                    summary = (
                        f"No: {info.code} is not a complete code; it needs {need}. The mail points to "
                        f"{char} ({meaning}), so report {full} if the record agrees."
                    )
                else:
                    msg = (
                        f"{info.code} is not complete: it needs {need} ({_dotted(stem)}_), chosen from "
                        f"the record's episode of care: {shown}."
                    )
                    summary = (
                        f"No: {info.code} is not a complete code; it needs {need} for the documented "
                        "episode of care."
                    )
            else:
                msg = (
                    f"{info.code} is not complete: it needs more characters and a 7th character; "
                    f"7th characters: {shown}."
                )
                if children:
                    msg += f" Complete codes under it include {cap_list(children, MAX_SHOWN)}."
            out.append(
                Finding(self.name, "error", (info.code,), msg, source_of(info.release), summary=summary)
            )
        return out

    def _invalid(
        self, ctx: CheckContext, info: CodeInfo, plain: str, letters: list[str], shown: str
    ) -> Finding | None:
        """A code not in the tabular: a missing placeholder X ('T81.40A') or a wrong 7th character."""
        if 4 <= len(plain) < 7 and plain[-1] in letters:
            candidate = _dotted(plain[:-1].ljust(6, "X") + plain[-1])
            if ctx.store.lookup(candidate, on=ctx.date_of_service, system="ICD10CM").status != "invalid":
                return Finding(
                    self.name,
                    "error",
                    (info.code,),
                    f"{info.code} is missing the placeholder X before its 7th character: "
                    f"the valid code is {candidate}.",
                    source_of(info.release),
                )
        if len(plain) == 7 and plain[-1] not in letters:
            return Finding(
                self.name,
                "error",
                (info.code,),
                f"{info.code} ends in a 7th character that this category does not allow; "
                f"valid 7th characters: {shown}.",
                source_of(info.release),
            )
        return None


check = SeventhCharacter()
