"""The extraction contract (see `caseconsultant extract --json`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from consultant.codes.model import Status, System


@dataclass
class CodeMention:
    system: System
    code: str  # normalized
    modifiers: list[str] = field(default_factory=list)
    units: int | None = None
    span: tuple[int, int] = (0, 0)  # first mention, offsets into Extraction.question
    status: Status | None = None  # filled from the store
    billable: bool | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "code": self.code,
            "modifiers": list(self.modifiers),
            "units": self.units,
            "span": [self.span[0], self.span[1]],
            "status": self.status,
            "billable": self.billable,
        }


@dataclass
class Extraction:
    codes: list[CodeMention]
    question: str
    date_of_service: str | None = None  # ISO date when the mail states one

    def to_json(self) -> dict[str, Any]:
        return {
            "codes": [c.to_json() for c in self.codes],
            "question": self.question,
            "date_of_service": self.date_of_service,
        }
