"""Shared helpers of the loaders: reading text (plain or gzip), bulk inserts, file hashes."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import io
import re
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Connection

from consultant.codes.errors import LoadError

Progress = Callable[[int], None]
BATCH = 20_000

MONTHS = {"JAN": 1, "APR": 4, "JUL": 7, "OCT": 10}


@dataclass(frozen=True)
class SourceMeta:
    system: str
    version: str
    effective_date: dt.date | None


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == b"\x1f\x8b"


def open_text(path: Path) -> TextIO:
    """Open a CMS text file (gzip or plain): UTF-8 (with or without BOM), else Windows-1252."""
    gz = _is_gzip(path)

    def opener() -> Any:
        return gzip.open(path, "rb") if gz else path.open("rb")

    head = b""
    with opener() as f:
        try:
            while len(head) < (1 << 20):
                chunk = f.read1(1 << 16) if gz else f.read(1 << 20)
                if not chunk:
                    break
                head += chunk
        except (EOFError, gzip.BadGzipFile, zlib.error):
            pass  # a cut file: reported with its line number while reading
    encoding = "utf-8-sig"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as e:
        # a multi-byte character cut at the end of the sample is not an error
        if e.start < len(head) - 4:
            encoding = "cp1252"
    return io.TextIOWrapper(opener(), encoding=encoding, errors="replace", newline="")


def read_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, line without its end) for every line; a cut gzip is a LoadError."""
    n = 0
    try:
        with open_text(path) as f:
            for n, line in enumerate(f, 1):
                yield n, line.rstrip("\r\n")
    except (EOFError, gzip.BadGzipFile, zlib.error) as e:
        raise LoadError(path, n + 1, f"file is truncated or corrupt ({e})") from e


def read_csv(path: Path, delimiter: str = ",") -> Iterator[tuple[int, list[str]]]:
    """(line number of the record's start, cells) for every CSV record."""
    line = 0
    try:
        with open_text(path) as f:
            reader = csv.reader(f, delimiter=delimiter)
            start = 1
            for row in reader:
                yield start, row
                start = reader.line_num + 1
                line = reader.line_num
    except (EOFError, gzip.BadGzipFile, zlib.error) as e:
        raise LoadError(path, line + 1, f"file is truncated or corrupt ({e})") from e
    except csv.Error as e:
        raise LoadError(path, line + 1, f"bad CSV ({e})") from e


def bulk_insert(
    conn: Connection,
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    progress: Progress | None = None,
) -> int:
    """Insert many rows fast inside the caller's transaction: COPY on PostgreSQL, a prepared
    executemany in big batches on SQLite. Returns the row count."""
    cols = ", ".join(columns)
    n = 0
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as cp:  # type: ignore[attr-defined]
            for row in rows:
                cp.write_row(row)
                n += 1
                if progress is not None and n % BATCH == 0:
                    progress(BATCH)
        if progress is not None:
            progress(n % BATCH)
        return n
    marks = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO {table} ({cols}) VALUES ({marks})"
    raw_conn = conn.connection.driver_connection
    assert raw_conn is not None
    cur = raw_conn.cursor()
    try:
        batch: list[Sequence[Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                cur.executemany(sql, batch)
                n += len(batch)
                if progress is not None:
                    progress(len(batch))
                batch = []
        if batch:
            cur.executemany(sql, batch)
            n += len(batch)
            if progress is not None:
                progress(len(batch))
    finally:
        cur.close()
    return n


def quarter_from_name(name: str) -> tuple[int, int] | None:
    """(year, month) from names like ``HCPC2025_OCT_ANWEB`` or ``PPRRVU24_JUL`` / ``PPRRVU2026_Jan``."""
    m = re.search(r"(\d{4}|\d{2})[_-]?(JAN|APR|JUL|OCT)", name, re.IGNORECASE)
    if not m:
        return None
    year = int(m.group(1))
    if year < 100:
        year += 2000
    return year, MONTHS[m.group(2).upper()]


def unknown_release(path: Path, example: str) -> LoadError:
    return LoadError(
        path,
        0,
        f"cannot tell the release (quarter / effective date) from the file name; expected a CMS name "
        f"such as {example}, or pass version and effective date explicitly",
    )
