"""The one list of checks. Adding a check: write its module, add it here.

Like GNU Mailman's rules, each check is a small object with `name`, `description` and `check(ctx)`;
the chain is plain data (`CHECKS`). A check that raises is reported as a finding of our own, never
allowed to sink the draft.
"""

from __future__ import annotations

import logging

from consultant.checks import (
    add_on_codes,
    code_dates,
    code_first,
    excludes1,
    global_surgery,
    header_code,
    invalid_code,
    mue_units,
    phi,
    ptp_edits,
    seventh_character,
)
from consultant.checks.model import SEVERITY_ORDER, Check, CheckContext, Finding

log = logging.getLogger(__name__)

CHECKS: tuple[Check, ...] = (
    invalid_code.check,
    code_dates.check,
    header_code.check,
    seventh_character.check,
    ptp_edits.check,
    mue_units.check,
    add_on_codes.check,
    excludes1.check,
    code_first.check,
    global_surgery.check,
    phi.check,
)


def check_names() -> list[str]:
    return [c.name for c in CHECKS]


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Most severe first; the registry order (stable sort) within a severity."""
    return sorted(findings, key=lambda f: SEVERITY_ORDER.get(f.severity, 9))


def run_checks(ctx: CheckContext, checks: tuple[Check, ...] = CHECKS) -> list[Finding]:
    """Every check over one context, findings sorted most severe first."""
    findings: list[Finding] = []
    for c in checks:
        try:
            findings.extend(c.check(ctx))
        except Exception as exc:  # a broken check must not lose the draft; say so beside it
            log.error("check %s failed: %s", c.name, type(exc).__name__)
            log.debug("check failure", exc_info=True)  # may quote the mail text: debug only
            findings.append(
                Finding(
                    "check_failed",
                    "warning",
                    (),
                    f"The {c.name} check could not run ({type(exc).__name__}); review that aspect by hand.",
                )
            )
    return sort_findings(findings)
