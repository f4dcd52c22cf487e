"""The mail domain stays pure: no adapter, database, network or task-queue imports."""

from __future__ import annotations

import ast
from pathlib import Path

import consultant.mail

BANNED = {"sqlalchemy", "imapclient", "celery", "smtplib", "imaplib", "socket", "redis", "aiosmtpd",
          "requests", "httpx", "consultant.db", "consultant.adapters", "consultant.services", "workers"}


def test_no_io_imports_in_the_mail_domain() -> None:
    root = Path(consultant.mail.__file__).parent
    offenders = []
    for path in sorted(root.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if any(name == b or name.startswith(b + ".") for b in BANNED):
                    offenders.append((path.name, name))
    assert not offenders
