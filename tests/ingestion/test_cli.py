"""`caseconsultant ingest | unshunt | poll --once` as a user runs them (subprocesses, embedded default)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.ingestion.conftest import make_mail

KEYS = {"file", "classification", "reason", "case_token", "question", "codes"}


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CC_")}
    return subprocess.run([sys.executable, "-m", "consultant.cli.main", *args], env={**base, **env},
                          capture_output=True, text=True, timeout=180)  # fmt: skip


def test_ingest_dry_run_json_one_line_per_file_never_a_traceback(tmp_path: Path) -> None:
    good = tmp_path / "good.eml"
    good.write_bytes(make_mail(1))
    junk = tmp_path / "junk.eml"
    junk.write_bytes(bytes(range(256)) * 50 + b"\r\n\r\n\xff\xfe")
    empty = tmp_path / "empty.eml"
    empty.write_bytes(b"")
    files = [good, junk, empty, tmp_path / "missing.eml", tmp_path]
    r = cli("ingest", "--dry-run", "--json", *map(str, files), env={"CC_DATA_DIR": str(tmp_path / "var")})
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert [d["file"] for d in lines] == [str(f) for f in files]
    assert all(set(d) == KEYS for d in lines)
    assert lines[0]["classification"] == "consult" and "99214" in lines[0]["question"]
    assert lines[3]["classification"] == "failed" and "cannot read" in lines[3]["reason"]


def test_ingest_stores_once_and_unshunt_reprocesses(app_sqlite_url: str, tmp_path: Path) -> None:
    env = {"CC_DATABASE_URL": app_sqlite_url, "CC_DATA_DIR": str(tmp_path / "var")}
    mail = tmp_path / "q.eml"
    mail.write_bytes(make_mail(2))
    r = cli("ingest", "--json", str(mail), str(mail), env=env)
    assert r.returncode == 0, r.stderr
    first, again = (json.loads(line) for line in r.stdout.splitlines())
    assert first["created"] is True and first["state"] == "consult"
    assert again["created"] is False and again["inbound_id"] == first["inbound_id"]
    # a mail that failed in a stage is shunted; unshunt puts it through again
    db = sqlite3.connect(app_sqlite_url.removeprefix("sqlite:///"))
    db.execute("UPDATE inbound_message SET state='failed', failed_stage='draft', reason='boom' WHERE id=?",
               (first["inbound_id"],))  # fmt: skip
    db.execute("DELETE FROM draft")
    db.commit()
    r = cli("unshunt", "--json", str(first["inbound_id"]), "999999", env=env)
    out = json.loads(r.stdout)
    assert out["unshunted"] == [first["inbound_id"]]
    assert out["skipped"] == [{"id": 999999, "state": None, "reason": "not found"}]
    state, stage = db.execute("SELECT state, failed_stage FROM inbound_message WHERE id=?",
                              (first["inbound_id"],)).fetchone()  # fmt: skip
    assert (state, stage) == ("follow_up", None) or (state, stage) == ("consult", None)
    assert db.execute("SELECT count(*) FROM draft").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM audit_log WHERE action='unshunt'").fetchone()[0] == 1


def test_poll_once_stores_processes_and_moves(app_sqlite_url: str, dovecot: Any, tmp_path: Path) -> None:
    dovecot.deliver("alice", make_mail(3))
    env = {
        "CC_DATABASE_URL": app_sqlite_url,
        "CC_DATA_DIR": str(tmp_path / "var"),
        "CC_IMAP_HOST": "localhost",
        "CC_IMAP_PORT": str(dovecot.imap_port),
        "CC_IMAP_SSL": "false",
        "CC_IMAP_STARTTLS": "true",
        "CC_IMAP_CA_FILE": str(dovecot.ca_file),
        "CC_IMAP_USER": "alice",
        "CC_IMAP_PASSWORD": dovecot.users["alice"],
    }
    r = cli("poll", "--once", "--json", env=env)
    assert r.returncode == 0, r.stderr
    (folder,) = json.loads(r.stdout)["folders"]
    # embedded default: processing ran in-process at the commit, so the mail is moved in the same run
    assert (folder["folder"], folder["stored"], folder["moved"]) == ("INBOX", 1, 1)
    assert dovecot.count("alice", "INBOX") == 0 and dovecot.count("alice", "Processed") == 1
    del env["CC_IMAP_CA_FILE"]  # the self-signed certificate is then refused: a clear error
    r = cli("poll", "--once", "--json", env=env)
    assert r.returncode == 1 and "Traceback" not in r.stderr and "certificate" in r.stderr.lower()


def test_smtpd_command_serves_and_stops_on_sigterm(app_sqlite_url: str, tmp_path: Path) -> None:
    import signal
    import smtplib
    import time

    from tests.servers import free_port, port_open

    port = free_port()
    base = {k: v for k, v in os.environ.items() if not k.startswith("CC_")}
    env = {**base, "CC_DATABASE_URL": app_sqlite_url, "CC_DATA_DIR": str(tmp_path / "var")}
    argv = [sys.executable, "-m", "consultant.cli.main", "smtpd", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while not port_open(port) and time.monotonic() < deadline:
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            time.sleep(0.1)
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as c:
            assert c.sendmail("coder@clinic.example", ["consult@caseconsultant.test"], make_mail(9)) == {}
        db = sqlite3.connect(app_sqlite_url.removeprefix("sqlite:///"))
        assert db.execute("SELECT source FROM inbound_message").fetchall() == [("smtp",)]
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
