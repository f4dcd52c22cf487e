"""Plain data the checks take and give."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from consultant.codes.model import CodeStore, Setting
from consultant.extraction.model import CodeMention

Severity = Literal["info", "warning", "error"]
SEVERITY_ORDER: dict[str, int] = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class Source:
    file: str
    release: str

    def to_json(self) -> dict[str, str]:
        return {"file": self.file, "release": self.release}


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    codes: tuple[str, ...]
    message: str
    source: Source | None = None
    # one or two sentences that answer the asker's question from this finding (the draft's short
    # answer), and what the consultant should confirm in the record; neither is part of the JSON
    summary: str | None = field(default=None, compare=False)
    confirm: str | None = field(default=None, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "codes": list(self.codes),
            "message": self.message,
            "source": self.source.to_json() if self.source else None,
        }


@dataclass
class CheckContext:
    codes: list[CodeMention]
    store: CodeStore
    date_of_service: dt.date | None = None
    setting: Setting = "practitioner"
    text: str = ""  # the question text, for text-based checks such as possible PHI
    extra: dict[str, Any] = field(default_factory=dict)


class Check(Protocol):
    name: str
    description: str

    def check(self, ctx: CheckContext) -> list[Finding]: ...
