"""ICD-10-CM from the PyPI package simple-icd-10-cm (CDC tabular XML, FY2026).

The package keeps the whole tabular in memory (well over 100 MB). To keep the worker small, the
rows are produced in a child process (``python -m consultant.codes.loaders.icd10cm``) that writes
JSON lines; the parent only streams them into the database. After that, lookups read SQL.

Each stored code (category, subcategory, or code with its 7th character; chapters and blocks are
not codes) carries every note that applies to it: its own and those of its ancestors (category,
block, chapter) for Excludes1, Excludes2, code first, use additional code, code also and includes;
inclusion terms are the code's own. 7th-character definitions come from the nearest ancestor that
defines them; ``indicators`` says whether the code needs a 7th character and whether it holds the
placeholder X.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from consultant.codes.errors import LoadError
from consultant.codes.loaders.common import Progress, SourceMeta, bulk_insert

SYSTEM = "ICD10CM"
VERSION = "FY2026"
EFFECTIVE = dt.date(2025, 10, 1)
INHERITED = {
    "excludes1": "get_excludes1",
    "excludes2": "get_excludes2",
    "code_first": "get_code_first",
    "use_additional": "get_use_additional_code",
    "code_also": "get_code_also",
    "includes": "get_includes",
}
_ONE = r"[A-Z]\d[0-9A-Z](?:\.[0-9A-Z]{0,4})?"
CODE_REF = re.compile(rf"\b{_ONE}(?:-{_ONE})?(?:-(?![A-Z]))?")


def data_file() -> Path:
    """The package's tabular XML (its sha256 identifies the release), found without importing it."""
    import importlib.util

    spec = importlib.util.find_spec("simple_icd_10_cm")
    if spec is None or spec.origin is None:
        raise LoadError("simple_icd_10_cm", 0, "the package simple-icd-10-cm is not installed")
    files = sorted((Path(spec.origin).parent / "data").glob("*tabular*.xml"))
    if not files:
        raise LoadError(spec.origin, 0, "simple-icd-10-cm has no tabular XML data file")
    return files[-1]


def describe(path: Path) -> SourceMeta:
    return SourceMeta(SYSTEM, VERSION, EFFECTIVE)


def _as_list(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        return [value.strip()]
    return [str(v).strip() for v in value if str(v).strip()]


def code_refs(notes: list[str]) -> list[str]:
    """Codes and ranges written in parentheses in notes: ``(K70.-)``, ``(B15-B19)``, ``(E83.11-)``."""
    out: list[str] = []
    for note in notes:
        for group in re.findall(r"\(([^()]*)\)", note):
            for ref in CODE_REF.findall(group):
                if ref not in out:
                    out.append(ref)
    return out


def rows() -> Iterator[list[Any]]:
    """[code, description, billable, notes JSON, indicators JSON] for every code (child process)."""
    import simple_icd_10_cm as cm

    own_cache: dict[str, dict[str, list[str]]] = {}

    def own(code: str) -> dict[str, list[str]]:
        got = own_cache.get(code)
        if got is None:
            got = {key: _as_list(getattr(cm, fn)(code)) for key, fn in INHERITED.items()}
            own_cache[code] = got
        return got

    for code in cm.get_all_codes(True):
        if cm.is_chapter_or_block(code):
            continue
        ancestors = cm.get_ancestors(code)
        notes: dict[str, list[str]] = {}
        for node in [code, *ancestors]:
            for key, items in own(node).items():
                for item in items:
                    lst = notes.setdefault(key, [])
                    if item not in lst:
                        lst.append(item)
        inclusion = _as_list(cm.get_inclusion_term(code))
        if inclusion:
            notes["inclusion_terms"] = inclusion
        seventh: dict[str, str] = {}
        seventh_owner = None
        for node in [code, *ancestors]:
            d = cm.get_seven_chr_def(node)
            if d:
                seventh, seventh_owner = d, node
                break
        indicators: dict[str, str] = {}
        if seventh:
            notes["seventh_characters"] = [f"{k}: {v}" for k, v in seventh.items()]
            note = cm.get_seven_chr_note(seventh_owner) if seventh_owner else ""
            if note:
                notes["seventh_character_note"] = _as_list(note)
            plain = code.replace(".", "")
            indicators["seventh_character_required"] = "true"
            indicators["has_seventh_character"] = "true" if len(plain) == 7 else "false"
        if "X" in code[4:]:
            indicators["placeholder_x"] = "true"
        if "excludes1" in notes:
            notes["excludes1_codes"] = code_refs(notes["excludes1"])
        if "excludes2" in notes:
            notes["excludes2_codes"] = code_refs(notes["excludes2"])
        kind = "category" if cm.is_category(code) else "code"
        indicators["level"] = kind
        yield [
            code,
            cm.get_description(code),
            bool(cm.is_leaf(code)),
            json.dumps(notes, ensure_ascii=False),
            json.dumps(indicators, sort_keys=True),
        ]


def load(conn: Connection, release_id: int, path: Path, progress: Progress | None = None) -> int:
    proc = subprocess.Popen(
        [sys.executable, "-m", "consultant.codes.loaders.icd10cm"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    assert proc.stdout is not None

    def gen() -> Iterator[tuple[Any, ...]]:
        assert proc.stdout is not None
        for line in proc.stdout:
            code, desc, billable, notes, indicators = json.loads(line)
            yield (release_id, SYSTEM, code, desc, None, billable, None, None, indicators, notes)

    try:
        n = bulk_insert(
            conn,
            "cs_code",
            (
                "release_id",
                "system",
                "code",
                "description",
                "short_description",
                "billable",
                "effective_date",
                "termination_date",
                "indicators",
                "notes",
            ),
            gen(),
            progress,
        )
    finally:
        _, err = proc.communicate()
    if proc.returncode != 0:
        raise LoadError(path, 0, f"reading simple-icd-10-cm failed: {err.strip()[-500:]}")
    if n < 1000:
        raise LoadError(path, 0, f"simple-icd-10-cm gave only {n} codes")
    return n


def _main() -> None:
    out = sys.stdout
    for row in rows():
        out.write(json.dumps(row, ensure_ascii=False))
        out.write("\n")
    out.flush()


if __name__ == "__main__":
    _main()
