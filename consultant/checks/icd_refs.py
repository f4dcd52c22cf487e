"""Reading the code references in ICD-10-CM notes ("gestational diabetes (O24.4-)", "(M16-M19)")."""

from __future__ import annotations

import functools
import re

_CODE = r"[A-Z]\d[0-9A-Z](?:\.?[0-9A-Z]{1,4})?"
_REF = re.compile(rf"(?<![0-9A-Za-z])({_CODE})(?:\.?-)?(?:\s*[-–]\s*({_CODE})(?:\.?-)?)?(?![0-9A-Za-z])")


def _plain(code: str) -> str:
    return code.upper().replace(".", "").rstrip("-")


@functools.lru_cache(maxsize=65536)
def note_refs(note: str) -> tuple[tuple[str, str], ...]:
    """The code references of a note as (low, high) ranges of plain codes ("E10.-" -> ("E10", "E10"))."""
    refs: list[tuple[str, str]] = []
    for m in _REF.finditer(note):
        lo = _plain(m.group(1))
        hi = _plain(m.group(2)) if m.group(2) else lo
        refs.append((lo, hi))
    return tuple(refs)


def matches(code: str, ref: tuple[str, str]) -> bool:
    """Whether `code` falls under a reference: the code itself, a code below it, or inside a range."""
    c = _plain(code)
    lo, hi = ref
    return c[: len(lo)] >= lo and c[: len(hi)] <= hi


def note_matches(code: str, note: str) -> bool:
    return any(matches(code, r) for r in note_refs(note))
