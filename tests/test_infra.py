"""The test fixtures really work: real Redis, PostgreSQL, Dovecot, aiosmtpd sink, pymap, Chromium."""

from __future__ import annotations

import smtplib
import ssl
import threading
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from tests.servers import Dovecot, ManagedProcess, Postgres, Redis
from tests.smtp_sink import SmtpSink

pytestmark = pytest.mark.integration


def _msg(subject: str, to: str = "alice@example.test") -> bytes:
    m = EmailMessage()
    m["From"] = "coder@clinic.example"
    m["To"] = to
    m["Subject"] = subject
    m["Message-ID"] = f"<{time.time_ns()}@clinic.example>"
    m.set_content("Can I bill 99214-25 with 20610 on the same day? Dx M17.11\n")
    return m.as_bytes()


# ---------------------------------------------------------------------------------------------------------
# Redis
# ---------------------------------------------------------------------------------------------------------


def test_redis_ping_and_fresh_db(redis_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    assert client.ping()
    assert client.dbsize() == 0
    client.set("k", "v")
    assert client.get("k") == b"v"
    client.close()


def test_private_redis_restart_and_kill(private_redis: Redis) -> None:
    import redis

    client = redis.Redis.from_url(private_redis.url, socket_timeout=5)
    assert client.ping()
    private_redis.stop()
    with pytest.raises(redis.ConnectionError):
        client.ping()
    private_redis.start()
    assert client.ping()
    private_redis.restart(kill=True)
    assert client.ping()
    client.close()


def test_session_redis_restart(redis_server: Redis, redis_url: str) -> None:
    import redis

    if not (redis_server.dir / "state.json").exists():
        return  # an external Redis given by URL only: nothing to restart
    client = redis.Redis.from_url(redis_url, socket_timeout=5)
    redis_server.restart()
    assert client.ping()
    redis_server.stop(kill=True)
    with pytest.raises(redis.ConnectionError):
        client.ping()
    redis_server.start()
    assert client.ping()
    client.close()


# ---------------------------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------------------------


def test_postgres_fresh_database(postgres_url: str, postgres_server_url: str) -> None:
    from sqlalchemy import create_engine, text

    assert postgres_url.startswith("postgresql+psycopg://")
    assert postgres_url.rsplit("/", 1)[1].startswith("cc_test_")
    engine = create_engine(postgres_url)
    with engine.begin() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
        tables = conn.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")).scalar()
        assert tables == 0
        conn.execute(text("CREATE TABLE t (id int)"))
    engine.dispose()


def test_postgres_each_test_gets_its_own_database(postgres_url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(postgres_url)
    with engine.connect() as conn:  # the table the previous test created is not here
        assert conn.execute(text("SELECT to_regclass('public.t')")).scalar() is None
    engine.dispose()


def test_private_postgres_restart_and_crash(private_postgres: Postgres) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(private_postgres.create_database(), pool_pre_ping=True)
    private_postgres.restart()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
    private_postgres.restart(kill=True)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
    engine.dispose()


# ---------------------------------------------------------------------------------------------------------
# Dovecot
# ---------------------------------------------------------------------------------------------------------


def _imap(dovecot: Dovecot, user: str = "alice", imaps: bool = False) -> Any:
    from imapclient import IMAPClient

    if imaps:
        ctx = ssl.create_default_context(cafile=str(dovecot.ca_file))
        client = IMAPClient(dovecot.host, port=dovecot.imaps_port, ssl=True, ssl_context=ctx, timeout=30)
    else:
        client = IMAPClient(dovecot.host, port=dovecot.imap_port, ssl=False, timeout=30)
    client.login(user, dovecot.users[user])
    return client


def test_dovecot_login_append_and_idle(dovecot: Dovecot) -> None:
    client = _imap(dovecot)
    client.append("INBOX", _msg("first"))
    client.select_folder("INBOX")
    assert len(client.search(["UNSEEN"])) == 1
    assert {b"\\Archive", b"\\Trash", b"\\Sent"} <= {
        flag for flags, _sep, _name in client.list_folders() for flag in flags
    }

    def append_later() -> None:
        time.sleep(0.5)
        other = _imap(dovecot)
        other.append("INBOX", _msg("during IDLE"))
        other.logout()

    t = threading.Thread(target=append_later)
    t.start()
    client.idle()
    responses = client.idle_check(timeout=20)
    client.idle_done()
    t.join()
    assert any(r[1] == b"EXISTS" for r in responses), responses
    client.logout()
    assert dovecot.count("alice") == 2


def test_dovecot_mailboxes_are_empty_at_start(dovecot: Dovecot) -> None:
    assert dovecot.count("alice") == 0
    assert dovecot.count("bob") == 0


def test_dovecot_imaps_verifies_certificate(dovecot: Dovecot) -> None:
    client = _imap(dovecot, "bob", imaps=True)
    assert client.select_folder("INBOX")[b"EXISTS"] == 0
    client.logout()
    # without the test CA the handshake is refused
    from imapclient import IMAPClient

    with pytest.raises(ssl.SSLError):
        IMAPClient(dovecot.host, port=dovecot.imaps_port, ssl=True, ssl_context=ssl.create_default_context(),
                   timeout=10)  # fmt: skip


def test_dovecot_deliver_lmtp_and_folders(dovecot: Dovecot) -> None:
    dovecot.deliver("alice", _msg("seeded"))
    dovecot.deliver("alice", _msg("seeded elsewhere"), folder="Processed")
    with smtplib.LMTP(dovecot.host, dovecot.lmtp_port, timeout=30) as lmtp:
        # one recipient per transaction: smtplib reads only one of LMTP's per-recipient DATA replies
        for rcpt in ("alice@example.test", "bob@example.test"):
            lmtp.sendmail("coder@clinic.example", [rcpt], _msg("via lmtp"))
    assert dovecot.count("alice") == 2
    assert dovecot.count("alice", "Processed") == 1
    assert dovecot.count("bob") == 1


def test_dovecot_wrong_password_refused(dovecot: Dovecot) -> None:
    from imapclient import IMAPClient
    from imapclient.exceptions import LoginError

    client = IMAPClient(dovecot.host, port=dovecot.imap_port, ssl=False, timeout=30)
    with pytest.raises(LoginError):
        client.login("alice", "wrong")


def test_dovecot_restart_keeps_mail(dovecot: Dovecot) -> None:
    dovecot.deliver("bob", _msg("survives"))
    dovecot.restart()
    client = _imap(dovecot, "bob")
    assert client.select_folder("INBOX")[b"EXISTS"] == 1
    client.logout()
    dovecot.restart(kill=True)  # a crash: master and children SIGKILLed, then started again
    client = _imap(dovecot, "bob")
    assert client.select_folder("INBOX")[b"EXISTS"] == 1
    client.logout()


def test_private_dovecot_outage(private_dovecot: Dovecot) -> None:
    from imapclient import IMAPClient

    private_dovecot.stop(kill=True)
    with pytest.raises(OSError):
        IMAPClient(private_dovecot.host, port=private_dovecot.imap_port, ssl=False, timeout=2)
    private_dovecot.start()
    _imap(private_dovecot).logout()


# ---------------------------------------------------------------------------------------------------------
# SMTP sink
# ---------------------------------------------------------------------------------------------------------


def test_smtp_sink_receives(smtp_sink: SmtpSink) -> None:
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port, timeout=10) as c:
        c.sendmail("consult@caseconsultant.test", ["coder@clinic.example"], _msg("Re: question [Case #1]"))
    (rec,) = smtp_sink.wait_for(1)
    assert rec.envelope_from == "consult@caseconsultant.test"
    assert rec.rcpt_tos == ["coder@clinic.example"]
    assert rec.subject == "Re: question [Case #1]"
    assert not rec.tls and rec.auth_user is None


def test_smtp_sink_failure_injection(smtp_sink: SmtpSink) -> None:
    smtp_sink.fail_next(["421 4.3.2 Service not available", "451 4.3.0 Try again later"])
    raw = _msg("retry me")

    def send() -> None:
        with smtplib.SMTP(smtp_sink.host, smtp_sink.port, timeout=10) as c:
            c.sendmail("consult@caseconsultant.test", ["coder@clinic.example"], raw)

    with pytest.raises(smtplib.SMTPDataError) as first:
        send()
    assert first.value.smtp_code == 421
    with pytest.raises(smtplib.SMTPDataError) as second:
        send()
    assert second.value.smtp_code == 451
    send()
    assert len(smtp_sink.wait_for(1)) == 1
    assert [code[:3] for _stage, code in smtp_sink.rejections] == ["421", "451"]

    smtp_sink.fail_next("550 5.1.1 <nobody@clinic.example>: no such user", stage="RCPT")
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send()
    assert refused.value.recipients["coder@clinic.example"][0] == 550
    assert len(smtp_sink.messages) == 1


def test_smtp_sink_starttls_auth_and_lmtp(smtp_sink_factory: Any, tls_cert: tuple[Path, Path],
                                          dovecot: Dovecot) -> None:  # fmt: skip
    sink = smtp_sink_factory(users={"sender": "sender-pw"}, tls_cert=tls_cert,
                             lmtp=(dovecot.host, dovecot.lmtp_port))  # fmt: skip
    ctx = ssl.create_default_context(cafile=str(tls_cert[0]))
    with smtplib.SMTP("localhost", sink.port, timeout=10) as c:
        c.starttls(context=ctx)
        c.ehlo()
        with pytest.raises(smtplib.SMTPAuthenticationError):
            c.login("sender", "wrong")
        c.login("sender", "sender-pw")
        c.sendmail("consult@caseconsultant.test", ["alice@example.test"], _msg("through lmtp"))
    (rec,) = sink.wait_for(1)
    assert rec.tls and rec.auth_user == "sender"
    assert dovecot.count("alice") == 1


def test_smtp_sink_implicit_tls(smtp_sink_factory: Any, tls_cert: tuple[Path, Path]) -> None:
    sink = smtp_sink_factory(tls_cert=tls_cert, implicit_tls=True)
    ctx = ssl.create_default_context(cafile=str(tls_cert[0]))
    with smtplib.SMTP_SSL("localhost", sink.port, context=ctx, timeout=10) as c:
        c.sendmail("a@example.test", ["b@example.test"], _msg("smtps"))
    assert sink.wait_for(1)[0].tls


# ---------------------------------------------------------------------------------------------------------
# embedded IMAP (pymap), processes, Chromium, SQLite
# ---------------------------------------------------------------------------------------------------------


def test_embedded_imap(embedded_imap: Any) -> None:
    from imapclient import IMAPClient

    embedded_imap.append("bob", _msg("seeded", to="bob@example.test"))
    client = IMAPClient(embedded_imap.host, port=embedded_imap.port, ssl=False, timeout=30)
    client.login("bob", "bob-pw")
    assert client.select_folder("INBOX")[b"EXISTS"] == 1
    client.logout()


def test_managed_process_sigkill(tmp_path: Path) -> None:
    import signal
    import sys

    code = "import time, subprocess, sys; print('ready', flush=True); time.sleep(60)"
    proc = ManagedProcess([sys.executable, "-c", code], log=tmp_path / "p.log").start()
    proc.wait_for_log("ready", 20)
    assert proc.kill(signal.SIGKILL) == -signal.SIGKILL
    assert not proc.running()


def test_sqlite_url(sqlite_url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
    engine.dispose()


@pytest.mark.browser
def test_chromium_renders_page(chromium_browser: Any, tmp_path: Path) -> None:
    page_file = tmp_path / "index.html"
    page_file.write_text("<html><body><p id='x'>&lt;script&gt;alert(1)&lt;/script&gt;</p></body></html>")
    page = chromium_browser.new_page()
    page.goto(page_file.as_uri())
    assert page.text_content("#x") == "<script>alert(1)</script>"
    page.close()
