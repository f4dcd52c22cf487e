"""The store the check tests read: the real SQL store over the full staged data when the code-store
fixture exists (tests/store_fixtures.py, `full_store`), else the test double built from the same real
staged rows (tests/staged_double.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from consultant.checks.model import CheckContext, Finding
from consultant.checks.registry import run_checks
from consultant.codes.model import CodeStore
from consultant.extraction.model import CodeMention

try:  # the code-store engineer's fixture, when it has landed
    from tests.store_fixtures import full_store, full_store_engine, full_store_url  # noqa: F401

    HAVE_FULL_STORE = True
except ImportError:  # pragma: no cover - until it lands
    HAVE_FULL_STORE = False


@pytest.fixture(scope="session")
def store(request: pytest.FixtureRequest) -> CodeStore:
    if HAVE_FULL_STORE:
        real: CodeStore = request.getfixturevalue("full_store")
        return real
    from tests.staged_double import StagedDataDouble

    return StagedDataDouble()


def mention(token: str) -> CodeMention:
    """'99214-25', '20610x3', 'M17.11' -> a CodeMention (system guessed from the shape)."""
    units = None
    if "x" in token and token.rsplit("x", 1)[1].isdigit():
        token, u = token.rsplit("x", 1)
        units = int(u)
    code, *mods = token.split("-")
    if code[0].isalpha() and code[1].isdigit() and (len(code) != 5 or "." in code or not code[1:].isdigit()):
        system = "ICD10CM"
    elif code[0].isalpha():
        system = "HCPCS"
    else:
        system = "CPT"
    return CodeMention(system=system, code=code, modifiers=mods, units=units)  # type: ignore[arg-type]


RunFn = Callable[..., list[Finding]]


@pytest.fixture
def run(store: CodeStore) -> RunFn:
    def _run(
        *tokens: str,
        check: object | None = None,
        on: dt.date | None = dt.date(2024, 8, 1),
        text: str = "",
        setting: str = "practitioner",
    ) -> list[Finding]:
        ctx = CheckContext(
            [mention(t) for t in tokens], store, date_of_service=on, text=text, setting=setting
        )  # type: ignore[arg-type]
        if check is None:
            return run_checks(ctx)
        return check.check(ctx)  # type: ignore[attr-defined, no-any-return]

    return _run
