"""dry_run(): one JSON-ready dict per file, never a traceback."""

from __future__ import annotations

import json
from typing import Any

import pytest

import consultant.mail.dry_run as dry
from tests.mail import mails as m

KEYS = {"file", "classification", "reason", "case_token", "question", "codes"}


def test_consult_with_codes_from_a_finder() -> None:
    seen: list[str] = []

    def finder(question: str) -> list[dict[str, Any]]:
        seen.append(question)
        return [{"system": "CPT", "code": "99214", "modifiers": ["25"]}]

    out = dry.dry_run(m.REPLY, "reply.eml", code_finder=finder)
    assert set(out) == KEYS
    assert out["classification"] == "consult"
    assert out["case_token"] == 42
    assert out["codes"] == [{"system": "CPT", "code": "99214", "modifiers": ["25"]}]
    assert seen == [out["question"]]
    json.dumps(out)


def test_without_store_codes_are_empty() -> None:
    out = dry.dry_run(m.CONSULT, "c.eml")
    assert out["classification"] == "consult" and out["codes"] == []
    assert "no code store" in out["reason"]


def test_non_consults_are_not_extracted() -> None:
    out = dry.dry_run(m.OOF_EXCHANGE, "oof.eml", code_finder=lambda q: pytest.fail("called"))
    assert out["classification"] == "auto_reply" and out["codes"] == []


def test_a_failing_finder_keeps_the_rest() -> None:
    def boom(question: str) -> list[dict[str, Any]]:
        raise ValueError("store down")

    out = dry.dry_run(m.CONSULT, "c.eml", code_finder=boom)
    assert out["classification"] == "consult" and "ValueError" in out["reason"]


def test_internal_error_becomes_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(raw: bytes) -> None:
        raise RecursionError("deep")

    monkeypatch.setattr(dry, "parse_mail", explode)
    out = dry.dry_run(b"whatever", "x.eml")
    assert out["classification"] == "failed" and "RecursionError" in out["reason"]
    assert set(out) == KEYS


@pytest.mark.parametrize("raw", [b"", b"\xff\xfe\x00garbage", m.BROKEN_HEADERS, b"From: <>\n\n"])
def test_garbage(raw: bytes) -> None:
    out = dry.dry_run(raw, "g.eml")
    assert set(out) == KEYS and isinstance(out["classification"], str)
    json.dumps(out)
