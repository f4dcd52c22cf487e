"""`caseconsultant ingest --dry-run --json FILE...`: what would happen to one mail file.

Pure (the caller reads the file); never raises, whatever the bytes hold: an error inside
becomes classification "failed" with its reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from consultant.mail.classify import classify, is_oversized
from consultant.mail.parse import parse_mail
from consultant.mail.threading import case_token

log = logging.getLogger(__name__)

CodeFinder = Callable[[str], list[dict[str, Any]]]


def _default_code_finder(store: Any) -> CodeFinder | None:
    """The extraction engine's `extract(text, store)` bound to `store`; imported lazily, None if absent."""
    if store is None:
        return None
    try:
        from consultant.extraction.extract import extract
    except Exception:  # the extraction package is optional at this layer
        return None

    def find(question: str) -> list[dict[str, Any]]:
        result: Any = extract(question, store)
        if hasattr(result, "to_json"):
            data = result.to_json()
            return list(data.get("codes", [])) if isinstance(data, dict) else []
        if isinstance(result, dict):
            return list(result.get("codes", []))
        if isinstance(result, Iterable):
            return [c.to_json() if hasattr(c, "to_json") else c for c in result]
        return []

    return find


def dry_run(
    raw: bytes,
    filename: str,
    *,
    own_addresses: set[str] | None = None,
    allowed_senders: list[str] | None = None,
    max_bytes: int = 10 * 1024 * 1024,
    code_finder: CodeFinder | None = None,
    store: Any = None,
) -> dict[str, Any]:
    """One JSON-ready dict: {"file", "classification", "reason", "case_token", "question", "codes"}.

    Codes come from `code_finder(question)` when given, else from the extraction engine with
    `store` (a `CodeStore`); with neither, "codes" is [] (the reason says so).
    """
    out: dict[str, Any] = {
        "file": filename,
        "classification": "failed",
        "reason": "",
        "case_token": None,
        "question": "",
        "codes": [],
    }
    try:
        parsed = parse_mail(raw)
        result = classify(
            parsed,
            own_addresses=own_addresses or set(),
            allowed_senders=allowed_senders or [],
            max_bytes=max_bytes,
        )
        out["classification"] = result.kind
        out["reason"] = result.reason
        out["case_token"] = case_token(parsed.subject)
        out["question"] = parsed.question
        if result.kind == "consult" and not is_oversized(parsed, max_bytes):
            finder = code_finder if code_finder is not None else _default_code_finder(store)
            if finder is None:
                out["reason"] = f"{result.reason}; codes not looked up (no code store given)"
            else:
                try:
                    out["codes"] = finder(parsed.question)
                except Exception as exc:  # extraction failing must not lose the rest of the answer
                    out["reason"] = f"{result.reason}; code extraction failed: {type(exc).__name__}"
        return out
    except BaseException as exc:  # the contract: never a traceback, whatever the file holds
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        log.debug("dry run failed for one file: %s", type(exc).__name__)
        out["classification"] = "failed"
        out["reason"] = f"could not process: {type(exc).__name__}: {str(exc)[:200]}"
        return out
