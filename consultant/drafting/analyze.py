"""The pure pipeline the worker calls: extract the codes, look each up, run the checks.

No I/O here: the store arrives as a `CodeStore`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from consultant.checks.base import PROCEDURE_SYSTEMS, info_for, mue_limits, source_of
from consultant.checks.model import CheckContext, Finding
from consultant.checks.registry import run_checks
from consultant.codes.model import CodeInfo, CodeStore, Setting
from consultant.extraction.model import CodeMention, Extraction

log = logging.getLogger(__name__)


@dataclass
class Analysis:
    extraction: Extraction
    infos: dict[str, CodeInfo]
    findings: list[Finding]
    date_of_service: dt.date | None = None
    setting: Setting = "practitioner"
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "extraction": self.extraction.to_json(),
            "infos": {code: code_info_json(info) for code, info in self.infos.items()},
            "findings": [f.to_json() for f in self.findings],
            "date_of_service": self.date_of_service.isoformat() if self.date_of_service else None,
            "setting": self.setting,
        }


def code_info_json(info: CodeInfo) -> dict[str, Any]:
    src = source_of(info.release)
    return {
        "system": info.system,
        "code": info.code,
        "status": info.status,
        "description": info.description,
        "description_note": info.description_note,
        "billable": info.billable,
        "effective_date": info.effective_date.isoformat() if info.effective_date else None,
        "termination_date": info.termination_date.isoformat() if info.termination_date else None,
        "indicators": dict(info.indicators),
        "notes": {k: list(v) for k, v in info.notes.items()},
        "source": src.to_json() if src else None,
    }


def parse_date(value: str | dt.date | None) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def check_codes(
    codes: list[CodeMention],
    store: CodeStore,
    *,
    text: str = "",
    date_of_service: dt.date | None = None,
    setting: Setting = "practitioner",
) -> tuple[dict[str, CodeInfo], list[Finding]]:
    """Look every code up as of the date of service (MUE added to its indicators) and run the checks."""
    ctx = CheckContext(codes=codes, store=store, date_of_service=date_of_service, setting=setting, text=text)
    infos: dict[str, CodeInfo] = {}
    for m in codes:
        info = info_for(ctx, m)
        m.status = info.status
        if m.billable is None:
            m.billable = info.billable
        infos[m.code] = info
    procs = [m.code for m in codes if m.system in PROCEDURE_SYSTEMS]
    if procs:
        for code, lim in mue_limits(ctx, procs).items():
            info = infos[code]
            src = source_of(lim.release)
            extra = {"mue": str(lim.value), "mue_mai": str(lim.adjudication_indicator)}
            if src:
                extra["mue_source"] = f"{src.file} ({src.release})"
            infos[code] = dataclasses.replace(info, indicators={**info.indicators, **extra})
    findings = run_checks(ctx)
    return infos, findings


def analyze(
    question: str,
    store: CodeStore,
    *,
    date_of_service: dt.date | str | None = None,
    setting: Setting = "practitioner",
    extraction: Extraction | None = None,
) -> Analysis:
    """Extract the codes from `question`, look each up, run the checks (findings most severe first).

    The date of service is the one given, else the one the mail states, else none (codes are then
    judged as of today and the edit tables in force today)."""
    if extraction is None:
        from consultant.extraction.extract import extract

        extraction = extract(question, store)
    dos = parse_date(date_of_service) or parse_date(extraction.date_of_service)
    infos, findings = check_codes(
        extraction.codes, store, text=extraction.question or question, date_of_service=dos, setting=setting
    )
    log.debug("analyzed %d codes, %d findings", len(extraction.codes), len(findings))
    return Analysis(
        extraction=extraction, infos=infos, findings=findings, date_of_service=dos, setting=setting
    )
