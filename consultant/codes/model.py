"""Plain data of the code store and the interface the domain reads it through.

Extraction, checks and drafting depend only on `CodeStore`; the SQL implementation lives in
`consultant.codes.store` and is chosen by the adapters. CPT descriptor text is AMA-licensed:
`CodeInfo.description` is None for CPT unless a licensed user loaded their own file, and
`description_note` then says why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

System = Literal["CPT", "HCPCS", "ICD10CM", "ICD10PCS"]
Status = Literal["active", "terminated", "not_yet_effective", "invalid"]
Setting = Literal["practitioner", "hospital", "dme"]


@dataclass(frozen=True)
class ReleaseRef:
    """Which load a fact came from: shown beside every finding."""

    # e.g. "HCPCS", "PFS", "NCCI_PTP_PRACTITIONER", "NCCI_MUE_PRACTITIONER", "NCCI_AOC", "ICD10CM"
    system: str
    version: str  # e.g. "2025-10", "v30.2", "FY2026"
    source_file: str
    effective_date: dt.date | None = None


@dataclass(frozen=True)
class Release:
    id: int
    system: str
    version: str
    effective_date: dt.date | None
    source_file: str
    sha256: str
    row_count: int
    loaded_at: dt.datetime

    @property
    def ref(self) -> ReleaseRef:
        return ReleaseRef(self.system, self.version, self.source_file, self.effective_date)


@dataclass(frozen=True)
class CodeInfo:
    system: System
    code: str  # normalized: CPT/HCPCS 5 chars upper; ICD-10-CM with dot; ICD-10-PCS 7 chars
    status: Status
    description: str | None = None
    description_note: str | None = None  # why description is None (e.g. CPT licence)
    short_description: str | None = None
    billable: bool | None = None  # ICD-10-CM leaf vs header; None where it does not apply
    effective_date: dt.date | None = None
    termination_date: dt.date | None = None
    # CMS indicators, e.g. {"status": "A", "global_days": "090", "mult_proc": "2", ...} or HCPCS
    # {"action_code": "N", "betos": "...", "coverage": "C", "pricing": "11"}
    indicators: dict[str, str] = field(default_factory=dict)
    # ICD-10-CM notes, own and inherited from ancestors:
    # {"excludes1": [...], "excludes2": [...], "code_first": [...], "use_additional": [...],
    #  "code_also": [...], "includes": [...], "inclusion_terms": [...], "seventh_characters": [...]}
    notes: dict[str, list[str]] = field(default_factory=dict)
    release: ReleaseRef | None = None


@dataclass(frozen=True)
class PtpEdit:
    """One NCCI procedure-to-procedure edit: column2 is not payable with column1 unless bypassed."""

    column1: str
    column2: str
    modifier_indicator: int  # 0 not allowed, 1 allowed, 9 not applicable
    effective_date: dt.date | None
    deletion_date: dt.date | None
    rationale: str
    setting: Setting
    release: ReleaseRef | None = None


@dataclass(frozen=True)
class MueLimit:
    code: str
    value: int
    adjudication_indicator: int  # 1 claim line, 2 date of service (policy), 3 date of service (clinical)
    adjudication_text: str
    rationale: str
    setting: Setting
    release: ReleaseRef | None = None


@dataclass(frozen=True)
class AddOnEdit:
    add_on_code: str
    primary_code: str  # "CCCCC" = contractor-defined primaries (type 2)
    edit_type: int  # 1, 2 or 3
    release: ReleaseRef | None = None


class CodeStore(Protocol):
    """What the domain may ask of the code store. Implementations must be fast when warm."""

    def lookup(self, code: str, on: dt.date | None = None, system: System | None = None) -> CodeInfo:
        """Normalize `code`, guess its system when not given, answer as of `on` (default today).

        Unknown but well-formed codes come back with status "invalid"."""
        ...

    def exists(self, system: System, code: str) -> bool:
        """Whether a normalized code is known in `system` in any loaded release (fast path for
        extraction, which must confirm candidates)."""
        ...

    def ptp_edits(
        self, codes: Sequence[str], on: dt.date | None = None, setting: Setting = "practitioner"
    ) -> list[PtpEdit]:
        """Every PTP edit in force on `on` between any two of `codes` (either order)."""
        ...

    def mue(
        self, codes: Iterable[str], on: dt.date | None = None, setting: Setting = "practitioner"
    ) -> dict[str, MueLimit]:
        ...

    def add_on_primaries(self, add_on_codes: Iterable[str]) -> dict[str, list[AddOnEdit]]:
        """For each code that is an add-on code, its AOC edits (primary codes); others absent."""
        ...

    def icd10cm_children(self, code: str, billable_only: bool = True) -> list[str]:
        ...

    def releases(self) -> list[Release]:
        ...
