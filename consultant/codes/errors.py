"""Errors of the code store loaders."""

from __future__ import annotations

from pathlib import Path


class LoadError(Exception):
    """A source file could not be loaded: which file, which line (1-based; 0 = the whole file), why.

    A load is one transaction, so after a LoadError nothing of that file stays in the database."""

    def __init__(self, file: str | Path, line: int, reason: str) -> None:
        self.file = str(file)
        self.line = line
        self.reason = reason
        where = f"{Path(self.file).name}:{line}" if line else Path(self.file).name
        super().__init__(f"{where}: {reason}")
