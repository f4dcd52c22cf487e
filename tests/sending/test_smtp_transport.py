"""The SMTP transport against a real aiosmtpd server: STARTTLS and SMTPS with certificate verification,
AUTH success and failure, XOAUTH2 from a token command (refreshed when refused), connection reuse."""

from __future__ import annotations

import base64
import sys
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from consultant.adapters.smtp_sender import SmtpTransport
from consultant.services.sending import TransientSendError
from consultant.settings import Settings
from tests.smtp_sink import SmtpSink, _Handler


def _settings(**kw: Any) -> Settings:
    base: dict[str, Any] = {"smtp_host": "127.0.0.1", "smtp_tls": "none", "smtp_timeout_seconds": 10,
                            "consult_address": "consult@caseconsultant.test"}  # fmt: skip
    base.update(kw)
    return Settings(**base)


def _msg(n: int = 1) -> EmailMessage:
    m = EmailMessage()
    m["From"] = "consult@caseconsultant.test"
    m["To"] = "pat@clinic.example"
    m["Subject"] = f"Re: test {n}"
    m["Message-ID"] = f"<t{n}@caseconsultant.test>"
    m.set_content("hello")
    return m


def test_starttls_verified_with_auth(
    smtp_sink_factory: Callable[..., SmtpSink], tls_cert: tuple[Path, Path]
) -> None:
    sink = smtp_sink_factory(users={"alice": "alice-pw"}, tls_cert=tls_cert, require_starttls=True)
    t = SmtpTransport(_settings(smtp_host="localhost", smtp_port=sink.port, smtp_tls="starttls",
                                smtp_ca_file=tls_cert[0], smtp_user="alice",
                                smtp_password="alice-pw"))  # fmt: skip
    t.send(_msg(), ["pat@clinic.example"])
    [got] = sink.wait_for(1)
    assert got.tls and got.auth_user == "alice"
    t.close()


def test_smtps_verified(smtp_sink_factory: Callable[..., SmtpSink], tls_cert: tuple[Path, Path]) -> None:
    sink = smtp_sink_factory(tls_cert=tls_cert, implicit_tls=True)
    t = SmtpTransport(_settings(smtp_host="localhost", smtp_port=sink.port, smtp_tls="ssl",
                                smtp_ca_file=tls_cert[0]))  # fmt: skip
    t.send(_msg(), ["pat@clinic.example"])
    assert sink.wait_for(1)[0].tls
    t.close()


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_unverifiable_certificate_refused(
    smtp_sink_factory: Callable[..., SmtpSink], tls_cert: tuple[Path, Path], mode: str
) -> None:
    """Without our CA file the self-signed certificate does not verify: nothing is sent, in clear or not."""
    sink = smtp_sink_factory(tls_cert=tls_cert, implicit_tls=(mode == "ssl"))
    t = SmtpTransport(_settings(smtp_host="localhost", smtp_port=sink.port, smtp_tls=mode))
    with pytest.raises(TransientSendError, match="CERTIFICATE_VERIFY_FAILED"):
        t.send(_msg(), ["pat@clinic.example"])
    assert sink.messages == []


def test_starttls_required_but_not_offered(smtp_sink_factory: Callable[..., SmtpSink]) -> None:
    sink = smtp_sink_factory()  # no TLS at all
    t = SmtpTransport(_settings(smtp_port=sink.port, smtp_tls="starttls"))
    with pytest.raises(TransientSendError, match="STARTTLS"):
        t.send(_msg(), ["pat@clinic.example"])
    assert sink.messages == []


def test_auth_failure(smtp_sink_factory: Callable[..., SmtpSink], tls_cert: tuple[Path, Path]) -> None:
    sink = smtp_sink_factory(users={"alice": "alice-pw"}, tls_cert=tls_cert)
    t = SmtpTransport(_settings(smtp_host="localhost", smtp_port=sink.port, smtp_tls="starttls",
                                smtp_ca_file=tls_cert[0], smtp_user="alice",
                                smtp_password="wrong"))  # fmt: skip
    with pytest.raises(TransientSendError, match="authentication failed: 535"):
        t.send(_msg(), ["pat@clinic.example"])
    assert sink.messages == []


def test_no_auth_configured_but_required(smtp_sink_factory: Callable[..., SmtpSink]) -> None:
    sink = smtp_sink_factory(users={"alice": "alice-pw"})
    t = SmtpTransport(_settings(smtp_port=sink.port))
    with pytest.raises(TransientSendError, match="authentication problem: 530"):
        t.send(_msg(), ["pat@clinic.example"])


class _XOAuth2Handler(_Handler):
    """The sink's handler plus the XOAUTH2 mechanism (as Gmail / Microsoft 365 offer it)."""

    valid_token = "token-2"
    seen: list[str] = []

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        raw = base64.b64decode(args[1]).decode() if len(args) > 1 else ""
        fields = dict(p.split("=", 1) for p in raw.split("\x01") if "=" in p)
        user, token = fields.get("user", ""), fields.get("auth", "").removeprefix("Bearer ")
        self.seen.append(token)
        if token == self.valid_token:
            return AuthResult(success=True, handled=False, auth_data=LoginPassword(user.encode(), b""))
        return AuthResult(success=False, handled=False)


def test_xoauth2_token_from_command_refreshed_when_refused(
    request: pytest.FixtureRequest, tls_cert: tuple[Path, Path], tmp_path: Path
) -> None:
    """The first token the command prints is stale: the server refuses it, the transport asks the command
    again (force refresh) and the second token works."""
    counter = tmp_path / "n"
    script = tmp_path / "token.py"
    script.write_text(
        "import pathlib, sys\n"
        f"p = pathlib.Path({str(counter)!r})\n"
        "n = int(p.read_text()) + 1 if p.exists() else 1\n"
        "p.write_text(str(n))\n"
        "print(f'token-{n}')\n"
    )
    sink = SmtpSink(users={}, tls_cert=tls_cert, require_starttls=True)
    handler = _XOAuth2Handler(sink)
    handler.seen = []
    sink.controller.handler = handler
    sink.start()
    request.addfinalizer(sink.stop)
    t = SmtpTransport(_settings(smtp_host="localhost", smtp_port=sink.port, smtp_tls="starttls",
                                smtp_ca_file=tls_cert[0], smtp_user="consult@caseconsultant.test",
                                oauth2_token_command=f"{sys.executable} {script}"))  # fmt: skip
    t.send(_msg(), ["pat@clinic.example"])
    [got] = sink.wait_for(1)
    assert got.auth_user == "consult@caseconsultant.test"
    assert handler.seen == ["token-1", "token-2"]
    assert counter.read_text() == "2"
    t.close()


def test_connection_reused_for_a_burst_and_renewed_when_dropped(
    smtp_sink_factory: Callable[..., SmtpSink],
) -> None:
    sink = smtp_sink_factory()
    t = SmtpTransport(_settings(smtp_port=sink.port, smtp_reuse_seconds=30))
    for n in range(5):
        t.send(_msg(n), ["pat@clinic.example"])
    assert len(sink.wait_for(5)) == 5
    assert t.connections_opened == 1
    # the server goes away and comes back: the stale connection is noticed (RSET) and replaced
    sink.stop()
    sink = smtp_sink_factory(port=sink.port)
    t.send(_msg(6), ["pat@clinic.example"])
    assert len(sink.wait_for(1)) == 1
    assert t.connections_opened == 2
    # a 421 closes the connection; the next message opens a new one
    sink.fail_next(["421 4.3.2 closing"])
    with pytest.raises(TransientSendError, match="421"):
        t.send(_msg(7), ["pat@clinic.example"])
    t.send(_msg(8), ["pat@clinic.example"])
    assert len(sink.wait_for(2)) == 2
    assert t.connections_opened == 3
    t.close()


def test_no_reuse_when_disabled(smtp_sink_factory: Callable[..., SmtpSink]) -> None:
    sink = smtp_sink_factory()
    t = SmtpTransport(_settings(smtp_port=sink.port, smtp_reuse_seconds=0))
    for n in range(3):
        t.send(_msg(n), ["pat@clinic.example"])
    assert t.connections_opened == 3
    assert t._conn is None


def test_timeout_is_transient(tmp_path: Path) -> None:
    """A server that accepts the connection but never greets: the timeout ends the attempt."""
    import socket

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    try:
        t = SmtpTransport(_settings(smtp_port=srv.getsockname()[1], smtp_timeout_seconds=0.5))
        with pytest.raises(TransientSendError, match=r"timed out|Timeout"):
            t.send(_msg(), ["pat@clinic.example"])
    finally:
        srv.close()
