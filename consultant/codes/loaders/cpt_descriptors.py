"""A licensed user's own CPT descriptor file: CSV ``code,description`` (a header row is optional).

CPT descriptor text belongs to the AMA: it is only ever read from the user's file into their own
database, never shipped, logged or put in tests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from consultant.codes.errors import LoadError
from consultant.codes.loaders.common import Progress, SourceMeta, bulk_insert, read_csv
from consultant.codes.normalize import CPT_RE


def matches(name: str) -> bool:
    return False  # never picked up by --dir: the user names the file explicitly


def describe(path: Path) -> SourceMeta:
    m = re.search(r"(20\d{2})", path.name)
    return SourceMeta("CPT_DESCRIPTORS", m.group(1) if m else path.stem[:40], None)


def parse(path: Path) -> Iterator[tuple[int, str, str]]:
    seen: set[str] = set()
    for n, cells in read_csv(path):
        if not cells or not any(c.strip() for c in cells):
            continue
        code = cells[0].strip().upper()
        if n == 1 and not CPT_RE.match(code):
            continue  # header
        if len(cells) < 2 or not cells[1].strip():
            raise LoadError(path, n, "expected code,description")
        if not CPT_RE.match(code):
            raise LoadError(path, n, f"bad CPT code {code!r}")
        if code in seen:
            raise LoadError(path, n, f"duplicate row for {code}")
        seen.add(code)
        yield n, code, cells[1].strip()


def load(conn: Connection, release_id: int, path: Path, progress: Progress | None = None) -> int:
    rows: list[tuple[Any, ...]] = [(release_id, "CPT", code, desc) for _, code, desc in parse(path)]
    if not rows:
        raise LoadError(path, 0, "no CPT descriptor rows found")
    return bulk_insert(conn, "cs_code", ("release_id", "system", "code", "description"), rows, progress)
